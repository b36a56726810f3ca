// `onset simulate MODEL --data FILE.csv`: simulates a library model or a model file over a
// NONMEM-style data set (pk/dosing_records.hpp, pk/dosing_simulate.hpp) and prints one row
// per input record (ID, TIME, the model's observables), or the rows of a time grid per
// subject (--times), as CSV or JSON, to stdout or atomically to --out.
//
// Subjects are independent: they run on --threads workers (one model instance and simulator
// per worker: model files are muparser-backed and not shared between threads) and, under
// mpirun, across ranks (pk/distributed.hpp); rank 0 writes. The output is byte-identical for
// any thread or rank count and keeps the input order; errors are those of a serial run (the
// first bad record in file order, else the first subject that fails).
//
// Exit codes: 0 success; 1 when the simulation failed (solver or steady state); 2 for bad
// input (model, data set, parameter, grid, an --out that names an input), with
// file:line:column where there is one, and then no output file is written. Ctrl-C ends the
// run at once and leaves no output (io/interrupt.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/label_option.hpp"
#include "cli/option_checks.hpp"
#include "cli/simulate_population_command.hpp"
#include "io/csv.hpp"
#include "io/data_dir.hpp"
#include "io/format.hpp"
#include "io/output_file.hpp"
#include "models/model_library.hpp"
#include "models/tracer_labels.hpp"
#include "models/tracer_observation.hpp"
#include "pk/distributed.hpp"
#include "pk/dosing_records.hpp"
#include "pk/dosing_simulate.hpp"
#include "pk/parallel.hpp"
#include "pk/simulate.hpp"
#include "pk/text_input.hpp"

