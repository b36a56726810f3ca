// `onset fit MODEL --data FILE.csv [--error additive|proportional|combined|lognormal]
//  [--start NAME=VALUE ...] [--fix NAME=VALUE ...] [--ci wald|profile|bootstrap]
//  [--format text|json] [--plot FILE] [--label NAME|none-intact] [--decay-corrected yes|no]
//  [--per-subject]`, and
// (--per-subject with --plot draws a row of panels per subject and observable, and with
// --residuals writes every fitted subject's rows, each fit's own predictions),
// `onset fit --expr "EXPR" --x COL --y COL --data FILE.csv --start NAME=VALUE ...`.
// The estimation engine is fits/fit.hpp; data loading fits/fit_data.hpp; the plot
// fits/fit_plot.hpp (gnuplot).
//
// Exit codes: 0 converged (--per-subject: every subject); 1 the fit did not converge (estimates
// still printed, status in words); 2 bad input (model, data, expression, option), with
// file:line:column where there is one.
//
// --per-subject JSON: {"per_subject": true, "n_subjects", "n_converged", "not_converged": [IDs],
//   "subjects": [{"id", "n_observations", "fitted", "converged", "status", "message",
//                 "objective", "parameters": [{"name", "estimate", "se", "rse_pct"}]}],
//   "two_stage": {"method", "parameters": [{"name", "unit", "n", "mean", "sd", "cv_pct",
//                 "median", "geometric_mean"}]}, "notes"}
#include <algorithm>
#include <cctype>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/fit_population_command.hpp"
#include "cli/label_option.hpp"
#include "cli/option_checks.hpp"
#include "fits/expression.hpp"
#include "fits/fit.hpp"
#include "fits/fit_data.hpp"
#include "fits/fit_plot.hpp"
#include "fits/fit_residuals.hpp"
#include "fits/per_subject.hpp"
#include "io/csv.hpp"
#include "io/data_dir.hpp"
#include "io/format.hpp"
#include "io/gnuplot.hpp"
#include "io/output_file.hpp"
#include "models/tracer_labels.hpp"
#include "pk/distributed.hpp"
#include "pk/text_input.hpp"

