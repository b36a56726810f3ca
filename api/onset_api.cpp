#include "api/onset_api.hpp"

#include <glog/logging.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "check/report_html.hpp"
#include "check/report_json.hpp"
#include "fits/fit.hpp"
#include "fits/fit_data.hpp"
#include "io/csv.hpp"
#include "io/format.hpp"
#include "io/gnuplot.hpp"
#include "io/output_file.hpp"
#include "models/model_library.hpp"
#include "nca/dataset.hpp"
#include "nca/nca.hpp"
#include "nca/options.hpp"
#include "nca/report.hpp"
#include "nca/sparse.hpp"
#include "pk/dosing_records.hpp"
#include "pk/dosing_simulate.hpp"
#include "pk/text_input.hpp"

namespace onset::api {

namespace {

// ---- tables --------------------------------------------------------------------------------

std::string number_cell(double value) { return format_exact(value); }

// The 0-based index of the cell that starts at 1-based character `column` of `line_text`.
size_t cell_at(std::string_view line_text, int column) {
  size_t cell = 0;
  bool quoted = false;
  for (size_t i = 0; i < line_text.size() && static_cast<int>(i) + 1 < column; ++i) {
    if (line_text[i] == '"') quoted = !quoted;
    if (line_text[i] == ',' && !quoted) ++cell;
  }
  return cell;
}

// A reader's complaint about line L, column C of the CSV text made from a table, said as the
// table's row and column.
[[noreturn]] void rethrow_at_table_place(const FileError& error, const DataInput& table,
                                         const std::string& csv) {
  std::string where = table.source;
  if (error.line() == 1) {
    where += ", header";
  } else if (error.line() > 1) {
    where += ", row " + std::to_string(error.line() - 1);
  }
  if (error.line() > 0 && error.column() > 0) {
    size_t start = 0;
    for (int line = 1; line < error.line() && start != std::string::npos; ++line)
      start = csv.find('\n', start) == std::string::npos ? std::string::npos
                                                         : csv.find('\n', start) + 1;
    if (start != std::string::npos) {
      const size_t end = csv.find('\n', start);
      const std::string_view line_text =
          std::string_view(csv).substr(start, end == std::string::npos ? end : end - start);
      const size_t cell = cell_at(line_text, error.column());
      if (cell < table.columns.size()) where += ", column " + table.columns[cell].name;
    }
  }
  throw UserError(where, error.problem(), error.expected(), error.fix());
}

// Runs f(); a FileError about `file` (the table's CSV text under that name) is re-said at the
// table's row and column.
template <typename F>
auto at_table_places(const DataInput& table, const std::string& csv, const std::string& file, F&& f)
    -> decltype(f()) {
  try {
    return f();
  } catch (const FileError& error) {
    if (table.is_table() && error.file() == file) rethrow_at_table_place(error, table, csv);
    throw;
  }
}

// ---- options -------------------------------------------------------------------------------

double finite_option(double value, const std::string& what) {
  if (!std::isfinite(value)) throw UserError({}, what + ": expected a finite number");
  return value;
}

nlohmann::ordered_json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

fits::ErrorKind error_kind(const std::string& text, const std::string& what) {
  const auto kind = fits::parse_error_kind(text);
  if (!kind)
    throw UserError({}, what + ": found '" + text + "'",
                    "additive, proportional, combined or lognormal");
  return *kind;
}

}  // namespace

std::string table_to_csv(const DataInput& table) {
  if (table.columns.empty()) throw UserError(table.source, "the table has no columns");
  const size_t rows = table.columns.front().size();
  std::string text;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    const Column& column = table.columns[c];
    if (column.size() != rows)
      throw UserError(table.source,
                      "column " + column.name + " has " + std::to_string(column.size()) +
                          " values, column " + table.columns.front().name + " has " +
                          std::to_string(rows),
                      "columns of equal length");
    if (c > 0) text += ',';
    text += io::csv_field(column.name);
  }
  text += '\n';
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < table.columns.size(); ++c) {
      const Column& column = table.columns[c];
      if (c > 0) text += ',';
      text += column.is_text ? io::csv_field(column.texts[r]) : number_cell(column.numbers[r]);
    }
    text += '\n';
  }
  return text;
}

