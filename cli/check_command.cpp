// onset check CLAIM.yaml: tests the claim's effects against best-case bounds and Monte Carlo
// under literature priors (check/check.hpp), prints the verdict table (or JSON), and writes
// the HTML report.
#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "check/report_html.hpp"
#include "check/report_json.hpp"
#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "io/format.hpp"
#include "io/gnuplot.hpp"
#include "io/output_file.hpp"
#include "pk/distributed.hpp"
#include "pk/user_error.hpp"

namespace onset::cli {

namespace {

struct CheckArgs {
  std::string claim;
  int threads = 0;
  uint64_t seed = 1;
  size_t draws = 10000;
  std::string format = "text";
  std::string report;
  double unlikely_below = 0.05;
  std::string backend = "auto";
  double rtol = check::CheckOptions{}.rtol;
  double atol = check::CheckOptions{}.atol;
  bool whole_model = false;
};

std::string fmt(double v) { return onset::format_number(v, 3); }
std::string fmt_h(const std::optional<double>& v) { return v ? fmt(*v) + " h" : "never"; }

// The tested threshold at the best case, as "< 2.5 mg/dL" (falling) or "> 1.2 mg/dL".
std::string threshold_text(const check::CheckResult& c) { return check::threshold_text(c, 3); }

void print_table(const check::Claim& claim, const check::CheckReport& report, std::ostream& out) {
  // One clock: every time below counts from t = 0, the start of the intervention; a claim whose
  // windows count from a later event says where that event sits on it.
  out << "times from t = 0 (start of the intervention)";
  if (claim.time_origin_h != 0)
    out << "; the claimed windows count from " << claim.time_origin
        << " at t = " << fmt(claim.time_origin_h) << " h and are shown on the same clock";
  out << "\n\n";
  struct Row {
    std::string cells[8];
  };
  std::vector<Row> rows;
  rows.push_back({{"claim", "claimed", "threshold tested", "best case", "median [5%, 95%]",
                   "P(within)", "verdict", "rate-limiting step"}});
  for (const auto& e : report.effects) {
    const check::CheckResult* d = e.deciding();
    Row row;
    row.cells[0] = e.id;
    row.cells[1] = "<= " + fmt(e.claimed_time_h) + " h";
    if (d && d->verdict == check::Verdict::kInconsistent) {
      // No consistent point: no onset, probability or rate-limiting step to show.
      row.cells[2] = threshold_text(*d);
      row.cells[3] = row.cells[4] = row.cells[5] = row.cells[7] = "-";
    } else if (d) {
      row.cells[2] = threshold_text(*d);
      row.cells[3] = fmt_h(d->best_case_onset_h);
      row.cells[4] =
          fmt_h(d->onset_p50_h) + " [" + fmt_h(d->onset_p05_h) + ", " + fmt_h(d->onset_p95_h) + "]";
      row.cells[5] = fmt(d->p_within_claim);
      row.cells[7] = d->elasticities.empty() ? "-" : d->elasticities.front().assumption;
    } else {
      row.cells[2] = row.cells[3] = row.cells[4] = row.cells[5] = "-";
      row.cells[7] = "no model covers this effect";
    }
    row.cells[6] = check::verdict_name(e.verdict);
    rows.push_back(row);
  }
  constexpr int kColumns = 8;
  size_t width[kColumns] = {};
  for (const auto& r : rows) {
    for (int c = 0; c < kColumns; ++c) width[c] = std::max(width[c], r.cells[c].size());
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int c = 0; c < kColumns; ++c) {
      out << std::left << std::setw(static_cast<int>(width[c]) + (c < kColumns - 1 ? 2 : 0))
          << rows[i].cells[c];
    }
    out << "\n";
    if (i == 0) {
      size_t total = 0;
      for (int c = 0; c < kColumns; ++c) total += width[c] + 2;
      out << std::string(total - 2, '-') << "\n";
    }
  }
  out << "\n";
  for (const auto& e : report.effects) {
    out << e.id << ": " << check::verdict_name(e.verdict) << " - " << e.reason << "\n";
    if (const check::CheckResult* d = e.deciding()) {
      for (const auto& r : d->rate_limiting) out << "    " << r << "\n";
      for (const auto& t : d->tipping_points) out << "    tipping point: " << t.text << "\n";
    }
    // Every check of the effect, not only the deciding one (each is a necessary route).
    if (e.checks.size() > 1) {
      for (size_t k = 0; k < e.checks.size(); ++k) {
        const check::CheckResult& c = e.checks[k];
        out << "    check " << k + 1
            << (static_cast<int>(k) == e.deciding_check ? " (decides)" : "") << ": "
            << check::bound_kind_name(c.kind) << ", model " << c.model << ", " << c.observable
            << " " << threshold_text(c) << ": best case " << fmt_h(c.best_case_onset_h) << ", P "
            << fmt(c.p_within_claim) << ", " << check::verdict_name(c.verdict) << "\n";
      }
    }
  }
}

int run(const CheckArgs& args) {
  check::Claim claim;
  try {
    claim = check::load_claim(args.claim);
  } catch (const std::exception& error) {  // ClaimFileError, PriorFileError, no data/ folder
    return report_failure("onset check", error);
  }
  // The report's target and gnuplot are checked before the work: a report that cannot be
  // written is refused at once, not after the Monte Carlo.
  if (!args.report.empty()) {
    try {
      io::check_plot_target(args.report, claim.input_files);
    } catch (const std::exception& error) {  // UserError
      return report_failure("onset check: --report", error);
    }
  }
  check::CheckOptions options;
  options.draws = args.draws;
  options.seed = args.seed;
  options.threads = args.threads;
  options.unlikely_below = args.unlikely_below;
  const std::optional<pk::Backend> backend = pk::parse_backend(args.backend);
  if (!backend) {
    if (pk::mpi_rank() == 0)
      std::cerr << "onset check: --backend " << args.backend
                << ": expected auto, cvodes_bdf, cvodes_adams, odeint_dopri5, "
                   "odeint_rosenbrock4, exact_linear or onset_bdf\n";
    return kExitBadInput;
  }
  options.backend = *backend;
  options.rtol = args.rtol;
  options.atol = args.atol;
  options.whole_model = args.whole_model;
  const bool bar = isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) && pk::mpi_rank() == 0;
  if (bar) {
    options.progress = [](const std::string& what, size_t done, size_t total) {
      const int width = 30;
      const int filled = static_cast<int>(width * done / std::max<size_t>(total, 1));
      std::fprintf(stderr, "\r%-40.40s [%s%s] %zu/%zu", what.c_str(),
                   std::string(static_cast<size_t>(filled), '#').c_str(),
                   std::string(static_cast<size_t>(width - filled), ' ').c_str(), done, total);
      if (done == total) std::fprintf(stderr, "\r%80s\r", "");
      std::fflush(stderr);
    };
  }
  std::string why;
  if (!options.IsValid(&why)) {
    if (pk::mpi_rank() == 0) std::cerr << "onset check: " << why << "\n";
    return kExitBadInput;
  }
  check::CheckReport report;
  try {
    report = check::run_check(claim, options);
  } catch (const std::exception& error) {  // UserError (a model or prior read while checking)
    return report_failure("onset check", error);
  }
  // Under mpirun every rank holds the same report (and meets the same errors, all found
  // before or after the distributed loops); rank 0 alone prints and writes.
  if (pk::mpi_rank() != 0) return kExitSuccess;
  if (args.format == "json") {
    std::cout << check::report_to_json(claim, report).dump(2) << "\n";
  } else {
    print_table(claim, report, std::cout);
  }
  if (!args.report.empty()) {
    try {
      io::write_file_atomically(args.report, check::render_html_report(claim, report),
                                claim.input_files);
    } catch (const std::exception& error) {  // io::OutputError, io::GnuplotError
      return report_failure("onset check: --report", error);
    }
    if (args.format != "json") std::cout << "\nreport written to " << args.report << "\n";
  }
  return kExitSuccess;
}

}  // namespace

