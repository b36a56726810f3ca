// `onset check`: a Claim (what), CheckOptions (how), CheckReport (what happened).
//
// For every check of every claimed effect (check/claim.hpp):
//  - Best case: the earliest onset over the box of every assumption (a prior's [low, high]).
//    Each assumption is first scanned on five points with the others at their centre; where
//    the onset time is monotone in it, it goes to its better end (corner search). The others
//    are searched by NLopt's DIRECT-L (a deterministic global optimiser), then every
//    coordinate is polished by BOBYQA, then the corners are revisited one assumption at a
//    time until no flip helps. A draw that never reaches the threshold within the horizon
//    scores horizon x (1 + relative gap to the threshold), so the search still has a slope.
//  - Monte Carlo: `draws` points of a scrambled Sobol sequence (Joe and Kuo direction numbers,
//    Boost.Random; scrambled by a digital shift drawn from the seed), mapped through each
//    prior's inverse CDF; draw i depends only on (seed, i), and draws run in parallel over
//    `threads` workers, so the answer is the same for any thread count. run_check runs the
//    stages of all checks of a claim as one pool of tasks over the workers: the first steps of
//    every best-case search (scan, corners, DIRECT-L: they do not need the draws) at once,
//    blocks of Monte Carlo draws around them (the costliest check's first), a check's
//    remaining search (local searches from its earliest draws) and elasticities when its draws
//    and first steps have ended, then its tipping points. Each search task runs on its own
//    evaluator, so no number depends on the thread count or on which worker ran what (the
//    JSON is byte-identical for any --threads; under MPI each check's draws run first, in
//    claim order, with the same JSON). A search simulates a point it has seen before only
//    once (CheckOptions::remember_points); CheckResult::work counts each stage's simulations.
//    P(onset <= claimed time) with a 95 % Wilson interval; onset quantiles (exact, from one
//    number per draw, up to `exact_onset_draws` = 2^22 draws; above, from a bottom-k sample
//    of `onset_sample` = 65,536 onset times, pk/quantile_sketch.hpp). Trajectory bands (5/50/95 %)
//    come from the first `band_draws` draws, through per-grid-point sketches of 4,096 values (exact
//    below that). Each worker folds its draws into its own fixed-size summary as they finish;
//    the workers' and then the MPI ranks' summaries are merged, so memory does not grow with
//    the draws (beyond the onset times).
//  - Elasticities d ln t / d ln p at the best case and at the median draw (central
//    differences, +-2 % in p; at a best case on an active reported baseline, of the best case
//    kept on it, Elasticity::kept_on_baseline); the rate-limiting step is the assumption with the
//    largest |elasticity|, and the longest time constant on the path is the slowest time-like
//    assumption (a time, half-life or rate) that moves the onset (|elasticity| >= 0.05).
//  - Tipping points: for the `tipping_points` assumptions with the largest |elasticity|, the
//    value at which the best-case onset equals the claimed time (the others re-optimised), by
//    bracketing outward from the best case and narrowing the bracket to 1e-5 relative (a
//    point within the claimed time decides its side at once; check/README.md); null when no
//    value within 1e-4..1e4 times the prior's range flips it. A best case that misses the
//    claim tries no value inside the prior range (none can reach what the whole box misses).
//  - Verdict (check/README.md): implausible if even the best case misses the claimed time;
//    unlikely if the best case reaches it but P(onset <= claimed) < unlikely_below;
//    plausible otherwise; not_assessable when no model covers the effect. An effect with
//    several checks takes the most severe verdict (each check is a necessary route).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "check/claim.hpp"
#include "pk/solver_options.hpp"

