#include "fits/population/npde.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>

#include "fits/population/population_simulate.hpp"
#include "fits/population/population_values.hpp"
#include "io/format.hpp"

namespace onset::fits::population {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double normal_quantile(double p) {
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

// R's swilk.c poly(): cc[0] + cc[1] x + ... + cc[nord-1] x^(nord-1).
double poly(const double* cc, int nord, double x) {
  double value = cc[0];
  if (nord > 1) {
    double p = x * cc[nord - 1];
    for (int j = nord - 2; j > 0; --j) p = (p + cc[j]) * x;
    value += p;
  }
  return value;
}

}  // namespace

bool NpdeOptions::IsValid(std::string* why) const {
  if (simulations < 100) {
    if (why) *why = "at least 100 simulations (npde recommends 1000)";
    return false;
  }
  if (threads < 0) {
    if (why) *why = "threads must be >= 0";
    return false;
  }
  return true;
}

double wilcoxon_signed_rank_p(const std::vector<double>& values) {
  std::vector<double> x;
  for (double v : values)
    if (v != 0 && std::isfinite(v)) x.push_back(v);
  const size_t n = x.size();
  if (n < 2) return kNaN;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return std::abs(x[a]) < std::abs(x[b]); });
  std::vector<double> rank(n);
  double ties = 0;  // sum over tie groups of t^3 - t
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && std::abs(x[order[j + 1]]) == std::abs(x[order[i]])) ++j;
    const double average = 0.5 * static_cast<double>(i + j) + 1;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = average;
    const double t = static_cast<double>(j - i + 1);
    ties += t * t * t - t;
    i = j + 1;
  }
  double statistic = 0;
  for (size_t i = 0; i < n; ++i)
    if (x[i] > 0) statistic += rank[i];
  const double nd = static_cast<double>(n);
  double z = statistic - nd * (nd + 1) / 4;
  const double sigma = std::sqrt(nd * (nd + 1) * (2 * nd + 1) / 24 - ties / 48);
  const double correction = z > 0 ? 0.5 : z < 0 ? -0.5 : 0.0;
  z = (z - correction) / sigma;
  return std::min(1.0, 2 * std::min(normal_cdf(z), normal_cdf(-z)));
}

double variance_test_p(const std::vector<double>& values) {
  const size_t n = values.size();
  if (n < 2) return kNaN;
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(n);
  double sum = 0;
  for (double v : values) sum += (v - mean) * (v - mean);
  const boost::math::chi_squared_distribution<double> chi(static_cast<double>(n - 1));
  const double lower = boost::math::cdf(chi, sum);
  return std::min(1.0, 2 * std::min(lower, 1 - lower));
}

