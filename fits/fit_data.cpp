#include "fits/fit_data.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <set>
#include <sstream>

#include "fits/dosing_predictor.hpp"
#include "fits/expression.hpp"
#include "fits/expression_predictor.hpp"
#include "fits/nca/csv_table.hpp"
#include "fits/nca/input_error.hpp"
#include "io/input_file.hpp"
#include "models/model_library.hpp"
#include "models/tracer_observation.hpp"
#include "pk/format.hpp"
#include "pk/text_input.hpp"

namespace onset::fits {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

double cell_number(const CsvTable& table, size_t row, size_t column, const std::string& what) {
  const CsvCell& cell = table.cell(row, column);
  const std::string text(trimmed(cell.text));
  const std::optional<double> value = pk::parse_finite_number(text);
  if (!value)
    throw InputError(table.source_name(), cell.line, cell.column,
                     "expected a finite number (" + what + "); found '" + io::excerpt(text) + "'");
  return *value;
}

std::optional<size_t> find_any(const CsvTable& table, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (auto index = table.find_column(name)) return index;
  return std::nullopt;
}

}  // namespace

bool is_tidy_tracer_csv(const std::string& path) {
  const CsvTable table = CsvTable::read_file(path);
  return table.find_column("organ") && table.find_column("value") && table.find_column("time") &&
         !table.find_column("AMT");
}

std::string tidy_to_nonmem_csv(const std::string& path, double dose, int dose_cmt) {
  const CsvTable table = CsvTable::read_file(path);
  const size_t time = table.require_column("time", "time (h)");
  const size_t organ = table.require_column("organ", "organ (observable)");
  const size_t value = table.require_column("value", "measured value");
  const auto unit = table.find_column("unit");
  const auto animal = find_any(table, {"animal", "subject", "id"});
  const auto blq = table.find_column("blq");
  if (!(dose > 0))
    throw InputError(path, 0, 0, "tidy tracer data need the dose given to each animal (--dose)");
  // Animals in order of first appearance; each animal's rows sorted by time.
  std::vector<std::string> order;
  std::map<std::string, std::vector<size_t>> rows;
  for (size_t r = 0; r < table.row_count(); ++r) {
    const std::string id = animal ? std::string(trimmed(table.cell(r, *animal).text)) : "1";
    if (!rows.count(id)) order.push_back(id);
    rows[id].push_back(r);
  }
  std::ostringstream csv;
  csv << "ID,TIME,EVID,AMT,CMT,DV,MDV,OBS,BLQ\n";
  for (size_t a = 0; a < order.size(); ++a) {
    auto& list = rows[order[a]];
    std::stable_sort(list.begin(), list.end(), [&](size_t x, size_t y) {
      return cell_number(table, x, time, "time") < cell_number(table, y, time, "time");
    });
    csv << a + 1 << ",0,1," << format_number(dose, 17) << "," << dose_cmt << ",.,1,.,0\n";
    for (size_t r : list) {
      std::string name(trimmed(table.cell(r, organ).text));
      if (unit) {
        const std::string u = lower(std::string(trimmed(table.cell(r, *unit).text)));
        if (u == "%id/g")
          name += "@pct_per_g";
        else if (u == "%id")
          name += "@pct";
      }
      const std::string dv(trimmed(table.cell(r, value).text));
      const bool is_blq = blq && std::string(trimmed(table.cell(r, *blq).text)) == "1";
      csv << a + 1 << "," << format_number(cell_number(table, r, time, "time"), 17) << ",0,0,"
          << dose_cmt << "," << (dv.empty() ? "." : dv) << "," << (dv.empty() ? 1 : 0) << ","
          << name << "," << (is_blq ? 1 : 0) << "\n";
    }
  }
  return csv.str();
}

