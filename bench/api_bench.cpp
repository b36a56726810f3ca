// The C++ side of bench/bindings: B1 (shared/benchmarks/README.md: two-compartment model,
// 7 one-hour infusions of 1000 mg, C at 0, 0.5, ..., 168 h) simulated through the facade the
// R package and the Python module call (api/onset_api.hpp: the library model
// two_compartment_iv, the doses as a 7-row table of columns, parameters by name, 337 output
// times), and through the engine alone (pk::Simulator on the C++ B1 model) for scale.
// bench/bindings times the same call from R and from Python and prints the ratios.
//
// Counter err_max_rel: the largest relative error of C against B1's closed form.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "api/onset_api.hpp"
#include "models/reference_problems.hpp"
#include "pk/simulate.hpp"

namespace {

using namespace onset;

double max_relative_error(const std::vector<double>& times, const double* c) {
  double worst = 0;
  for (size_t k = 0; k < times.size(); ++k) {
    if (times[k] <= 0) continue;
    const double exact = models::b1_exact_concentration(times[k]);
    worst = std::max(worst, std::fabs(c[k] - exact) / exact);
  }
  return worst;
}

// What onset_simulate(model, doses, params, times) and onset.simulate(...) hand to C++.
void api_simulate(benchmark::State& state) {
  const api::Model model("two_compartment_iv");
  api::DataInput doses;
  doses.source = "table 'doses'";
  doses.columns = {{"ID", false, {1, 1, 1, 1, 1, 1, 1}, {}},
                   {"TIME", false, {0, 24, 48, 72, 96, 120, 144}, {}},
                   {"AMT", false, std::vector<double>(7, 1000), {}},
                   {"RATE", false, std::vector<double>(7, 1000), {}},
                   {"CMT", false, std::vector<double>(7, 1), {}}};
  api::SimulateOptions options;
  options.params = {{"CL", 5}, {"V1", 10}, {"Q", 2}, {"V2", 40}};
  for (int k = 0; k <= 336; ++k) options.times_h.push_back(0.5 * k);
  api::Simulation result;
  for (auto _ : state) {
    result = api::simulate(model, doses, options);
    benchmark::DoNotOptimize(result.values.data());
  }
  state.counters["err_max_rel"] = max_relative_error(result.time_h, result.values.data());
  state.counters["rows"] = static_cast<double>(result.rows());
}

// The engine alone: one solve of the C++ B1 model (bench/onset_bench's B1/exact_linear).
void engine_simulate(benchmark::State& state) {
  models::ReferenceCase reference = models::make_reference_case("B1");
  pk::Simulator simulator(*reference.model, reference.options);
  const auto params = reference.model->default_parameters();
  pk::Trajectory traj;
  for (auto _ : state) {
    simulator.run(reference.regimen, params, reference.request, &traj);
    benchmark::DoNotOptimize(traj.observables.data());
  }
  std::vector<double> c(traj.num_times());
  for (size_t k = 0; k < c.size(); ++k) c[k] = traj.observable(k, 0);
  state.counters["err_max_rel"] = max_relative_error(traj.times_h, c.data());
}

}  // namespace

BENCHMARK(api_simulate)->Name("B1/api_simulate")->Unit(benchmark::kMicrosecond);
BENCHMARK(engine_simulate)->Name("B1/engine_simulator")->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