double shapiro_wilk_p(std::vector<double> x, double* w_out) {
  // Royston (1995), algorithm AS R94, following R's swilk.c.
  const int n = static_cast<int>(x.size());
  if (w_out) *w_out = kNaN;
  if (n < 3 || n > 5000) return kNaN;
  std::sort(x.begin(), x.end());
  const int nn2 = n / 2;
  std::vector<double> a(static_cast<size_t>(nn2) + 1);  // 1-based
  static const double g[2] = {-2.273, .459};
  static const double c1[6] = {0., .221157, -.147981, -2.07119, 4.434685, -2.706056};
  static const double c2[6] = {0., .042981, -.293762, -1.752461, 5.682633, -3.582633};
  static const double c3[4] = {.544, -.39978, .025054, -6.714e-4};
  static const double c4[4] = {1.3822, -.77857, .062767, -.0020322};
  static const double c5[4] = {-1.5861, -.31082, -.083751, .0038915};
  static const double c6[3] = {-.4803, -.082676, .0030302};
  const double an = n;
  if (n == 3) {
    a[1] = std::sqrt(0.5);
  } else {
    const double an25 = an + .25;
    double summ2 = 0;
    for (int i = 1; i <= nn2; ++i) {
      a[static_cast<size_t>(i)] = normal_quantile((i - .375) / an25);
      summ2 += a[static_cast<size_t>(i)] * a[static_cast<size_t>(i)];
    }
    summ2 *= 2;
    const double ssumm2 = std::sqrt(summ2);
    const double rsn = 1 / std::sqrt(an);
    const double a1 = poly(c1, 6, rsn) - a[1] / ssumm2;
    int i1;
    double fac;
    if (n > 5) {
      i1 = 3;
      const double a2 = -a[2] / ssumm2 + poly(c2, 6, rsn);
      fac = std::sqrt((summ2 - 2 * (a[1] * a[1]) - 2 * (a[2] * a[2])) /
                      (1 - 2 * (a1 * a1) - 2 * (a2 * a2)));
      a[2] = a2;
    } else {
      i1 = 2;
      fac = std::sqrt((summ2 - 2 * (a[1] * a[1])) / (1 - 2 * (a1 * a1)));
    }
    a[1] = a1;
    for (int i = i1; i <= nn2; ++i) a[static_cast<size_t>(i)] /= -fac;
  }
  const double range = x[static_cast<size_t>(n - 1)] - x[0];
  if (range < 1e-19) return kNaN;
  double sa = 0, sx = 0;
  for (int i = 0; i < n; ++i) sx += x[static_cast<size_t>(i)] / range;
  // sum of the antisymmetric coefficients (0 except for rounding) as swilk computes it
  auto coefficient = [&](int i) {  // a_i for sorted position i (0-based), antisymmetric
    const int j = n - 1 - i;
    if (i == j) return 0.0;
    const int k = std::min(i, j) + 1;
    return (i < j ? -1.0 : 1.0) * a[static_cast<size_t>(k)];
  };
  for (int i = 0; i < n; ++i) sa += coefficient(i);
  sa /= n;
  sx /= n;
  double ssa = 0, ssx = 0, sax = 0;
  for (int i = 0; i < n; ++i) {
    const double asa = coefficient(i) - sa;
    const double xsx = x[static_cast<size_t>(i)] / range - sx;
    ssa += asa * asa;
    ssx += xsx * xsx;
    sax += asa * xsx;
  }
  const double ssassx = std::sqrt(ssa * ssx);
  const double w1 = (ssassx - sax) * (ssassx + sax) / (ssa * ssx);
  const double w = 1 - w1;
  if (w_out) *w_out = w;
  if (n == 3) {
    const double pi6 = 1.90985931710274, stqr = 1.04719755119660;
    return std::max(0.0, pi6 * (std::asin(std::sqrt(w)) - stqr));
  }
  double y = std::log(w1);
  const double xx = std::log(an);
  double m, s;
  if (n <= 11) {
    const double gamma = poly(g, 2, an);
    if (y >= gamma) return 1e-99;
    y = -std::log(gamma - y);
    m = poly(c3, 4, an);
    s = std::exp(poly(c4, 4, an));
  } else {
    m = poly(c5, 4, xx);
    s = std::exp(poly(c6, 3, xx));
  }
  return 1 - normal_cdf((y - m) / s);
}

