// Population fits timed (Google Benchmark): each fit of the population tests (FOCE-I, and SAEM
// on Theophylline), estimation and covariance step (sandwich), on 1 and 2 threads, beside the
// peers' times:
//  - R's nlme on Theophylline, run in the same session (Rscript, the nlme() call alone as
//    measured by R's proc.time; tests/fits/reference/theo_nlme.R);
//  - NONMEM 7's CPU time of runODE001 and runODE032 from their .cpu files (another machine:
//    the nlmixr2 validation runs; ../shared/data/nlme/README.md).
//   build/bin/onset_population_bench [--benchmark_filter=Population/Bauer402]
// Counters: objective (NONMEM's), iterations, evaluations (objectives over all subjects),
// process_cpu_s (every thread), nonmem_cpu_s, nlme_s. Tables in bench/README.md.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "fits/population/saem.hpp"
#include "tests/fits/population_reference_data.hpp"

namespace {

namespace population = onset::fits::population;
namespace reference = onset::fits::population::reference;

std::string scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "onset_population_bench";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

double nonmem_cpu_seconds(const std::string& run) {
  std::ifstream in(reference::shared("nonmem-focei/" + run + ".cpu"));
  double seconds = 0;
  in >> seconds;
  return seconds;
}

// CPU time of the whole process (every thread), seconds.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

void run_fit(benchmark::State& state, const population::PopulationProblem& problem) {
  population::PopulationOptions options;
  options.threads = static_cast<int>(state.range(0));
  population::PopulationSummary summary;
  double cpu = 0;
  for (auto _ : state) {
    const double before = process_cpu_seconds();
    population::Solve(options, problem, &summary);
    cpu += process_cpu_seconds() - before;
  }
  state.counters["process_cpu_s"] = cpu / static_cast<double>(state.iterations());
  if (summary.status != population::PopulationStatus::kConverged)
    state.SkipWithError(("not converged: " + summary.message).c_str());
  state.counters["objective"] = summary.objective;
  state.counters["iterations"] = summary.iterations;
  state.counters["evaluations"] = summary.evaluations;
}

void Theophylline(benchmark::State& state) {
  const auto problem = reference::make_problem("one_compartment_oral",
                                               reference::theo_sd_records(scratch("theo_sd.csv")),
                                               reference::theo_spec());
  run_fit(state, problem);
}

// SAEM on the same data as in tests/fits/population_saem_test.cpp: nlmixr2's one.compartment
// starting values, saemix's kernels, 300 + 200 iterations, 5 chains per subject, -2 log L by
// importance sampling (5000 draws per subject), then the FOCE-I evaluation with its covariance
// step. Counters: objective (importance sampling), focei_objective.
void TheophyllineSaem(benchmark::State& state) {
  population::PopulationSpec spec;
  spec.etas = {"KA=0.6", "CL=0.3", "V=0.1"};
  spec.start = {
      {"KA", std::exp(0.45)}, {"CL", std::exp(1.0)}, {"V", std::exp(3.45)}, {"sigma_add", 0.7}};
  spec.error = onset::fits::ErrorKind::kAdditive;
  const auto problem = reference::make_problem(
      "one_compartment_oral", reference::theo_sd_records(scratch("theo_sd.csv")), spec);
  population::SaemOptions options;
  options.threads = static_cast<int>(state.range(0));
  population::SaemSummary summary;
  double cpu = 0;
  for (auto _ : state) {
    const double before = process_cpu_seconds();
    population::Solve(options, problem, &summary);
    cpu += process_cpu_seconds() - before;
  }
  state.counters["process_cpu_s"] = cpu / static_cast<double>(state.iterations());
  if (summary.population.status != population::PopulationStatus::kConverged)
    state.SkipWithError(("not converged: " + summary.population.message).c_str());
  state.counters["objective"] = summary.population.objective;
  state.counters["focei_objective"] = summary.focei_objective;
  state.counters["iterations"] = summary.exploration_iterations + summary.smoothing_iterations;
}

// R's nlme on the same data, same model (maximum likelihood); the time of the nlme() call.
void TheophyllineNlme(benchmark::State& state) {
  const std::string data = reference::theo_sd_records(scratch("theo_sd.csv"));
  const std::string out = scratch("nlme.csv");
  const std::string command = "Rscript '" + std::string(ONSET_SOURCE_DIR) +
                              "/tests/fits/reference/theo_nlme.R' '" + data + "' '" + out + "'";
  double nlme_s = 0;
  for (auto _ : state) {
    if (std::system(command.c_str()) != 0) {
      state.SkipWithError("Rscript failed (scripts/setup installs r-cran-nlme)");
      return;
    }
    std::ifstream in(out);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("elapsed_s,", 0) == 0) nlme_s = std::stod(line.substr(10));
  }
  state.counters["nlme_s"] = nlme_s;
}

void Bauer402(benchmark::State& state) {
  const auto problem =
      reference::make_problem("two_compartment_iv", reference::bauer402_records(scratch("402.csv")),
                              reference::bauer402_spec());
  run_fit(state, problem);
}

void NonmemRun(benchmark::State& state, const reference::NonmemRun& run) {
  const auto problem = reference::make_problem(
      run.model, reference::nonmem_focei_records(run.data, scratch(run.data)),
      reference::run_spec(run, reference::control_stream_start(run), false));
  run_fit(state, problem);
  state.counters["nonmem_cpu_s"] = nonmem_cpu_seconds(run.name);
}

void RunOde001(benchmark::State& state) { NonmemRun(state, reference::kRunOde001); }
void RunOde032(benchmark::State& state) { NonmemRun(state, reference::kRunOde032); }

#define POPULATION_BENCH(name)    \
  BENCHMARK(name)                 \
      ->Name("Population/" #name) \
      ->Arg(1)                    \
      ->Arg(2)                    \
      ->ArgName("threads")        \
      ->Unit(benchmark::kSecond)  \
      ->UseRealTime()             \
      ->Iterations(1)
POPULATION_BENCH(Theophylline);
POPULATION_BENCH(TheophyllineSaem);
POPULATION_BENCH(Bauer402);
POPULATION_BENCH(RunOde001);
POPULATION_BENCH(RunOde032);
BENCHMARK(TheophyllineNlme)
    ->Name("Population/TheophyllineNlme")
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
