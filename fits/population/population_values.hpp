// The values of a population model's parameters (THETA, OMEGA, SIGMA) moved between the places
// that hold them: a model's starting values, a point of the estimation (PopulationPoint), a fit's
// summary and a fit's JSON output (fits/population/population_report.hpp). SAEM, NPDE,
// simulation with variability, the bootstrap and `onset simulate --population-fit` share these,
// so that "the estimates of that fit" means one thing everywhere.
#pragma once

#include <string>
#include <vector>

#include "fits/population/individual.hpp"
#include "fits/population/population_fit.hpp"
#include "fits/population/population_model.hpp"

namespace onset::fits::population {

// The point of `model`'s starting values (THETA starts, the OMEGA blocks' starts, the residual
// SDs), for `num_observables` observables in the order of model.errors; prepared (OMEGA^-1).
// Throws UserError when OMEGA is not positive definite.
PopulationPoint start_point(const PopulationModel& model, size_t num_observables);

// `model` with its starting values replaced by `point` (fixed flags and bounds kept): the model
// that evaluates, simulates or refits at an estimate.
PopulationModel with_point(PopulationModel model, const PopulationPoint& point);

// The estimates of `summary` (a fit of `model`) as a point.
PopulationPoint point_from_summary(const PopulationModel& model, const PopulationSummary& summary);

// Replaces the starting values of `model` by the estimates in a population fit's JSON output
// (`json_text`, read from `source`): each THETA by name, each OMEGA element by its ETA names
// ("eta_CL" or "eta_CL,eta_V"), each residual SD by "OBS additive" / "OBS proportional" (the
// JSON holds variances). Throws UserError(source, ...) when the text is not such JSON, or when a
// THETA, OMEGA element or residual component of the model is not in it (with the names found).
void apply_fit_json(const std::string& json_text, const std::string& source,
                    PopulationModel* model);

// The population model as data, for a fit's JSON ("population_model": THETAs with bounds,
// ETAs, OMEGA blocks, individual-parameter expressions, residual errors, held parameters), so
// that a fit's JSON alone says what to simulate; and back. `fit_json` with "population_model"
// added.
std::string with_population_model_json(const std::string& fit_json, const PopulationModel& model);
// True when the fit's JSON has "population_model"; then *model is that model with the fit's
// estimates as its values. Throws UserError(source, ...) when the JSON is malformed.
bool population_model_from_fit_json(const std::string& json_text, const std::string& source,
                                    PopulationModel* model);

}  // namespace onset::fits::population