void compute_npde(const PopulationProblem& problem, const NpdeOptions& options,
                  PopulationSummary* summary, NpdeSummary* out) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("NPDE options: " + why);
  *out = NpdeSummary{};
  out->simulations = options.simulations;
  out->seed = options.seed;
  const PopulationPoint point = point_from_summary(problem.model, *summary);
  SimulationOptions simulation_options;
  simulation_options.replicates = options.simulations;
  simulation_options.seed = options.seed;
  simulation_options.threads = options.threads;
  simulation_options.cancelled = options.cancelled;
  PopulationSimulation sim;
  simulate_population(problem, point, simulation_options, &sim);

  // The rows of the summary by data-file line.
  const PopulationData& data = problem.data;
  std::map<int, size_t> row_of_line;
  for (size_t r = 0; r < summary->observations.size(); ++r)
    row_of_line[summary->observations[r].line] = r;
  const size_t m = sim.num_observations(), replicates = static_cast<size_t>(sim.replicates);
  auto error_scale = [&](size_t i, double value) {
    return problem.model.errors[static_cast<size_t>(sim.block[i])].log_scale ? std::log(value)
                                                                             : value;
  };
  std::vector<double> npde_values;
  int undecorrelated = 0, constant = 0;
  size_t first = 0;
  for (size_t s = 0; s < data.subjects.size(); ++s) {
    const PopulationSubject& subject = data.subjects[s];
    const size_t n_i = subject.y.size();
    // Replicates in which the subject could be simulated.
    std::vector<size_t> good;
    for (size_t r = 0; r < replicates; ++r)
      if (std::isfinite(sim.dv[r * m + first])) good.push_back(r);
    const auto k_count = static_cast<Eigen::Index>(good.size());
    Eigen::MatrixXd y_sim(k_count, static_cast<Eigen::Index>(n_i));
    for (Eigen::Index k = 0; k < k_count; ++k)
      for (size_t j = 0; j < n_i; ++j)
        y_sim(k, static_cast<Eigen::Index>(j)) =
            error_scale(first + j, sim.dv[good[static_cast<size_t>(k)] * m + first + j]);
    Eigen::VectorXd y_obs(static_cast<Eigen::Index>(n_i));
    for (size_t j = 0; j < n_i; ++j)
      y_obs(static_cast<Eigen::Index>(j)) = error_scale(first + j, subject.y[j]);
    std::vector<double> epred(n_i, kNaN), pde(n_i, kNaN), npde(n_i, kNaN);
    if (k_count >= 2) {
      const Eigen::VectorXd mean = y_sim.colwise().mean().transpose();
      const Eigen::MatrixXd centred = y_sim.rowwise() - mean.transpose();
      const Eigen::MatrixXd covariance =
          centred.transpose() * centred / static_cast<double>(k_count - 1);
      // Observations whose simulations vary.
      std::vector<Eigen::Index> kept;
      for (Eigen::Index j = 0; j < static_cast<Eigen::Index>(n_i); ++j) {
        epred[static_cast<size_t>(j)] = mean(j);
        if (covariance(j, j) > 1e-24 * std::max(1.0, mean(j) * mean(j)))
          kept.push_back(j);
        else
          ++constant;
      }
      const auto p = static_cast<Eigen::Index>(kept.size());
      Eigen::MatrixXd v(p, p);
      for (Eigen::Index a = 0; a < p; ++a)
        for (Eigen::Index b = 0; b < p; ++b)
          v(a, b) = covariance(kept[static_cast<size_t>(a)], kept[static_cast<size_t>(b)]);
      const Eigen::LLT<Eigen::MatrixXd> cholesky(v);
      if (p > 0 && cholesky.info() == Eigen::Success) {
        const auto l = cholesky.matrixL();
        Eigen::VectorXd obs(p);
        for (Eigen::Index a = 0; a < p; ++a)
          obs(a) = y_obs(kept[static_cast<size_t>(a)]) - mean(kept[static_cast<size_t>(a)]);
        const Eigen::VectorXd decorrelated = l.solve(obs);
        Eigen::MatrixXd sims(p, k_count);
        for (Eigen::Index k = 0; k < k_count; ++k)
          for (Eigen::Index a = 0; a < p; ++a)
            sims(a, k) =
                y_sim(k, kept[static_cast<size_t>(a)]) - mean(kept[static_cast<size_t>(a)]);
        const Eigen::MatrixXd decorrelated_sims = l.solve(sims);
        const double count = static_cast<double>(k_count);
        for (Eigen::Index a = 0; a < p; ++a) {
          double below = 0;
          for (Eigen::Index k = 0; k < k_count; ++k)
            below += decorrelated_sims(a, k) < decorrelated(a) ? 1 : 0;
          double value = below / count;
          if (value == 0) value = 1 / (2 * count);
          if (value == 1) value = 1 - 1 / (2 * count);
          const auto j = static_cast<size_t>(kept[static_cast<size_t>(a)]);
          pde[j] = value;
          npde[j] = normal_quantile(value);
          npde_values.push_back(npde[j]);
        }
      } else if (p > 0) {
        ++undecorrelated;
      }
    }
    for (size_t j = 0; j < n_i; ++j) {
      auto it = row_of_line.find(subject.line[j]);
      if (it == row_of_line.end()) {
        ObservationDiagnostics row;
        row.id = subject.id;
        row.line = subject.line[j];
        row.time = subject.time[j];
        row.observable = data.observables[static_cast<size_t>(subject.block[j])];
        row.dv = subject.y[j];
        row.pred = row.ipred = row.res = row.ires = row.iwres = row.cwres = kNaN;
        summary->observations.push_back(row);
        it = row_of_line.emplace(row.line, summary->observations.size() - 1).first;
      }
      ObservationDiagnostics& row = summary->observations[it->second];
      row.epred = epred[j];
      row.pde = pde[j];
      row.npde = npde[j];
    }
    first += n_i;
  }
  if (sim.failures > 0)
    out->notes.push_back(std::to_string(sim.failures) +
                         " simulated subject(s) could not be evaluated and were left out");
  if (constant > 0)
    out->notes.push_back(std::to_string(constant) +
                         " observation(s) whose simulations do not vary have no NPDE");
  if (undecorrelated > 0)
    out->notes.push_back(std::to_string(undecorrelated) +
                         " subject(s) whose simulated covariance is singular have no NPDE");
  const size_t count = npde_values.size();
  out->count = static_cast<int>(count);
  if (count >= 2) {
    const double n = static_cast<double>(count);
    double mean = 0;
    for (double v : npde_values) mean += v;
    mean /= n;
    double m2 = 0, m3 = 0, m4 = 0;
    for (double v : npde_values) {
      const double d = v - mean;
      m2 += d * d;
      m3 += d * d * d;
      m4 += d * d * d * d;
    }
    out->mean = mean;
    out->variance = m2 / (n - 1);
    // Moment estimators as npde's testnpde (skewness m3 / m2^1.5, kurtosis m4 / m2^2 - 3 on
    // the divisor-n moments).
    out->skewness = (m3 / n) / std::pow(m2 / n, 1.5);
    out->kurtosis = (m4 / n) / ((m2 / n) * (m2 / n)) - 3;
    out->p_mean = wilcoxon_signed_rank_p(npde_values);
    out->p_variance = variance_test_p(npde_values);
    out->p_normality = shapiro_wilk_p(npde_values, &out->shapiro_w);
    double smallest = std::min(out->p_mean, out->p_variance);
    if (std::isfinite(out->p_normality)) smallest = std::min(smallest, out->p_normality);
    out->p_global = std::min(1.0, 3 * smallest);
  } else {
    out->mean = out->variance = out->skewness = out->kurtosis = kNaN;
    out->p_mean = out->p_variance = out->p_normality = out->p_global = out->shapiro_w = kNaN;
  }
}

