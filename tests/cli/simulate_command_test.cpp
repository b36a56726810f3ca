// `onset simulate` through the real binary: B1 against its exact solution, the nmtests
// scenarios through the example model file, the same bytes for any number of threads, and
// bad input (exit code 2, file:line:column, no output file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "models/reference_problems.hpp"
#include "run_command.hpp"

namespace {

using onset::testing::read_all;
using onset::testing::run_onset;

const std::string kSource = ONSET_SOURCE_DIR;
const std::string kShared = ONSET_SHARED_DIR;

struct CsvRows {
  std::string header;
  std::vector<std::vector<std::string>> rows;
};

CsvRows parse_csv(const std::string& text) {
  CsvRows csv;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, csv.header);
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::istringstream cell_stream(line);
    std::string cell;
    while (std::getline(cell_stream, cell, ',')) cells.push_back(cell);
    csv.rows.push_back(cells);
  }
  return csv;
}

TEST(SimulateCommand, B1ThroughTheLibraryModelAgreesWithTheExactSolution) {
  const auto result = run_onset("simulate two_compartment_iv --data " + kSource +
                                "/data/examples/b1_infusions.csv --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto csv = parse_csv(result.out);
  EXPECT_EQ(csv.header, "ID,TIME,CP");
  ASSERT_EQ(csv.rows.size(), 344u);  // 7 dose rows + 337 observation rows
  double worst = 0;
  for (const auto& row : csv.rows) {
    const double t = std::stod(row[1]);
    if (t == 0) continue;
    const double exact = onset::models::b1_exact_concentration(t);
    worst = std::max(worst, std::fabs(std::stod(row[2]) - exact) / exact);
  }
  EXPECT_LT(worst, 1e-6);
  RecordProperty("max_rel_error", std::to_string(worst));
}

TEST(SimulateCommand, NonmemScenariosThroughTheExampleModelFile) {
  const std::string model = kSource + "/data/examples/nonmem_dosing.yaml";
  ASSERT_TRUE(std::filesystem::exists(model)) << model << ": the shipped example is missing";
  const auto result = run_onset("simulate " + model + " --data " + kShared +
                                "/data/nonmem-dosing/input.csv --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto ours = parse_csv(result.out);
  const auto nonmem = parse_csv(read_all(kShared + "/data/nonmem-dosing/nonmem-output.csv"));
  EXPECT_EQ(ours.header, "ID,TIME,CP");
  ASSERT_EQ(ours.rows.size(), 3837u);
  ASSERT_EQ(nonmem.rows.size(), 3837u);
  double worst = 0;
  size_t worst_row = 0;
  for (size_t k = 0; k < ours.rows.size(); ++k) {
    ASSERT_EQ(ours.rows[k][0], nonmem.rows[k][0]);
    ASSERT_DOUBLE_EQ(std::stod(ours.rows[k][1]), std::stod(nonmem.rows[k][1]));
    const double value = std::stod(ours.rows[k][2]), reference = std::stod(nonmem.rows[k][2]);
    const double excess =
        std::fabs(value - reference) / std::max(1e-4 * std::fabs(reference), 1e-6);
    if (excess > worst) {
      worst = excess;
      worst_row = k;
    }
  }
  EXPECT_LE(worst, 1.0) << "row " << worst_row + 2 << " of nonmem-output.csv";
  RecordProperty("worst_error_over_allowed", std::to_string(worst));
}

TEST(SimulateCommand, GridJsonAndParameters) {
  const std::string data = kSource + "/data/examples/b1_infusions.csv";
  const auto result = run_onset("simulate two_compartment_iv --data " + data +
                                " --times 0:48:12 --param CL=2.5 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json.at("rows").size(), 5u);
  EXPECT_EQ(json.at("rows")[1].at("TIME").get<double>(), 12.0);
  const auto base =
      run_onset("simulate two_compartment_iv --data " + data + " --times 0:48:12 --format json");
  const auto base_json = nlohmann::json::parse(base.out);
  EXPECT_GT(json.at("rows")[4].at("CP").get<double>(),
            base_json.at("rows")[4].at("CP").get<double>());  // lower clearance, higher CP
  EXPECT_EQ(run_onset("simulate two_compartment_iv --data " + data + " --param KX=1").exit_code, 2);
  EXPECT_EQ(run_onset("simulate two_compartment_iv --data " + data + " --times 0:x:1").exit_code,
            2);
  EXPECT_EQ(run_onset("simulate no_such_model --data " + data).exit_code, 2);
}

TEST(SimulateCommand, SubjectsOnTwoThreadsGiveTheBytesOfOneThreadInInputOrder) {
  // The 29 nmtests subjects through a model file (one model instance per worker).
  const std::string model = kSource + "/data/examples/nonmem_dosing.yaml";
  ASSERT_TRUE(std::filesystem::exists(model)) << model << ": the shipped example is missing";
  const std::string base =
      "simulate " + model + " --data " + kShared + "/data/nonmem-dosing/input.csv ";
  for (const char* options : {"--format csv", "--format json", "--times 0:48:4 --with-records"}) {
    const auto one = run_onset(base + options + " --threads 1");
    const auto two = run_onset(base + options + " --threads 2");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    ASSERT_EQ(two.exit_code, 0) << two.err;
    EXPECT_GT(one.out.size(), 10000u) << options;
    EXPECT_EQ(one.out, two.out) << options;
  }
  // Input order: the subjects' IDs in the order of the data set.
  const auto csv = parse_csv(run_onset(base + "--threads 2").out);
  const auto nonmem = parse_csv(read_all(kShared + "/data/nonmem-dosing/nonmem-output.csv"));
  ASSERT_EQ(csv.rows.size(), nonmem.rows.size());
  for (size_t k = 0; k < csv.rows.size(); ++k) ASSERT_EQ(csv.rows[k][0], nonmem.rows[k][0]) << k;
}

// Writes `csv` to a file, runs `onset simulate MODEL --data it --out OUT [extra]`, and checks
// exit code 2, the message's file:line:column and that OUT was not written.
void expect_bad_input(const std::string& model, const std::string& csv, const std::string& location,
                      const std::string& words, const std::string& extra = "") {
  const std::string stem = std::string(ONSET_BINARY_DIR) + "/simulate_bad_" +
                           std::to_string(::getpid()) + "_" + std::to_string(std::rand());
  const std::string data = stem + ".csv", out = stem + "_out.csv";
  std::ofstream(data) << csv;
  std::filesystem::remove(out);
  const auto result = run_onset("simulate " + model + " --data " + data + " --out " + out + extra);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find(data + ":" + location + ": "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(words), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(result.out.empty());
  std::filesystem::remove(data);
}

TEST(SimulateCommand, BadInputExitsWith2NamingLineAndColumnAndWritesNothing) {
  const std::string header = "ID,TIME,EVID,AMT,CMT,RATE,II,SS\n";
  expect_bad_input("one_compartment_iv", header + "1,0,1,100,2,0,0,0\n1,1,0,0,1,0,0,0\n", "2:11",
                   "CMT 2 does not exist");
  expect_bad_input("one_compartment_iv", header + "1,0,1,100,1,0,0,0\n1,5,1,-10,1,0,0,0\n", "3:7",
                   "AMT must not be negative");
  expect_bad_input("one_compartment_iv", header + "1,0,1,100,1,-1,0,0\n", "2:13",
                   "RATE = -1 needs a modelled rate");
  expect_bad_input("one_compartment_iv", header + "1,0,1,100,1,0,0,1\n", "2:15",
                   "needs the dosing interval II > 0");
  expect_bad_input("one_compartment_iv",
                   header + "1,0,1,100,1,0,0,0\n1,4,0,0,1,0,0,0\n1,2,0,0,1,0,0,0\n", "4:3",
                   "TIME goes backwards within subject 1");
}

TEST(SimulateCommand, OnTwoThreadsTheFirstBadRecordInFileOrderIsReported) {
  // 40 subjects; subject 5 (line 6) doses into CMT 2, subject 30 (line 31) asks for a
  // modelled rate the model does not have. Workers take subjects in blocks of 16, so subject
  // 30 may be reached first; as in a serial run, the message names line 6 and nothing is
  // written.
  std::string data = "ID,TIME,EVID,AMT,CMT,RATE,II,SS\n";
  for (int id = 1; id <= 40; ++id)
    data += std::to_string(id) + (id == 5    ? ",0,1,100,2,0,0,0\n"
                                  : id == 30 ? ",0,1,100,1,-1,0,0\n"
                                             : ",0,1,100,1,0,0,0\n");
  expect_bad_input("one_compartment_iv", data, "6:11", "CMT 2 does not exist", " --threads 2");
  expect_bad_input("one_compartment_iv", data, "6:11", "CMT 2 does not exist", " --threads 1");
}

}  // namespace