LoadedProblem load_model_problem(const std::string& model_name, const std::string& data_path,
                                 const ModelDataOptions& options) {
  LoadedProblem loaded;
  using Observe = ModelDataOptions::Observe;
  const bool tidy = is_tidy_tracer_csv(data_path);
  if (tidy && options.observe == Observe::kUnset)
    throw InputError(
        data_path, 0, 0,
        "tidy tracer data need to say what was measured: give the label, e.g. --label 111In, "
        "--label 125I or --label DiR (a counter or imager reads the label, not the vesicle: "
        "label released after degradation and residualised label count too, and fitting "
        "intact-vesicle kinetics to label data is the classic error). To fit intact-vesicle "
        "observables anyway, say so: --label none-intact");
  const bool with_label = options.observe == Observe::kLabel && options.label.has_value();
  std::shared_ptr<models::FileModel> file_model =
      with_label ? models::load_tracer_model(model_name, *options.label,
                                             {.decay_corrected = options.decay_corrected})
                 : models::load_file_model(model_name);
  std::shared_ptr<const pk::Model> model = file_model;
  if (with_label) {
    const models::TracerLabel& label = *options.label;
    std::string note = "observation model: label " + label.name + " (" +
                       models::label_kind_name(label.kind) + ", " +
                       models::label_fate_name(label.fate) + "); ";
    if (label.half_life_h > 0)
      note += options.decay_corrected
                  ? "data decay-corrected (no decay factor; --decay-corrected no if not)"
                  : "data NOT decay-corrected: predictions x exp(-ln 2 t / " +
                        format_number(label.half_life_h, 6) + " h)";
    else
      note += "no physical decay";
    loaded.notes.push_back(note);
  } else if (options.observe == Observe::kIntact) {
    loaded.notes.push_back(
        "observing intact vesicles (asked for): label released or residualised after "
        "degradation is not in the predictions");
  }
  std::string csv_text;
  if (tidy) {
    csv_text = tidy_to_nonmem_csv(data_path, options.tidy_dose, options.tidy_dose_cmt);
    loaded.notes.push_back("tidy tracer data converted: one dose of " +
                           format_number(options.tidy_dose) + " into compartment " +
                           std::to_string(options.tidy_dose_cmt) + " per animal at time 0");
  }
  auto data = std::make_shared<pk::DosingData>(tidy ? pk::parse_dosing_csv(csv_text, data_path)
                                                    : pk::read_dosing_file(data_path));
  // Observable names and BLQ flags come from the CSV text, matched to records by line.
  const CsvTable table =
      tidy ? CsvTable::parse(csv_text, data_path) : CsvTable::read_file(data_path);
  if (with_label && options.label->half_life_h > 0 && !options.decay_corrected) {
    // The decay factor counts from t = 0: every dose must be given then.
    for (const auto& record : data->records)
      if (record.is_dose() && record.time_h != 0)
        throw InputError(data_path, record.line, 0,
                         "doses at time 0 for data that are not decay-corrected (the decay "
                         "factor counts from t = 0); found a dose at t = " +
                             format_number(record.time_h) + " h");
  }
  std::optional<size_t> observable_column;
  if (!options.observable_column.empty()) {
    observable_column = table.require_column(options.observable_column, "observable names");
  } else {
    observable_column = find_any(table, {"OBS", "OBSERVABLE", "DVID"});
  }
  const auto blq_column =
      options.blq_column.empty() ? std::nullopt : table.find_column(options.blq_column);
  std::map<int, size_t> row_of_line;
  for (size_t r = 0; r < table.row_count(); ++r) row_of_line[table.row_line(r)] = r;
  const std::string default_observable = options.default_observable.empty()
                                             ? model->observables()[0].name
                                             : options.default_observable;

  std::vector<FittedObservation> observations;
  std::map<std::string, int> block_of;
  int blq_count = 0;
  for (size_t r = 0; r < data->records.size(); ++r) {
    const auto& record = data->records[r];
    if (record.evid != 0 || record.mdv != 0 || std::isnan(record.dv)) continue;
    std::string name = default_observable;
    const auto row = row_of_line.find(record.line);
    if (observable_column && row != row_of_line.end()) {
      const CsvCell& cell = table.cell(row->second, *observable_column);
      name = std::string(trimmed(cell.text));
      // Tidy data: organ@pct -> observable organ, organ_pct; organ@pct_per_g -> organ_pct_per_g.
      std::vector<std::string> candidates = {name};
      if (const size_t at = name.find('@'); at != std::string::npos) {
        const std::string organ = name.substr(0, at), suffix = name.substr(at + 1);
        candidates = with_label ? std::vector<std::string>{organ + "_label_" + suffix}
                                : std::vector<std::string>{organ + "_" + suffix, organ};
      } else if (with_label) {
        candidates = {name, name + "_label_pct"};
      }
      int index = -1;
      for (const auto& candidate : candidates) {
        index = model->observable_index(candidate);
        if (index >= 0) {
          name = candidate;
          break;
        }
      }
      if (index < 0) {
        std::string known;
        for (const auto& o : model->observables()) known += (known.empty() ? "" : ", ") + o.name;
        throw InputError(data_path, cell.line, cell.column,
                         "'" + candidates.front() + "' is not an observable of " +
                             std::string(model->name()) + " (known: " + known + ")");
      }
    }
    if (blq_column && row != row_of_line.end() &&
        std::string(trimmed(table.cell(row->second, *blq_column).text)) == "1") {
      ++blq_count;
      continue;
    }
    const int observable = model->observable_index(name);
    if (observable < 0)
      throw InputError(data_path, 0, 0, "'" + name + "' is not an observable of the model");
    if (!block_of.count(name)) {
      block_of[name] = static_cast<int>(loaded.problem.blocks.size());
      const auto e = options.error_by_observable.find(name);
      loaded.problem.blocks.push_back(
          {name, e != options.error_by_observable.end() ? e->second : options.error, 0});
    }
    observations.push_back({static_cast<int>(r), observable});
    loaded.observation_records.push_back(static_cast<int>(r));
    loaded.problem.y.push_back(record.dv);
    loaded.problem.block.push_back(block_of[name]);
    loaded.problem.x.push_back(record.time_h);
    loaded.problem.group.push_back(record.id);
  }
  if (observations.empty())
    throw InputError(data_path, 0, 0, "no observations (EVID 0, MDV 0, DV given)");
  if (blq_count > 0)
    loaded.notes.push_back(std::to_string(blq_count) +
                           " observation(s) below the quantification limit excluded (M1)");
  loaded.problem.predictor = std::make_shared<DosingPredictor>(model, data, observations);
  loaded.dosing_data = data;
  loaded.subset_predictor = [model, data, observations](std::span<const size_t> rows) {
    std::vector<FittedObservation> subset;
    for (size_t row : rows) subset.push_back(observations[row]);
    return std::make_shared<DosingPredictor>(model, data, std::move(subset));
  };
  const auto bounds = file_model->parameter_bounds();
  std::string held_without_start;  // with explicit starts: the parameters not named
  for (size_t i = 0; i < model->parameters().size(); ++i) {
    const auto& info = model->parameters()[i];
    FitParameter parameter;
    parameter.name = info.name;
    parameter.unit = info.unit;
    parameter.start = info.value;
    if (i < bounds.size()) {
      parameter.lower = bounds[i].lower;
      parameter.upper = bounds[i].upper;
    }
    if (auto it = options.fixed.find(info.name); it != options.fixed.end()) {
      parameter.start = it->second;
      parameter.fixed = true;
    } else if (auto s = options.start.find(info.name); s != options.start.end()) {
      parameter.start = s->second;
    } else if (!options.start.empty()) {
      // With explicit starts, only the parameters named are estimated.
      parameter.fixed = true;
      held_without_start += (held_without_start.empty() ? "" : ", ") + info.name;
    } else if (info.value == 0) {
      parameter.fixed = true;
      loaded.notes.push_back(info.name + " held at its default 0 (give --start " + info.name +
                             "=VALUE to estimate it)");
    }
    // A start or fixed value outside the model's bounds (a fraction above 1, a negative
    // rate) is bad input, not something for the optimiser to walk back from.
    const bool given = options.fixed.count(info.name) || options.start.count(info.name);
    if (given && (parameter.start < parameter.lower || parameter.start > parameter.upper))
      throw InputError(options.fixed.count(info.name) ? "--fix" : "--start", 0, 0,
                       info.name + " = " + format_number(parameter.start) +
                           " is outside the bounds " + std::string(model->name()) +
                           " declares for it, [" + format_number(parameter.lower) + ", " +
                           format_number(parameter.upper) + "]" +
                           (info.unit == "1" ? "" : " " + info.unit));
    // Bounded below by 0 (a fraction, or positive by its unit): log scale, so Wald intervals
    // stay positive; an upper bound goes to Ceres as log(upper) (fits/README.md).
    parameter.log_scale = !parameter.fixed && parameter.start > 0 && parameter.lower >= 0;
    loaded.problem.parameters.push_back(parameter);
  }
  if (!options.start.empty()) {
    for (const auto& [name, value] : options.start)
      if (model->parameter_index(name) < 0)
        throw InputError("--start", 0, 0,
                         "'" + name + "' is not a parameter of " + std::string(model->name()));
    // Only when some parameter is actually held (every one named: no note).
    if (!held_without_start.empty())
      loaded.notes.push_back("held at their values (no --start): " + held_without_start);
  }
  for (const auto& [name, value] : options.fixed)
    if (model->parameter_index(name) < 0)
      throw InputError("--fix", 0, 0,
                       "'" + name + "' is not a parameter of " + std::string(model->name()));
  loaded.problem.x_name = "time (h)";
  return loaded;
}

