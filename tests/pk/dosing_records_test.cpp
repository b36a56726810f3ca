// Reading NONMEM-style data sets, and bad input: every error names file:line:column.
#include "pk/dosing_records.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "pk/dosing_simulate.hpp"
#include "tests/pk/nonmem_dosing_model.hpp"

namespace onset::pk {
namespace {

// Runs `what` and returns the DosingDataError it throws (fails the test if none).
template <typename F>
DosingDataError error_of(F&& what) {
  try {
    what();
  } catch (const DosingDataError& error) {
    return error;
  }
  ADD_FAILURE() << "no DosingDataError thrown";
  return DosingDataError("", 0, 0, "");
}

DosingData parse(const std::string& text) { return parse_dosing_csv(text, "doses.csv"); }

// Simulates `text` with the nmtests ADVAN2 model (covariates LAGT, MODE, DUR2, RAT2, BIOAV).
DosingResult simulate_advan2(const std::string& text) {
  const DosingData data = parse(text);
  test_models::NonmemDosingModel model;
  DosingSimulator simulator(model, {});
  DosingResult result;
  simulator.run(data, model.default_parameters(), {}, &result);
  return result;
}

const std::string kAdvan2Header =
    "ID,TIME,EVID,AMT,CMT,RATE,II,ADDL,SS,LAGT,MODE,DUR2,RAT2,BIOAV\n";

TEST(DosingRecords, ReadsColumnsInAnyCaseAndOrderWithDotsAndCovariates) {
  const DosingData data = parse(
      "C,id,Time,amt,evid,cmt,WT,dv\n"
      ".,7,0,100,1,2,70.5,.\n"
      "C,7,0.5,0,0,2,70.5,3\n"
      ".,7,1,.,0,2,.,4.25\n"
      ".,8,0,50,.,1,60,.\n");
  ASSERT_EQ(data.records.size(), 3u);  // the "C" row is dropped
  EXPECT_EQ(data.records[0].id, "7");
  EXPECT_EQ(data.records[0].evid, 1);
  EXPECT_EQ(data.records[0].cmt, 2);
  EXPECT_EQ(data.records[0].amount, 100);
  EXPECT_TRUE(std::isnan(data.records[0].dv));
  EXPECT_EQ(data.records[0].line, 2);
  EXPECT_EQ(data.records[1].amount, 0);  // "." is 0
  EXPECT_EQ(data.records[1].dv, 4.25);
  EXPECT_EQ(data.records[1].line, 4);
  EXPECT_EQ(data.records[2].evid, 1);  // EVID "." with AMT > 0: a dose
  ASSERT_EQ(data.covariate_names.size(), 1u);
  EXPECT_EQ(data.covariate_index("wt"), 0);
  EXPECT_EQ(data.covariate(0, 0), 70.5);
  EXPECT_EQ(data.covariate(1, 0), 0.0);
  const auto subjects = subject_ranges(data);
  ASSERT_EQ(subjects.size(), 2u);
  EXPECT_EQ(subjects[0][1], 2u);
}

TEST(DosingRecords, NegativeAmountNamesLineAndColumn) {
  const auto error = error_of([] { parse("ID,TIME,AMT,CMT\n1,0,100,1\n1,2,-5,1\n"); });
  EXPECT_EQ(error.file(), "doses.csv");
  EXPECT_EQ(error.line(), 3);
  EXPECT_EQ(error.column(), 5);  // "-5" starts at character 5
  EXPECT_NE(std::string(error.what()).find("doses.csv:3:5: error: AMT must not be negative"),
            std::string::npos)
      << error.what();
}

TEST(DosingRecords, SteadyStateWithoutIntervalIsAnError) {
  const auto error = error_of([] { parse("ID,TIME,EVID,AMT,CMT,SS,II\n1,0,1,100,1,1,0\n"); });
  EXPECT_EQ(error.line(), 2);
  EXPECT_EQ(error.column(), 15);  // the II cell
  EXPECT_NE(error.message().find("needs the dosing interval II > 0"), std::string::npos);
  // A constant infusion at steady state (AMT 0, RATE > 0) needs no II.
  EXPECT_NO_THROW(parse("ID,TIME,EVID,AMT,CMT,SS,II,RATE\n1,0,1,0,1,1,0,10\n"));
}

TEST(DosingRecords, TimeGoingBackwardsWithinASubjectIsAnError) {
  const auto error = error_of([] { parse("ID,TIME,AMT\n1,0,100\n1,5,0\n1,4,0\n2,0,0\n"); });
  EXPECT_EQ(error.line(), 4);
  EXPECT_EQ(error.column(), 3);
  EXPECT_NE(error.message().find("TIME goes backwards within subject 1"), std::string::npos);
  // A new subject may start earlier.
  EXPECT_NO_THROW(parse("ID,TIME,AMT\n1,0,100\n1,5,0\n2,0,0\n"));
}

TEST(DosingRecords, OtherBadCells) {
  EXPECT_EQ(error_of([] { parse("ID,TIME\n1,abc\n"); }).column(), 3);
  EXPECT_EQ(error_of([] { parse("ID,TIME,EVID\n1,0,7\n"); }).column(), 5);
  EXPECT_EQ(error_of([] { parse("ID,TIME,EVID,AMT,RATE\n1,0,1,10,-3\n"); }).column(), 10);
  EXPECT_EQ(error_of([] { parse("ID,TIME,EVID,AMT,ADDL\n1,0,1,10,2\n"); }).line(), 2);
  EXPECT_EQ(error_of([] { parse("ID,TIME\n1,0,5\n"); }).line(), 2);
  EXPECT_EQ(error_of([] { parse("ID,AMT\n1,0\n"); }).line(), 1);  // no TIME column
}

TEST(DosingRecords, UnknownCompartmentIsReportedBeforeSimulating) {
  const auto error =
      error_of([] { simulate_advan2(kAdvan2Header + "1,0,1,100,3,0,0,0,0,0,0,2,10,1\n"); });
  EXPECT_EQ(error.line(), 2);
  EXPECT_EQ(error.column(), 11);  // the CMT cell
  EXPECT_NE(error.message().find("CMT 3 does not exist"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("2 'central'"), std::string::npos);
}

TEST(DosingRecords, ModelledRateOrDurationMustExist) {
  // MODE 0: the model declares neither R2 nor D2.
  const auto no_rate = error_of([] {
    simulate_advan2(kAdvan2Header +
                    "1,0,1,100,2,-1,0,0,0,0,0,2,10,1\n1,1,0,0,2,0,0,0,0,0,0,2,10,1\n");
  });
  EXPECT_EQ(no_rate.line(), 2);
  EXPECT_EQ(no_rate.column(), 13);  // the RATE cell
  EXPECT_NE(no_rate.message().find("RATE = -1 needs a modelled rate"), std::string::npos);
  const auto no_duration =
      error_of([] { simulate_advan2(kAdvan2Header + "1,0,1,100,2,-2,0,0,0,0,0,2,10,1\n"); });
  EXPECT_NE(no_duration.message().find("RATE = -2 needs a modelled duration"), std::string::npos);
  // MODE 1: R2 = RAT2 = 10, so 100 mg run for 10 h.
  const auto result = simulate_advan2(kAdvan2Header +
                                      "1,0,1,100,2,-1,0,0,0,0,1,2,10,1\n"
                                      "1,10,0,0,2,0,0,0,0,0,1,2,10,1\n");
  ASSERT_TRUE(result.ok());
  const double k = 1.1 / 20;
  EXPECT_NEAR(result.observable(1, 0), 10 / k * (1 - std::exp(-k * 10)) / 0.02, 1e-6);
}

TEST(DosingRecords, MissingCovariateColumnIsAnError) {
  const auto error = error_of([] { simulate_advan2("ID,TIME,AMT,CMT\n1,0,100,2\n"); });
  EXPECT_NE(error.message().find("reads data column 'LAGT'"), std::string::npos);
}

}  // namespace
}  // namespace onset::pk
