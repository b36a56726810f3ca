// Speed of one solve of each reference problem (shared/benchmarks/README.md) per backend,
// with the achieved error reported next to the time, and B4 (10,000 Monte Carlo draws of
// B2, stopping at the F = 0.9 crossing). The peers are run beside it by bench/compare.
//
// Counters: err_* are the achieved errors (B1: max relative error of C against the closed
// form; B2: relative error of t(F = 0.9) and F(672) against shared/peers/ref/b2_qoi.csv;
// B3: max relative error against the published HIRES values), steps and rhs per solve.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fits/ev_biodistribution_problem.hpp"
#include "fits/fit.hpp"
#include "fits/theoph_problem.hpp"
#include "io/environment.hpp"
#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "models/reference_problems.hpp"
#include "pk/distributed.hpp"
#include "pk/dosing_records.hpp"
#include "pk/dosing_simulate.hpp"
#include "pk/observed_subsystem.hpp"
#include "pk/quantile_sketch.hpp"
#include "pk/simulate.hpp"
#include "tests/pk/nonmem_dosing_model.hpp"

namespace {

using namespace onset;

constexpr double kB2CrossingReference = 77.442372527;  // h, shared/peers/ref/b2_qoi.csv
constexpr double kB2FinalFReference = 0.308841171517;  // F(672)

void report(benchmark::State& state, const std::string& problem, const pk::Trajectory& traj) {
  state.counters["steps"] = static_cast<double>(traj.stats.steps);
  state.counters["rhs"] = static_cast<double>(traj.stats.rhs_evals);
  if (problem == "B1") {
    double worst = 0;
    for (size_t k = 0; k < traj.num_times(); ++k) {
      if (traj.times_h[k] <= 0) continue;
      const double exact = models::b1_exact_concentration(traj.times_h[k]);
      worst = std::max(worst, std::fabs(traj.observable(k, 0) - exact) / exact);
    }
    state.counters["err_max_rel"] = worst;
  } else if (problem == "B2") {
    const double t = traj.crossings.at(0).time_h.value_or(NAN);
    state.counters["err_tF090"] = std::fabs(t - kB2CrossingReference) / kB2CrossingReference;
    const double f = traj.state(traj.num_times() - 1, models::EvCascadeB2::kF);
    state.counters["err_F672"] = std::fabs(f - kB2FinalFReference) / kB2FinalFReference;
  } else {
    double worst = 0;
    for (size_t i = 0; i < 8; ++i)
      worst = std::max(worst,
                       std::fabs(traj.state(traj.num_times() - 1, i) - models::kHiresReference[i]) /
                           std::fabs(models::kHiresReference[i]));
    state.counters["err_max_rel"] = worst;
  }
}

// One solve of `problem` with `backend`; tol_factor scales rtol and atol together. With
// `model_file`, the problem's model is read from the library's model file of that name
// (same regimen, grid, crossings and tolerances as the C++ model).
void solve(benchmark::State& state, const std::string& problem, pk::Backend backend,
           double tol_factor, const std::string& model_file = {}) {
  models::ReferenceCase reference = models::make_reference_case(problem);
  if (!model_file.empty()) reference.model = models::load_model(model_file);
  reference.options.backend = backend;
  reference.options.rtol *= tol_factor;
  reference.options.atol *= tol_factor;
  for (double& value : reference.options.atol_per_state) value *= tol_factor;
  pk::Simulator simulator(*reference.model, reference.options);
  const auto params = reference.model->default_parameters();
  pk::Trajectory traj;
  for (auto _ : state) {
    simulator.run(reference.regimen, params, reference.request, &traj);
    benchmark::DoNotOptimize(traj.observables.data());
  }
  if (!traj.ok()) state.SkipWithError(traj.message.c_str());
  report(state, problem, traj);
}

// B4: 10,000 draws of B2's ten random parameters (log-normal, CV 30 %, median at the spec's
// value), each solved until F falls to 0.9 (or 672 h); the batch includes sampling and the
// summary (median, 5th and 95th percentiles), like the peers' B4. Draw i takes its numbers
// from task_rng(1, i), so the draws are the same for any thread count; one Simulator per
// worker thread.
void monte_carlo(benchmark::State& state, pk::Backend backend, int threads, size_t draws = 10000) {
  const size_t kDraws = draws;
  constexpr int kRandom[10] = {1, 2, 3, 4, 5, 6, 10, 13, 14, 15};
  models::ReferenceCase reference = models::make_reference_case("B2");
  reference.options.backend = backend;
  reference.request.output_times_h = {0.0, 672.0};
  reference.request.record_states = false;
  reference.request.stop_when_crossed = true;
  const auto base = reference.model->default_parameters();
  const double omega = std::sqrt(std::log1p(0.3 * 0.3));
  struct Workspace {
    std::unique_ptr<pk::Simulator> simulator;
    pk::Trajectory trajectory;
    std::vector<double> params;
  };
  std::vector<double> times;
  double median = 0, p05 = 0, p95 = 0;
  for (auto _ : state) {
    times = pk::distributed_map(
        kDraws, 1, threads,
        [&] {
          return Workspace{
              std::make_unique<pk::Simulator>(*reference.model, reference.options), {}, base};
        },
        [&](size_t draw, Workspace& work, std::span<double> row) {
          auto rng = pk::task_rng(1, draw);
          std::normal_distribution<double> normal(0.0, omega);
          for (int index : kRandom)
            work.params[static_cast<size_t>(index)] =
                base[static_cast<size_t>(index)] * std::exp(normal(rng));
          work.simulator->run(reference.regimen, work.params, reference.request, &work.trajectory);
          row[0] = work.trajectory.crossings[0].time_h.value_or(INFINITY);
        });
    std::sort(times.begin(), times.end());
    auto quantile = [&](double q) {  // inverted CDF (R type 1), as the peers
      return times[static_cast<size_t>(std::ceil(q * static_cast<double>(kDraws))) - 1];
    };
    p05 = quantile(0.05);
    median = quantile(0.5);
    p95 = quantile(0.95);
  }
  state.counters["draws"] = static_cast<double>(kDraws);
  state.counters["threads"] = pk::resolve_threads(threads);
  state.counters["tF090_p05"] = p05;
  state.counters["tF090_median"] = median;
  state.counters["tF090_p95"] = p95;
}

// Scenario 9 of shared/data/nonmem-dosing (steady-state infusions with lag time and
// bioavailability, ADDL 3, hourly observations to 130 h: 132 records) for 1,000 subjects,
// through the dosing path (records -> events -> steady state -> one row per record) with
// the hand-written ADVAN2 model of the nmtests test. Counter: subjects per second (wall).
void scenario9_subjects(benchmark::State& state, pk::Backend backend) {
  constexpr int kSubjects = 1000;
  std::string text = "ID,TIME,EVID,AMT,CMT,SS,II,ADDL,RATE,LAGT,MODE,DUR2,RAT2,BIOAV\n";
  for (int id = 1; id <= kSubjects; ++id) {
    const std::string prefix = std::to_string(id) + ",";
    text += prefix + "0,1,100,2,1,24,3,10,3.16,0,2,10,0.412\n";
    for (int t = 0; t <= 130; ++t)
      text += prefix + std::to_string(t) + ",0,0,2,0,0,0,0,3.16,0,2,10,0.412\n";
  }
  const pk::DosingData data = pk::parse_dosing_csv(text, "scenario9");
  test_models::NonmemDosingModel model;
  pk::DosingOptions options;
  options.solver.backend = backend;
  pk::DosingSimulator simulator(model, options);
  const auto params = model.default_parameters();
  pk::DosingResult result;
  for (auto _ : state) {
    simulator.run(data, params, {}, &result);
    benchmark::DoNotOptimize(result.observables.data());
  }
  if (!result.ok()) state.SkipWithError(result.message.c_str());
  state.counters["subjects_per_s"] =
      benchmark::Counter(kSubjects, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["rows"] = static_cast<double>(result.rows.size());
}

// The MPI reduction of a Monte Carlo run: gathering one number per draw (1e6 draws) from
// every rank to every rank. Run under `mpirun -np 2 build/bin/onset_bench
// --benchmark_filter=MPI`; fixed iterations keep the ranks in step. In one process it
// measures the local copy only.
void mpi_gather(benchmark::State& state) {
  constexpr size_t kDraws = 1000000;
  const auto [begin, end] = pk::rank_block(kDraws, pk::mpi_rank(), pk::mpi_size());
  for (auto _ : state) {
    std::vector<double> local(end - begin, 1.0);
    auto all = pk::gather_rows(std::move(local), kDraws, 1);
    benchmark::DoNotOptimize(all.data());
  }
  state.counters["ranks"] = pk::mpi_size();
  state.counters["draws"] = static_cast<double>(kDraws);
}

// The MPI reduction of a large Monte Carlo run as check does it (check/check.cpp,
// MonteCarloSummary): each rank's summary has a fixed size, whatever the number of draws —
// counts, 81 band sketches of 4,096 values and a 65,536-value onset sketch, all full — and
// the summaries are merged along a tree of ranks, then the total is broadcast
// (pk::tree_reduce_bytes). Run under `mpirun -np 2`; in one process it measures nothing but
// the loop.
void mpi_reduce_summaries(benchmark::State& state) {
  constexpr size_t kGrid = 81, kDrawsPerRank = 100000;
  const size_t rank = static_cast<size_t>(pk::mpi_rank());
  std::vector<pk::QuantileSketch> bands;
  for (size_t g = 0; g < kGrid; ++g) bands.emplace_back(4096, g);
  pk::QuantileSketch onsets(size_t{1} << 16, 0xD15EA5E);
  std::mt19937_64 rng(rank);
  std::lognormal_distribution<double> value(0.0, 1.0);
  for (size_t k = 0; k < kDrawsPerRank; ++k) {
    const size_t i = rank * kDrawsPerRank + k;
    onsets.add(i, value(rng));
    for (auto& band : bands) band.add(i, value(rng));
  }
  size_t bytes = 0;
  for (auto _ : state) {
    auto merged_bands = bands;
    auto merged_onsets = onsets;
    auto pack = [&] {
      pk::ByteWriter out;
      for (const auto& band : merged_bands) band.write(out);
      merged_onsets.write(out);
      bytes = out.bytes().size();
      return std::move(out.bytes());
    };
    auto absorb = [&](const std::string& message) {
      pk::ByteReader in(message);
      for (auto& band : merged_bands) band.merge_from(in);
      merged_onsets.merge_from(in);
    };
    pk::tree_reduce_bytes(pack, absorb, [&](const std::string& message) {
      for (size_t g = 0; g < kGrid; ++g) merged_bands[g] = pk::QuantileSketch(4096, g);
      merged_onsets = pk::QuantileSketch(size_t{1} << 16, 0xD15EA5E);
      absorb(message);
    });
    benchmark::DoNotOptimize(merged_onsets.quantile(0.5));
  }
  state.counters["ranks"] = pk::mpi_size();
  state.counters["bytes_per_rank"] = static_cast<double>(bytes);
}

// Model size (issue 19): a chain of n compartments read from a generated model file, each
// moving to the next by Michaelis-Menten transfer (Vmax 100 x 0.9^i mg/h, Km 5 mg), all losing
// 1 %/h, the last returning 5 %/h to the first: nonlinear, stiff, banded but for one corner.
// 1000 mg over 1 h into the first; outputs every 4 h to 48 h; rtol 1e-8, atol 1e-6 mg. Rows:
// onset_bdf with dense LU (fixed-size kernels up to 16 states), with KLU, and CVODES (dense):
// the dense/sparse crossover of kOnsetBdfSparseMinStates comes from these rows.
std::unique_ptr<models::FileModel> saturable_chain(int n) {
  std::ostringstream text;  // (a stream: GCC 12 warns falsely on "A" + std::to_string(i))
  text << "name: saturable_chain\nparameters:\n  Km: {value: 5, unit: mg}\n";
  for (int i = 0; i < n; ++i)
    text << "  V" << i << ": {value: " << 100 * std::pow(0.9, i) << ", unit: mg/h}\n";
  text << "  kloss: {value: 0.01, unit: 1/h}\n  kreturn: {value: 0.05, unit: 1/h}\n";
  text << "compartments:\n";
  for (int i = 0; i < n; ++i) text << "  A" << i << ": {unit: mg}\n";
  text << "processes:\n";
  for (int i = 0; i < n; ++i) {
    if (i + 1 < n)
      text << "  - {name: t" << i << ", type: michaelis_menten, from: A" << i << ", to: A" << i + 1
           << ", vmax: V" << i << ", km: Km}\n";
    text << "  - {name: l" << i << ", type: first_order, from: A" << i << ", k: kloss}\n";
  }
  text << "  - {name: back, type: first_order, from: A" << n - 1
       << ", to: A0, k: kreturn}\nobservables:\n  A1: {amount: A1}\n";
  return models::compile_model_text(text.str(), "saturable_chain");
}

void solve_chain(benchmark::State& state, int n, pk::Backend backend, pk::LinearSolverKind kind) {
  const auto model = saturable_chain(n);
  pk::Regimen regimen;
  regimen.doses.push_back({0, 0, 1000, 1});
  pk::SimulationRequest request;
  request.output_times_h = pk::output_grid(0, 48, 4);
  request.record_states = false;
  pk::SolverOptions options;
  options.backend = backend;
  options.linear_solver = kind;
  options.atol = 1e-6;
  pk::Simulator simulator(*model, options);
  const auto params = model->default_parameters();
  pk::Trajectory traj;
  for (auto _ : state) {
    simulator.run(regimen, params, request, &traj);
    benchmark::DoNotOptimize(traj.observables.data());
  }
  if (!traj.ok()) state.SkipWithError(traj.message.c_str());
  state.counters["steps"] = static_cast<double>(traj.stats.steps);
}

// ev_cargo_cascade_human (36 states) as `onset check` solves it (check/check.cpp): rtol 1e-6,
// atol 1e-9 x each state's scale (the 1e13-particle dose for particle states, else max(1, |y0|)),
// 1e13 particles over 1 h, to 336 h (outputs every 4 h). err_max: the largest difference of any
// observable from CVODES at rtol 1e-10 (atol 1e-13 x scale), relative to that observable's range.
// subsystem: solve only the 16 states that AGO-loaded miRNA per Kupffer cell can see
// (pk/observed_subsystem.hpp), as `onset check`'s mechanism check does; its error is that
// observable's against the whole model's CVODES reference.
void solve_cascade(benchmark::State& state, pk::Backend backend,
                   pk::LinearSolverKind linear = pk::LinearSolverKind::kAuto, bool pilot = true,
                   bool subsystem = false) {
  const std::shared_ptr<const pk::Model> model = models::load_model("ev_cargo_cascade_human");
  const auto params = model->default_parameters();
  pk::Regimen regimen;
  regimen.doses.push_back({0, model->state_index("plasma"), 1e13, 1});
  pk::SimulationRequest request;
  request.output_times_h = pk::output_grid(0, 336, 4);
  request.record_states = false;
  auto options_at = [&](pk::Backend which, double rtol, double atol) {
    pk::SolverOptions options;
    options.backend = which;
    options.rtol = rtol;
    std::vector<double> y0(static_cast<size_t>(model->num_states()));
    model->initial_state(params, y0);
    for (size_t i = 0; i < y0.size(); ++i) {
      const double scale =
          model->states()[i].unit == "particles" ? 1e13 : std::max(1.0, std::fabs(y0[i]));
      options.atol_per_state.push_back(atol * scale);
    }
    return options;
  };
  pk::SolverOptions solve_options = options_at(backend, 1e-6, 1e-9);
  solve_options.linear_solver = linear;
  // The check's tolerances (check/check.cpp, scale_tolerances_by_pilot): each state's absolute
  // tolerance is also at least atol x its peak in a pilot run at the same settings, so that
  // miRNA copies (1e12 at their peak, from 1e13 particles) are not solved to 1e-9 copies.
  // Without the pilot (pilot = false): the scales of the check before 5 Dec (dose or initial
  // value only), the rows "dose_scaled_tolerances".
  if (pilot) {
    pk::SimulationRequest pilot_request = request;
    pilot_request.record_states = true;
    pilot_request.zero_within_atol = false;
    const pk::Trajectory pilot =
        pk::simulate(*model, regimen, params, pilot_request, solve_options);
    for (size_t i = 0; i < solve_options.atol_per_state.size(); ++i) {
      double peak = 0;
      for (size_t k = 0; k < pilot.num_times(); ++k)
        if (std::isfinite(pilot.state(k, i))) peak = std::max(peak, std::fabs(pilot.state(k, i)));
      solve_options.atol_per_state[i] = std::max(solve_options.atol_per_state[i], 1e-9 * peak);
    }
  }
  std::shared_ptr<const pk::Model> solved = model;
  pk::Regimen solved_regimen = regimen;
  std::vector<size_t> reference_observable;  // per observable solved: its index in the model
  for (int o = 0; o < model->num_observables(); ++o)
    reference_observable.push_back(static_cast<size_t>(o));
  if (subsystem) {
    const int risc = model->observable_index("risc_copies_per_cell");
    const auto sub = pk::ObservedSubsystem::make(model, risc);
    if (!sub) {
      state.SkipWithError("no subsystem");
      return;
    }
    solve_options.atol_per_state = sub->kept_values(solve_options.atol_per_state);
    solved_regimen = sub->regimen(regimen);
    reference_observable = {static_cast<size_t>(risc)};
    solved = sub;
    state.counters["states"] = sub->num_states();
  }
  pk::Simulator simulator(*solved, solve_options);
  pk::Trajectory traj;
  for (auto _ : state) {
    simulator.run(solved_regimen, params, request, &traj);
    benchmark::DoNotOptimize(traj.observables.data());
  }
  if (!traj.ok()) state.SkipWithError(traj.message.c_str());
  const pk::Trajectory reference = pk::simulate(*model, regimen, params, request,
                                                options_at(pk::Backend::kCvodesBdf, 1e-10, 1e-13));
  double worst = 0;
  for (size_t o = 0; o < traj.observable_names.size(); ++o) {
    const size_t r = reference_observable[o];
    double range = 0, diff = 0;
    for (size_t k = 0; k < traj.num_times(); ++k) {
      range = std::max(range, std::fabs(reference.observable(k, r)));
      diff = std::max(diff, std::fabs(traj.observable(k, o) - reference.observable(k, r)));
    }
    if (range > 0) worst = std::max(worst, diff / range);
  }
  state.counters["err_max"] = worst;
  state.counters["steps"] = static_cast<double>(traj.stats.steps);
  state.counters["rhs"] = static_cast<double>(traj.stats.rhs_evals);
  state.counters["jac"] = static_cast<double>(traj.stats.jacobian_evals);
  state.counters["lu"] = static_cast<double>(traj.stats.linear_setups);
  state.counters["nni_fail"] = static_cast<double>(traj.stats.nonlinear_failures);
  state.counters["err_fail"] = static_cast<double>(traj.stats.error_test_failures);
}

// The case report's linear checks as `onset check` evaluates them (issue 19, fourth session):
// the model with the liver repaired at t = 0 (hepatic_function = 1), 64 parameter sets (every
// other parameter times a deterministic factor in 0.7-1.4, within its bounds), each solved on the
// check's onset grid (0, then 25 times log-spaced from claimed/64 to the horizon, claimed 4 h)
// until the observable falls below the threshold, tolerances as the check's defaults (rtol 1e-6,
// atol 1e-9 x each state's scale max(1, |initial value|)). Time per iteration = 64 evaluations;
// counter us_per_eval. err_onset: the largest relative error of the 64 onsets against onset_bdf
// at rtol 1e-11, atol 1e-13 x scale; lu: matrix factorisations (onset_bdf, CVODES) or
// eigendecompositions plus exponentials (exact_linear) per evaluation.
void linear_check_grid(benchmark::State& state, const std::string& name,
                       const std::string& observable, double threshold, double horizon_h,
                       pk::Backend backend) {
  const std::shared_ptr<const models::FileModel> model = models::load_file_model(name);
  constexpr int kSets = 64;
  const auto bounds = model->parameter_bounds();
  std::vector<std::vector<double>> sets;
  const int hf = model->parameter_index("hepatic_function");
  for (int k = 0; k < kSets; ++k) {
    std::vector<double> p = model->default_parameters();
    for (size_t i = 0; i < p.size(); ++i) {
      // A deterministic low-discrepancy factor per (set, parameter).
      const double u = std::fmod(0.5 + (k + 1) * 0.6180339887498949 * (i + 1), 1.0);
      p[i] = std::clamp(p[i] * 0.7 * std::pow(2.0, u), bounds[i].lower, bounds[i].upper);
    }
    p[static_cast<size_t>(hf)] = 1;
    sets.push_back(std::move(p));
  }
  pk::SimulationRequest request;
  const double claimed = 4;
  request.output_times_h.push_back(0);
  for (int i = 0; i <= 24; ++i) {
    const double t = claimed / 64 * std::pow(64 * horizon_h / claimed, i / 24.0);
    if (t > request.output_times_h.back() && t < horizon_h) request.output_times_h.push_back(t);
  }
  request.output_times_h.push_back(horizon_h);
  request.t_end_h = horizon_h;
  request.crossings = {{model->observable_index(observable), threshold, pk::Direction::kFalling}};
  request.stop_when_crossed = true;
  request.record_states = false;
  auto options_at = [&](pk::Backend which, double rtol, double atol) {
    pk::SolverOptions options;
    options.backend = which;
    options.rtol = rtol;
    std::vector<double> y0(static_cast<size_t>(model->num_states()));
    model->initial_state(sets[0], y0);
    for (double y : y0) options.atol_per_state.push_back(atol * std::max(1.0, std::fabs(y)));
    return options;
  };
  auto solve_all = [&](pk::Simulator& simulator, std::vector<double>* onsets, long* setups) {
    pk::Trajectory traj;
    for (size_t k = 0; k < sets.size(); ++k) {
      simulator.run(pk::Regimen{}, sets[k], request, &traj);
      (*onsets)[k] = traj.crossings[0].time_h.value_or(-1);

      *setups += traj.stats.linear_setups;
    }
  };
  std::vector<double> onsets(kSets), reference(kSets);
  long setups = 0, reference_setups = 0;
  pk::Simulator simulator(*model, options_at(backend, 1e-6, 1e-9));
  for (auto _ : state) {
    setups = 0;
    solve_all(simulator, &onsets, &setups);
    benchmark::DoNotOptimize(onsets.data());
  }
  pk::Simulator tight(*model, options_at(pk::Backend::kOnsetBdf, 1e-11, 1e-13));
  solve_all(tight, &reference, &reference_setups);
  double worst = 0;
  for (int k = 0; k < kSets; ++k) {
    if (!(onsets[k] > 0) || !(reference[k] > 0)) {
      state.SkipWithError("no crossing within the horizon");
      return;
    }
    worst = std::max(worst, std::fabs(onsets[k] - reference[k]) / reference[k]);
  }
  state.counters["us_per_eval"] = benchmark::Counter(
      kSets * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["err_onset"] = worst;
  state.counters["lu"] = static_cast<double>(setups) / kSets;
}

// CPU seconds of the whole process, every thread (Google Benchmark's CPU column counts the
// main thread only, which misses the profile workers).
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// Fits (issue 7): the Theoph fit with Wald SEs (target < 50 ms), and a mouse EV
// biodistribution fit (40 animals, 4 organs, 6 parameters) with profile intervals (target < 5 s),
// wall time, with cpu_ms_all_threads the CPU time of every thread per fit. Counter evals:
// objective evaluations (residuals, with or without sensitivities) of the main fit.
void fit_theoph(benchmark::State& state) {
  fits::FitProblem problem = fits::theoph_problem(
      io::CsvTable::read_file(std::string(ONSET_SHARED_DIR) + "/data/theoph.csv"));
  fits::FitOptions options;
  for (auto _ : state) {
    fits::FitSummary summary;
    fits::Solve(options, &problem, &summary);
    if (!summary.converged()) state.SkipWithError(summary.message.c_str());
    benchmark::DoNotOptimize(summary.parameters.data());
  }
}

void fit_ev_mouse_profile(benchmark::State& state) {
  fits::FitProblem problem = fits::ev_mouse_biodistribution_problem();
  std::vector<double> params, truth(problem.y.size());
  for (const auto& p : problem.parameters) params.push_back(p.start);
  std::string why;
  problem.predictor->predict(params, {}, truth, {}, &why);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (size_t i = 0; i < truth.size(); ++i) problem.y[i] = truth[i] * (1 + 0.2 * normal(rng));
  fits::FitOptions options;
  options.intervals = fits::IntervalMethod::kProfile;
  const double cpu_start = process_cpu_seconds();
  int evaluations = 0;
  for (auto _ : state) {
    fits::FitSummary summary;
    fits::Solve(options, &problem, &summary);
    if (!summary.converged()) state.SkipWithError(summary.message.c_str());
    for (const auto& p : summary.parameters)
      if (!p.fixed && !p.ci_note.empty()) state.SkipWithError(p.ci_note.c_str());
    evaluations = summary.evaluations;
    benchmark::DoNotOptimize(summary.parameters.data());
  }
  state.counters["cpu_ms_all_threads"] =
      1e3 * (process_cpu_seconds() - cpu_start) / static_cast<double>(state.iterations());
  state.counters["evals"] = evaluations;
  state.counters["threads"] = pk::resolve_threads(options.threads);
}

void register_all() {
  benchmark::RegisterBenchmark("Fit/theoph_one_compartment_oral_wald", fit_theoph)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Fit/ev_pbpk_mouse_40_animals_profile", fit_ev_mouse_profile)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(3)
      ->UseRealTime();
  benchmark::RegisterBenchmark("MPI/gather_1e6_draws", mpi_gather)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(20)
      ->UseRealTime();
  benchmark::RegisterBenchmark("MPI/reduce_check_summaries", mpi_reduce_summaries)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(20)
      ->UseRealTime();
  struct Row {
    const char* problem;
    pk::Backend backend;
    double tol_factor;
  };
  const Row rows[] = {
      {"B1", pk::Backend::kExactLinear, 1},       {"B1", pk::Backend::kOnsetBdf, 1},
      {"B1", pk::Backend::kCvodesBdf, 1},         {"B1", pk::Backend::kOdeintDopri5, 1},
      {"B2", pk::Backend::kOnsetBdf, 1},          {"B2", pk::Backend::kOnsetBdf, 0.1},
      {"B2", pk::Backend::kOnsetBdf, 0.01},       {"B2", pk::Backend::kCvodesBdf, 1},
      {"B2", pk::Backend::kOdeintRosenbrock4, 1}, {"B3", pk::Backend::kOnsetBdf, 1},
      {"B3", pk::Backend::kOnsetBdf, 0.1},        {"B3", pk::Backend::kCvodesBdf, 1},
      {"B3", pk::Backend::kOdeintRosenbrock4, 1},
  };
  for (const Row& row : rows) {
    std::string name = std::string(row.problem) + "/" + std::string(pk::backend_name(row.backend));
    if (row.tol_factor != 1) name += "/tol_x" + std::to_string(row.tol_factor).substr(0, 4);
    benchmark::RegisterBenchmark(name.c_str(), [row](benchmark::State& state) {
      solve(state, row.problem, row.backend, row.tol_factor);
    })->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark(
      "Sim/scenario9_1000_subjects",
      [](benchmark::State& state) { scenario9_subjects(state, pk::Backend::kAuto); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(
      "Sim/scenario9_1000_subjects/onset_bdf",
      [](benchmark::State& state) { scenario9_subjects(state, pk::Backend::kOnsetBdf); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  // B2 read from models/library/b2_ev_cascade.yaml, next to B2/onset_bdf (same settings).
  benchmark::RegisterBenchmark("B2/model_file/onset_bdf", [](benchmark::State& state) {
    solve(state, "B2", pk::Backend::kOnsetBdf, 1, "b2_ev_cascade");
  })->Unit(benchmark::kMillisecond);
  for (int n : {4, 8, 13, 16, 17, 24, 32, 40, 48, 64, 96, 128, 256}) {
    const std::string size = "Size/chain/n:" + std::to_string(n);
    benchmark::RegisterBenchmark((size + "/onset_bdf_dense").c_str(), [n](benchmark::State& state) {
      solve_chain(state, n, pk::Backend::kOnsetBdf, pk::LinearSolverKind::kDense);
    })->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((size + "/onset_bdf_klu").c_str(), [n](benchmark::State& state) {
      solve_chain(state, n, pk::Backend::kOnsetBdf, pk::LinearSolverKind::kSparse);
    })->Unit(benchmark::kMillisecond);
    if (n <= 64)
      benchmark::RegisterBenchmark((size + "/cvodes_bdf").c_str(), [n](benchmark::State& state) {
        solve_chain(state, n, pk::Backend::kCvodesBdf, pk::LinearSolverKind::kDense);
      })->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark(
      "Cascade/ev_cargo_cascade_human/check_tolerances/onset_bdf",
      [](benchmark::State& state) { solve_cascade(state, pk::Backend::kOnsetBdf); })
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Cascade/ev_cargo_cascade_human/check_tolerances/onset_bdf_dense",
                               [](benchmark::State& state) {
                                 solve_cascade(state, pk::Backend::kOnsetBdf,
                                               pk::LinearSolverKind::kDense);
                               })
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Cascade/ev_cargo_cascade_human/check_tolerances/onset_bdf_klu",
                               [](benchmark::State& state) {
                                 solve_cascade(state, pk::Backend::kOnsetBdf,
                                               pk::LinearSolverKind::kSparse);
                               })
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(
      "Cascade/ev_cargo_cascade_human/check_tolerances/cvodes_bdf",
      [](benchmark::State& state) { solve_cascade(state, pk::Backend::kCvodesBdf); })
      ->Unit(benchmark::kMillisecond);
  for (const auto& [backend, row] : {std::pair{pk::Backend::kOnsetBdf, "onset_bdf"},
                                     std::pair{pk::Backend::kCvodesBdf, "cvodes_bdf"}})
    benchmark::RegisterBenchmark(
        ("Cascade/ev_cargo_cascade_human/check_tolerances/risc_subsystem/" + std::string(row))
            .c_str(),
        [backend](benchmark::State& state) {
          solve_cascade(state, backend, pk::LinearSolverKind::kAuto, true, true);
        })
        ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Cascade/ev_cargo_cascade_human/dose_scaled_tolerances/onset_bdf",
                               [](benchmark::State& state) {
                                 solve_cascade(state, pk::Backend::kOnsetBdf,
                                               pk::LinearSolverKind::kAuto, false);
                               })
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Cascade/ev_cargo_cascade_human/dose_scaled_tolerances/cvodes_bdf",
                               [](benchmark::State& state) {
                                 solve_cascade(state, pk::Backend::kCvodesBdf,
                                               pk::LinearSolverKind::kAuto, false);
                               })
      ->Unit(benchmark::kMillisecond);
  struct LinearCheck {
    const char* model;
    const char* observable;
    double threshold;
    double horizon_h;
  };
  // The jaundice and consciousness checks of data/claims/case-report-4h.yaml.
  for (const LinearCheck& check : {LinearCheck{"bilirubin", "skin_bilirubin", 2.5, 2000},
                                   LinearCheck{"ammonia", "encephalopathy_excess", 0.5, 1000}})
    for (pk::Backend backend :
         {pk::Backend::kExactLinear, pk::Backend::kOnsetBdf, pk::Backend::kCvodesBdf})
      benchmark::RegisterBenchmark(("Linear/" + std::string(check.model) + "/check_grid/" +
                                    std::string(pk::backend_name(backend)))
                                       .c_str(),
                                   [check, backend](benchmark::State& state) {
                                     linear_check_grid(state, check.model, check.observable,
                                                       check.threshold, check.horizon_h, backend);
                                   })
          ->Unit(benchmark::kMillisecond);
  for (int threads : {1, 2})
    benchmark::RegisterBenchmark(
        ("B4/onset_bdf/threads:" + std::to_string(threads)).c_str(),
        [threads](benchmark::State& state) { monte_carlo(state, pk::Backend::kOnsetBdf, threads); })
        ->Unit(benchmark::kSecond)
        ->Iterations(1)
        ->UseRealTime();
  // For bench/scaling.sh: the C++ B4 loop at more threads and draws (not run by bench/compare).
  for (size_t draws : {size_t{10000}, size_t{30000}, size_t{100000}, size_t{1000000}})
    for (int threads : {1, 2, 4, 8, 16})
      benchmark::RegisterBenchmark(("Scaling/B4/onset_bdf/draws:" + std::to_string(draws) +
                                    "/threads:" + std::to_string(threads))
                                       .c_str(),
                                   [threads, draws](benchmark::State& state) {
                                     monte_carlo(state, pk::Backend::kOnsetBdf, threads, draws);
                                   })
          ->Unit(benchmark::kSecond)
          ->Iterations(1)
          ->UseRealTime();
  benchmark::RegisterBenchmark(
      "B4/cvodes_bdf/threads:1",
      [](benchmark::State& state) { monte_carlo(state, pk::Backend::kCvodesBdf, 1); })
      ->Unit(benchmark::kSecond)
      ->Iterations(1)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  const pk::MpiSession mpi(&argc, &argv, {io::launched_by_mpi(), io::mpi_plugin_path()});
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
