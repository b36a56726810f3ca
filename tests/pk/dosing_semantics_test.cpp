// What dose records mean, case by case (closed forms as oracles), and B1 of
// shared/benchmarks through the dosing path.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "models/reference_problems.hpp"
#include "pk/dosing_records.hpp"
#include "pk/dosing_simulate.hpp"
#include "tests/pk/nonmem_dosing_model.hpp"

namespace onset::pk {
namespace {

constexpr double kK = 1.1 / 20;  // elimination rate constant of the nmtests model, 1/h
constexpr double kV = 0.02;      // CP = A2 / (V / 1000)

const std::string kHeader = "ID,TIME,EVID,AMT,CMT,RATE,II,ADDL,SS,LAGT,MODE,DUR2,RAT2,BIOAV\n";

// "ID,TIME,EVID,AMT,CMT,RATE,II,ADDL,SS" plus LAGT and the defaults MODE 0, DUR2 2, RAT2 10,
// BIOAV 1.
std::string row(const std::string& first_nine, double lag = 0) {
  char tail[64];
  std::snprintf(tail, sizeof tail, ",%g,0,2,10,1\n", lag);
  return first_nine + tail;
}

DosingResult simulate(const std::string& rows, Backend backend = Backend::kAuto) {
  const DosingData data = parse_dosing_csv(kHeader + rows, "semantics.csv");
  test_models::NonmemDosingModel model;
  DosingOptions options;
  options.solver.backend = backend;
  DosingSimulator simulator(model, options);
  DosingResult result;
  simulator.run(data, model.default_parameters(), {}, &result);
  return result;
}

TEST(DosingSemantics, ARowBeforeADoseAtTheSameTimeIsPreDoseAndADoseRowIsPostDose) {
  const auto result = simulate(row("1,0,1,100,2,0,0,0,0") + row("1,5,0,0,2,0,0,0,0") +
                               row("1,5,1,100,2,0,0,0,0") + row("1,5,0,0,2,0,0,0,0"));
  ASSERT_TRUE(result.ok()) << result.message;
  const double before = 100 * std::exp(-kK * 5) / kV;
  EXPECT_NEAR(result.observable(0, 0), 100 / kV, 1e-9);  // dose row: post-dose
  EXPECT_NEAR(result.observable(1, 0), before, 1e-9);    // observation before the dose row
  EXPECT_NEAR(result.observable(2, 0), before + 100 / kV, 1e-9);
  EXPECT_NEAR(result.observable(3, 0), before + 100 / kV, 1e-9);
}

TEST(DosingSemantics, ResetStopsRunningInfusionsAndCancelsPendingDoses) {
  // A 10 h infusion from 0 and bolus doses every 12 h; EVID 3 at 2 h ends them all.
  const auto result =
      simulate(row("1,0,1,100,2,10,0,0,0") + row("1,0,1,50,2,0,12,3,0") + row("1,2,3,0,2,0,0,0,0") +
               row("1,3,0,0,2,0,0,0,0") + row("1,13,0,0,2,0,0,0,0"));
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.observable(2, 0), 0.0);
  EXPECT_EQ(result.observable(3, 0), 0.0);
  EXPECT_EQ(result.observable(4, 0), 0.0);
}

TEST(DosingSemantics, LaggedAndAdditionalDosesAtARecordTimeComeBeforeIt) {
  const auto result = simulate(row("1,0,1,100,2,0,0,0,0", 3) + row("1,3,0,0,2,0,0,0,0", 3));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.observable(0, 0), 0.0);  // the dose arrives at 3 h
  EXPECT_NEAR(result.observable(1, 0), 100 / kV, 1e-9);
}

TEST(DosingSemantics, SteadyStateBolusWithLagLongerThanTheInterval) {
  // Bolus every 6 h with a 10 h lag: at steady state the doses fall at 4, 10, 16... (mod 6:
  // 4), so at 0 the last dose was 2 h ago, and the implied dose at 4 h still comes.
  const auto result = simulate(row("1,0,1,100,2,0,6,0,1", 10) + row("1,3.5,0,0,2,0,0,0,0", 10) +
                               row("1,5,0,0,2,0,0,0,0", 10) + row("1,11,0,0,2,0,0,0,0", 10));
  ASSERT_TRUE(result.ok()) << result.message;
  const double peak = 100 / (1 - std::exp(-6 * kK));
  EXPECT_NEAR(result.observable(0, 0) * kV, peak * std::exp(-2 * kK), 1e-9);
  EXPECT_NEAR(result.observable(1, 0) * kV, peak * std::exp(-5.5 * kK), 1e-9);
  EXPECT_NEAR(result.observable(2, 0) * kV, peak * std::exp(-1 * kK), 1e-9);
  // After 10 h only the record's own dose (no ADDL): 100 at 10 plus the decaying SS.
  EXPECT_NEAR(result.observable(3, 0) * kV, peak * std::exp(-7 * kK) + 100 * std::exp(-kK), 1e-9);
}

TEST(DosingSemantics, NoSteadyStateWithoutEliminationIsAFailureNamingTheRecord) {
  const DosingData data =
      parse_dosing_csv(kHeader + row("1,0,0,0,2,0,0,0,0") + row("1,1,1,100,2,0,12,0,1"), "ss.csv");
  test_models::NonmemDosingModel model;
  DosingSimulator simulator(model, {});
  DosingResult result;
  std::vector<double> params = model.default_parameters();
  params[0] = 0;  // CL = 0
  EXPECT_FALSE(simulator.run(data, params, {}, &result));
  EXPECT_NE(result.message.find("ss.csv:3: subject 1: no steady state"), std::string::npos)
      << result.message;
}

