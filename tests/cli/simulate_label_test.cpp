// `onset simulate --label`: what a counter would read, before any data are taken. The same
// label observation model `onset fit --label` fits (models/tracer_observation.hpp), so a user
// can preview it. What pins it down:
// - 111In is residualising (data/tracers/labels.yaml, press1996): the label of vesicles
//   degraded in the liver stays there, so liver label %ID is at least the intact vesicles'
//   liver %ID (the plain model's liver_pct) at every time, equal at t = 0 (nothing injected
//   is there yet, both 0) and strictly larger at 24-48 h once degradation has run (EV model:
//   phagocyte degradation 0.25 /h).
// - --decay-corrected no multiplies every label observable by exp(-ln 2 t / T_half) with
//   111In's 2.8047 d (ENSDF/NuDat, the table's value): exactly, 1e-9 relative.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_command.hpp"

namespace {

using onset::testing::run_onset;

// One file per test: ctest runs the tests of this file side by side (-j), and each removes its
// file at the end, so a shared name let one test delete the other's input mid-run.
std::string write_dose_file(const std::string& test) {
  const std::string path = std::string(ONSET_BINARY_DIR) + "/simulate_label_dose_" + test + ".csv";
  std::ofstream(path) << "ID,TIME,EVID,AMT,CMT,DV,MDV\n1,0,1,1e10,1,.,1\n";
  return path;
}

nlohmann::json rows_of(const std::string& arguments) {
  const auto result = run_onset(arguments);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  if (result.exit_code != 0) return nlohmann::json::array();
  return nlohmann::json::parse(result.out).at("rows");
}

TEST(SimulateLabel, ResidualisingLabelReadsAtLeastTheIntactVesiclesAndDecaysWhenAsked) {
  const std::string data = write_dose_file("residualising");
  const std::string base =
      "simulate ev_pbpk_mouse --data " + data + " --times 0:48:4 --format json";
  const auto intact = rows_of(base);
  const auto label = rows_of(base + " --label 111In");
  const auto decayed = rows_of(base + " --label 111In --decay-corrected no");
  ASSERT_EQ(intact.size(), 13u);
  ASSERT_EQ(label.size(), 13u);
  ASSERT_EQ(decayed.size(), 13u);
  const double half_life_h = 2.8047 * 24;
  int label_columns = 0;
  for (size_t r = 0; r < label.size(); ++r) {
    const double t = label[r].at("TIME").get<double>();
    const double intact_liver = intact[r].at("liver_pct").get<double>();
    const double label_liver = label[r].at("liver_label_pct").get<double>();
    EXPECT_GE(label_liver, intact_liver * (1 - 1e-9)) << "t = " << t;
    if (t == 0) {
      EXPECT_EQ(label_liver, 0.0);
    }
    if (t >= 24) {
      EXPECT_GT(label_liver, 1.5 * intact_liver) << "t = " << t;
    }
    const double factor = std::exp(-std::log(2.0) * t / half_life_h);
    for (const auto& [name, value] : label[r].items()) {
      if (name.find("_label_") == std::string::npos) continue;
      if (r == 0) ++label_columns;
      const double corrected = value.get<double>();
      EXPECT_NEAR(decayed[r].at(name).get<double>(), corrected * factor,
                  1e-9 * std::abs(corrected) + 1e-15)
          << name << " t = " << t;
    }
  }
  EXPECT_GE(label_columns, 4);  // plasma, liver, spleen, lung at least
  std::remove(data.c_str());
}

TEST(SimulateLabel, UnknownLabelOrDecayWithoutLabelIsBadInput) {
  const std::string data = write_dose_file("bad_input");
  const auto unknown = run_onset("simulate ev_pbpk_mouse --data " + data + " --label 999Xx");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("111In"), std::string::npos) << unknown.err;  // the known labels
  EXPECT_TRUE(unknown.out.empty());
  const auto no_label =
      run_onset("simulate ev_pbpk_mouse --data " + data + " --decay-corrected no");
  EXPECT_EQ(no_label.exit_code, 2);
  EXPECT_NE(no_label.err.find("needs --label"), std::string::npos) << no_label.err;
  std::remove(data.c_str());
}

}  // namespace
