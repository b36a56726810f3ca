// The demo's main job timed: `onset check data/claims/case-report-4h.yaml` with 10,000 draws
// per effect (target: < 10 s on 2 cores), and Monte Carlo draws per second per model.
//   build/bin/onset_check_bench [CLAIM.yaml] [--draws N] [--threads N] [--rtol X] [--atol X]
//                               [--whole-model] [--stages-only] [--staged] [--no-remember]
// (--stages-only: the whole check and its stages' simulations and seconds, not the per-model
// draws/s; --staged, --no-remember: CheckOptions::interleave_stages, remember_points false.)
// (--rtol/--atol as `onset check`'s: e.g. --rtol 1e-8 --atol 1e-6 puts the B4 claim at the
// tolerances of the C++ B4 loop, models/reference_problems.cpp's B2 settings.)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "check/check.hpp"
#include "check/claim.hpp"
#include "io/data_dir.hpp"

int main(int argc, char** argv) {
  std::string claim_file = (onset::io::data_dir() / "claims" / "case-report-4h.yaml").string();
  onset::check::CheckOptions options;
  bool stages_only = false;  // the whole check and its stages, not the per-model draws/s
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--draws" && i + 1 < argc) {
      options.draws = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--threads" && i + 1 < argc) {
      options.threads = std::atoi(argv[++i]);
    } else if (a == "--rtol" && i + 1 < argc) {
      options.rtol = std::strtod(argv[++i], nullptr);
    } else if (a == "--atol" && i + 1 < argc) {
      options.atol = std::strtod(argv[++i], nullptr);
    } else if (a == "--whole-model") {
      options.whole_model = true;
    } else if (a == "--stages-only") {
      stages_only = true;
    } else if (a == "--staged") {
      options.interleave_stages = false;
    } else if (a == "--no-remember") {
      options.remember_points = false;
    } else {
      claim_file = a;
    }
  }
  const auto claim = onset::check::load_claim(claim_file);
  const auto start = std::chrono::steady_clock::now();
  const auto report = onset::check::run_check(claim, options);
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("claim %s: %zu draws per check, %d threads: whole check %.2f s\n", claim.id.c_str(),
              options.draws, options.threads, total);
  // Each check's stages: simulations and seconds (summed over the threads that ran them).
  std::printf("  %-18s %-26s %-26s %s\n", "check", "Monte Carlo (sims, s)",
              "best case (sims: search: its first steps)", "tipping points (sims, s each)");
  for (const auto& effect : report.effects) {
    for (const auto& c : effect.checks) {
      const auto& w = c.work;
      std::printf("  %-18s %6ld %6.2f s       %5ld (%5ld: %4ld first) %6.2f s    ",
                  effect.id.c_str(), w.monte_carlo, w.monte_carlo_s, w.best_case,
                  w.best_case_search, w.best_case_explore, w.best_case_s);
      for (size_t k = 0; k < w.tipping_points.size(); ++k)
        std::printf(" %ld %.2f s", w.tipping_points[k], w.tipping_points_s[k]);
      std::printf("\n");
    }
  }
  // Busy time of the threads (every stage's seconds, summed) against threads x wall: the rest
  // is waiting (for the last block of draws or the last search) and set-up (models, pilots).
  double busy = 0;
  for (const auto& effect : report.effects)
    for (const auto& c : effect.checks) {
      busy += c.work.monte_carlo_s + c.work.best_case_s;
      for (const double t : c.work.tipping_points_s) busy += t;
    }
  const int threads = options.threads > 0 ? options.threads : 1;
  std::printf("  threads busy %.2f s of %d x %.2f s (%.0f %%)\n", busy, threads, total,
              100 * busy / (threads * total));
  if (stages_only) return 0;
  // Draws per second per model: the Monte Carlo part alone, one check at a time.
  for (const auto& effect : claim.effects) {
    if (effect.checks.empty()) continue;
    onset::check::Claim one = claim;
    one.effects = {effect};
    onset::check::CheckOptions mc = options;
    const auto t0 = std::chrono::steady_clock::now();
    onset::check::run_check(one, mc);
    const double with_mc =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    mc.draws = 1;
    const auto t1 = std::chrono::steady_clock::now();
    onset::check::run_check(one, mc);
    const double without =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    const double mc_seconds = std::max(with_mc - without, 1e-9);
    std::printf("  %-18s model %-45s %.2f s (search+tipping %.2f s), %.0f draws/s\n",
                effect.id.c_str(),
                effect.checks[0].model.substr(effect.checks[0].model.rfind('/') + 1).c_str(),
                with_mc, without, static_cast<double>(options.draws - 1) / mc_seconds);
  }
  return 0;
}
