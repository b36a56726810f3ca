// `onset fit MODEL --data FILE.csv [--error additive|proportional|combined|lognormal]
//  [--start NAME=VALUE ...] [--fix NAME=VALUE ...] [--ci wald|profile|bootstrap]
//  [--format text|json] [--plot FILE]`, and
// `onset fit --expr "EXPR" --x COL --y COL --data FILE.csv --start NAME=VALUE ...`.
// The estimation engine is fits/fit.hpp; data loading fits/fit_data.hpp; the plot
// fits/fit_plot.hpp (gnuplot).
//
// Exit codes: 0 converged; 1 the fit did not converge (estimates still printed, status in
// words); 2 bad input (model, data, expression, option), with file:line:column where there is one.
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "fits/expression.hpp"
#include "fits/fit.hpp"
#include "fits/fit_data.hpp"
#include "fits/fit_plot.hpp"
#include "pk/distributed.hpp"
#include "pk/format.hpp"

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
  std::string format = "text";
  std::string plot;
  std::string observable_column;
  double dose = 0;
  int dose_cmt = 1;
  int multistart = 0;
  int bootstrap = 200;
  unsigned long long seed = 20240607;
  int threads = 0;
};

struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::map<std::string, double> parse_assignments(const std::vector<std::string>& items,
                                                const std::string& option) {
  std::map<std::string, double> values;
  for (const auto& item : items) {
    const size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0)
      throw BadInput(option + ": expected NAME=VALUE, found '" + item + "'");
    const std::string text = item.substr(equals + 1);
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (text.empty() || used != text.size() || !std::isfinite(value))
      throw BadInput(option + " " + item.substr(0, equals) + ": expected a number, found '" + text +
                     "'");
    values[item.substr(0, equals)] = value;
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

void print_json(const fits::FitSummary& summary, const std::vector<std::string>& notes) {
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
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& block : summary.blocks) {
    nlohmann::json b = {{"observable", block.name},
                        {"error", std::string(fits::error_kind_name(block.error))},
                        {"n", block.n},
                        {"sigma", number_or_null(block.sigma)}};
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
                           {"fixed", p.fixed},
                           {"unit", p.unit}};
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
    std::cout << "error " << block.name << ": " << fits::error_kind_name(block.error) << ", sigma "
              << format_number(block.sigma);
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

int run(const FitArgs& args) {
  fits::LoadedProblem loaded;
  fits::FitOptions options;
  try {
    const auto start = parse_assignments(args.start, "--start");
    const auto fixed = parse_assignments(args.fix, "--fix");
    const fits::ErrorKind error = parse_error(args.error);
    const auto ci = fits::parse_interval_method(args.ci);
    if (!ci) throw BadInput("--ci: expected wald, profile or bootstrap; found '" + args.ci + "'");
    options.intervals = *ci;
    options.multistart = args.multistart;
    options.bootstrap_replicates = args.bootstrap;
    options.seed = args.seed;
    options.threads = args.threads;
    if (!args.expression.empty()) {
      if (!args.model.empty()) throw BadInput("give either MODEL or --expr, not both");
      if (args.x_column.empty() || args.y_column.empty())
        throw BadInput("--expr needs --x COL and --y COL");
      try {
        loaded = fits::load_expression_problem(args.expression, args.x_column, args.y_column,
                                               args.data, error, start, fixed);
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
      data_options.start = start;
      data_options.fixed = fixed;
      data_options.observable_column = args.observable_column;
      data_options.tidy_dose = args.dose;
      data_options.tidy_dose_cmt = args.dose_cmt;
      loaded = fits::load_model_problem(args.model, args.data, data_options);
    }
    std::string why;
    if (!loaded.problem.IsValid(&why)) throw BadInput(why);
  } catch (const std::exception& error) {
    std::cerr << "onset fit: " << error.what() << "\n";
    return kExitBadInput;
  }
  fits::FitSummary summary;
  try {
    fits::Solve(options, &loaded.problem, &summary);
  } catch (const std::exception& error) {
    std::cerr << "onset fit: " << error.what() << "\n";
    return kExitBadInput;
  }
  // Under mpirun every rank holds the same summary; rank 0 alone prints and writes.
  if (pk::mpi_rank() != 0) return summary.converged() ? kExitSuccess : kExitAnalysisFailed;
  if (args.format == "json") {
    print_json(summary, loaded.notes);
  } else {
    print_text(summary, loaded.notes);
  }
  if (!args.plot.empty() && summary.status != fits::FitStatus::kFailed) {
    try {
      fits::write_fit_plot(loaded.problem, summary, args.plot);
    } catch (const std::exception& error) {
      std::cerr << "onset fit: --plot " << args.plot << ": " << error.what() << "\n";
      return kExitAnalysisFailed;
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
  command->add_option("--ci", args->ci, "wald, profile or bootstrap")->capture_default_str();
  command->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->add_option("--plot", args->plot,
                      "write observed vs predicted and residual plots (FILE.svg or FILE.png)");
  command->add_option("--observable-column", args->observable_column,
                      "column naming each DV's observable (default OBS, OBSERVABLE or DVID)");
  command->add_option("--dose", args->dose, "tidy tracer data: dose per animal at time 0");
  command->add_option("--dose-cmt", args->dose_cmt, "tidy tracer data: dose compartment (1-based)")
      ->capture_default_str();
  command
      ->add_option("--multistart", args->multistart,
                   "extra starts drawn from each parameter's box [start/10, 10 start]")
      ->capture_default_str();
  command->add_option("--bootstrap", args->bootstrap, "--ci bootstrap: replicates")
      ->capture_default_str();
  command->add_option("--seed", args->seed, "seed (multi-start, bootstrap)")->capture_default_str();
  command->add_option("--threads", args->threads,
                      "worker threads (0: all cores); results do not depend on it");
  command->callback([args] {
    const int code = run(*args);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });
}

}  // namespace onset::cli