void register_check_command(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* command = app.add_subcommand(
      "check",
      "Test a claimed onset time: best case over the priors, Monte Carlo, rate-limiting step, "
      "tipping points, verdict (claim format: check/README.md)");
  command
      ->add_option("claim", args->claim, "claim file (YAML), e.g. data/claims/case-report-4h.yaml")
      ->required();
  command->add_option("--threads", args->threads, "worker threads (0: every core)")
      ->transform(threads_option())
      ->capture_default_str();
  command->add_option("--seed", args->seed, "seed of the scrambled Sobol draws")
      ->transform(seed_option())
      ->capture_default_str();
  command->add_option("--draws", args->draws, "Monte Carlo draws per check")
      ->transform(
          count_option(1, pk::RunLimits::kMaxDraws,
                       {std::to_string(pk::RunLimits::kMaxDraws) + " Monte Carlo draws per check",
                        "kMaxDraws", "use fewer draws: 1e6 give P(within) to about +-0.001"}))
      ->capture_default_str();
  command->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->add_option(
      "--report", args->report,
      "write a self-contained HTML report with plots (needs gnuplot); never over an input");
  command
      ->add_option("--unlikely-below", args->unlikely_below,
                   "P(within claim) below which a reachable claim is 'unlikely'")
      ->transform(real_option(open_range(0, 1)))
      ->capture_default_str();
  command
      ->add_option("--backend", args->backend,
                   "integrator of every simulation: auto, cvodes_bdf, cvodes_adams, "
                   "odeint_dopri5, odeint_rosenbrock4, exact_linear, onset_bdf")
      ->capture_default_str();
  command->add_option("--rtol", args->rtol, "relative tolerance of every simulation, in (0, 1)")
      ->transform(rtol_option())
      ->capture_default_str();
  command
      ->add_option(
          "--atol", args->atol,
          "absolute tolerance of every simulation, > 0, as a fraction of each state's "
          "scale (the largest of its largest dose, max(1, |initial value|) and its peak in a pilot "
          "run at the central values)")
      ->transform(real_option(above(0)))
      ->capture_default_str();
  command->add_flag("--whole-model", args->whole_model,
                    "solve every state of each model, not only those the check's observable "
                    "sees (the same answers, more work; for comparison)");
  command->callback([args] {
    const int code = run(*args);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });
}

}  // namespace onset::cli
