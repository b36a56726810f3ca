#include "fits/ev_biodistribution_problem.hpp"

#include <algorithm>
#include <memory>
#include <sstream>

#include "fits/dosing_predictor.hpp"
#include "models/model_library.hpp"

namespace onset::fits {

namespace {
const std::vector<double> kTimes = {0.083, 0.25, 0.5, 1, 2, 4, 8, 24};
const std::vector<std::string> kObservables = {"plasma_pct", "liver_pct", "spleen_pct", "lung_pct"};
const std::vector<std::string> kEstimated = {
    "plasma_elimination_rate", "fraction_to_liver",          "fraction_to_spleen",
    "fraction_to_lung",        "phagocyte_degradation_rate", "tissue_degradation_rate"};
}  // namespace

FitProblem ev_mouse_biodistribution_problem(int animals_per_time) {
  std::shared_ptr<models::FileModel> file_model = models::load_file_model("ev_pbpk_mouse");
  std::shared_ptr<const pk::Model> model = file_model;
  const double dose =
      model->default_parameters()[static_cast<size_t>(model->parameter_index("dose_particles"))];
  std::ostringstream csv;
  csv.precision(17);
  csv << "ID,TIME,EVID,AMT,CMT,DV,MDV\n";
  int id = 0;
  for (double t : kTimes) {
    for (int animal = 0; animal < animals_per_time; ++animal) {
      ++id;
      csv << id << ",0,1," << dose << ",1,.,1\n";
      for (size_t k = 0; k < kObservables.size(); ++k) csv << id << "," << t << ",0,0,1,0,0\n";
    }
  }
  auto data = std::make_shared<pk::DosingData>(pk::parse_dosing_csv(csv.str(), "study"));
  FitProblem problem;
  std::vector<FittedObservation> observations;
  size_t next = 0;
  for (size_t r = 0; r < data->records.size(); ++r) {
    if (data->records[r].evid != 0) {
      next = 0;
      continue;
    }
    const int observable = model->observable_index(kObservables[next]);
    observations.push_back({static_cast<int>(r), observable});
    problem.block.push_back(static_cast<int>(next));
    problem.x.push_back(data->records[r].time_h);
    problem.group.push_back(data->records[r].id);
    ++next;
  }
  for (const auto& name : kObservables)
    problem.blocks.push_back({name, ErrorKind::kProportional, 0});
  problem.y.assign(observations.size(), 1.0);
  problem.x_name = "time (h)";
  problem.curve_from = 0;  // the dose time
  problem.predictor = std::make_shared<DosingPredictor>(model, data, observations);
  const auto bounds = file_model->parameter_bounds();
  for (size_t i = 0; i < model->parameters().size(); ++i) {
    FitParameter parameter;
    parameter.name = model->parameters()[i].name;
    parameter.start = model->parameters()[i].value;
    parameter.lower = bounds[i].lower;
    parameter.upper = bounds[i].upper;
    parameter.fixed =
        std::find(kEstimated.begin(), kEstimated.end(), parameter.name) == kEstimated.end();
    parameter.log_scale = !parameter.fixed;
    problem.parameters.push_back(parameter);
  }
  return problem;
}

}  // namespace onset::fits