TEST(DosingSemantics, GridRowsFollowTheRecordsOfTheSameTime) {
  const DosingData data =
      parse_dosing_csv(kHeader + row("1,0,1,100,2,0,0,0,0") + row("2,1,1,50,2,0,0,0,0"), "g.csv");
  test_models::NonmemDosingModel model;
  DosingSimulator simulator(model, {});
  DosingRequest request;
  request.record_rows = false;
  request.grid_times_h = {0, 1, 2};
  DosingResult result;
  ASSERT_TRUE(simulator.run(data, model.default_parameters(), request, &result));
  ASSERT_EQ(result.rows.size(), 6u);
  EXPECT_NEAR(result.observable(0, 0), 100 / kV, 1e-9);  // after the dose at 0
  EXPECT_EQ(result.observable(3, 0), 0.0);               // subject 2 before its dose
  EXPECT_NEAR(result.observable(4, 0), 50 / kV, 1e-9);
  EXPECT_EQ(result.subject_ids[result.rows[5].subject], "2");
}

// B1: 7 infusions of 1000 mg over 1 h every 24 h, from data/examples/b1_infusions.csv.
class B1ThroughDosing : public ::testing::TestWithParam<Backend> {};

TEST_P(B1ThroughDosing, AgreesWithTheExactSolution) {
  const DosingData data =
      read_dosing_file(std::string(ONSET_SOURCE_DIR) + "/data/examples/b1_infusions.csv");
  models::TwoCompartmentB1 model;
  DosingOptions options;
  options.solver.backend = GetParam();
  DosingSimulator simulator(model, options);
  DosingResult result;
  ASSERT_TRUE(simulator.run(data, model.default_parameters(), {}, &result)) << result.message;
  ASSERT_EQ(result.rows.size(), 344u);
  double worst = 0;
  int observations = 0;
  for (size_t k = 0; k < result.rows.size(); ++k) {
    if (data.records[k].evid != 0 || result.rows[k].time_h == 0) continue;
    const double exact = models::b1_exact_concentration(result.rows[k].time_h);
    worst = std::max(worst, std::fabs(result.observable(k, 0) - exact) / exact);
    ++observations;
  }
  EXPECT_EQ(observations, 336);
  EXPECT_LT(worst, 1e-6);
  RecordProperty("max_rel_error", std::to_string(worst));
}

TEST_P(B1ThroughDosing, OneRecordWithAddlIsTheSameAsSevenRecords) {
  std::string text = "ID,TIME,EVID,AMT,CMT,RATE,II,ADDL\n1,0,1,1000,1,1000,24,6\n";
  for (int t = 1; t <= 168; ++t) text += "1," + std::to_string(t) + ",0,0,1,0,0,0\n";
  const DosingData data = parse_dosing_csv(text, "b1_addl.csv");
  models::TwoCompartmentB1 model;
  DosingOptions options;
  options.solver.backend = GetParam();
  DosingSimulator simulator(model, options);
  DosingResult result;
  ASSERT_TRUE(simulator.run(data, model.default_parameters(), {}, &result)) << result.message;
  for (size_t k = 1; k < result.rows.size(); ++k) {
    const double exact = models::b1_exact_concentration(result.rows[k].time_h);
    EXPECT_NEAR(result.observable(k, 0), exact, 1e-6 * exact) << "t = " << result.rows[k].time_h;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, B1ThroughDosing,
                         ::testing::Values(Backend::kExactLinear, Backend::kOnsetBdf,
                                           Backend::kCvodesBdf),
                         [](const auto& info) { return std::string(backend_name(info.param)); });

TEST(DosingSemantics, StatesWithinAtolOfZeroAreRecordedAsZeroWithoutChangingTheRun) {
  // 100 mg bolus, then 1,000 h of elimination (k = 0.055/h): A2 = 100 exp(-55) = 1.3e-22 mg,
  // far inside the absolute tolerance, so `onset simulate` shows 0 (STYLE 5); the raw request
  // keeps the integrated value, and the observable is computed from the state either way.
  const DosingData data = parse_dosing_csv(
      kHeader + row("1,0,1,100,2,0,0,0,0") + row("1,1000,0,0,2,0,0,0,0"), "atol.csv");
  test_models::NonmemDosingModel model;
  DosingOptions options;
  options.solver.backend = Backend::kCvodesBdf;
  const double atol = options.solver.atol_of(1);
  ASSERT_GT(atol, 1e-20);
  DosingSimulator simulator(model, options);
  DosingRequest shown;
  shown.record_states = true;
  DosingRequest raw = shown;
  raw.zero_within_atol = false;
  DosingResult zeroed, as_integrated;
  ASSERT_TRUE(simulator.run(data, model.default_parameters(), shown, &zeroed)) << zeroed.message;
  ASSERT_TRUE(simulator.run(data, model.default_parameters(), raw, &as_integrated));
  const size_t n_states = zeroed.state_names.size();
  const double integrated = as_integrated.states[1 * n_states + 1];
  EXPECT_NE(integrated, 0.0);
  EXPECT_LE(std::fabs(integrated), atol);
  EXPECT_EQ(zeroed.states[1 * n_states + 1], 0.0);
  EXPECT_EQ(zeroed.states[0 * n_states + 1], 100.0);  // the dose row: far above atol
  EXPECT_EQ(zeroed.observable(1, 0), as_integrated.observable(1, 0));
}

}  // namespace
}  // namespace onset::pk