LoadedProblem load_expression_problem(const std::string& text, const std::string& x_column,
                                      const std::string& y_column, const std::string& data_path,
                                      ErrorKind error, const std::map<std::string, double>& start,
                                      const std::map<std::string, double>& fixed) {
  LoadedProblem loaded;
  const CsvTable table = CsvTable::read_file(data_path);
  const size_t x = table.require_column(x_column, "x (independent variable)");
  const size_t y = table.require_column(y_column, "y (response)");
  Expression expression = Expression::parse(text, {x_column});
  std::vector<long double> xs;
  for (size_t r = 0; r < table.row_count(); ++r) {
    const std::string y_text(trimmed(table.cell(r, y).text));
    if (y_text.empty() || y_text == ".") continue;
    cell_number(table, r, x, x_column);
    const double y_value = cell_number(table, r, y, y_column);
    // Extended precision from the text (see FitProblem::y_low).
    const long double x_long =
        std::strtold(std::string(trimmed(table.cell(r, x).text)).c_str(), nullptr);
    const long double y_long = std::strtold(y_text.c_str(), nullptr);
    xs.push_back(x_long);
    loaded.problem.y.push_back(y_value);
    loaded.problem.y_low.push_back(static_cast<double>(y_long - static_cast<long double>(y_value)));
    loaded.problem.x.push_back(static_cast<double>(x_long));
  }
  if (xs.empty()) throw InputError(data_path, 0, 0, "no rows with a " + y_column + " value");
  loaded.problem.block.assign(xs.size(), 0);
  loaded.problem.blocks.push_back({y_column, error, 0});
  loaded.problem.x_name = x_column;
  for (const auto& name : expression.parameters()) {
    FitParameter parameter;
    parameter.name = name;
    if (auto it = fixed.find(name); it != fixed.end()) {
      parameter.start = it->second;
      parameter.fixed = true;
    } else if (auto s = start.find(name); s != start.end()) {
      parameter.start = s->second;
    } else {
      throw InputError("--start", 0, 0,
                       "parameter '" + name + "' of the expression needs a start (--start " + name +
                           "=VALUE) or a value (--fix)");
    }
    loaded.problem.parameters.push_back(parameter);
  }
  for (const auto& [name, value] : start)
    if (std::find(expression.parameters().begin(), expression.parameters().end(), name) ==
        expression.parameters().end())
      throw InputError("--start", 0, 0, "'" + name + "' does not appear in the expression");
  loaded.problem.predictor =
      std::make_shared<ExpressionPredictor>(std::move(expression), std::move(xs));
  return loaded;
}

}  // namespace onset::fits
