// `onset reference B1|B2|B3`: solves one of the reference problems of
// shared/benchmarks/README.md, prints a summary (the problem's quantities of interest, the
// achieved accuracy against its exact or published solution, solver statistics) and writes
// the trajectory as CSV. Used by scripts/demo and as a quick health check of a build.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "io/output_file.hpp"
#include "models/reference_problems.hpp"
#include "pk/simulate.hpp"

namespace onset::cli {

namespace {

struct ReferenceArgs {
  std::string problem;
  std::string backend = "auto";
  double rtol = 0;          // 0: the problem's own
  double tol_factor = 1.0;  // scales rtol and atol together
  std::string csv;
  std::string format = "text";
};

nlohmann::json summarise(const std::string& problem, const pk::Trajectory& traj) {
  nlohmann::json out;
  if (problem == "B1") {
    double worst = 0;
    for (size_t k = 0; k < traj.num_times(); ++k) {
      const double t = traj.times_h[k];
      if (t <= 0) continue;
      const double exact = models::b1_exact_concentration(t);
      worst = std::max(worst, std::fabs(traj.observable(k, 0) - exact) / exact);
    }
    out["C_24.5_mg_per_L"] = traj.observable(49, 0);
    out["C_168_mg_per_L"] = traj.observable(traj.num_times() - 1, 0);
    out["max_rel_error_vs_exact"] = worst;
  } else if (problem == "B2") {
    double min_t = INFINITY, min_r = INFINITY, mass = 0;
    for (size_t k = 0; k < traj.num_times(); ++k) {
      min_t = std::min(min_t, traj.state(k, models::EvCascadeB2::kT));
      min_r = std::min(min_r, traj.state(k, models::EvCascadeB2::kR));
      const double infused = 1e13 * std::min(traj.times_h[k], 1.0);
      mass = std::max(mass, std::fabs(traj.observable(k, 5) - infused) / 1e13);
    }
    const auto& crossing = traj.crossings.at(0);
    out["t_F090_h"] = crossing.time_h ? nlohmann::json(*crossing.time_h) : nlohmann::json();
    out["min_T"] = min_t;
    out["min_R"] = min_r;
    out["F_672"] = traj.state(traj.num_times() - 1, models::EvCascadeB2::kF);
    out["mass_balance_rel_error"] = mass;
  } else {
    double worst = 0;
    nlohmann::json y_end = nlohmann::json::array();
    for (size_t i = 0; i < 8; ++i) {
      const double value = traj.state(traj.num_times() - 1, i);
      y_end.push_back(value);
      worst = std::max(worst, std::fabs(value - models::kHiresReference[i]) /
                                  std::fabs(models::kHiresReference[i]));
    }
    out["y_end"] = y_end;
    out["max_rel_error_vs_published"] = worst;
  }
  return out;
}

int run(const ReferenceArgs& args) {
  std::string problem = args.problem;
  for (char& ch : problem) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  models::ReferenceCase reference;
  try {
    reference = models::make_reference_case(problem);
  } catch (const std::exception& error) {
    return report_failure("onset reference", error);
  }
  const auto backend = pk::parse_backend(args.backend);
  if (!backend) {
    std::cerr << "onset reference: unknown backend '" << args.backend
              << "'; expected auto, cvodes_bdf, cvodes_adams, odeint_dopri5, "
                 "odeint_rosenbrock4, exact_linear or onset_bdf\n";
    return kExitBadInput;
  }
  if (!args.csv.empty()) {  // refused before the work
    try {
      io::check_output_target(args.csv);
    } catch (const std::exception& error) {  // UserError
      return report_failure("onset reference", error);
    }
  }
  pk::SolverOptions options = reference.options;
  options.backend = *backend;
  if (args.rtol > 0) options.rtol = args.rtol;
  options.rtol *= args.tol_factor;
  options.atol *= args.tol_factor;
  for (double& value : options.atol_per_state) value *= args.tol_factor;

  pk::Trajectory traj;
  double seconds = 0;
  try {
    pk::Simulator simulator(*reference.model, options);
    const auto params = reference.model->default_parameters();
    const auto start = std::chrono::steady_clock::now();
    simulator.run(reference.regimen, params, reference.request, &traj);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } catch (const std::exception& error) {
    return report_failure("onset reference", error);
  }
  if (!traj.ok()) {
    std::cerr << "onset reference: " << problem << " failed: " << traj.message << '\n';
    return kExitAnalysisFailed;
  }
  nlohmann::json out = summarise(problem, traj);
  out["problem"] = problem;
  out["backend_used"] = std::string(pk::backend_name(traj.backend_used));
  if (!traj.backend_reason.empty()) out["backend_reason"] = traj.backend_reason;
  out["rtol"] = options.rtol;
  out["steps"] = traj.stats.steps;
  out["rhs_evals"] = traj.stats.rhs_evals;
  out["jacobian_evals"] = traj.stats.jacobian_evals;
  out["linear_setups"] = traj.stats.linear_setups;
  out["pieces"] = traj.stats.restarts;
  out["outputs"] = traj.num_times();
  out["wall_ms_one_solve"] = seconds * 1e3;
  if (!args.csv.empty()) {
    try {
      io::write_file_atomically(args.csv,
                                [&](std::ostream& stream) { pk::write_csv(traj, stream); });
    } catch (const std::exception& error) {
      return report_failure("onset reference", error);
    }
    out["csv"] = args.csv;
  }
  if (args.format == "json") {
    std::cout << out.dump(2) << '\n';
  } else {
    std::cout << "reference problem " << problem << " (shared/benchmarks/README.md)\n";
    for (const auto& [key, value] : out.items())
      if (key != "problem") std::cout << "  " << key << ": " << value.dump() << '\n';
  }
  return kExitSuccess;
}

}  // namespace

void register_reference_command(CLI::App& app) {
  auto args = std::make_shared<ReferenceArgs>();
  CLI::App* command = app.add_subcommand(
      "reference", "Solve a reference problem (B1, B2, B3) and report its accuracy");
  command->add_option("problem", args->problem, "B1, B2 or B3")->required();
  command
      ->add_option("--backend", args->backend,
                   "auto, cvodes_bdf, cvodes_adams, odeint_dopri5, odeint_rosenbrock4, "
                   "exact_linear, onset_bdf")
      ->capture_default_str();
  command
      ->add_option("--rtol", args->rtol,
                   "relative tolerance, in (0, 1) (default: the problem's, 1e-8)")
      ->transform(rtol_option());
  command
      ->add_option("--tol-factor", args->tol_factor,
                   "scale rtol and atol together by this factor (> 0)")
      ->transform(real_option(above(0)))
      ->capture_default_str();
  command->add_option("--csv", args->csv, "write the trajectory to this CSV file");
  command->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->callback([args] {
    const int code = run(*args);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });
}

}  // namespace onset::cli
