// The one user-facing error type (pk/user_error.hpp): its message format, and that every
// reader's error is one.
#include "pk/user_error.hpp"

#include <gtest/gtest.h>

#include <type_traits>

#include "models/model_file.hpp"
#include "models/units.hpp"
#include "pk/dosing_records.hpp"
#include "pk/steady_state.hpp"
#include "pk/text_input.hpp"

namespace onset {
namespace {

TEST(UserError, ReadsLikeACompilerMessage) {
  const UserError error(UserError::location("doses.csv", 3, 5), "AMT must not be negative",
                        "an amount >= 0", "write the amount without its sign");
  EXPECT_STREQ(error.what(),
               "doses.csv:3:5: error: AMT must not be negative (expected an amount >= 0) fix: "
               "write the amount without its sign");
  EXPECT_EQ(error.where(), "doses.csv:3:5");
  EXPECT_EQ(error.problem(), "AMT must not be negative");
  EXPECT_EQ(error.expected(), "an amount >= 0");
  EXPECT_EQ(error.fix(), "write the amount without its sign");
}

TEST(UserError, LeavesOutWhatIsNotKnown) {
  // Without a place: the problem alone, to be put after a place or a command's name.
  EXPECT_STREQ(UserError("", "no steady state", "", "add elimination").what(),
               "no steady state fix: add elimination");
  EXPECT_STREQ(UserError("subject 3, row 12", "TIME goes backwards").what(),
               "subject 3, row 12: error: TIME goes backwards");
}

TEST(UserError, LocationLeavesOutZeroLineAndColumn) {
  EXPECT_EQ(UserError::location("m.yaml", 4, 14), "m.yaml:4:14");
  EXPECT_EQ(UserError::location("m.yaml", 4, 0), "m.yaml:4");
  EXPECT_EQ(UserError::location("m.yaml", 0, 7), "m.yaml");  // a column without a line: none
  EXPECT_EQ(UserError::location("", 0, 0), "");
}

TEST(UserError, EveryReadersErrorIsAUserError) {
  static_assert(std::is_base_of_v<UserError, pk::DosingDataError>);
  static_assert(std::is_base_of_v<UserError, pk::SteadyStateError>);
  static_assert(std::is_base_of_v<UserError, models::ModelFileError>);
  static_assert(std::is_base_of_v<UserError, models::UnitError>);
  const pk::DosingDataError data("d.csv", 2, 9, "RATE must be 0");
  EXPECT_STREQ(data.what(), "d.csv:2:9: error: RATE must be 0");
  EXPECT_EQ(data.message(), "RATE must be 0");
}

TEST(UserError, ReadersFileErrorsKeepTheirPlace) {
  static_assert(std::is_base_of_v<FileError, pk::DosingDataError>);
  static_assert(std::is_base_of_v<FileError, models::ModelFileError>);
  const FileError error("m.yaml", 4, 14, "found '.nan'", "a number for parameter 'CL'");
  EXPECT_EQ(error.file(), "m.yaml");
  EXPECT_EQ(error.line(), 4);
  EXPECT_EQ(error.column(), 14);
  EXPECT_EQ(error.where(), "m.yaml:4:14");
  EXPECT_STREQ(error.what(),
               "m.yaml:4:14: error: found '.nan' (expected a number for parameter 'CL')");
}

// Numbers in data cells, claim, prior, label and model-option values: the whole text, finite.
TEST(ParseFiniteNumber, TakesTheWholeTextAndOnlyFiniteValues) {
  EXPECT_EQ(pk::parse_finite_number("1.5"), 1.5);
  EXPECT_EQ(pk::parse_finite_number("-2e3"), -2000.0);
  EXPECT_EQ(pk::parse_finite_number(".25"), 0.25);
  for (const char* bad : {"", "1.5x", "1.5 ", "mg", "nan", "NaN", "inf", "-inf", "1e999"})
    EXPECT_EQ(pk::parse_finite_number(bad), std::nullopt) << "'" << bad << "'";
}

// A model file that cannot be read has no position: none is printed (not "m.yaml:0:0").
TEST(UserError, ModelFileErrorWithoutAPositionPrintsNone) {
  try {
    models::read_model_file("/nonexistent/m.yaml");
    FAIL() << "no error";
  } catch (const models::ModelFileError& error) {
    const std::string what = error.what();
    EXPECT_EQ(what.rfind("/nonexistent/m.yaml: error: found ", 0), 0u) << what;
    EXPECT_EQ(what.find(":0"), std::string::npos) << what;
  }
}

TEST(UserError, AnEmptyModelFileIsReportedAtItsStart) {
  try {
    models::compile_model_text("# only a comment\n", "m.yaml");
    FAIL() << "no error";
  } catch (const models::ModelFileError& error) {
    EXPECT_EQ(error.line(), 1);
    EXPECT_EQ(error.column(), 1);
    EXPECT_NE(std::string(error.what()).find("m.yaml:1:1: error: found an empty file"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace onset