namespace onset::cli {

namespace {

struct SimulateArgs {
  std::string model;
  std::string data;
  std::vector<std::string> params;  // NAME=VALUE
  std::string times;                // START:STOP:STEP
  bool with_records = false;
  std::string format = "csv";
  std::string out;
  std::string backend = "auto";
  std::optional<double> rtol;  // empty: the solver's default
  std::optional<double> atol;
  int threads = 0;  // 0: every core
  // --label: the label observation layer over a vesicle model (what a counter reads);
  // --decay-corrected no: predictions carry the label's physical decay.
  std::string label;
  std::string decay_corrected = "yes";
  SimulatePopulationArgs population;  // --replicates and its options
};

double parse_double(const std::string& text, const std::string& what) {
  const std::optional<double> value = pk::parse_finite_number(text);
  if (!value) throw BadInput(what + ": expected a number, found '" + text + "'");
  return *value;
}

std::vector<double> parse_params(const pk::Model& model, const std::vector<std::string>& given) {
  std::vector<double> params = model.default_parameters();
  for (const auto& item : given) {
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0)
      throw BadInput("--param " + item + ": expected NAME=VALUE");
    const std::string name = item.substr(0, equals);
    const int index = model.parameter_index(name);
    if (index < 0) {
      std::string names;
      for (const auto& parameter : model.parameters())
        names += (names.empty() ? "" : ", ") + parameter.name;
      throw BadInput("--param " + item + ": model '" + std::string(model.name()) +
                     "' has no parameter '" + name + "' (it has " + names + ")");
    }
    const double value = parse_double(item.substr(equals + 1), "--param " + name);
    // A value outside the bounds the model declares (a negative volume or clearance) would
    // give numbers without meaning, not an error: refuse it.
    if (const auto* file_model = dynamic_cast<const models::FileModel*>(&model)) {
      const auto bounds = file_model->parameter_bounds();
      if (static_cast<size_t>(index) < bounds.size()) {
        const auto& bound = bounds[static_cast<size_t>(index)];
        if (value < bound.lower || value > bound.upper)
          throw BadInput("--param " + item + ": outside the range the model allows for " + name +
                         ", [" + format_number(bound.lower, 10) + ", " +
                         format_number(bound.upper, 10) + "] " +
                         model.parameters()[static_cast<size_t>(index)].unit);
      }
    }
    params[static_cast<size_t>(index)] = value;
  }
  return params;
}

std::vector<double> parse_grid(const std::string& text) {
  const auto first = text.find(':');
  const auto second = first == std::string::npos ? first : text.find(':', first + 1);
  if (second == std::string::npos || text.find(':', second + 1) != std::string::npos)
    throw BadInput("--times " + text + ": expected START:STOP:STEP (hours), e.g. 0:24:0.5");
  const double start = parse_double(text.substr(0, first), "--times START");
  const double stop = parse_double(text.substr(first + 1, second - first - 1), "--times STOP");
  const double step = parse_double(text.substr(second + 1), "--times STEP");
  if (!(step > 0) || stop < start)
    throw BadInput("--times " + text + ": needs STEP > 0 and STOP >= START");
  try {
    return pk::output_grid(start, stop, step);
  } catch (const std::invalid_argument& error) {  // too many points, or points not distinct
    throw BadInput("--times " + text + ": " + error.what());
  }
}

void write_csv(const pk::DosingResult& result, std::ostream& out) {
  out << "ID,TIME";
  for (const auto& name : result.observable_names) out << ',' << io::csv_field(name);
  out << '\n';
  const size_t n_obs = result.observable_names.size();
  for (size_t k = 0; k < result.rows.size(); ++k) {
    const auto& row = result.rows[k];
    out << io::csv_field(result.subject_ids[row.subject]) << ',' << format_number(row.time_h, 10);
    for (size_t j = 0; j < n_obs; ++j) out << ',' << format_number(result.observable(k, j), 10);
    out << '\n';
  }
}

void write_json(const pk::DosingResult& result, const std::string& model, const std::string& data,
                std::ostream& out) {
  nlohmann::ordered_json json;
  json["model"] = model;
  json["data"] = data;
  json["backend_used"] = std::string(pk::backend_name(result.backend_used));
  if (!result.backend_reason.empty()) json["backend_reason"] = result.backend_reason;
  nlohmann::ordered_json columns = {"ID", "TIME"};
  for (const auto& name : result.observable_names) columns.push_back(name);
  json["columns"] = columns;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (size_t k = 0; k < result.rows.size(); ++k) {
    const auto& row = result.rows[k];
    nlohmann::ordered_json item;
    item["ID"] = result.subject_ids[row.subject];
    item["TIME"] = row.time_h;
    for (size_t j = 0; j < result.observable_names.size(); ++j)
      item[result.observable_names[j]] = result.observable(k, j);
    rows.push_back(std::move(item));
  }
  json["rows"] = std::move(rows);
  // Names from the command line may not be UTF-8 (the data set and model file are checked).
  out << json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
}

// The records of one subject (records [begin, end) of `data`), with the data set's columns,
// file name and line numbers, so messages name the same place as for the whole data set.
pk::DosingData subject_data(const pk::DosingData& data, size_t begin, size_t end) {
  pk::DosingData part;
  part.source = data.source;
  part.header_line = data.header_line;
  part.covariate_names = data.covariate_names;
  part.covariate_header_columns = data.covariate_header_columns;
  part.first_bad_covariate_cell = data.first_bad_covariate_cell;
  part.records.assign(data.records.begin() + static_cast<long>(begin),
                      data.records.begin() + static_cast<long>(end));
  const size_t width = data.num_covariates();
  part.covariates.assign(data.covariates.begin() + static_cast<long>(begin * width),
                         data.covariates.begin() + static_cast<long>(end * width));
  return part;
}

// What simulating one subject gave.
struct SubjectOutcome {
  enum Kind : int { kOk = 0, kBadInput = 1, kFailed = 2 };
  int kind = kOk;
  std::string message;
  std::vector<double> records;      // per row: record index in the whole data set, -1 for grid
  std::vector<double> times_h;      // per row
  std::vector<double> observables;  // rows x observables
  int handover_backend = -1;        // exact_linear handed steps to this backend (-1: none)
  std::string handover_reason;
};

bool request_rows(const SimulateArgs& args, const std::vector<double>& grid) {
  return grid.empty() || args.with_records;
}

// RunLimits checked once the inputs are read, before any subject is simulated: the doses of
// the data set after ADDL (pk::read_dosing_file checks them), and the memory the rows, their
// text and the workers' solvers would take.
void check_limits(const pk::Model& model, const pk::DosingData& data,
                  const std::vector<double>& grid, bool record_rows, int threads) {
  const auto subjects = static_cast<double>(pk::subject_ranges(data).size());
  const double rows = (record_rows ? static_cast<double>(data.records.size()) : 0.0) +
                      static_cast<double>(grid.size()) * subjects;
  const double values = rows * (2.0 + model.num_observables());  // ID, TIME, observables
  const double workers = std::min<double>(pk::resolve_threads(threads), subjects);
  const double solver = pk::solver_memory_bytes(model.num_states());
  const std::string refusal = pk::check_memory_estimate(
      pk::output_memory_bytes(values) + workers * solver,
      format_number(rows, 10) + " output rows of " + std::to_string(model.num_observables() + 2) +
          " values, and " + format_number(workers, 10) + " workers' solvers",
      "use a coarser or shorter --times grid, or split the data set by subject");
  if (!refusal.empty()) throw BadInput(refusal);
}

// When exact_linear handed steps of some subjects to a BDF method (its accuracy bound was
// above rtol: pk/exact_linear_integrator.cpp), the result says so: that backend, and why.
void report_handovers(const pk::DosingData& data,
                      const std::vector<std::array<size_t, 2>>& subjects,
                      const std::vector<SubjectOutcome>& outcomes, pk::DosingResult* result) {
  size_t count = 0;
  std::string first;
  for (size_t s = 0; s < outcomes.size(); ++s) {
    if (outcomes[s].handover_backend < 0) continue;
    if (count++ == 0) {
      result->backend_used = static_cast<pk::Backend>(outcomes[s].handover_backend);
      first = "subject " + data.records[subjects[s][0]].id + ": " + outcomes[s].handover_reason;
    }
  }
  if (count > 0)
    result->backend_reason = std::to_string(count) + " of " + std::to_string(outcomes.size()) +
                             " subjects not solved exactly; first, " + first;
}

// One worker's own model instance and simulator, built on its first subject.
struct SimulateWorker {
  std::unique_ptr<pk::Model> model;
  std::unique_ptr<pk::DosingSimulator> simulator;
  pk::DosingResult result;
};

// The model, with --label the label observation model over it (models/tracer_observation.hpp:
// the observables ORGAN_label_pct, ORGAN_label_pct_per_g and the free-label organs), as `onset
// fit --label` fits it. Throws BadInput or ModelFileError.
std::unique_ptr<pk::Model> load_simulation_model(const SimulateArgs& args,
                                                 double* decay_half_life_h = nullptr) {
  const bool decay_corrected = decay_corrected_option(args.decay_corrected);
  if (args.label.empty()) {
    if (!decay_corrected)
      throw BadInput("--decay-corrected no needs --label (the decay is the label's)");
    return models::load_model(args.model);
  }
  const models::TracerLabel label = find_label(args.label);
  if (decay_half_life_h != nullptr && !decay_corrected) *decay_half_life_h = label.half_life_h;
  return models::load_tracer_model(args.model, label, {.decay_corrected = decay_corrected});
}

int run(const SimulateArgs& args) {
  const char* prefix = "onset simulate: ";
  if (population_simulation_requested(args.population)) {
    std::string conflicting;
    for (const auto& [given, name] :
         {std::pair{!args.params.empty(), "--param"}, std::pair{!args.times.empty(), "--times"},
          std::pair{args.with_records, "--with-records"},
          std::pair{!args.label.empty(), "--label"}})
      if (given) conflicting += (conflicting.empty() ? "" : ", ") + std::string(name);
    return run_population_simulation(args.population, args.model, args.data, args.out, args.format,
                                     args.threads, conflicting);
  }
  std::unique_ptr<pk::Model> model;
  pk::DosingData data;
  std::vector<double> params, grid;
  pk::DosingOptions options;
  try {
    if (!args.out.empty())
      io::check_output_target(args.out, {args.model, args.data, label_table_path()});
    double decay_half_life_h = 0;
    model = load_simulation_model(args, &decay_half_life_h);
    data = pk::read_dosing_file(args.data);
    // The decay factor counts from t = 0 (models/tracer_observation.hpp): doses then only.
    if (decay_half_life_h > 0)
      for (const auto& record : data.records)
        if (record.is_dose() && record.time_h != 0)
          throw BadInput(args.data + ":" + std::to_string(record.line) +
                         ": --decay-corrected no needs every dose at time 0 (the decay factor "
                         "counts from t = 0); found a dose at t = " +
                         format_number(record.time_h) + " h");
    params = parse_params(*model, args.params);
    if (!args.times.empty()) grid = parse_grid(args.times);
    const auto backend = pk::parse_backend(args.backend);
    if (!backend)
      throw BadInput("--backend " + args.backend +
                     ": expected auto, cvodes_bdf, cvodes_adams, odeint_dopri5, "
                     "odeint_rosenbrock4, exact_linear or onset_bdf");
    options.solver.backend = *backend;
    if (args.rtol) options.solver.rtol = *args.rtol;
    if (args.atol) options.solver.atol = *args.atol;
    check_limits(*model, data, grid, request_rows(args, grid), args.threads);
  } catch (const std::exception& error) {  // ModelFileError, DosingDataError, BadInput
    return report_failure("onset simulate", error);
  }

  pk::DosingResult result;
  try {
    // Checks the options against the model once (the workers build their own).
    const pk::DosingSimulator simulator(*model, options);
    result.backend_used = simulator.backend_used();
    result.backend_reason = simulator.backend_reason();
  } catch (const std::exception& error) {  // std::invalid_argument
    return report_failure("onset simulate", error);
  }
  pk::DosingRequest request;
  request.grid_times_h = grid;
  request.record_rows = request_rows(args, grid);
  const auto subjects = pk::subject_ranges(data);
  std::vector<SubjectOutcome> outcomes(subjects.size());
  pk::distributed_for(
      subjects.size(), args.threads, [] { return SimulateWorker{}; },
      [&](size_t s, SimulateWorker& worker) {
        SubjectOutcome& outcome = outcomes[s];
        const auto [begin, end] = subjects[s];
        try {
          if (!worker.simulator) {
            worker.model = load_simulation_model(args);
            worker.simulator = std::make_unique<pk::DosingSimulator>(*worker.model, options);
          }
          pk::DosingResult& part = worker.result;
          worker.simulator->run(subject_data(data, begin, end), params, request, &part);
          if (!part.ok()) {
            outcome.kind = SubjectOutcome::kFailed;
            outcome.message = part.message;
            return;
          }
          outcome.records.clear();
          outcome.times_h.clear();
          for (const auto& row : part.rows) {
            outcome.records.push_back(row.record < 0 ? -1.0
                                                     : static_cast<double>(begin) + row.record);
            outcome.times_h.push_back(row.time_h);
          }
          outcome.observables = part.observables;
          if (part.backend_used != result.backend_used) {
            outcome.handover_backend = static_cast<int>(part.backend_used);
            outcome.handover_reason = part.backend_reason;
          }
        } catch (const std::exception& error) {  // DosingDataError, std::invalid_argument
          outcome.kind = SubjectOutcome::kBadInput;
          outcome.message = error.what();
        }
      },
      [&](size_t s, pk::ByteWriter& out) {
        const SubjectOutcome& outcome = outcomes[s];
        out.put(outcome.kind);
        out.put(outcome.message);
        out.put(outcome.records);
        out.put(outcome.times_h);
        out.put(outcome.observables);
        out.put(outcome.handover_backend);
        out.put(outcome.handover_reason);
      },
      [&](size_t s, pk::ByteReader& in) {
        SubjectOutcome& outcome = outcomes[s];
        outcome.kind = in.get<int>();
        outcome.message = in.get_string();
        outcome.records = in.get_doubles();
        outcome.times_h = in.get_doubles();
        outcome.observables = in.get_doubles();
        outcome.handover_backend = in.get<int>();
        outcome.handover_reason = in.get_string();
      });
  // As a serial run: a bad record anywhere is reported before any simulation failure, and
  // of several, the first in file order.
  for (const int kind : {SubjectOutcome::kBadInput, SubjectOutcome::kFailed}) {
    for (const auto& outcome : outcomes) {
      if (outcome.kind != kind) continue;
      if (pk::mpi_rank() == 0)
        std::cerr << prefix << (kind == SubjectOutcome::kFailed ? "simulation failed: " : "")
                  << outcome.message << '\n';
      return kind == SubjectOutcome::kFailed ? kExitAnalysisFailed : kExitBadInput;
    }
  }
  report_handovers(data, subjects, outcomes, &result);
  for (const auto& observable : model->observables())
    result.observable_names.push_back(observable.name);
  for (size_t s = 0; s < subjects.size(); ++s) {
    result.subject_ids.push_back(data.records[subjects[s][0]].id);
    const SubjectOutcome& outcome = outcomes[s];
    for (size_t k = 0; k < outcome.times_h.size(); ++k)
      result.rows.push_back({s, static_cast<int>(outcome.records[k]), outcome.times_h[k]});
    result.observables.insert(result.observables.end(), outcome.observables.begin(),
                              outcome.observables.end());
  }
  // Under mpirun every rank holds the whole result; rank 0 alone writes it.
  if (pk::mpi_rank() != 0) return kExitSuccess;

  auto write = [&](std::ostream& stream) {
    if (args.format == "json")
      write_json(result, args.model, args.data, stream);
    else
      write_csv(result, stream);
  };
  if (args.out.empty()) {
    std::ostringstream buffer;
    write(buffer);
    std::cout << buffer.str();
    return kExitSuccess;
  }
  try {
    io::write_file_atomically(args.out, write, {args.model, args.data});
  } catch (const std::exception& error) {
    return report_failure("onset simulate", error);
  }
  return kExitSuccess;
}

}  // namespace