// ---- models --------------------------------------------------------------------------------

Model::Model(const std::string& name_or_path)
    : name_or_path_(name_or_path), model_(models::load_file_model(name_or_path)) {}

Model::~Model() = default;

std::string Model::name() const { return std::string(model_->name()); }
std::string Model::description() const { return model_->documentation().description; }
std::string Model::equations() const { return model_->documentation().equations; }
std::string Model::source() const { return model_->documentation().source; }

std::vector<std::string> Model::parameter_names() const {
  std::vector<std::string> out;
  for (const auto& p : model_->parameters()) out.push_back(p.name);
  return out;
}
std::vector<std::string> Model::parameter_units() const {
  std::vector<std::string> out;
  for (const auto& p : model_->parameters()) out.push_back(p.unit);
  return out;
}
std::vector<double> Model::parameter_values() const { return model_->default_parameters(); }
std::vector<double> Model::parameter_lower() const {
  std::vector<double> out;
  for (const auto& b : model_->parameter_bounds()) out.push_back(b.lower);
  return out;
}
std::vector<double> Model::parameter_upper() const {
  std::vector<double> out;
  for (const auto& b : model_->parameter_bounds()) out.push_back(b.upper);
  return out;
}
std::vector<std::string> Model::state_names() const {
  std::vector<std::string> out;
  for (const auto& s : model_->states()) out.push_back(s.name);
  return out;
}
std::vector<std::string> Model::state_units() const {
  std::vector<std::string> out;
  for (const auto& s : model_->states()) out.push_back(s.unit);
  return out;
}
std::vector<std::string> Model::observable_names() const {
  std::vector<std::string> out;
  for (const auto& o : model_->observables()) out.push_back(o.name);
  return out;
}
std::vector<std::string> Model::observable_units() const {
  std::vector<std::string> out;
  for (const auto& o : model_->observables()) out.push_back(o.unit);
  return out;
}

std::vector<std::string> library_models() { return models::library_model_names(); }

// ---- simulate ------------------------------------------------------------------------------