namespace onset::cli {

namespace {

struct FitArgs {
  std::string model;
  std::string data;
  std::string expression;
  std::string x_column;
  std::string y_column;
  std::string error = "additive";
  std::vector<std::string> error_by_observable;  // NAME=KIND
  std::vector<std::string> start;
  std::vector<std::string> fix;
  std::string ci = "wald";
  std::string calibration = "t";
  std::string format = "text";
  std::string plot;
  std::string residuals;
  bool plot_log = false;
  std::string observable_column;
  double dose = 0;
  int dose_cmt = 1;
  int multistart = 0;
  int bootstrap = 200;
  unsigned long long seed = 20240607;
  int threads = 0;
  std::string label;
  std::string decay_corrected = "yes";
  bool per_subject = false;
  std::vector<std::string> map;          // ROLE=COLUMN
  std::vector<std::string> error_group;  // NAME=OBS1,OBS2
  std::vector<std::string> estimate;     // NAME: estimated from the model's value
  bool dose_per_kg = false;
  bool error_given = false;      // --error on the command line (not its default)
  PopulationCliArgs population;  // --population and its options (cli/fit_population_command.hpp)
};

std::map<std::string, double> parse_assignments(const std::vector<std::string>& items,
                                                const std::string& option) {
  std::map<std::string, double> values;
  for (const auto& item : items) {
    const size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0)
      throw BadInput(option + ": expected NAME=VALUE, found '" + item + "'");
    const std::string text = item.substr(equals + 1);
    const std::optional<double> value = pk::parse_finite_number(text);
    if (!value)
      throw BadInput(option + " " + item.substr(0, equals) + ": expected a number, found '" + text +
                     "'");
    values[item.substr(0, equals)] = *value;
  }
  return values;
}

fits::ErrorKind parse_error(const std::string& text) {
  const auto kind = fits::parse_error_kind(text);
  if (!kind)
    throw BadInput("--error: expected additive, proportional, combined or lognormal; found '" +
                   text + "'");
  return *kind;
}

nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

// The n - p sigma. One error model: sqrt(RSS/(N - p)), R's nls "residual standard error" (p:
// the estimated parameters of the least-squares problem, + 1 for combined error's ratio).
// Several: sqrt(RSS_k/(n_k - h_k)), h_k the leverage of error model k's observations (the
// parameters are shared, so each model is charged its share of p; BlockSummary::df).
double unbiased_sigma(const fits::FitSummary& summary, const fits::BlockSummary& block) {
  const int extra = block.error == fits::ErrorKind::kCombined ? 1 : 0;
  if (summary.blocks.size() == 1) {
    const int p = summary.num_estimated + extra;
    return block.n > p ? std::sqrt(block.rss / (block.n - p))
                       : std::numeric_limits<double>::quiet_NaN();
  }
  const double df = block.df - extra;
  return df > 0 ? std::sqrt(block.rss / df) : std::numeric_limits<double>::quiet_NaN();
}

constexpr const char* kSigmaMlDefinition = "maximum likelihood, sqrt(RSS/N)";
constexpr const char* kSigmaUnbiasedDefinition =
    "sqrt(RSS/(N - p)), R's nls residual standard error (p: estimated parameters, + 1 for "
    "combined error); with several error models sqrt(RSS_k/(n_k - h_k)), h_k the leverage of "
    "model k's observations (sum of h_k = p)";

void print_json(const fits::FitSummary& summary, const std::vector<std::string>& notes,
                const std::vector<fits::ResidualRow>& table) {
  nlohmann::json out;
  out["converged"] = summary.converged();
  out["status"] = std::string(fits::fit_status_name(summary.status));
  out["message"] = summary.message;
  out["objective"] = summary.minus_two_log_likelihood;
  out["objective_definition"] = "-2 log-likelihood";
  out["aic"] = summary.aic;
  out["bic"] = summary.bic;
  out["sigma"] = summary.blocks.size() == 1 ? number_or_null(summary.blocks[0].sigma)
                                            : nlohmann::json(nullptr);
  out["sigma_definition"] = kSigmaMlDefinition;
  out["sigma_n_minus_p"] = summary.blocks.size() == 1
                               ? number_or_null(unbiased_sigma(summary, summary.blocks[0]))
                               : nlohmann::json(nullptr);
  out["sigma_n_minus_p_definition"] = kSigmaUnbiasedDefinition;
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& block : summary.blocks) {
    nlohmann::json b = {{"observable", block.name},
                        {"error", std::string(fits::error_kind_name(block.error))},
                        {"n", block.n},
                        {"sigma", number_or_null(block.sigma)},
                        {"sigma_definition", kSigmaMlDefinition},
                        {"sigma_n_minus_p", number_or_null(unbiased_sigma(summary, block))},
                        {"df", number_or_null(block.df)}};
    if (block.error == fits::ErrorKind::kCombined)
      b["additive_sd"] = number_or_null(block.additive_sd);
    blocks.push_back(b);
  }
  out["error_models"] = blocks;
  nlohmann::json parameters = nlohmann::json::array();
  for (const auto& p : summary.parameters) {
    nlohmann::json item = {{"name", p.name},
                           {"estimate", p.estimate},
                           {"se", number_or_null(p.se)},
                           {"rse_pct", number_or_null(p.rse_pct)},
                           {"ci_low", number_or_null(p.ci_low)},
                           {"ci_high", number_or_null(p.ci_high)},
                           {"ci_df", number_or_null(p.ci_df)},
                           {"fixed", p.fixed},
                           {"unit", p.unit},
                           {"bounds", {number_or_null(p.lower), number_or_null(p.upper)}}};
    if (!p.fixed) item["identifiable"] = p.identifiable;
    if (!p.ci_note.empty() && !p.fixed) item["ci_note"] = p.ci_note;
    parameters.push_back(item);
  }
  out["parameters"] = parameters;
  const size_t m = summary.estimated_names.size();
  nlohmann::json correlation = nlohmann::json::array();
  for (size_t a = 0; a < m; ++a) {
    nlohmann::json row = nlohmann::json::array();
    for (size_t b = 0; b < m; ++b) row.push_back(number_or_null(summary.correlation[a * m + b]));
    correlation.push_back(row);
  }
  out["correlation"] = {{"names", summary.estimated_names}, {"matrix", correlation}};
  out["n_observations"] = summary.num_observations;
  out["se_method"] = summary.se_method;
  out["ci_method"] = summary.interval_method;
  out["gradient_method"] = summary.gradient_method;
  out["iterations"] = summary.iterations;
  out["notes"] = notes;
  nlohmann::json observations = nlohmann::json::array();
  for (const auto& row : table)
    observations.push_back({{"id", row.id},
                            {"time", row.time},
                            {"observable", row.observable},
                            {"error_model", row.error_model},
                            {"n", row.animals},
                            {"dv", row.dv},
                            {"pred", number_or_null(row.pred)},
                            {"res", number_or_null(row.res)},
                            {"wres", number_or_null(row.wres)}});
  out["observations"] = observations;
  out["wres_definition"] =
      "RES / SD of the observation under the fitted error model (ML sigma; a mean of n: SD / "
      "sqrt(n)); log-normal: (log DV - log PRED) / SD";
  std::cout << out.dump(2) << "\n";
}

