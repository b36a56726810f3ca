#include "fits/theoph_problem.hpp"

#include <map>
#include <memory>
#include <sstream>

#include "fits/dosing_predictor.hpp"
#include "io/csv.hpp"
#include "models/model_library.hpp"

namespace onset::fits {

FitProblem theoph_problem(const io::CsvTable& table) {
  using io::trimmed;
  const std::string& theoph_csv_path = table.source_name();
  const size_t subject = table.require_column("Subject", "subject");
  const size_t weight = table.require_column("Wt", "body weight");
  const size_t dose = table.require_column("Dose", "dose (mg/kg)");
  const size_t time = table.require_column("Time", "time");
  const size_t conc = table.require_column("conc", "concentration");
  std::ostringstream csv;
  csv << "ID,TIME,EVID,AMT,CMT,DV,MDV\n";
  std::string previous;
  for (size_t r = 0; r < table.row_count(); ++r) {
    const std::string id(trimmed(table.cell(r, subject).text));
    if (id != previous) {
      const double amount =
          std::stod(table.cell(r, dose).text) * std::stod(table.cell(r, weight).text);
      csv << id << ",0,1," << amount << ",1,.,1\n";
      previous = id;
    }
    csv << id << "," << trimmed(table.cell(r, time).text) << ",0,0,2,"
        << trimmed(table.cell(r, conc).text) << ",0\n";
  }
  auto data = std::make_shared<pk::DosingData>(pk::parse_dosing_csv(csv.str(), theoph_csv_path));
  std::shared_ptr<const pk::Model> model = models::load_model("one_compartment_oral");
  const int cp = model->observable_index("CP");
  FitProblem problem;
  std::vector<FittedObservation> observations;
  for (size_t r = 0; r < data->records.size(); ++r) {
    const auto& record = data->records[r];
    if (record.evid != 0 || record.mdv != 0) continue;
    observations.push_back({static_cast<int>(r), cp});
    problem.y.push_back(record.dv);
    problem.x.push_back(record.time_h);
    problem.group.push_back(record.id);
  }
  problem.predictor = std::make_shared<DosingPredictor>(model, data, observations);
  problem.block.assign(problem.y.size(), 0);
  problem.blocks.push_back({"CP", ErrorKind::kAdditive, 0});
  const std::map<std::string, double> starts = {{"KA", 1.5}, {"CL", 3}, {"V", 30}};
  for (const auto& info : model->parameters()) {
    FitParameter parameter;
    parameter.name = info.name;
    parameter.unit = info.unit;
    if (info.name == "ALAG") {
      parameter.start = 0;
      parameter.fixed = true;
    } else {
      parameter.start = starts.at(info.name);
      parameter.log_scale = true;
      parameter.lower = 0;
    }
    problem.parameters.push_back(parameter);
  }
  return problem;
}

}  // namespace onset::fits
