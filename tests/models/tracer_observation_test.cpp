// The tracer observation layer (models/tracer_observation.hpp) over ev_pbpk_mouse and the label
// table (data/tracers/labels.yaml): mass balance of the augmented model, the physical decay
// factor against exp(-ln 2 t / T), released (125I) vs residualising (111In) labels, the
// residualising layer against the library's own residualising observable, and bad inputs.
#include "models/tracer_observation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "models/tracer_labels.hpp"
#include "pk/simulate.hpp"

namespace onset::models {
namespace {

const std::string kLabels = std::string(ONSET_SOURCE_DIR) + "/data/tracers/labels.yaml";
const std::vector<double> kTimes = {0.05, 0.5, 1, 4, 8, 24, 48, 72, 168};
constexpr double kDose = 1e10;

TracerLabel label_named(const std::string& name) {
  static const LabelTable table = read_label_table(kLabels);
  const TracerLabel* label = table.find(name);
  EXPECT_NE(label, nullptr) << name;
  return label ? *label : TracerLabel{};
}

struct LabelRun {
  std::unique_ptr<pk::Model> model;
  pk::Trajectory traj;
  double at(const std::string& observable, size_t time_index) const {
    const int o = model->observable_index(observable);
    EXPECT_GE(o, 0) << observable;
    return o < 0 ? NAN : traj.observable(time_index, static_cast<size_t>(o));
  }
};

LabelRun simulate(std::unique_ptr<pk::Model> model) {
  LabelRun run;
  run.model = std::move(model);
  pk::Regimen regimen;
  regimen.doses.push_back({0.0, run.model->state_index("plasma"), kDose, 0});
  pk::SimulationRequest request;
  request.output_times_h = kTimes;
  pk::SolverOptions options;
  options.rtol = 1e-10;
  options.atol = 1e-6;
  run.traj = pk::simulate(*run.model, regimen, run.model->default_parameters(), request, options);
  EXPECT_TRUE(run.traj.ok()) << run.traj.message;
  return run;
}

LabelRun with_label(const std::string& label, bool decay_corrected) {
  return simulate(
      load_tracer_model("ev_pbpk_mouse", label_named(label), {.decay_corrected = decay_corrected}));
}

TEST(TracerLabels, TableHasTheCommonNuclidesWithCitedHalfLives) {
  const LabelTable table = read_label_table(kLabels);
  // NuDat 3 / ENSDF (data/tracers/labels.yaml says what was verified where).
  const std::vector<std::pair<std::string, double>> expected = {
      {"99mTc", 6.0067}, {"111In", 2.8047 * 24}, {"125I", 59.392 * 24},
      {"64Cu", 12.701},  {"89Zr", 78.41},        {"131I", 8.0252 * 24}};
  for (const auto& [name, hours] : expected) {
    const TracerLabel* label = table.find(name);
    ASSERT_NE(label, nullptr) << name;
    EXPECT_EQ(label->kind, LabelKind::kRadionuclide);
    EXPECT_NEAR(label->half_life_h, hours, 1e-12 * hours) << name;
    EXPECT_FALSE(label->half_life_source.empty());
  }
  EXPECT_EQ(table.find("in-111")->name, "111In");  // aliases, case-insensitive
  EXPECT_EQ(table.find("111In")->fate, LabelFate::kResidualising);
  EXPECT_EQ(table.find("89Zr")->fate, LabelFate::kResidualising);
  EXPECT_EQ(table.find("125I")->fate, LabelFate::kReleased);
  EXPECT_GT(table.find("125I")->free.fraction_thyroid, 0);
  EXPECT_EQ(table.find("DiR")->half_life_h, 0);  // fluorescence: no decay
  EXPECT_EQ(table.find("luciferase")->fate, LabelFate::kDestroyed);
  EXPECT_EQ(table.find("99Tc"), nullptr);
}

TEST(TracerObservation, LabelMassBalanceHoldsForEveryFateWithAndWithoutDecay) {
  for (const char* label : {"111In", "125I", "64Cu", "DiR", "luciferase"}) {
    for (bool corrected : {true, false}) {
      const LabelRun run = with_label(label, corrected);
      double worst = 0;
      for (size_t i = 0; i < kTimes.size(); ++i)
        worst = std::max(worst, std::abs(run.at("label_balance_pct", i) - 100) / 100);
      std::printf("%-10s decay-corrected %-3s: max |balance - 100 %%ID| / 100 = %.2e\n", label,
                  corrected ? "yes" : "no", worst);
      EXPECT_LT(worst, 1e-9) << label;
    }
  }
}

TEST(TracerObservation, DecayFactorIsTheClosedFormForEachNuclide) {
  for (const char* name : {"99mTc", "111In", "125I", "64Cu", "89Zr", "131I"}) {
    const double half_life = label_named(name).half_life_h;
    const LabelRun corrected = with_label(name, true);
    const LabelRun raw = with_label(name, false);
    for (size_t i = 0; i < kTimes.size(); ++i) {
      const double factor = std::exp(-std::log(2.0) * kTimes[i] / half_life);
      EXPECT_NEAR(raw.at("label_decayed_pct", i), 100 * (1 - factor), 1e-12 * 100) << name;
      EXPECT_EQ(corrected.at("label_decayed_pct", i), 0) << name;
      for (const char* observable :
           {"liver_label_pct", "spleen_label_pct_per_g", "plasma_label_pct"}) {
        const double expected = corrected.at(observable, i) * factor;
        EXPECT_NEAR(raw.at(observable, i), expected, 1e-12 * std::abs(expected) + 1e-300)
            << name << " " << observable << " at " << kTimes[i] << " h";
      }
    }
  }
  // No decay for fluorescence: the flag changes nothing.
  const LabelRun dir_corrected = with_label("DiR", true);
  const LabelRun dir_raw = with_label("DiR", false);
  EXPECT_EQ(dir_raw.at("liver_label_pct", 5), dir_corrected.at("liver_label_pct", 5));
}

TEST(TracerObservation, ReleasedIodineGoesToThyroidAndUrineResidualisedIndiumStaysInLiver) {
  const LabelRun iodine = with_label("125I", true);
  const LabelRun indium = with_label("111In", true);
  const size_t h24 = 5;
  ASSERT_EQ(kTimes[h24], 24);
  std::printf(
      "24 h, %%ID: liver intact %.3g | 111In liver %.3g | 125I liver %.3g, thyroid %.3g, "
      "stomach %.3g, urine %.3g\n",
      indium.at("liver_pct", h24), indium.at("liver_label_pct", h24),
      iodine.at("liver_label_pct", h24), iodine.at("thyroid_label_pct", h24),
      iodine.at("stomach_label_pct", h24), iodine.at("urine_label_pct", h24));
  EXPECT_GT(indium.at("liver_label_pct", h24), 2 * indium.at("liver_pct", h24));
  EXPECT_GT(iodine.at("thyroid_label_pct", h24), 1.0);
  EXPECT_GT(iodine.at("urine_label_pct", h24), 10.0);
  EXPECT_LT(iodine.at("liver_label_pct", h24), 0.8 * indium.at("liver_label_pct", h24));
  // Iodine freed from degraded vesicles is not in the residualising model at all.
  EXPECT_LT(indium.model->observable_index("thyroid_label_pct"), 0);
  // Luciferase: signal only from intact vesicles.
  const LabelRun luciferase = with_label("luciferase", true);
  EXPECT_NEAR(luciferase.at("liver_label_pct", h24), luciferase.at("liver_pct", h24),
              1e-12 * luciferase.at("liver_pct", h24));
}

TEST(TracerObservation, ResidualisingLabelMatchesTheLibraryResidualisingObservable) {
  // ev_pbpk_mouse has its own liver_label_pct (intact + degraded_kupffer + degraded_liver_other):
  // an independent formulation (pools of the base model, not the copied fluxes).
  const LabelRun base = simulate(load_model("ev_pbpk_mouse"));
  const LabelRun indium = with_label("111In", true);
  for (size_t i = 0; i < kTimes.size(); ++i) {
    EXPECT_NEAR(indium.at("liver_label_pct", i), base.at("liver_label_pct", i),
                1e-8 * base.at("liver_label_pct", i));
    EXPECT_NEAR(indium.at("spleen_label_pct", i), base.at("spleen_label_pct", i),
                1e-8 * base.at("spleen_label_pct", i));
  }
  // %ID/g: %ID over the organ mass parameter (1.1 g liver).
  EXPECT_NEAR(indium.at("liver_label_pct_per_g", 4), indium.at("liver_label_pct", 4) / 1.1,
              1e-12 * indium.at("liver_label_pct", 4));
}

TEST(TracerObservation, ModelWithoutDegradationIsNotAVesicleModel) {
  try {
    load_tracer_model("one_compartment_iv", label_named("111In"), {});
    FAIL() << "expected ModelFileError";
  } catch (const ModelFileError& error) {
    EXPECT_NE(std::string(error.what()).find("degraded_"), std::string::npos) << error.what();
  }
}

TEST(TracerLabels, BadLabelFilesSayWhereAndWhat) {
  const std::string head = "references:\n  r: {authors: A, year: 2000, journal: J}\nlabels:\n";
  auto message = [&](const std::string& labels) {
    try {
      parse_label_table(head + labels, "labels.yaml");
    } catch (const LabelFileError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("  - {name: X, kind: radionuclide, fate: residualising, fate_citation: r}\n")
                .find("labels.yaml:4:"),
            std::string::npos);  // a radionuclide without a half-life
  EXPECT_NE(message("  - {name: X, kind: fluorescent, fate: residualising}\n")
                .find("'fate_citation' or 'fate_assumption'"),
            std::string::npos);
  EXPECT_NE(message("  - {name: X, kind: fluorescent, fate: released, fate_citation: r, "
                    "free_label: nothing}\n")
                .find("a key of 'free_label'"),
            std::string::npos);
  EXPECT_NE(message("  - {name: X, kind: radionuclide, fate: residualising, fate_citation: q, "
                    "half_life: {value: 1, unit: h, citation: r}}\n")
                .find("a key of 'references'"),
            std::string::npos);
}

}  // namespace
}  // namespace onset::models
