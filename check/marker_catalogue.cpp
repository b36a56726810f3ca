#include "check/marker_catalogue.hpp"

namespace onset::check {

namespace {

MarkerEntry falling(std::string model, std::string organ, std::string observable,
                    std::string baseline, std::string switch_parameter, std::string value,
                    std::string words, std::string physiology) {
  MarkerEntry e;
  e.model = std::move(model);
  e.organ = std::move(organ);
  e.observable = std::move(observable);
  e.falls = true;
  e.baseline_parameter = std::move(baseline);
  e.switch_parameter = std::move(switch_parameter);
  e.switch_value = std::move(value);
  e.switch_words = std::move(words);
  e.physiology = std::move(physiology);
  return e;
}

std::vector<MarkerEntry> build() {
  std::vector<MarkerEntry> all;
  // Kidney.
  all.push_back(falling(
      "creatinine", "kidney", "serum_creatinine", "serum_creatinine_baseline", "kidney_function",
      "1", "renal clearance back to normal at t = 0 (no lag for tubular repair)",
      "Creatinine leaves its total-body-water pool only by filtration, so once the kidney is "
      "restored the excess over the new steady state falls with t1/2 = ln 2 V/CL, about 3-6 h "
      "at a normal clearance; no treatment can make it fall faster."));
  all.back().normal_prior = "serum_creatinine_upper_reference";
  all.back().settles_at = "steady_state_creatinine";
  all.back().molar_mass_g_per_mol = 113.12;  // C4H7N3O (models/library/creatinine.yaml)
  all.push_back(falling("urea", "kidney", "serum_urea", "serum_urea_baseline", "kidney_function",
                        "1", "renal clearance back to normal at t = 0",
                        "Urea distributes in total body water and is cleared at about 0.45 x "
                        "GFR, so once the kidney is restored its excess falls with a half-life "
                        "of about 9 h."));
  all.back().normal_prior = "serum_urea_upper_reference";
  all.push_back(falling(
      "cystatin_c", "kidney", "serum_cystatin_c", "serum_cystatin_c_baseline", "kidney_function",
      "1", "GFR back to normal at t = 0",
      "Cystatin C is made at a constant rate and cleared by filtration (plus a small non-renal "
      "route) from the extracellular fluid: once the GFR is normal its excess falls with a "
      "half-life of about 1 h."));
  all.back().normal_prior = "serum_cystatin_c_upper_reference";
  all.back().settles_at = "steady_state_cystatin_c";
  // Inflammation.
  all.push_back(falling(
      "crp", "inflammation", "serum_crp", "crp_baseline", "inflammatory_stimulus", "0",
      "the inflammatory stimulus gone and hepatic synthesis back to normal at t = 0",
      "The plasma half-life of CRP (about 19 h) is the same in health and disease; a treatment "
      "can only change synthesis, so even with synthesis back to normal at once the excess "
      "halves no faster than one half-life."));
  all.back().normal_prior = "crp_upper_reference";
  all.back().settles_at = "crp_normal";
  all.push_back(falling("procalcitonin", "inflammation", "serum_procalcitonin",
                        "procalcitonin_baseline", "infection_stimulus", "0",
                        "the infection controlled at t = 0 (secretion back to normal at once)",
                        "Procalcitonin is cleared with a half-life of about 30 h (longer when "
                        "renal function is poor); once its source stops the excess falls no "
                        "faster than that (19-46 h over the priors)."));
  all.back().settles_at = "procalcitonin_normal";
  all.push_back(falling("il6", "inflammation", "plasma_il6", "il6_baseline", "cytokine_stimulus",
                        "0", "secretion back to normal at t = 0",
                        "IL-6 is cleared within minutes (half-life 6-30 min), so its fall is "
                        "limited by secretion, not clearance; not valid under IL-6 receptor "
                        "blockade, which raises IL-6."));
  all.back().normal_prior = "il6_upper_reference";
  all.back().settles_at = "il6_normal";
  all.push_back(
      falling("ferritin", "inflammation", "serum_ferritin", "ferritin_baseline",
              "inflammatory_stimulus", "0", "leak and secretion back to normal at t = 0",
              "Tissue ferritin leaking from damaged cells is cleared in minutes, the glycosylated "
              "(secreted) form over 10-72 h; a high ferritin falls first fast, then slowly."));
  all.back().renamed_priors = {
      {"glycosylated_fraction_baseline", "glycosylated_fraction_hyperferritinaemia"}};
  all.back().settles_at = "ferritin_normal";
  // Heart.
  all.push_back(falling(
      "troponin", "heart", "plasma_troponin", "troponin_baseline", "myocardial_release", "0",
      "injury and release from the myocardium over at t = 0 (elimination only)",
      "Once no more troponin is released, plasma troponin falls with its elimination "
      "half-life (2.6-4.9 h); from a peak many times the upper reference limit that takes many "
      "half-lives."));
  all.back().normal_prior = "troponin_url";
  all.back().normal_parameters = {"troponin_url"};
  all.back().settles_at = "troponin_normal";
  all.push_back(falling("ntprobnp", "heart", "plasma_ntprobnp", "ntprobnp_baseline", "wall_stress",
                        "0", "wall stress normal at t = 0",
                        "NT-proBNP is secreted in proportion to wall stress and cleared with a "
                        "half-life of 25-120 min, so once the stress is gone it falls within "
                        "hours."));
  all.back().settles_at = "ntprobnp_normal";
  // Metabolism.
  {
    MarkerEntry e =
        falling("hba1c", "metabolism", "hba1c", "hba1c_baseline", "", "",
                "mean glucose at the level of people without diabetes from t = 0",
                "Haemoglobin is glycated over a red cell's life; red cells made before t = 0 keep "
                "their HbA1c, so even if glucose were normal at once HbA1c falls only as they are "
                "replaced (lifespan 85-127 days).");
    e.renamed_priors = {{"mean_glucose_after", "normal_mean_glucose"}};
    e.settles_at = "hba1c_steady_state_after";
    all.push_back(e);
  }
  all.push_back(falling("lactate", "metabolism", "blood_lactate", "lactate_baseline",
                        "perfusion_restored", "1",
                        "perfusion restored at t = 0: production back to normal, elimination "
                        "to its restored capacity",
                        "Lactate is removed by saturable hepatic and muscle metabolism within "
                        "minutes once production is normal; its fall is limited by how fast "
                        "perfusion and production recover."));
  all.back().settles_at = "lactate_normal";
  // Blood.
  {
    MarkerEntry e =
        falling("haemoglobin", "blood", "haemoglobin", "haemoglobin_baseline", "marrow_recovered",
                "1", "the marrow at its stimulated maximum output from t = 0 (no transfusion)",
                "New haemoglobin reaches the blood only inside new red cells, after the erythroid "
                "maturation time (days); without a transfusion it cannot rise faster than marrow "
                "output allows.");
    e.falls = false;
    e.renamed_priors = {{"marrow_output_multiple", "marrow_output_multiple_max"}};
    e.settles_at = "haemoglobin_normal";
    all.push_back(e);
  }
  {
    MarkerEntry e = falling(
        "platelets", "blood", "platelet_count", "platelet_count_baseline", "disease_resolved", "1",
        "consumption stopped at t = 0 and megakaryocyte output at its stimulated maximum",
        "When consumption stops, platelets already released survive their lifespan; new ones "
        "come only after the megakaryocyte maturation time (days).");
    e.falls = false;
    e.renamed_priors = {{"consumption_rate_baseline", "consumption_rate_dengue"},
                        {"marrow_output_multiple", "marrow_output_multiple_stimulated"},
                        {"blood_volume", "haemoglobin/blood_volume"}};
    e.settles_at = "platelet_count_normal";
    all.push_back(e);
  }
  // Liver.
  all.push_back(falling("alt", "liver", "alt", "alt_baseline", "injury_ended", "1",
                        "liver injury ended at t = 0 (release back to normal)",
                        "ALT released by injured hepatocytes is cleared with a half-life of "
                        "30-57 h: the excess halves no faster than that once the injury "
                        "ends."));
  all.back().normal_prior = "alt_upper_limit_normal";
  all.back().settles_at = "alt_normal";
  all.push_back(falling("ast", "liver", "ast", "ast_baseline", "injury_ended", "1",
                        "liver injury ended at t = 0 (release back to normal)",
                        "AST is cleared with a half-life of 12-22 h once release ends."));
  all.back().normal_prior = "ast_upper_limit_normal";
  all.back().settles_at = "ast_normal";
  all.push_back(falling("alp", "liver", "alp", "alp_baseline", "cholestasis_relieved", "1",
                        "cholestasis relieved at t = 0",
                        "ALP is cleared with a half-life of 3-10 days once cholestasis is "
                        "relieved."));
  all.back().normal_prior = "alp_upper_limit_normal";
  all.back().settles_at = "alp_normal";
  all.push_back(falling("ggt", "liver", "ggt", "ggt_baseline", "induction_ended", "1",
                        "enzyme induction (alcohol, drugs) ended at t = 0",
                        "GGT is cleared with a half-life of 2-4 weeks once induction ends."));
  all.back().normal_prior = "ggt_upper_limit_normal";
  all.back().settles_at = "ggt_normal";
  {
    MarkerEntry e = falling(
        "inr_factors", "liver", "inr", "inr_baseline", "vitamin_k_given", "1",
        "vitamin K given at t = 0: carboxylated synthesis of factors II, VII and X resumes "
        "after the vitamin-K lag",
        "The INR falls only as factors II, VII and X are made again after the vitamin-K lag; "
        "factor VII (half-life hours) moves it first, factors II and X (days) set how far.");
    e.kind = "mechanism";
    e.renamed_priors = {{"factor2_activity_baseline", "factor2_activity_overanticoagulated"},
                        {"factor7_activity_baseline", "factor7_activity_overanticoagulated"},
                        {"factor10_activity_baseline", "factor10_activity_overanticoagulated"}};
    all.push_back(e);
  }
  all.push_back(falling(
      "bilirubin", "liver", "total_bilirubin", "baseline_total_bilirubin", "hepatic_function", "1",
      "liver function normal at t = 0",
      "Even a liver repaired at once clears unconjugated and conjugated bilirubin in hours but "
      "albumin-bound delta bilirubin only with albumin's half-life (14-21 days)."));
  all.back().molar_mass_g_per_mol = 584.66;  // C33H36N4O6 (models/library/bilirubin.yaml)
  {
    MarkerEntry e = falling("albumin", "liver", "serum_albumin", "serum_albumin_baseline",
                            "hepatic_function", "1", "hepatic synthesis normal at t = 0",
                            "Serum albumin rises no faster than the liver's synthesis fills the "
                            "exchangeable pool (9-17 g/day into 4-5 g/kg).");
    e.falls = false;
    all.push_back(e);
  }
  return all;
}

}  // namespace

const std::vector<MarkerEntry>& marker_catalogue() {
  static const std::vector<MarkerEntry> catalogue = build();
  return catalogue;
}

const MarkerEntry* find_marker(const std::string& model) {
  for (const auto& entry : marker_catalogue()) {
    if (entry.model == model) return &entry;
  }
  return nullptr;
}

std::string marker_names() {
  std::string names;
  for (const auto& entry : marker_catalogue()) names += (names.empty() ? "" : ", ") + entry.model;
  return names;
}

}  // namespace onset::check
