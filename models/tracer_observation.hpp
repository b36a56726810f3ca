// The tracer observation layer: what a counter or imager reads after a labelled vesicle dose.
// The label is not the vesicle. Given a vesicle model (ev_pbpk_*: intact-vesicle compartments,
// `degraded_*` sinks fed by first-order degradation processes, observables ORGAN_pct naming
// each organ's compartments) and a label (models/tracer_labels.hpp), this builds a model whose
// observables are the label each organ holds:
//
//   organ label = intact vesicles in the organ
//               + label_degraded_ORGAN       residualising or released labels: label of the
//                                            vesicles degraded in that organ, still in its cells
//               + free label in the organ    released labels (plasma, liver)
//   d label_degraded_X/dt = sum of degradation fluxes of X's compartments - k_rel label_degraded_X
//     (k_rel = label_release_rate; residualising labels: no release)
//   released label, free in plasma F:  dF/dt = k_rel sum_X label_degraded_X
//       - k_F F + k_thy,out Thy + k_sto,out Sto
//     Thy, Sto, Liv gain k_F f_thy F, k_F f_sto F, k_F f_liv F; urine gains k_F (1 - f_thy -
//     f_sto - f_liv) F; Liv loses k_liv,out Liv to faeces.
//   destroyed labels (luciferase): only intact vesicles give signal.
//
// Observables added (or replaced): ORGAN_label_pct (%ID) for every organ, ORGAN_label_pct_per_g
// where the model has a parameter ORGAN_mass (g), thyroid_label_pct, stomach_label_pct,
// urine_label_pct, faeces_label_pct (released labels), label_decayed_pct and label_balance_pct
// (intact + degraded + free + excreted, decayed, + decayed = 100 %ID: mass balance).
// Physical decay: data not decay-corrected are predicted with the factor exp(-ln 2 t / T_half)
// (t from the dose at time 0); decay-corrected data (the usual convention), fluorescence and
// luminescence have none.
#pragma once

#include <memory>
#include <string>

#include "models/file_model.hpp"
#include "models/tracer_labels.hpp"

namespace onset::models {

struct TracerObservationOptions {
  // True when the data are decay-corrected to the dose time (no decay factor in predictions).
  bool decay_corrected = true;
};

// The model file text of the observation model of `label` over the vesicle model `base_text`.
// Throws ModelFileError when the base model is not a vesicle model (no degraded_* compartments,
// a degradation process that is not first order, a compartment in no organ).
std::string tracer_model_text(const std::string& base_text, const std::string& base_source,
                              const TracerLabel& label, const TracerObservationOptions& options);

// The same, compiled; `name_or_path` as models::load_model takes it.
std::unique_ptr<FileModel> load_tracer_model(const std::string& name_or_path,
                                             const TracerLabel& label,
                                             const TracerObservationOptions& options);

}  // namespace onset::models