void register_simulate_command(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* command = app.add_subcommand(
      "simulate", "Simulate a model over NONMEM-style dosing records (one row per record)");
  command->add_option("model", args->model, "library model name or model file (.yaml)")->required();
  command
      ->add_option("--data", args->data,
                   "NONMEM-style CSV: ID, TIME, EVID, AMT, CMT, RATE, II, ADDL, SS, DV, MDV "
                   "and covariate columns")
      ->required();
  command->add_option("--param", args->params, "set a parameter: NAME=VALUE (repeatable)");
  command->add_option("--label", args->label,
                      "simulate what a counter or imager reads: the label observation model of "
                      "a vesicle model (111In, 125I, 99mTc, 64Cu, 89Zr, 131I, DiR, luciferase; "
                      "data/tracers/labels.yaml), as onset fit --label fits it");
  command
      ->add_option("--decay-corrected", args->decay_corrected,
                   "with --label: yes (values decay-corrected to the dose time) or no "
                   "(predictions carry the label's physical decay)")
      ->capture_default_str();
  command->add_option("--times", args->times,
                      "output grid START:STOP:STEP in hours for every subject, instead of one "
                      "row per record");
  command->add_flag("--with-records", args->with_records,
                    "with --times: also output one row per record");
  command->add_option("--format", args->format, "csv or json")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  command->add_option("--out", args->out, "write to this file (atomically) instead of stdout");
  command
      ->add_option("--backend", args->backend,
                   "auto, cvodes_bdf, cvodes_adams, odeint_dopri5, odeint_rosenbrock4, "
                   "exact_linear, onset_bdf")
      ->capture_default_str();
  command->add_option("--rtol", args->rtol, "relative tolerance, in (0, 1) (default 1e-8)")
      ->transform(rtol_option());
  command->add_option("--atol", args->atol, "absolute tolerance, state units, >= 0 (default 1e-10)")
      ->transform(atol_option());
  command
      ->add_option("--threads", args->threads,
                   "worker threads over subjects (0: every core); the output does not depend "
                   "on it")
      ->transform(threads_option());
  add_simulate_population_options(command, &args->population);
  command->callback([args] {
    const int code = run(*args);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });
}

}  // namespace onset::cli
