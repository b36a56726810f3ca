#include "fits/population/population_simulate.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "fits/population/csv_text.hpp"
#include "fits/population/subject_pool.hpp"
#include "io/format.hpp"
#include "pk/distributed.hpp"

namespace onset::fits::population {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr uint64_t kSimulationStream = 0x51A0'0001'0000'0000ull;

}  // namespace

bool SimulationOptions::IsValid(std::string* why) const {
  if (replicates < 1) {
    if (why) *why = "replicates must be >= 1";
    return false;
  }
  if (threads < 0) {
    if (why) *why = "threads must be >= 0";
    return false;
  }
  return true;
}

void simulate_population(const PopulationProblem& problem, const PopulationPoint& point,
                         const SimulationOptions& options, PopulationSimulation* out) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("simulation options: " + why);
  validate(problem.model);
  const PopulationData& data = problem.data;
  const IndividualModel individual = individual_model_of(problem);
  SubjectPool subjects(problem, individual, options.threads);
  const size_t n = subjects.size(), q = problem.model.etas.size();
  const auto qe = static_cast<Eigen::Index>(q);
  const size_t n_max = subjects.max_observations();
  const auto replicates = static_cast<size_t>(options.replicates);

  PopulationSimulation& sim = *out;
  sim = PopulationSimulation{};
  sim.replicates = options.replicates;
  sim.eta_names = problem.model.etas;
  sim.observables = data.observables;
  sim.num_subjects = n;
  std::vector<size_t> first(n + 1, 0);
  for (size_t s = 0; s < n; ++s) {
    const PopulationSubject& subject = data.subjects[s];
    first[s + 1] = first[s] + subject.y.size();
    for (size_t j = 0; j < subject.y.size(); ++j) {
      sim.subject.push_back(s);
      sim.id.push_back(subject.id);
      sim.time.push_back(subject.time[j]);
      sim.block.push_back(subject.block[j]);
      sim.observed.push_back(subject.y[j]);
    }
  }
  const size_t m = sim.num_observations();

  const Eigen::LLT<Eigen::MatrixXd> cholesky(point.omega);
  if (cholesky.info() != Eigen::Success)
    throw std::invalid_argument("simulate_population: OMEGA is not positive definite");
  const Eigen::MatrixXd factor = cholesky.matrixL();
  const uint64_t key = pk::splitmix64(options.seed ^ kSimulationStream);
  // Row of task (replicate r, subject s): ok, ETAs, IPRED (n_max), DV (n_max). Replicates run in
  // blocks, with the cancel flag polled between blocks (never inside a loop that spans ranks).
  const size_t width = 1 + q + 2 * n_max;
  const size_t block_size = 64;
  std::vector<double> rows;
  rows.reserve(replicates * n * width);
  for (size_t r0 = 0; r0 < replicates; r0 += block_size) {
    if (options.cancelled && options.cancelled()) throw std::runtime_error("interrupted");
    const size_t count = std::min(block_size, replicates - r0) * n;
    const std::vector<double> block_rows = pk::distributed_map(
        count, width, options.threads, [&] { return subjects.worker(); },
        [&](size_t local, size_t worker, std::span<double> row) {
          const size_t task = r0 * n + local, s = task % n;
          std::mt19937_64 rng = pk::task_rng(key, task);
          std::normal_distribution<double> normal(0.0, 1.0);
          Eigen::VectorXd z(qe);
          for (auto& value : z) value = normal(rng);
          const Eigen::VectorXd eta = factor * z;
          for (size_t k = 0; k < q; ++k) row[1 + k] = eta(static_cast<Eigen::Index>(k));
          std::fill(row.begin() + static_cast<long>(1 + q), row.end(), kNaN);
          IndividualPrediction prediction;
          std::string ignored;
          if (!subjects.evaluator(worker, s).predict(point, std::span<const double>(eta.data(), q),
                                                     false, &prediction, &ignored)) {
            row[0] = 0;
            return;
          }
          row[0] = 1;
          const std::vector<int>& block = subjects.block(s);
          for (size_t j = 0; j < block.size(); ++j) {
            const auto je = static_cast<Eigen::Index>(j);
            double value = prediction.f(je);
            if (options.residual_error)
              value += std::sqrt(residual_variance(point, block[j], value)) * normal(rng);
            row[1 + q + j] = prediction.f_raw(je);
            row[1 + q + n_max + j] = subjects.log_scale(block[j]) ? std::exp(value) : value;
          }
        });
    rows.insert(rows.end(), block_rows.begin(), block_rows.end());
  }
  sim.ipred.assign(replicates * m, kNaN);
  sim.dv.assign(replicates * m, kNaN);
  sim.eta.assign(replicates * n * q, kNaN);
  for (size_t r = 0; r < replicates; ++r)
    for (size_t s = 0; s < n; ++s) {
      const double* row = &rows[(r * n + s) * width];
      for (size_t k = 0; k < q; ++k) sim.eta[(r * n + s) * q + k] = row[1 + k];
      if (row[0] == 0) {
        ++sim.failures;
        continue;
      }
      for (size_t j = 0; j < first[s + 1] - first[s]; ++j) {
        sim.ipred[r * m + first[s] + j] = row[1 + q + j];
        sim.dv[r * m + first[s] + j] = row[1 + q + n_max + j];
      }
    }
}

void write_simulation_csv(const PopulationSimulation& sim, std::ostream& out) {
  out << "REP,ID,TIME,OBS,IPRED,DV";
  for (const auto& name : sim.eta_names) out << "," << csv_field(name);
  out << "\n";
  const size_t m = sim.num_observations(), q = sim.eta_names.size();
  for (size_t r = 0; r < static_cast<size_t>(sim.replicates); ++r)
    for (size_t i = 0; i < m; ++i) {
      out << r + 1 << "," << csv_field(sim.id[i]) << "," << csv_value(sim.time[i]) << ","
          << csv_field(sim.observables[static_cast<size_t>(sim.block[i])]) << ","
          << csv_value(sim.ipred[r * m + i]) << "," << csv_value(sim.dv[r * m + i]);
      for (size_t k = 0; k < q; ++k)
        out << "," << csv_value(sim.eta[(r * sim.num_subjects + sim.subject[i]) * q + k]);
      out << "\n";
    }
}

PopulationProblem simulated_problem(const PopulationProblem& problem,
                                    const PopulationSimulation& sim, int replicate) {
  if (replicate < 0 || replicate >= sim.replicates)
    throw std::invalid_argument("simulated_problem: no such replicate");
  PopulationProblem copy = problem;
  const size_t m = sim.num_observations();
  size_t i = 0;
  for (PopulationSubject& subject : copy.data.subjects)
    for (double& y : subject.y) {
      if (i >= m) throw std::invalid_argument("simulated_problem: another data set");
      y = sim.dv[static_cast<size_t>(replicate) * m + i++];
    }
  if (i != m) throw std::invalid_argument("simulated_problem: another data set");
  copy.data.notes.push_back("simulated replicate " + std::to_string(replicate + 1));
  return copy;
}

}  // namespace onset::fits::population