Simulation simulate(const Model& handle, const DataInput& doses, const SimulateOptions& options) {
  const models::FileModel& model = handle.file_model();
  // Parameters: the defaults, then the given values, each a parameter of the model and
  // within its bounds (as `onset simulate --param`).
  std::vector<double> params = model.default_parameters();
  const auto bounds = model.parameter_bounds();
  for (const auto& [name, value] : options.params) {
    const int index = model.parameter_index(name);
    if (index < 0) {
      std::string names;
      for (const auto& parameter : model.parameters())
        names += (names.empty() ? "" : ", ") + parameter.name;
      throw UserError({},
                      "model '" + std::string(model.name()) + "' has no parameter '" + name + "'",
                      "one of " + names);
    }
    const auto i = static_cast<size_t>(index);
    finite_option(value, "parameter " + name);
    if (i < bounds.size() && (value < bounds[i].lower || value > bounds[i].upper))
      throw UserError({},
                      "parameter " + name + " = " + format_number(value, 10) +
                          " is outside the range the model allows",
                      "[" + format_number(bounds[i].lower) + ", " + format_number(bounds[i].upper) +
                          "] " + model.parameters()[i].unit);
    params[i] = value;
  }
  pk::DosingOptions dosing;
  const auto backend = pk::parse_backend(options.backend);
  if (!backend)
    throw UserError({}, "backend '" + options.backend + "' is not known",
                    "auto, cvodes_bdf, cvodes_adams, odeint_dopri5, odeint_rosenbrock4, "
                    "exact_linear or onset_bdf");
  dosing.solver.backend = *backend;
  if (options.rtol) {
    if (!(*options.rtol > 0 && *options.rtol < 1))
      throw UserError({}, "rtol = " + format_number(*options.rtol) + " is out of range",
                      "a number in (0, 1)");
    dosing.solver.rtol = *options.rtol;
  }
  if (options.atol) {
    if (!(*options.atol >= 0) || !std::isfinite(*options.atol))
      throw UserError({}, "atol = " + format_number(*options.atol) + " is out of range",
                      "a finite number >= 0");
    dosing.solver.atol = *options.atol;
  }
  for (const double t : options.times_h) finite_option(t, "times");
  if (options.times_h.size() > pk::RunLimits::kMaxGridPoints)
    throw UserError({}, std::to_string(options.times_h.size()) + " output times",
                    "at most " + std::to_string(pk::RunLimits::kMaxGridPoints) + " per subject");

  const std::string csv = doses.is_table() ? table_to_csv(doses) : std::string();
  const std::string file = doses.is_table() ? doses.source : doses.path;
  pk::DosingRequest request;
  request.grid_times_h = options.times_h;
  request.record_rows = options.times_h.empty() || options.with_records;
  pk::DosingResult result;
  at_table_places(doses, csv, file, [&] {
    const pk::DosingData data = doses.is_table() ? pk::parse_dosing_csv(csv, doses.source)
                                                 : pk::read_dosing_file(doses.path);
    // Memory of the rows and the solver, checked before the work (pk::RunLimits).
    const auto subjects = static_cast<double>(pk::subject_ranges(data).size());
    const double rows = (request.record_rows ? static_cast<double>(data.records.size()) : 0.0) +
                        static_cast<double>(options.times_h.size()) * subjects;
    const std::string refusal = pk::check_memory_estimate(
        pk::output_memory_bytes(rows * (2.0 + model.num_observables())) +
            pk::solver_memory_bytes(model.num_states()),
        format_number(rows) + " output rows", "use fewer output times or fewer subjects");
    if (!refusal.empty()) throw UserError({}, refusal);
    try {
      pk::DosingSimulator simulator(model, dosing);
      simulator.run(data, params, request, &result);
    } catch (const UserError&) {
      throw;
    } catch (const std::invalid_argument& error) {  // options the backend cannot take
      throw UserError({}, error.what());
    }
    return 0;
  });
  if (!result.ok()) throw AnalysisError("simulation failed: " + result.message);

  Simulation out;
  out.subject_ids = result.subject_ids;
  const size_t rows = result.rows.size();
  const size_t n_obs = result.observable_names.size();
  out.subject.resize(rows);
  out.time_h.resize(rows);
  out.values.resize(rows * n_obs);
  for (size_t k = 0; k < rows; ++k) {
    out.subject[k] = static_cast<int>(result.rows[k].subject);
    out.time_h[k] = result.rows[k].time_h;
    for (size_t j = 0; j < n_obs; ++j) out.values[j * rows + k] = result.observables[k * n_obs + j];
  }
  out.observable_names = result.observable_names;
  for (const auto& observable : model.observables())
    out.observable_units.push_back(observable.unit);
  out.backend_used = std::string(pk::backend_name(result.backend_used));
  out.backend_reason = result.backend_reason;
  return out;
}

// ---- fit -----------------------------------------------------------------------------------