void print_text(const fits::FitSummary& summary, const std::vector<std::string>& notes) {
  std::cout << "status: " << fits::fit_status_name(summary.status) << " (" << summary.message
            << ")\n";
  for (const auto& note : notes) std::cout << "note: " << note << "\n";
  std::cout << "observations: " << summary.num_observations
            << "   -2 log L: " << format_number(summary.minus_two_log_likelihood, 8)
            << "   AIC: " << format_number(summary.aic, 8)
            << "   BIC: " << format_number(summary.bic, 8) << "\n";
  for (const auto& block : summary.blocks) {
    std::cout << "error " << block.name << ": " << fits::error_kind_name(block.error)
              << ", sigma (ML, sqrt(RSS/N)) " << format_number(block.sigma);
    if (summary.blocks.size() == 1)
      std::cout << ", sigma (sqrt(RSS/(N - p)), as R's nls) "
                << format_number(unbiased_sigma(summary, block));
    else
      std::cout << ", sigma (sqrt(RSS/(n - h)), h its share of p: " << format_number(block.df, 4)
                << " df) " << format_number(unbiased_sigma(summary, block));
    if (block.error == fits::ErrorKind::kCombined)
      std::cout << ", additive sd " << format_number(block.additive_sd);
    std::cout << " (n = " << block.n << ")\n";
  }
  std::printf("%-28s %14s %12s %9s %14s %14s\n", "parameter", "estimate", "SE", "RSE%", "CI low",
              "CI high");
  for (const auto& p : summary.parameters) {
    if (p.fixed) {
      std::printf("%-28s %14s   (fixed)\n", p.name.c_str(), format_number(p.estimate).c_str());
      continue;
    }
    std::printf("%-28s %14s %12s %9s %14s %14s\n", p.name.c_str(),
                format_number(p.estimate).c_str(), format_number(p.se, 4).c_str(),
                format_number(p.rse_pct, 3).c_str(), format_number(p.ci_low).c_str(),
                format_number(p.ci_high).c_str());
    if (!p.ci_note.empty()) std::printf("%-28s   %s\n", "", p.ci_note.c_str());
  }
  std::cout << "standard errors: " << summary.se_method << "\n";
  std::cout << "intervals: " << summary.interval_method << "\n";
  std::cout << "gradients: " << summary.gradient_method << "\n";
  const size_t m = summary.estimated_names.size();
  if (m > 1) {
    std::cout << "correlation:\n";
    for (size_t a = 0; a < m; ++a) {
      std::printf("  %-26s", summary.estimated_names[a].c_str());
      for (size_t b = 0; b <= a; ++b) std::printf(" %7.3f", summary.correlation[a * m + b]);
      std::printf("\n");
    }
  }
}

