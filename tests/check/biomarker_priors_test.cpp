// The biomarker families of issue 21 (second half): every physiological parameter of each
// library model has a prior of the same name (or the name plus a qualifier: _male, _female,
// _type2, _max, ...) in data/priors/<model>.yaml, in a unit that converts into the parameter's
// unit, with a range that contains the model's default value where the prior is unqualified.
// The parameters without a prior are the claim's own inputs (baselines, scenario levels), named
// here with the reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "io/priors.hpp"
#include "models/model_library.hpp"
#include "models/units.hpp"

namespace onset::check {
namespace {

const std::filesystem::path kPriorDir = std::filesystem::path(ONSET_SOURCE_DIR) / "data/priors";

// Model parameters a claim supplies itself (what the patient had, or what the scenario sets).
const std::map<std::string, std::set<std::string>> kClaimInputs = {
    {"glucose", {"glucose_baseline", "insulin_excess_step"}},
    {"hba1c", {"hba1c_baseline", "mean_glucose_after"}},  // prior: hba1c/normal_mean_glucose
    {"lactate", {"lactate_baseline"}},
    {"haemoglobin", {"haemoglobin_baseline", "marrow_output_multiple", "haemoglobin_normal"}},
    {"reticulocytes",
     {"red_cell_count_baseline", "marrow_output_multiple", "reticulocyte_blood_maturation_time",
      "blood_volume"}},
    {"platelets",
     {"platelet_count_baseline", "consumption_rate_baseline", "marrow_output_multiple",
      "blood_volume"}},
    {"alt", {"alt_baseline", "alt_upper_limit_normal"}},
    {"ast", {"ast_baseline"}},
    {"alp", {"alp_baseline"}},
    {"ggt", {"ggt_baseline", "ggt_upper_limit_normal"}},
    {"inr_factors",
     {"inr_baseline", "hepatic_function", "factor2_activity_baseline", "factor7_activity_baseline",
      "factor10_activity_baseline"}},
};

TEST(BiomarkerPriors, EveryPhysiologicalParameterHasAPriorInAConvertibleUnit) {
  for (const auto& [family, inputs] : kClaimInputs) {
    SCOPED_TRACE(family);
    const io::PriorSet set = io::PriorSet::load(kPriorDir / (family + ".yaml"));
    const auto model = models::load_model(family);
    for (const auto& param : model->parameters()) {
      SCOPED_TRACE(param.name);
      int matched = 0;
      for (const io::Prior& prior : set.priors()) {
        const bool exact = prior.name == param.name;
        const bool qualified = prior.name.rfind(param.name + "_", 0) == 0;
        if (!exact && !qualified) continue;
        ++matched;
        double factor = 0;
        EXPECT_NO_THROW(factor = models::conversion_factor(prior.unit, param.unit))
            << prior.name << " [" << prior.unit << "] -> [" << param.unit << "]";
        if (exact && factor > 0 && prior.low < prior.high) {
          // The model's nominal value lies in the prior's box (units converted). A prior with
          // low == high is a scenario level (the switch's "on" value), not a biological range.
          const double value =
              model->default_parameters()[static_cast<size_t>(model->parameter_index(param.name))];
          EXPECT_GE(value, factor * prior.low * (1 - 1e-9)) << prior.name;
          EXPECT_LE(value, factor * prior.high * (1 + 1e-9)) << prior.name;
        }
      }
      // Scenario switches (0 = baseline) and claim inputs need no biological prior.
      if (inputs.count(param.name) == 0) {
        EXPECT_GT(matched, 0) << "no prior for " << param.name;
      }
    }
  }
}

}  // namespace
}  // namespace onset::check