nlohmann::ordered_json fit(const FitRequest& request) {
  // As the CLI (cli/main.cpp): Ceres reports some terminations through glog at ERROR level
  // even when told to be silent; the fit's status says each in words, so only a fatal glog
  // message is printed into the R or Python session.
  FLAGS_minloglevel = google::GLOG_FATAL;
  fits::FitOptions options;
  const auto ci = fits::parse_interval_method(request.ci);
  if (!ci) throw UserError({}, "ci: found '" + request.ci + "'", "wald, profile or bootstrap");
  options.intervals = *ci;
  const auto calibration = fits::parse_interval_calibration(request.calibration);
  if (!calibration)
    throw UserError({}, "calibration: found '" + request.calibration + "'", "t or asymptotic");
  options.calibration = *calibration;
  if (request.multistart < 0 || request.multistart > pk::RunLimits::kMaxMultistart)
    throw UserError({}, "multistart = " + std::to_string(request.multistart),
                    "0 to " + std::to_string(pk::RunLimits::kMaxMultistart));
  if (request.bootstrap < 10 || request.bootstrap > pk::RunLimits::kMaxBootstrap)
    throw UserError({}, "bootstrap = " + std::to_string(request.bootstrap),
                    "10 to " + std::to_string(pk::RunLimits::kMaxBootstrap));
  if (request.threads < 0 || request.threads > pk::RunLimits::kMaxThreads)
    throw UserError({}, "threads = " + std::to_string(request.threads),
                    "0 (every core) to " + std::to_string(pk::RunLimits::kMaxThreads));
  options.multistart = request.multistart;
  options.bootstrap_replicates = request.bootstrap;
  options.seed = request.seed;
  options.threads = request.threads;

  fits::ModelDataOptions data_options;
  data_options.error = error_kind(request.error, "error");
  for (const auto& [observable, kind] : request.error_for)
    data_options.error_by_observable[observable] = error_kind(kind, "error of " + observable);
  for (const auto& [name, value] : request.start) finite_option(value, "start of " + name);
  for (const auto& [name, value] : request.fix) finite_option(value, "fixed value of " + name);
  data_options.start = request.start;
  data_options.fixed = request.fix;

  const DataInput& data = request.data;
  const std::string csv = data.is_table() ? table_to_csv(data) : std::string();
  const std::string file = data.is_table() ? data.source : data.path;
  fits::LoadedProblem loaded = at_table_places(data, csv, file, [&] {
    try {
      const io::CsvTable table = data.is_table()
                                     ? io::CsvTable::parse(csv, data.source, io::nonmem_dialect())
                                     : io::CsvTable::read_file(data.path, io::nonmem_dialect());
      return fits::load_model_problem(request.model, table, data_options);
    } catch (const UserError&) {
      throw;
    } catch (const std::invalid_argument& error) {
      throw UserError({}, error.what());
    }
  });
  std::string why;
  if (!loaded.problem.IsValid(&why)) throw UserError({}, why);
  fits::FitSummary summary;
  try {
    fits::Solve(options, &loaded.problem, &summary);
  } catch (const UserError&) {
    throw;
  } catch (const std::invalid_argument& error) {
    throw UserError({}, error.what());
  }
  if (summary.status == fits::FitStatus::kFailed)
    throw AnalysisError("the fit could not start: " + summary.message);

  nlohmann::ordered_json out;
  out["status"] = std::string(fits::fit_status_name(summary.status));
  out["converged"] = summary.converged();
  out["message"] = summary.message;
  out["objective"] = number_or_null(summary.minus_two_log_likelihood);
  out["objective_definition"] = "-2 log-likelihood";
  out["aic"] = number_or_null(summary.aic);
  out["bic"] = number_or_null(summary.bic);
  out["n_observations"] = summary.num_observations;
  nlohmann::ordered_json parameters;
  for (const char* key : {"name", "unit", "estimate", "se", "rse_pct", "ci_low", "ci_high", "ci_df",
                          "fixed", "identifiable", "lower", "upper"})
    parameters[key] = nlohmann::ordered_json::array();
  for (const auto& p : summary.parameters) {
    parameters["name"].push_back(p.name);
    parameters["unit"].push_back(p.unit);
    parameters["estimate"].push_back(number_or_null(p.estimate));
    parameters["se"].push_back(number_or_null(p.se));
    parameters["rse_pct"].push_back(number_or_null(p.rse_pct));
    parameters["ci_low"].push_back(number_or_null(p.ci_low));
    parameters["ci_high"].push_back(number_or_null(p.ci_high));
    parameters["ci_df"].push_back(number_or_null(p.ci_df));
    parameters["fixed"].push_back(p.fixed);
    parameters["identifiable"].push_back(p.identifiable);
    parameters["lower"].push_back(number_or_null(p.lower));
    parameters["upper"].push_back(number_or_null(p.upper));
  }
  out["parameters"] = std::move(parameters);
  nlohmann::ordered_json blocks;
  for (const char* key : {"observable", "error", "n", "sigma", "additive_sd"})
    blocks[key] = nlohmann::ordered_json::array();
  for (const auto& block : summary.blocks) {
    blocks["observable"].push_back(block.name);
    blocks["error"].push_back(std::string(fits::error_kind_name(block.error)));
    blocks["n"].push_back(block.n);
    blocks["sigma"].push_back(number_or_null(block.sigma));
    blocks["additive_sd"].push_back(block.error == fits::ErrorKind::kCombined
                                        ? number_or_null(block.additive_sd)
                                        : nlohmann::ordered_json(nullptr));
  }
  out["error_models"] = std::move(blocks);
  const size_t m = summary.estimated_names.size();
  nlohmann::ordered_json matrix = nlohmann::ordered_json::array();
  for (size_t a = 0; a < m; ++a) {
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (size_t b = 0; b < m; ++b) row.push_back(number_or_null(summary.correlation[a * m + b]));
    matrix.push_back(std::move(row));
  }
  out["correlation"] = {{"names", summary.estimated_names}, {"matrix", std::move(matrix)}};
  const fits::FitProblem& problem = loaded.problem;
  nlohmann::ordered_json observations;
  for (const char* key : {"ID", "TIME", "observable", "DV", "PRED", "RES"})
    observations[key] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < problem.y.size(); ++i) {
    const double prediction = i < summary.predictions.size()
                                  ? summary.predictions[i]
                                  : std::numeric_limits<double>::quiet_NaN();
    observations["ID"].push_back(i < problem.group.size() ? problem.group[i] : std::string());
    observations["TIME"].push_back(number_or_null(i < problem.x.size() ? problem.x[i] : NAN));
    observations["observable"].push_back(
        problem.blocks[static_cast<size_t>(problem.block[i])].name);
    observations["DV"].push_back(number_or_null(problem.y[i]));
    observations["PRED"].push_back(number_or_null(prediction));
    observations["RES"].push_back(number_or_null(problem.y[i] - prediction));
  }
  out["observations"] = std::move(observations);
  out["se_method"] = summary.se_method;
  out["ci_method"] = summary.interval_method;
  out["gradient_method"] = summary.gradient_method;
  out["iterations"] = summary.iterations;
  out["notes"] = loaded.notes;
  return out;
}