void print_per_subject_text(const fits::PerSubjectSummary& summary,
                            const std::vector<std::string>& notes) {
  std::cout << "per-subject fits: " << summary.subjects.size() << " subjects, "
            << summary.num_converged << " converged\n";
  for (const auto& note : notes) std::cout << "note: " << note << "\n";
  for (const auto& subject : summary.subjects) {
    std::cout << "subject " << subject.id << " (n = " << subject.num_observations << "): ";
    if (!subject.fitted) {
      std::cout << "not fitted (" << subject.skipped_reason << ")\n";
      continue;
    }
    std::cout << fits::fit_status_name(subject.summary.status) << " (" << subject.summary.message
              << "), -2 log L " << format_number(subject.summary.minus_two_log_likelihood, 8)
              << "\n";
    for (const auto& p : subject.summary.parameters) {
      if (p.fixed) continue;
      std::printf("  %-26s %14s  SE %12s  RSE%% %9s\n", p.name.c_str(),
                  format_number(p.estimate).c_str(), format_number(p.se, 4).c_str(),
                  format_number(p.rse_pct, 3).c_str());
    }
  }
  std::cout << "standard two-stage summary over the " << summary.num_converged
            << " converged subjects (SD with n - 1):\n";
  std::printf("%-28s %4s %14s %12s %9s %14s %14s\n", "parameter", "n", "mean", "SD", "CV%",
              "median", "geo. mean");
  for (const auto& p : summary.two_stage)
    std::printf("%-28s %4d %14s %12s %9s %14s %14s\n", p.name.c_str(), p.n,
                format_number(p.mean).c_str(), format_number(p.sd, 4).c_str(),
                format_number(p.cv_pct, 3).c_str(), format_number(p.median).c_str(),
                format_number(p.geometric_mean).c_str());
  std::cout << "not converged: " << summary.not_converged.size();
  for (size_t i = 0; i < summary.not_converged.size(); ++i)
    std::cout << (i == 0 ? " (" : ", ") << summary.not_converged[i];
  std::cout << (summary.not_converged.empty() ? "" : ")") << "\n";
}

void print_per_subject_json(const fits::PerSubjectSummary& summary,
                            const std::vector<std::string>& notes) {
  nlohmann::json out;
  out["per_subject"] = true;
  out["n_subjects"] = summary.subjects.size();
  out["n_converged"] = summary.num_converged;
  out["not_converged"] = summary.not_converged;
  nlohmann::json subjects = nlohmann::json::array();
  for (const auto& subject : summary.subjects) {
    nlohmann::json item = {{"id", subject.id},
                           {"n_observations", subject.num_observations},
                           {"fitted", subject.fitted},
                           {"converged", subject.converged()}};
    if (!subject.fitted) {
      item["status"] = "not fitted";
      item["message"] = subject.skipped_reason;
      subjects.push_back(item);
      continue;
    }
    item["status"] = std::string(fits::fit_status_name(subject.summary.status));
    item["message"] = subject.summary.message;
    item["objective"] = number_or_null(subject.summary.minus_two_log_likelihood);
    nlohmann::json parameters = nlohmann::json::array();
    for (const auto& p : subject.summary.parameters) {
      if (p.fixed) continue;
      parameters.push_back({{"name", p.name},
                            {"estimate", number_or_null(p.estimate)},
                            {"se", number_or_null(p.se)},
                            {"rse_pct", number_or_null(p.rse_pct)}});
    }
    item["parameters"] = parameters;
    subjects.push_back(item);
  }
  out["subjects"] = subjects;
  nlohmann::json parameters = nlohmann::json::array();
  for (const auto& p : summary.two_stage)
    parameters.push_back({{"name", p.name},
                          {"unit", p.unit},
                          {"n", p.n},
                          {"mean", number_or_null(p.mean)},
                          {"sd", number_or_null(p.sd)},
                          {"cv_pct", number_or_null(p.cv_pct)},
                          {"median", number_or_null(p.median)},
                          {"geometric_mean", number_or_null(p.geometric_mean)}});
  out["two_stage"] = {{"method",
                       "standard two-stage: arithmetic mean, SD (n - 1), CV% = 100 SD/mean, "
                       "median and geometric mean of the estimates of the converged subjects"},
                      {"parameters", parameters}};
  out["notes"] = notes;
  std::cout << out.dump(2) << "\n";
}

// --label NAME: the label from data/tracers/labels.yaml; "none-intact": intact vesicles.
void apply_label(const FitArgs& args, fits::ModelDataOptions* options) {
  options->decay_corrected = decay_corrected_option(args.decay_corrected);
  if (args.label.empty()) return;
  if (args.label == "none-intact") {
    options->observe = fits::ModelDataOptions::Observe::kIntact;
    return;
  }
  options->observe = fits::ModelDataOptions::Observe::kLabel;
  options->label = find_label(args.label, "none-intact for intact vesicles");
}

