#include "cli/nca_command.hpp"

#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "io/csv.hpp"
#include "io/interrupt.hpp"
#include "io/output_file.hpp"
#include "nca/dataset.hpp"
#include "nca/input_error.hpp"
#include "nca/nca.hpp"
#include "nca/options.hpp"
#include "nca/report.hpp"
#include "nca/sparse.hpp"

namespace onset::cli {
namespace {

// The command's options, bound straight into the library's settings (nca/options.hpp) and
// column choices (nca/dataset.hpp): the api (api/onset_api.cpp) fills the same structs from
// its request, so no option is copied field by field here.
struct NcaArgs {
  std::string file;
  nca::NcaSettings settings;
  nca::DatasetOptions dataset;
  std::vector<std::string> intervals;  // START,END texts, read into settings.intervals
  bool sparse = false;
  std::string format = "text";
  std::string output;
  double confidence = 0.95;
};

[[noreturn]] void bad_input(const std::string& message) {
  std::cerr << "onset nca: " << message << '\n';
  throw CLI::RuntimeError(kExitBadInput);
}

nca::PartialAucInterval parse_interval(const std::string& text) {
  const auto comma = text.find(',');
  if (comma != std::string::npos) {  // finite numbers only: no nan, no inf
    const auto start = pk::parse_finite_number(text.substr(0, comma));
    const auto end = pk::parse_finite_number(text.substr(comma + 1));
    if (start && end) return {*start, *end};
  }
  bad_input("--interval '" + text + "': expected START,END in the data's time unit, e.g. 0,24");
}

nca::NcaOptions build_options(const NcaArgs& args) {
  nca::NcaSettings settings = args.settings;
  for (const auto& interval : args.intervals) {
    const nca::PartialAucInterval range = parse_interval(interval);
    settings.intervals.emplace_back(range.start, range.end);
  }
  try {
    return nca::nca_options(settings, nca::NcaSettingNames::command_line());
  } catch (const UserError& error) {
    bad_input(error.what());
  }
}

void run(const NcaArgs& args) {
  if (!args.sparse && args.dataset.columns.subject.empty()) {
    bad_input("--subject is required (it is optional only with --sparse)");
  }
  const nca::NcaOptions options = build_options(args);
  const nca::ReportFormat format = *nca::parse_report_format(args.format);
  if (!args.output.empty()) {  // refused before the work
    try {
      io::check_output_target(args.output, {args.file});
    } catch (const UserError& error) {
      bad_input(error.what());
    }
  }

  const nca::DatasetOptions& dataset = args.dataset;

  std::function<void(std::ostream&)> write;
  bool any_analysed = false;
  try {
    const io::CsvTable table = io::CsvTable::read_file(args.file);
    if (args.sparse) {
      nca::SparseOptions sparse;
      sparse.nca = options;
      sparse.confidence_level = args.confidence;
      std::string why;
      if (!sparse.IsValid(&why)) bad_input(why);
      auto results = std::make_shared<std::vector<nca::SparseGroupResult>>(
          nca::run_sparse_nca(nca::read_sparse_observations(table, dataset), sparse));
      for (const auto& result : *results) any_analysed |= !result.mean_profile.excluded;
      write = [results, sparse, format](std::ostream& out) {
        nca::write_sparse_report(out, *results, sparse, format);
      };
    } else {
      auto results = std::make_shared<std::vector<nca::NcaResult>>();
      // Ctrl-C: stop between subjects and inside a long one's lambda_z search; write nothing.
      const io::InterruptScope interruptible;
      nca::NcaOptions interruptible_options = options;
      interruptible_options.cancelled = [] { return io::interrupt_requested(); };
      try {
        for (const nca::Profile& profile : nca::read_profiles(table, dataset)) {
          if (io::interrupt_requested())
            throw CLI::RuntimeError(io::report_interrupted("onset nca"));
          results->push_back(nca::run_nca(profile, interruptible_options));
          any_analysed |= !results->back().excluded;
        }
      } catch (const nca::NcaCancelled&) {
        throw CLI::RuntimeError(io::report_interrupted("onset nca"));
      }
      write = [results, options, format](std::ostream& out) {
        nca::write_nca_report(out, *results, options, format);
      };
    }
  } catch (const nca::InputError& error) {
    bad_input(error.what());
  }

  if (io::interrupt_requested()) throw CLI::RuntimeError(io::report_interrupted("onset nca"));
  if (args.output.empty()) {
    write(std::cout);
    std::cout.flush();
  } else {
    try {
      io::write_file_atomically(args.output, write, {args.file});
    } catch (const std::exception& error) {  // io::OutputError: cannot (or must not) be written
      throw CLI::RuntimeError(report_failure("onset nca", error));
    }
  }
  if (!any_analysed) {
    std::cerr << "onset nca: no subject could be analysed (see the exclusion reasons)\n";
    throw CLI::RuntimeError(kExitAnalysisFailed);
  }
}

}  // namespace

void register_nca_command(CLI::App& app) {
  auto args = std::make_shared<NcaArgs>();
  CLI::App* cmd = app.add_subcommand(
      "nca",
      "Non-compartmental analysis (CMAX, AUC, LAMZ, CL, V, MRT; CDISC PPTESTCD names) of a CSV "
      "file, per subject, or per group of a sparse (destructive) design with Bailer's SE");
  cmd->add_option("file", args->file, "CSV file with a header line")->required();
  cmd->add_option("--subject", args->dataset.columns.subject,
                  "subject/animal column (optional with --sparse: then only used to find "
                  "animals sampled more than once)");
  cmd->add_option("--time", args->dataset.columns.time, "time-after-dose column")->required();
  cmd->add_option("--conc", args->dataset.columns.concentration,
                  "concentration column (empty/./NA = missing; BLQ or <x = below LLOQ)")
      ->required();
  auto* dose =
      cmd->add_option("--dose", args->dataset.dose, "dose for every subject (--dose-unit), > 0")
          ->transform(real_option(above(0)));
  auto* dose_column = cmd->add_option("--dose-col", args->dataset.columns.dose,
                                      "per-subject dose column (--dose-unit)");
  dose->excludes(dose_column);
  cmd->add_option("--route", args->settings.route, "route of administration")
      ->required()
      ->check(CLI::IsMember({"bolus", "infusion", "extravascular"}));
  cmd->add_option("--duration", args->settings.duration,
                  "infusion duration (--time-unit); needed for "
                  "--route infusion")
      ->transform(real_option(at_least(0)));
  cmd->add_option("--auc", args->settings.auc,
                  "trapezoid rule: linear; linear-up-log-down (log for every decline); "
                  "linear-log (log for declines after Tmax)")
      ->check(CLI::IsMember({"linear", "linear-log", "linear-up-log-down"}))
      ->capture_default_str();
  cmd->add_flag("--tissue", args->settings.tissue,
                "tissue (organ) samples: the curve starts at 0 at dose time whatever the route "
                "(no C0 back-extrapolation), no CL or V");
  cmd->add_flag("--sparse", args->sparse,
                "sparse/destructive design: NCA of the mean profile per group, AUC SE by "
                "Bailer's method and Nedelman-Jia");
  cmd->add_option("--format", args->format, "output format")
      ->check(CLI::IsMember({"text", "json", "csv"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output,
                  "write the report to this file (atomically) instead of stdout");
  cmd->add_option("--blq", args->settings.blq,
                  "BLQ rule: zero-before-tmax (0 before Tmax, dropped after), zero, missing")
      ->check(CLI::IsMember({"zero-before-tmax", "zero", "missing"}))
      ->capture_default_str();
  auto* lloq = cmd->add_option("--lloq", args->dataset.lloq,
                               "lower limit of quantification for every row (--conc-unit)")
                   ->transform(real_option(at_least(0)));
  cmd->add_option("--lloq-col", args->dataset.columns.lloq,
                  "per-row LLOQ column; an empty cell falls back to --lloq");
  (void)lloq;
  cmd->add_option("--group", args->dataset.columns.group,
                  "group column (organ, analyte): one analysis per group");
  cmd->add_option("--time-unit", args->settings.time_unit, "unit of the time column")
      ->capture_default_str();
  cmd->add_option("--conc-unit", args->settings.conc_unit, "unit of the concentration column")
      ->capture_default_str();
  cmd->add_option("--dose-unit", args->settings.dose_unit, "unit of the dose")
      ->capture_default_str();
  cmd->add_option("--out-time-unit", args->settings.output_time_unit,
                  "time unit of the results (default: --time-unit)");
  cmd->add_option("--out-conc-unit", args->settings.output_conc_unit,
                  "concentration unit of the results (default: --conc-unit)");
  cmd->add_option("--volume-unit", args->settings.volume_unit, "volume unit of CL and V")
      ->capture_default_str();
  cmd->add_option("--interval", args->intervals,
                  "partial AUC over START,END (data time unit); repeat for several");
  auto* lz_start = cmd->add_option("--lambdaz-start", args->settings.lambda_z_start,
                                   "manual terminal phase: first time included")
                       ->transform(real_option(any_finite()));
  auto* lz_end = cmd->add_option("--lambdaz-end", args->settings.lambda_z_end,
                                 "manual terminal phase: last time included")
                     ->transform(real_option(any_finite()));
  // Two points define the log-linear line (nca/lambda_z.hpp); fewer cannot.
  auto* lz_points =
      cmd->add_option("--lambdaz-points", args->settings.lambda_z_points,
                      "manual terminal phase: the last N positive points (N >= 2)")
          ->transform(count_option(2, static_cast<std::int64_t>(pk::InputLimits::kMaxRecords)));
  lz_points->excludes(lz_start);
  lz_points->excludes(lz_end);
  cmd->add_option("--max-extrapolation", args->settings.max_extrapolated,
                  "exclude AUCIFO-based results when AUCPEO exceeds this percentage")
      ->transform(real_option(closed_range(0, 100)))
      ->capture_default_str();
  cmd->add_option("--min-r2adj", args->settings.min_r2adj,
                  "exclude lambda_z-based results when the adjusted R2 is below this (0: off)")
      ->transform(real_option(closed_range(0, 1)))
      ->capture_default_str();
  cmd->add_option("--conf-level", args->confidence, "confidence level of the sparse AUC intervals")
      ->transform(real_option(open_range(0, 1)))
      ->capture_default_str();
  cmd->callback([args]() { run(*args); });
}

}  // namespace onset::cli
