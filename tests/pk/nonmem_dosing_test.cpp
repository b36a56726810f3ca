// The 29 dosing scenarios NONMEM simulated for the mrgsolve nmtests project
// (shared/data/nonmem-dosing): every one of the 3,837 rows must match NONMEM's CP to 1e-4
// relative or 1e-6 absolute (NONMEM printed 5 significant digits). The model is the
// control stream's ADVAN2 TRANS2 written by hand, so that this test does not depend on the
// model-file reader; the worst row of each scenario is printed as a table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pk/dosing_records.hpp"
#include "pk/dosing_simulate.hpp"
#include "tests/pk/nonmem_dosing_model.hpp"

#if __has_include("models/model_library.hpp")
#include <filesystem>

#include "models/model_library.hpp"
#define ONSET_HAVE_MODEL_LIBRARY 1
#endif

namespace onset::pk {
namespace {

const std::string kDir = std::string(ONSET_SHARED_DIR) + "/data/nonmem-dosing/";

struct ReferenceRow {
  std::string id;
  double time_h = 0;
  double cp = 0;
};

std::vector<ReferenceRow> read_reference() {
  std::ifstream in(kDir + "nonmem-output.csv");
  std::string line;
  std::getline(in, line);  // header: ID,TIME,CP
  std::vector<ReferenceRow> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream cells(line);
    ReferenceRow row;
    std::string time, cp;
    std::getline(cells, row.id, ',');
    std::getline(cells, time, ',');
    std::getline(cells, cp, ',');
    row.time_h = std::stod(time);
    row.cp = std::stod(cp);
    rows.push_back(row);
  }
  return rows;
}

struct Worst {
  double excess = -1;  // |error| / allowed error; <= 1 passes
  double time_h = 0, ours = 0, nonmem = 0;
  int line = 0;
  int rows = 0;
};

// Compares a simulation with NONMEM's table; prints the worst row per scenario.
void expect_matches_nonmem(const DosingData& data, const DosingResult& result,
                           const std::string& label) {
  const auto reference = read_reference();
  ASSERT_EQ(reference.size(), 3837u);
  ASSERT_EQ(result.rows.size(), reference.size());
  const int cp = 0;
  std::map<int, Worst> worst;
  int failures = 0;
  for (size_t k = 0; k < reference.size(); ++k) {
    const auto& row = result.rows[k];
    ASSERT_EQ(row.record, static_cast<int>(k));
    ASSERT_EQ(result.subject_ids[row.subject], reference[k].id);
    ASSERT_EQ(row.time_h, reference[k].time_h);
    const double ours = result.observable(k, cp), nonmem = reference[k].cp;
    const double allowed = std::max(1e-4 * std::fabs(nonmem), 1e-6);
    const double excess = std::fabs(ours - nonmem) / allowed;
    Worst& w = worst[std::stoi(reference[k].id)];
    ++w.rows;
    if (excess > w.excess) w = {excess, row.time_h, ours, nonmem, data.records[k].line, w.rows};
    if (excess > 1 && ++failures <= 20)
      ADD_FAILURE() << label << ": line " << data.records[k].line << " (ID " << reference[k].id
                    << ", TIME " << row.time_h << "): CP " << ours << ", NONMEM " << nonmem;
  }
  std::printf("%s: worst row per scenario (error / allowed, allowed = max(1e-4 |CP|, 1e-6))\n",
              label.c_str());
  std::printf("  %3s %6s %8s %14s %14s %10s\n", "ID", "line", "TIME", "onset CP", "NONMEM CP",
              "err/allowed");
  double overall = 0;
  for (const auto& [id, w] : worst) {
    std::printf("  %3d %6d %8g %14.7g %14.7g %10.3g\n", id, w.line, w.time_h, w.ours, w.nonmem,
                w.excess);
    overall = std::max(overall, w.excess);
  }
  ::testing::Test::RecordProperty("worst_error_over_allowed", std::to_string(overall));
  EXPECT_EQ(failures, 0);
}

class NonmemDosing : public ::testing::TestWithParam<Backend> {};

TEST_P(NonmemDosing, AllScenariosMatchNonmemAtEveryRow) {
  const DosingData data = read_dosing_file(kDir + "input.csv");
  ASSERT_EQ(data.records.size(), 3837u);
  test_models::NonmemDosingModel model;
  DosingOptions options;
  options.solver.backend = GetParam();
  DosingSimulator simulator(model, options);
  DosingResult result;
  ASSERT_TRUE(simulator.run(data, model.default_parameters(), {}, &result)) << result.message;
  expect_matches_nonmem(data, result, std::string(backend_name(GetParam())));
}

// The same model declared nonlinear, so that steady states come from iterating dosing
// intervals until convergence instead of the linear solve.
class IteratedSteadyStateModel final : public test_models::NonmemDosingModel {
 public:
  bool linear_system(std::span<const double>, std::span<double>, std::span<double>) const override {
    return false;
  }
};

TEST(NonmemDosingIterated, AllScenariosMatchWithIteratedSteadyStates) {
  const DosingData data = read_dosing_file(kDir + "input.csv");
  IteratedSteadyStateModel model;
  DosingSimulator simulator(model, {});
  ASSERT_EQ(simulator.backend_used(), Backend::kOnsetBdf);
  DosingResult result;
  ASSERT_TRUE(simulator.run(data, model.default_parameters(), {}, &result)) << result.message;
  expect_matches_nonmem(data, result, "onset_bdf, iterated steady state");
}

#ifdef ONSET_HAVE_MODEL_LIBRARY
// The same through the model file shipped as an example (models::load_model).
TEST(NonmemDosingFile, AllScenariosMatchThroughTheExampleModelFile) {
  const std::string path = std::string(ONSET_SOURCE_DIR) + "/data/examples/nonmem_dosing.yaml";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << ": the shipped example is missing";
  const auto model = models::load_model(path);
  const DosingData data = read_dosing_file(kDir + "input.csv");
  DosingSimulator simulator(*model, {});
  DosingResult result;
  ASSERT_TRUE(simulator.run(data, model->default_parameters(), {}, &result)) << result.message;
  ASSERT_EQ(result.observable_names.at(0), "CP");
  expect_matches_nonmem(data, result, "data/examples/nonmem_dosing.yaml");
}
#endif

INSTANTIATE_TEST_SUITE_P(Backends, NonmemDosing,
                         ::testing::Values(Backend::kExactLinear, Backend::kOnsetBdf,
                                           Backend::kCvodesBdf),
                         [](const auto& info) { return std::string(backend_name(info.param)); });

}  // namespace
}  // namespace onset::pk