// The files a fit reads (an output must never replace one): the data, a model file, the
// label table.
std::vector<std::string> input_files(const FitArgs& args) {
  std::vector<std::string> inputs{args.data, args.model};
  if (!args.label.empty() && args.label != "none-intact") inputs.push_back(label_table_path());
  return inputs;
}

fits::FitPlotOptions plot_options(const FitArgs& args) {
  return {.png = args.plot.ends_with(".png"), .log_y = args.plot_log};
}

int run(const FitArgs& args) {
  fits::LoadedProblem loaded;
  fits::FitOptions options;
  // The plot's target and gnuplot are checked before anything is read or fitted.
  if (!args.plot.empty()) {
    try {
      // The target first (never an input), then the name's format.
      io::check_plot_target(args.plot, input_files(args));
      if (!args.plot.ends_with(".svg") && !args.plot.ends_with(".png"))
        throw UserError("", "'" + args.plot + "': expected a file name ending in .svg or .png");
    } catch (const std::exception& error) {  // UserError
      return report_failure("onset fit: --plot", error);
    }
  }
  if (!args.residuals.empty()) {
    try {
      io::check_output_target(args.residuals, input_files(args));
      if (args.residuals == args.plot)
        throw UserError("", "--residuals and --plot name the same file '" + args.residuals + "'");
    } catch (const UserError& error) {
      if (pk::mpi_rank() == 0) std::cerr << "onset fit: --residuals: " << error.what() << "\n";
      return kExitBadInput;
    }
  }
  if (args.plot_log && args.plot.empty()) {
    if (pk::mpi_rank() == 0) std::cerr << "onset fit: --plot-log needs --plot FILE\n";
    return kExitBadInput;
  }
  if (args.population.enabled && !args.residuals.empty()) {
    if (pk::mpi_rank() == 0)
      std::cerr << "onset fit: --residuals is for individual and pooled fits; population fits "
                   "write their observation table (PRED, IPRED, CWRES, ...) with --table FILE\n";
    return kExitBadInput;
  }
  try {
    const auto start = parse_assignments(args.start, "--start");
    const auto fixed = parse_assignments(args.fix, "--fix");
    const fits::ErrorKind error = parse_error(args.error);
    const auto ci = fits::parse_interval_method(args.ci);
    if (!ci) throw BadInput("--ci: expected wald, profile or bootstrap; found '" + args.ci + "'");
    options.intervals = *ci;
    const auto calibration = fits::parse_interval_calibration(args.calibration);
    if (!calibration)
      throw BadInput("--calibration: expected t or asymptotic; found '" + args.calibration + "'");
    options.calibration = *calibration;
    options.multistart = args.multistart;
    options.bootstrap_replicates = args.bootstrap;
    options.seed = args.seed;
    options.threads = args.threads;
    if (!args.expression.empty()) {
      if (!args.model.empty()) throw BadInput("give either MODEL or --expr, not both");
      if (args.population.enabled) throw BadInput("--population needs a MODEL, not --expr");
      if (args.x_column.empty() || args.y_column.empty())
        throw BadInput("--expr needs --x COL and --y COL");
      try {
        // The data file, read once here (fits takes the table, never a path).
        loaded =
            fits::load_expression_problem(args.expression, args.x_column, args.y_column,
                                          io::CsvTable::read_file(args.data), error, start, fixed);
      } catch (const fits::ExpressionError& e) {
        throw BadInput("--expr \"" + args.expression + "\": " + e.what());
      }
    } else {
      if (args.model.empty()) throw BadInput("give a MODEL (library name or file) or --expr");
      fits::ModelDataOptions data_options;
      data_options.error = error;
      for (const auto& item : args.error_by_observable) {
        const size_t equals = item.find('=');
        if (equals == std::string::npos)
          throw BadInput("--error-for: expected OBSERVABLE=KIND, found '" + item + "'");
        data_options.error_by_observable[item.substr(0, equals)] =
            parse_error(item.substr(equals + 1));
      }
      if (args.population.enabled) {
        if (args.per_subject) throw BadInput("give either --population or --per-subject, not both");
        data_options.observable_column = args.observable_column;
        data_options.tidy_dose = args.dose;
        data_options.tidy_dose_cmt = args.dose_cmt;
        apply_label(args, &data_options);
        if (*ci == fits::IntervalMethod::kProfile)
          throw BadInput(
              "--ci profile is not available for --population: use the covariance "
              "step's SEs (--cov) or --ci bootstrap (by subject)");
        PopulationCliArgs population = args.population;  // with the options fit shares
        population.extras.plot = args.plot;
        population.extras.seed = args.seed;
        population.extras.bootstrap = *ci == fits::IntervalMethod::kBootstrap ? args.bootstrap : 0;
        return run_population_fit(population, args.model, args.data, data_options, start, fixed,
                                  args.error_given ? std::optional(error) : std::nullopt,
                                  args.threads, args.format);
      }
      data_options.start = start;
      for (const auto& name : args.estimate) {
        if (start.count(name))
          throw BadInput("--estimate " + name + ": already given a start (--start)");
        data_options.start[name] = std::numeric_limits<double>::quiet_NaN();  // model's value
      }
      for (const auto& item : args.map) {
        const size_t equals = item.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == item.size())
          throw BadInput("--map: expected ROLE=COLUMN (roles: " + fits::column_roles() +
                         "); found '" + item + "'");
        std::string role = item.substr(0, equals);
        for (char& c : role) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (data_options.column_map.count(role)) throw BadInput("--map: " + role + " given twice");
        data_options.column_map[role] = item.substr(equals + 1);
      }
      for (const auto& item : args.error_group) {
        const size_t equals = item.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == item.size())
          throw BadInput("--error-group: expected NAME=OBS1,OBS2,...; found '" + item + "'");
        std::vector<std::string> members;
        std::stringstream list(item.substr(equals + 1));
        for (std::string member; std::getline(list, member, ',');)
          if (!member.empty()) members.push_back(member);
        const std::string group = item.substr(0, equals);
        if (data_options.error_groups.count(group))
          throw BadInput("--error-group: " + group + " given twice");
        for (const auto& [other, names] : data_options.error_groups)
          for (const auto& member : members)
            if (std::find(names.begin(), names.end(), member) != names.end())
              throw BadInput("--error-group: '" + member + "' is in both " + other + " and " +
                             group);
        data_options.error_groups[group] = members;
      }
      data_options.dose_per_kg = args.dose_per_kg;
      data_options.fixed = fixed;
      data_options.observable_column = args.observable_column;
      data_options.tidy_dose = args.dose;
      data_options.tidy_dose_cmt = args.dose_cmt;
      apply_label(args, &data_options);
      // The data file, read once here (fits takes the table, never a path).
      loaded = fits::load_model_problem(
          args.model, io::CsvTable::read_file(args.data, io::nonmem_dialect()), data_options);
    }
    if (args.per_subject && !loaded.subset_predictor)
      throw BadInput("--per-subject needs a MODEL and data with subject IDs (not --expr)");
    std::string why;
    if (!loaded.problem.IsValid(&why)) throw BadInput(why);

  } catch (const std::exception& error) {
    return report_failure("onset fit", error);
  }
  if (args.per_subject) {
    std::vector<fits::SubjectProblem> subjects;
    fits::PerSubjectSummary per_subject;
    try {
      subjects = fits::split_by_subject(loaded.problem, loaded.subset_predictor);
      fits::SolvePerSubject(options, &subjects, &per_subject);
    } catch (const std::exception& error) {
      return report_failure("onset fit", error);
    }
    if (pk::mpi_rank() != 0)
      return per_subject.not_converged.empty() ? kExitSuccess : kExitAnalysisFailed;
    if (args.format == "json")
      print_per_subject_json(per_subject, loaded.notes);
    else
      print_per_subject_text(per_subject, loaded.notes);
    // The residual table of every subject fitted, in the order of the subjects; the plot: one
    // row of panels per subject and observable (fits/fit_plot.hpp).
    if (!args.residuals.empty()) {
      std::vector<fits::ResidualRow> table;
      for (size_t s = 0; s < subjects.size(); ++s) {
        const fits::SubjectFit& fit = per_subject.subjects[s];
        if (!fit.fitted || fit.summary.predictions.size() != subjects[s].problem.y.size()) continue;
        for (auto& row : fits::residual_table(subjects[s].problem, fit.summary))
          table.push_back(std::move(row));
      }
      try {
        std::ostringstream csv;
        fits::write_residuals_csv(csv, table);
        io::write_file_atomically(args.residuals, csv.str(), input_files(args));
      } catch (const std::exception& error) {  // io::OutputError
        return report_failure("onset fit: --residuals", error);
      }
    }
    if (!args.plot.empty()) {
      try {
        io::write_file_atomically(
            args.plot, fits::draw_per_subject_plot(subjects, per_subject, plot_options(args)),
            input_files(args));
      } catch (const std::exception& error) {  // io::OutputError, io::GnuplotError, nothing fitted
        return report_failure("onset fit: --plot", error);
      }
    }
    return per_subject.not_converged.empty() ? kExitSuccess : kExitAnalysisFailed;
  }
  fits::FitSummary summary;
  try {
    fits::Solve(options, &loaded.problem, &summary);
  } catch (const std::exception& error) {
    return report_failure("onset fit", error);
  }
  // Under mpirun every rank holds the same summary; rank 0 alone prints and writes.
  if (pk::mpi_rank() != 0) return summary.converged() ? kExitSuccess : kExitAnalysisFailed;
  const std::vector<fits::ResidualRow> table = fits::residual_table(loaded.problem, summary);
  if (args.format == "json") {
    print_json(summary, loaded.notes, table);
  } else {
    print_text(summary, loaded.notes);
  }
  if (!args.residuals.empty() && summary.status != fits::FitStatus::kFailed) {
    try {
      std::ostringstream csv;
      fits::write_residuals_csv(csv, table);
      io::write_file_atomically(args.residuals, csv.str(), input_files(args));
    } catch (const std::exception& error) {  // io::OutputError
      std::cerr << "onset fit: --residuals: " << error.what() << "\n";
      return kExitBadInput;
    }
  }
  if (!args.plot.empty() && summary.status != fits::FitStatus::kFailed) {
    try {
      io::write_file_atomically(args.plot,
                                fits::draw_fit_plot(loaded.problem, summary, plot_options(args)),
                                input_files(args));
    } catch (const std::exception& error) {  // io::OutputError, io::GnuplotError
      return report_failure("onset fit: --plot", error);
    }
  }
  return summary.converged() ? kExitSuccess : kExitAnalysisFailed;
}

}  // namespace