// ---- nca -----------------------------------------------------------------------------------

namespace {

nca::NcaOptions nca_options(const NcaRequest& request) {
  nca::NcaSettings settings;
  settings.route = request.route;
  settings.duration = request.duration;
  settings.tissue = request.tissue;
  settings.auc = request.auc;
  settings.blq = request.blq;
  settings.time_unit = request.time_unit;
  settings.conc_unit = request.conc_unit;
  settings.dose_unit = request.dose_unit;
  settings.volume_unit = request.volume_unit;
  settings.output_time_unit = request.output_time_unit;
  settings.output_conc_unit = request.output_conc_unit;
  settings.intervals = request.intervals;
  settings.lambda_z_start = request.lambda_z_start;
  settings.lambda_z_end = request.lambda_z_end;
  settings.lambda_z_points = request.lambda_z_points;
  settings.max_extrapolated = request.max_extrapolated;
  settings.min_r2adj = request.min_r2adj;
  return nca::nca_options(settings);
}

}  // namespace

void read_nca_options(const NcaOptionSource& options, NcaRequest* request) {
  auto text = [&](const char* key, std::string* value) {
    if (auto v = options.text(key)) *value = *v;
  };
  auto number = [&](const char* key, double* value) {
    if (auto v = options.number(key)) *value = *v;
  };
  text("subject", &request->subject);
  text("time", &request->time);
  text("conc", &request->conc);
  request->dose = options.number("dose");
  text("dose_column", &request->dose_column);
  text("route", &request->route);
  number("duration", &request->duration);
  if (auto v = options.flag("tissue")) request->tissue = *v;
  text("auc", &request->auc);
  text("blq", &request->blq);
  request->lloq = options.number("lloq");
  text("lloq_column", &request->lloq_column);
  text("group", &request->group);
  text("time_unit", &request->time_unit);
  text("conc_unit", &request->conc_unit);
  text("dose_unit", &request->dose_unit);
  text("volume_unit", &request->volume_unit);
  text("output_time_unit", &request->output_time_unit);
  text("output_conc_unit", &request->output_conc_unit);
  if (auto v = options.pairs("intervals")) request->intervals = *v;
  request->lambda_z_start = options.number("lambda_z_start");
  request->lambda_z_end = options.number("lambda_z_end");
  if (auto v = options.whole_number("lambda_z_points")) request->lambda_z_points = *v;
  number("max_extrapolated", &request->max_extrapolated);
  number("min_r2adj", &request->min_r2adj);
  if (auto v = options.flag("sparse")) request->sparse = *v;
  number("confidence", &request->confidence);
}

