// Bad and awkward input: a clear error with file:line:column (and what was expected), or a
// per-subject exclusion reason; never a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "io/csv.hpp"
#include "nca/dataset.hpp"
#include "nca/input_error.hpp"

namespace onset::nca {
namespace {

DatasetOptions standard_columns() {
  DatasetOptions options;
  options.columns.subject = "ID";
  options.columns.time = "TIME";
  options.columns.concentration = "CONC";
  options.dose = 100;
  return options;
}

std::vector<Profile> read(const std::string& text, DatasetOptions options = standard_columns()) {
  return read_profiles(io::CsvTable::parse(text, "data.csv"), options);
}

// The message of the InputError thrown by f, or "no error".
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(NcaInput, EmptyFileIsAnError) {
  EXPECT_EQ(error_of([] { read(""); }),
            "data.csv:1:1: error: the file is empty: expected a header line of column names");
  EXPECT_EQ(error_of([] { read("\n\n"); }),
            "data.csv:1:1: error: the file is empty: expected a header line of column names");
}

TEST(NcaInput, HeaderWithoutRowsIsAnError) {
  EXPECT_EQ(error_of([] { read("ID,TIME,CONC\n"); }),
            "data.csv:2:1: error: no data rows after the header");
}

TEST(NcaInput, MissingColumnNamesTheAvailableOnes) {
  DatasetOptions options = standard_columns();
  options.columns.concentration = "DV";
  EXPECT_EQ(error_of([&] { read("ID,TIME,CONC\n1,0,1\n", options); }),
            "data.csv:1: error: no column 'DV' for the concentration; the header has 'ID', 'TIME', "
            "'CONC'");
}

TEST(NcaInput, ColumnNamesMatchCaseInsensitively) {
  DatasetOptions options = standard_columns();
  options.columns.time = "time";
  EXPECT_EQ(read("ID,TIME,CONC\n1,0,1\n1,1,2\n", options).front().samples.size(), 2u);
}

TEST(NcaInput, NonNumericCellGivesLineAndColumn) {
  EXPECT_EQ(error_of([] { read("ID,TIME,CONC\n1,0,1\n1,1h,2\n"); }),
            "data.csv:3:3: error: expected a number (time) in column 'TIME', found '1h'");
  EXPECT_EQ(error_of([] { read("ID,TIME,CONC\n1,0,1\n1,1,abc\n"); }),
            "data.csv:3:5: error: expected a number (concentration) in column 'CONC', found 'abc'");
  EXPECT_EQ(error_of([] { read("ID,TIME,CONC\n1,,1\n"); }),
            "data.csv:2:3: error: expected a number (time) in column 'TIME', found an empty cell");
}

TEST(NcaInput, NegativeConcentrationIsAnError) {
  EXPECT_EQ(
      error_of([] { read("ID,TIME,CONC\n1,0,-0.5\n"); }),
      "data.csv:2:5: error: negative concentration -0.5 in column 'CONC': expected a value >= 0, "
      "BLQ, or empty for missing");
}

TEST(NcaInput, RaggedRowIsAnError) {
  EXPECT_EQ(error_of([] { read("ID,TIME,CONC\n1,0,1\n1,1\n"); }),
            "data.csv:3:1: error: expected 3 comma-separated cells (as in the header), found 2");
}

TEST(NcaInput, UnsortedTimesWithinASubjectAreAnError) {
  EXPECT_EQ(
      error_of([] { read("ID,TIME,CONC\n1,0,0\n1,2,5\n1,1,3\n"); }),
      "data.csv:4: error: time 1 for subject '1' is earlier than 2 on line 3: expected the rows "
      "of each subject sorted by time");
}

TEST(NcaInput, DuplicateTimesWithinASubjectAreAnError) {
  EXPECT_EQ(
      error_of([] { read("ID,TIME,CONC\n1,0,0\n1,1,5\n1,1,3\n"); }),
      "data.csv:4: error: duplicate time 1 for subject '1' (also on line 3): expected one sample "
      "per time");
}

TEST(NcaInput, SameTimeInDifferentSubjectsIsFine) {
  const auto profiles = read("ID,TIME,CONC\n1,0,0\n1,1,5\n2,0,0\n2,1,3\n");
  ASSERT_EQ(profiles.size(), 2u);
  EXPECT_EQ(profiles[1].subject, "2");
}

TEST(NcaInput, DoseChangingWithinASubjectIsAnError) {
  DatasetOptions options = standard_columns();
  options.columns.dose = "AMT";
  options.dose.reset();
  EXPECT_EQ(
      error_of([&] { read("ID,TIME,CONC,AMT\n1,0,0,100\n1,1,5,50\n", options); }),
      "data.csv:3: error: dose 50 for subject '1' differs from 100 on line 2: expected a single "
      "dose per subject");
  EXPECT_EQ(read("ID,TIME,CONC,AMT\n1,0,0,100\n1,1,5,.\n", options).front().dose, 100);
}

TEST(NcaInput, ByteOrderMarkAndCrlfAreAccepted) {
  const auto profiles = read("\xEF\xBB\xBFID,TIME,CONC\r\n1,0,0\r\n1,1,5\r\n1,2,\"4.5\"\r\n");
  ASSERT_EQ(profiles.size(), 1u);
  ASSERT_EQ(profiles[0].samples.size(), 3u);
  EXPECT_EQ(profiles[0].samples[2].conc, 4.5);
  EXPECT_EQ(profiles[0].samples[2].line, 4);
}

TEST(NcaInput, QuotedCellsMayHoldCommas) {
  const auto profiles = read("ID,TIME,CONC\n\"A, left\",0,0\n\"A, left\",1,5\n");
  EXPECT_EQ(profiles.front().subject, "A, left");
}

TEST(NcaInput, UnterminatedQuoteIsAnError) {
  EXPECT_EQ(error_of([] { read("ID,TIME,CONC\n\"1,0,0\n"); }),
            "data.csv:2:1: error: unterminated quoted cell: expected a closing '\"'");
}

TEST(NcaInput, Utf16FileIsRejectedWithTheReason) {
  EXPECT_EQ(error_of([] { read(std::string("\xFF\xFEI\0D", 5)); }),
            "data.csv:1:1: error: the file looks UTF-16 encoded: expected UTF-8 or ASCII text");
}

TEST(NcaInput, MissingAndBlqTokensAreRecognised) {
  DatasetOptions options = standard_columns();
  options.columns.lloq = "LLOQ";
  const auto profiles = read(
      "ID,TIME,CONC,LLOQ\n1,0,BLQ,0.1\n1,1,5,0.1\n1,2,.,0.1\n1,3,NA,0.1\n1,4,0.05,0.1\n"
      "1,5,<0.1,\n",
      options);
  const auto& samples = profiles.front().samples;
  ASSERT_EQ(samples.size(), 6u);
  EXPECT_TRUE(samples[0].blq);
  EXPECT_FALSE(samples[1].blq);
  EXPECT_TRUE(std::isnan(samples[2].conc));
  EXPECT_TRUE(std::isnan(samples[3].conc));
  EXPECT_TRUE(samples[4].blq);  // 0.05 < LLOQ 0.1
  EXPECT_TRUE(samples[5].blq);
}

TEST(NcaInput, GlobalLloqMarksLowValuesBlq) {
  DatasetOptions options = standard_columns();
  options.lloq = 1.0;
  const auto profiles = read("ID,TIME,CONC\n1,0,0.5\n1,1,5\n", options);
  EXPECT_TRUE(profiles.front().samples[0].blq);
  EXPECT_FALSE(profiles.front().samples[1].blq);
}

TEST(NcaInput, SubjectWithoutPositiveConcentrationIsExcludedNotAnError) {
  const auto profiles = read("ID,TIME,CONC\n1,0,0\n1,1,0\n2,0,0\n2,1,3\n2,2,2\n");
  const NcaResult first = run_nca(profiles[0], NcaOptions{});
  EXPECT_TRUE(first.excluded);
  EXPECT_EQ(first.exclusion_reason, "no positive concentration");
  EXPECT_FALSE(run_nca(profiles[1], NcaOptions{}).excluded);
}

TEST(NcaInput, GroupColumnSplitsProfilesPerOrgan) {
  DatasetOptions options = standard_columns();
  options.columns.group = "ORGAN";
  const auto profiles =
      read("ID,ORGAN,TIME,CONC\n1,liver,0,0\n1,liver,1,5\n1,plasma,0,0\n1,plasma,1,3\n", options);
  ASSERT_EQ(profiles.size(), 2u);
  EXPECT_EQ(profiles[0].group, "liver");
  EXPECT_EQ(profiles[1].group, "plasma");
}

TEST(NcaInput, SparseAnimalSampledTwiceAtOneTimeIsAnError) {
  DatasetOptions options = standard_columns();
  EXPECT_EQ(error_of([&] {
              read_sparse_observations(
                  io::CsvTable::parse("ID,TIME,CONC\nA,1,5\nB,1,6\nA,1,4\n", "data.csv"), options);
            }),
            "data.csv:4: error: animal 'A' sampled twice at time 1 (also on line 2)");
}

TEST(NcaInput, UnreadableFileIsAnError) {
  EXPECT_EQ(error_of([] { io::CsvTable::read_file("/nonexistent/x.csv"); }),
            "/nonexistent/x.csv: error: the file cannot be opened for reading");
}

}  // namespace
}  // namespace onset::nca