void register_fit_command(CLI::App& app) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* command = app.add_subcommand(
      "fit", "Estimate parameters (maximum likelihood) with standard errors, intervals, AIC/BIC");
  command->add_option("model", args->model, "library model name or model file (.yaml)");
  command
      ->add_option("--data", args->data,
                   "NONMEM-style CSV (ID, TIME, EVID, AMT, CMT, DV, MDV, OBS naming the "
                   "observable, BLQ), tidy tracer CSV (time, organ, value, unit, animal), or "
                   "any CSV for --expr")
      ->required();
  command->add_option("--expr", args->expression,
                      "algebraic model, e.g. \"A*exp(-alpha*t)+B*exp(-beta*t)\"");
  command->add_option("--x", args->x_column, "--expr: column of the independent variable");
  command->add_option("--y", args->y_column, "--expr: column of the response");
  command->add_option("--error", args->error, "additive, proportional, combined or lognormal")
      ->capture_default_str();
  command->add_option("--error-for", args->error_by_observable,
                      "error model of one observable: NAME=KIND (repeatable)");
  command->add_option("--start", args->start,
                      "starting value NAME=VALUE (repeatable); with a model, only the "
                      "parameters given a start are estimated");
  command->add_option("--fix", args->fix, "hold NAME=VALUE (repeatable)");
  command->add_option("--estimate", args->estimate,
                      "estimate NAME from the model's value (repeatable); with a model, only "
                      "the parameters given --start or --estimate are estimated");
  command->add_option("--map", args->map,
                      "column mapping ROLE=COLUMN (repeatable): ID, TIME, DV, OBS, UNIT, BLQ, "
                      "N, SD, SEM, DOSE, WT, AMT, EVID, CMT, MDV, ...; e.g. --map ID=Subject "
                      "--map TIME=Time --map DV=conc --map DOSE=Dose --map WT=Wt");
  command->add_option("--error-group", args->error_group,
                      "one error model shared by several observables: NAME=OBS1,OBS2,... "
                      "(repeatable; organ or observable names)");
  command->add_flag("--dose-per-kg", args->dose_per_kg,
                    "observation tables: the dose (--dose or the DOSE column) is per kg of "
                    "body weight, times the WT column (kg)");
  command->add_option("--ci", args->ci, "wald, profile or bootstrap")->capture_default_str();
  command
      ->add_option("--calibration", args->calibration,
                   "Wald and profile intervals: t (small-sample: t quantile with N - p df, "
                   "Satterthwaite df with several observables; F-type profile threshold) or "
                   "asymptotic (normal quantile, chi-square 1 df threshold)")
      ->capture_default_str();
  command->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->add_option("--plot", args->plot,
                      "write per observable: the observations with the model's curve over "
                      "time (units on y), residuals over time and vs predicted, observed vs "
                      "predicted (FILE.svg or FILE.png); with --per-subject a row per subject");
  command->add_flag("--plot-log", args->plot_log,
                    "--plot: observed and predicted on a log y axis (observed vs predicted on "
                    "log-log)");
  command->add_option("--residuals", args->residuals,
                      "write the per-observation table (ID, TIME, OBSERVABLE, ERROR_MODEL, N, DV, "
                      "PRED, RES, WRES) as CSV to FILE (--per-subject: every fitted subject's)");
  command->add_option("--observable-column", args->observable_column,
                      "column naming each DV's observable (default OBS, OBSERVABLE or DVID)");
  command->add_option("--dose", args->dose, "tidy tracer data: dose per animal at time 0 (> 0)")
      ->transform(real_option(above(0)));
  command->add_option("--dose-cmt", args->dose_cmt, "tidy tracer data: dose compartment (1-based)")
      ->transform(count_option(1, static_cast<std::int64_t>(pk::InputLimits::kMaxStates)))
      ->capture_default_str();
  command
      ->add_option("--multistart", args->multistart,
                   "extra starts drawn from each parameter's box [start/10, 10 start]")
      ->transform(
          count_option(0, pk::RunLimits::kMaxMultistart,
                       {std::to_string(pk::RunLimits::kMaxMultistart) + " extra starts per fit",
                        "kMaxMultistart",
                        "use fewer starts: each is a whole fit, and 10-100 starts find "
                        "the global minimum of all but the most multimodal problems"}))
      ->capture_default_str();
  command->add_option("--bootstrap", args->bootstrap, "--ci bootstrap: replicates (>= 10)")
      ->transform(count_option(
          10, pk::RunLimits::kMaxBootstrap,
          {std::to_string(pk::RunLimits::kMaxBootstrap) + " bootstrap replicates per fit",
           "kMaxBootstrap",
           "use fewer replicates: 1,000-2,000 are enough for 95 % "
           "percentile intervals"}))
      ->capture_default_str();
  command->add_option("--seed", args->seed, "seed (multi-start, bootstrap)")
      ->transform(seed_option())
      ->capture_default_str();
  command->add_option("--label", args->label,
                      "tidy tracer data: the label measured (111In, 125I, 99mTc, 64Cu, 89Zr, "
                      "131I, DiR, luciferase; data/tracers/labels.yaml): organs map to label "
                      "observables; none-intact: intact vesicles (ORGAN_pct)");
  command
      ->add_option("--decay-corrected", args->decay_corrected,
                   "yes: values decay-corrected to the dose time (the usual convention); no: "
                   "predictions carry the physical decay of the label")
      ->capture_default_str();
  command->add_flag("--per-subject", args->per_subject,
                    "fit each subject (ID) separately and give the standard two-stage summary "
                    "(not for destructive data: one time point per subject)");
  command
      ->add_option("--threads", args->threads,
                   "worker threads (0: all cores); results do not depend on it")
      ->transform(threads_option());
  add_population_options(command, &args->population);
  command->callback([args, command] {
    args->error_given = command->get_option("--error")->count() > 0;
    const int code = run(*args);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });
}

}  // namespace onset::cli