void print_text(const NpdeSummary& npde, std::ostream& out) {
  out << "NPDE (" << npde.simulations << " simulations, seed " << npde.seed << ", " << npde.count
      << " observations): mean " << format_number(npde.mean, 3) << ", variance "
      << format_number(npde.variance, 3) << ", skewness " << format_number(npde.skewness, 3)
      << ", excess kurtosis " << format_number(npde.kurtosis, 3) << "\n"
      << "  tests: mean = 0 (Wilcoxon signed-rank) p = " << format_number(npde.p_mean, 3)
      << "; variance = 1 (Fisher) p = " << format_number(npde.p_variance, 3)
      << "; normality (Shapiro-Wilk, W = " << format_number(npde.shapiro_w, 4)
      << ") p = " << format_number(npde.p_normality, 3)
      << "; global (Bonferroni) p = " << format_number(npde.p_global, 3) << "\n";
  for (const auto& note : npde.notes) out << "  note: " << note << "\n";
}

std::string with_npde_json(const std::string& fit_json, const NpdeSummary& npde) {
  nlohmann::json out = nlohmann::json::parse(fit_json);
  auto number = [](double value) {
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  out["npde"] = {{"simulations", npde.simulations},
                 {"seed", npde.seed},
                 {"count", npde.count},
                 {"mean", number(npde.mean)},
                 {"variance", number(npde.variance)},
                 {"skewness", number(npde.skewness)},
                 {"kurtosis", number(npde.kurtosis)},
                 {"p_mean_wilcoxon", number(npde.p_mean)},
                 {"p_variance_fisher", number(npde.p_variance)},
                 {"shapiro_wilk_w", number(npde.shapiro_w)},
                 {"p_normality_shapiro_wilk", number(npde.p_normality)},
                 {"p_global", number(npde.p_global)},
                 {"notes", npde.notes}};
  return out.dump(2);
}

}  // namespace onset::fits::population