namespace onset::check {

enum class Verdict { kImplausible, kUnlikely, kPlausible, kNotAssessable, kInconsistent };
std::string verdict_name(Verdict verdict);

struct CheckOptions {
  // Monte Carlo draws per check. 10,000 gives P to about +-0.01 at P = 0.5 (binomial bound;
  // Sobol points usually do better). Lower it for quick looks; raise it for small P.
  size_t draws = 10000;
  // Seed of the Sobol scrambling; the same seed gives the same report for any thread count.
  uint64_t seed = 1;
  // Workers for the Monte Carlo draws; 0: every core.
  int threads = 0;
  // P(onset <= claimed) below this makes a reachable claim `unlikely`.
  double unlikely_below = 0.05;
  // Draws (the first ones of the sequence) whose trajectories make the 5-95 % bands.
  size_t band_draws = 1024;
  // Most consecutive draws a worker takes at a time (fewer when draws / (8 x threads) is
  // smaller); each draw is folded at once into the worker's fixed-size partial summary. Small
  // blocks keep every worker busy to the end; the answer does not depend on it.
  size_t chunk_draws = 16;
  // Up to this many draws, onset quantiles are exact (one onset time per draw is kept);
  // above, they come from a bottom-k sample of `onset_sample` onset times (rank standard
  // error of a p-quantile sqrt(p (1 - p) / onset_sample): 0.20 percentile points at the
  // median for 65,536), so memory stays fixed for 1e7 draws and more.
  size_t exact_onset_draws = size_t{1} << 22;
  size_t onset_sample = size_t{1} << 16;
  // Points of the time grid of trajectories (bands, best case, median) from 0 to the plot end.
  int grid_points = 81;
  // Evaluation budget of the global best-case search (DIRECT-L), per check.
  int best_case_evaluations = 600;
  // Assumptions examined for tipping points (largest |elasticity| first).
  int tipping_points = 3;
  // Integrator of every simulation of the check (`onset check --backend`), and its tolerances
  // (`--rtol`, `--atol`): relative, in (0, 1), and absolute as a fraction of each state's
  // scale (the largest of: the largest dose in that state's unit, max(1, |initial value|),
  // and the state's peak |value| in a pilot run at the assumptions' central values), so that
  // 1e13-particle states are not solved to 1e-12 particles, nor 1e12 miRNA copies made from
  // them to 1e-9 copies; > 0.
  pk::Backend backend = pk::Backend::kAuto;
  double rtol = 1e-6;
  double atol = 1e-9;
  // Solve every state of each model (`onset check --whole-model`), not only the states the
  // check's observable sees (pk/observed_subsystem.hpp): the same answers, more work; for
  // comparison.
  bool whole_model = false;
  // Searches (best case, elasticities, tipping points) simulate a point they have seen before
  // only once, and use its remembered outcome after (the same outcome: a simulation is
  // deterministic). false: every evaluation is simulated; the same report with more
  // simulations, for comparison.
  bool remember_points = true;
  // Run the stages of all checks as one pool of tasks (run_check): the searches' first steps
  // and the Monte Carlo draws of every check side by side. false: each check's Monte Carlo over
  // every thread, one check after another, then the searches (as under MPI, where the ranks
  // merge each Monte Carlo in turn); the same report, for comparison.
  bool interleave_stages = true;
  // Called from worker 0 now and then with (draws done, draws total) of the current check;
  // for a progress bar. May be empty.
  std::function<void(const std::string& what, size_t done, size_t total)> progress;