nlohmann::ordered_json nca(const NcaRequest& request) {
  if (!request.sparse && request.subject.empty())
    throw UserError({}, "subject is required (it is optional only with sparse = TRUE)");
  if (request.dose && !(*request.dose > 0 && std::isfinite(*request.dose)))
    throw UserError({}, "dose = " + format_number(*request.dose), "a finite number > 0");
  if (request.dose && !request.dose_column.empty())
    throw UserError({}, "give dose or dose_column, not both");
  const nca::NcaOptions options = nca_options(request);
  nca::DatasetOptions dataset;
  dataset.columns.subject = request.subject;
  dataset.columns.time = request.time;
  dataset.columns.concentration = request.conc;
  dataset.columns.dose = request.dose_column;
  dataset.columns.lloq = request.lloq_column;
  dataset.columns.group = request.group;
  dataset.dose = request.dose;
  dataset.lloq = request.lloq;

  const DataInput& data = request.data;
  const std::string csv = data.is_table() ? table_to_csv(data) : std::string();
  const std::string file = data.is_table() ? data.source : data.path;
  std::ostringstream text;
  at_table_places(data, csv, file, [&] {
    const io::CsvTable table = data.is_table() ? io::CsvTable::parse(csv, data.source)
                                               : io::CsvTable::read_file(data.path);
    if (request.sparse) {
      nca::SparseOptions sparse;
      sparse.nca = options;
      sparse.confidence_level = request.confidence;
      std::string why;
      if (!sparse.IsValid(&why)) throw UserError({}, why);
      nca::write_sparse_report(
          text, nca::run_sparse_nca(nca::read_sparse_observations(table, dataset), sparse), sparse,
          nca::ReportFormat::kJson);
    } else {
      std::vector<nca::NcaResult> results;
      for (const nca::Profile& profile : nca::read_profiles(table, dataset))
        results.push_back(nca::run_nca(profile, options));
      nca::write_nca_report(text, results, options, nca::ReportFormat::kJson);
    }
    return 0;
  });
  return nlohmann::ordered_json::parse(text.str());
}

// ---- check ---------------------------------------------------------------------------------

nlohmann::ordered_json check(const CheckRequest& request) {
  const check::Claim claim = check::load_claim(request.claim);
  if (!request.report.empty()) io::check_plot_target(request.report, claim.input_files);
  check::CheckOptions options;
  if (request.draws < 1 || request.draws > static_cast<size_t>(pk::RunLimits::kMaxDraws))
    throw UserError({}, "draws = " + std::to_string(request.draws),
                    "1 to " + std::to_string(pk::RunLimits::kMaxDraws),
                    "use fewer draws: 1e6 give P(within) to about +-0.001");
  if (request.threads < 0 || request.threads > pk::RunLimits::kMaxThreads)
    throw UserError({}, "threads = " + std::to_string(request.threads),
                    "0 (every core) to " + std::to_string(pk::RunLimits::kMaxThreads));
  options.draws = request.draws;
  options.seed = request.seed;
  options.threads = request.threads;
  options.unlikely_below = request.unlikely_below;
  std::string why;
  if (!options.IsValid(&why)) throw UserError({}, why);
  check::CheckReport report;
  try {
    report = check::run_check(claim, options);
  } catch (const UserError&) {
    throw;
  } catch (const std::invalid_argument& error) {
    throw UserError({}, error.what());
  } catch (const std::exception& error) {
    throw AnalysisError(error.what());
  }
  if (!request.report.empty())
    io::write_file_atomically(request.report, check::render_html_report(claim, report),
                              claim.input_files);
  return check::report_to_json(claim, report);
}

}  // namespace onset::api
