// The one CSV reader (io/csv.hpp): RFC 4180 quoting, places of cells, the NONMEM dialect, and
// the writer's quoting read back by the reader.
#include "io/csv.hpp"

#include <gtest/gtest.h>

#include <string>

namespace onset::io {
namespace {

std::string error_of(std::string_view text, const CsvDialect& dialect = {}) {
  try {
    CsvTable::parse(text, "t.csv", dialect);
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Csv, QuotedCellsKeepCommasQuotesAndLineBreaksAndTheirPlaces) {
  const CsvTable table = CsvTable::parse("a,b\n\"x, \"\"y\"\"\",\"two\nlines\"\n3,4\n", "t.csv");
  ASSERT_EQ(table.row_count(), 2u);
  EXPECT_EQ(table.cell(0, 0).text, "x, \"y\"");
  EXPECT_EQ(table.cell(0, 1).text, "two\nlines");
  EXPECT_EQ(table.cell(0, 1).column, 12);
  EXPECT_EQ(table.row_line(1), 4);  // the quoted line break counts as a line
  EXPECT_EQ(table.cell(1, 1).line, 4);
  EXPECT_EQ(table.cell(1, 1).column, 3);
}

TEST(Csv, NonmemDialectSkipsCommentLinesAndComparesNamesWithoutCase) {
  const CsvTable table =
      CsvTable::parse("# a comment\nID,TIME\n  # another\n1,0\n", "d.csv", nonmem_dialect());
  EXPECT_EQ(table.header_line(), 2);
  ASSERT_EQ(table.row_count(), 1u);
  EXPECT_EQ(table.row_line(0), 4);
  EXPECT_EQ(error_of("ID,TIME,id\n1,0,1\n", nonmem_dialect()),
            "t.csv:1:9: error: duplicate column name 'id' in the header (also at column 1)");
  // The default dialect: '#' is data, names are case-sensitive, rows are required.
  EXPECT_EQ(CsvTable::parse("ID,id\n#1,2\n", "t.csv").cell(0, 0).text, "#1");
  EXPECT_EQ(error_of("ID,TIME\n"), "t.csv:2:1: error: no data rows after the header");
  EXPECT_EQ(CsvTable::parse("ID,TIME\n", "t.csv", nonmem_dialect()).row_count(), 0u);
}

TEST(Csv, MessagesNameTheFileAsTheDialectDoes) {
  EXPECT_EQ(error_of("", nonmem_dialect()),
            "t.csv:1:1: error: the data set is empty: expected a header line of column names");
  EXPECT_EQ(error_of("a,b\n1\n"),
            "t.csv:2:1: error: expected 2 comma-separated cells (as in the header), found 1");
  EXPECT_EQ(error_of("a,b\n\"1,2\n"),
            "t.csv:2:1: error: unterminated quoted cell: expected a closing '\"'");
}

TEST(Csv, WrittenFieldsReadBackAsWritten) {
  const std::string texts[] = {"plain", "a,b", "say \"hi\"", "two\nlines", " padded "};
  std::string csv = "x\n";
  for (const std::string& text : texts) csv += csv_field(text) + "\n";
  const CsvTable table = CsvTable::parse(csv, "t.csv");
  ASSERT_EQ(table.row_count(), std::size(texts));
  for (std::size_t r = 0; r < std::size(texts); ++r) EXPECT_EQ(table.cell(r, 0).text, texts[r]);
  EXPECT_EQ(csv_field("plain"), "plain");  // quoted only when it must be
}

}  // namespace
}  // namespace onset::io