  bool IsValid(std::string* why) const;
};

struct Elasticity {
  std::string assumption;
  double at_best_case = 0;  // d ln t / d ln p (per_range: d ln t / d(p / (high - low)))
  std::optional<double> at_median;
  bool per_range = false;  // the value is 0 at the best case: slope per prior range instead
  // The best case starts on the reported baseline (the constraint active) and at_best_case is
  // the slope of the best case kept on it: a step that moved the start was brought back onto
  // the reported level by another assumption (check/README.md, "Elasticities").
  bool kept_on_baseline = false;
};

struct TippingPoint {
  std::string assumption;
  std::string description;
  std::optional<double> value;  // the flip value; empty: none within 1e-4..1e4 x the range
  double best_case_value = 0;   // the assumption's value in the best case
  double prior_low = 0;
  double prior_high = 0;
  std::string unit;
  bool inside_prior_range = false;
  std::string direction;  // "below" / "above": the side on which the best case changes
  std::string source;     // what the prior rests on
  std::string text;       // the sentence for the report
};

struct BoundAssumption {
  std::string assumption;
  std::string side;  // "low" or "high"
  double value = 0;
  std::string unit;
};

struct Band {
  std::string observable;
  std::string unit;
  std::vector<double> times_h;
  std::vector<double> p05, p50, p95;  // over the band draws
  std::vector<double> best_case;      // trajectory of the best case
  std::vector<double> median_draw;    // trajectory of the median-onset draw (empty if never)
  double threshold_best = 0;          // threshold in the best case
  double threshold_central = 0;       // threshold at the assumptions' central values
};

struct CheckResult {
  BoundKind kind = BoundKind::kMechanismFree;
  std::string description;
  std::string model;
  std::string observable;
  std::string direction;  // "falls_below" / "rises_above"
  Verdict verdict = Verdict::kNotAssessable;
  std::string verdict_reason;  // in words
  std::optional<double> best_case_onset_h;
  std::vector<double> best_case_values;  // per assumption used (order of `assumptions`)
  // The best-case search: simulations it ran, whether its last local search converged (when
  // not, the verdict text says so), and the constraint active at the best case ("" if none:
  // "the reported baseline" when the best case sits on it).
  long best_case_evaluations = 0;
  bool best_case_converged = true;
  std::string active_constraint;
  // The earliest onset of any Monte Carlo draw (empty: none reached); never earlier than the
  // best case, since the search starts local searches from the earliest draws.
  std::optional<double> earliest_draw_onset_h;
  double threshold_tested = 0;  // the threshold at the best case, in `threshold_unit`
  std::string threshold_unit;
  std::vector<std::string> assumptions;  // the assumptions this check uses
  std::vector<BoundAssumption> bound_assumptions;
  double p_within_claim = 0;
  double p_ci_low = 0;
  double p_ci_high = 0;
  std::optional<double> onset_p05_h, onset_p50_h, onset_p95_h;  // empty: never (in horizon)
  double fraction_never = 0;         // of the draws consistent with the baseline
  double fraction_inconsistent = 0;  // draws excluded: their baseline contradicts the claim
  // One per draw (+infinity: never within the horizon; NaN: inconsistent with the baseline);
  // above CheckOptions::exact_onset_draws, the sampled onsets of the consistent draws instead.
  std::vector<double> onset_times_h;
  std::vector<Elasticity> elasticities;    // sorted by |at_best_case|, largest first
  std::vector<std::string> rate_limiting;  // sentences, most decisive first
  std::vector<TippingPoint> tipping_points;
  Band band;
  double horizon_h = 0;
  long simulations = 0;
  long failed_simulations = 0;  // integrator failures (counted as never)
  // The work of each stage (the JSON's `simulations_by_stage`): simulations run (deterministic:
  // the same for any thread count) and seconds spent (wall time of the stage's tasks, summed
  // over the threads that ran them, waits excluded: about the CPU time; not in the JSON, which
  // must not depend on the machine). `simulations` is their sum.
  struct StageWork {
    long monte_carlo = 0;        // the draws
    long best_case = 0;          // the search, the best case's and median draw's trajectories and
                                 // the elasticities
    long best_case_search = 0;   // of which the search (= best_case_evaluations)
    long best_case_explore = 0;  // of which its first steps (may run before the draws end)
    std::vector<long> tipping_points;  // per tipping point (order of `tipping_points`)
    double monte_carlo_s = 0, best_case_s = 0;
    std::vector<double> tipping_points_s;  // per tipping point
  };
  StageWork work;
};

// The threshold tested at the best case with its direction and unit, as "< 2.5 mg/dL"
// (falling) or "> 300 copies/cell" (rising): the text, the table and the HTML report print it.
std::string threshold_text(const CheckResult& check, int digits);

struct EffectReport {
  std::string id;
  std::string statement;
  std::string measurable;
  double claimed_within_h = 0;
  double claimed_time_h = 0;  // from t = 0
  Verdict verdict = Verdict::kNotAssessable;
  std::string reason;
  std::vector<CheckResult> checks;
  int deciding_check = -1;  // index into checks; -1 when not assessable
  const CheckResult* deciding() const {
    return deciding_check < 0 ? nullptr : &checks[static_cast<size_t>(deciding_check)];
  }
};

// What happened. run_check returns a report only when every check ran (a simulation that
// fails inside the Monte Carlo is counted in CheckResult::failed_simulations); anything that
// stops the run is thrown instead, so there is no failed report to inspect.
struct CheckReport {
  uint64_t seed = 0;
  size_t draws = 0;
  double unlikely_below = 0.05;
  std::vector<EffectReport> effects;
  // Assumptions that decide a verdict (best case at a bound, or a tipping point), by name.
  std::vector<std::string> deciding_assumptions;
  double seconds = 0;  // wall time (not in the JSON, which must not depend on the machine)
};

// The onset of one check at given assumption values, outside the search: for brute-force
// comparisons with the best case and for tests. Values are in the order of
// CheckResult::assumptions (the check's assumptions in order of first use).
class OnsetProbe {
 public:
  OnsetProbe(const Claim& claim, size_t effect, size_t check, const CheckOptions& options = {});
  ~OnsetProbe();
  OnsetProbe(const OnsetProbe&) = delete;
  OnsetProbe& operator=(const OnsetProbe&) = delete;
  const std::vector<std::string>& assumptions() const;
  // Onset in h from t = 0; empty when the threshold is never reached within the horizon or
  // the point is inconsistent with the claim (below the reported baseline, or already at the
  // threshold at t = 0).
  std::optional<double> onset(const std::vector<double>& values);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs every check of the claim. Throws onset::UserError for options that fail IsValid, a run
// whose memory estimate exceeds pk::RunLimits, or a claim that does not fit its models (unknown
// parameter, observable or compartment; incompatible units; with the claim file's line); any
// other exception (a failure of the numerics outside the Monte Carlo draws) is an analysis
// failure.
CheckReport run_check(const Claim& claim, const CheckOptions& options);

}  // namespace onset::check
