// Normalised prediction distribution errors (NPDE; Brendel, Comets, Laffont, Laveille and
// Mentré 2006, Pharm Res 23:2036; Comets, Brendel and Mentré 2008, Comput Methods Programs Biomed
// 90:154, the R package npde), from simulations under the model.
//
// For subject i with observations y_i (on the error scale: logs under a log-scale error model),
// K replicates y_i^(k) are simulated at the fit's estimates (fits/population/population_simulate
// .hpp: new ETAs and residual errors each). With E_i and V_i the empirical mean and covariance of
// the replicates (EPRED = E_i) and V_i = L L' (Cholesky), the observed and simulated vectors are
// decorrelated, y* = L^-1 (y - E_i); pde_ij = (1/K) #{k : y*_ij^(k) < y*_ij}, with 0 and 1 moved
// to 1/(2K) and 1 - 1/(2K) (npde's `ties = TRUE`), and npde = Phi^-1(pde). Under the model the npde
// are N(0, 1) and independent. An observation whose simulations do not vary (a proportional error
// model at a prediction of 0) gets none, and is left out of its subject's decorrelation.
//
// The tests npde runs on them: mean 0 (Wilcoxon signed-rank test, normal approximation with
// continuity correction, R's wilcox.test(exact = FALSE)), variance 1 (Fisher's chi-square test,
// (n - 1) s^2 ~ chi^2(n - 1), two-sided), normality (Shapiro-Wilk, Royston 1995, Appl Stat 44:547,
// algorithm AS R94 as in R's shapiro.test), and the global test (the smallest p-value times 3,
// Bonferroni).
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "fits/population/population_fit.hpp"

namespace onset::fits::population {

struct NpdeOptions {
  // Simulated replicates of the data set (npde's nrep; 1000 is its recommendation).
  int simulations = 1000;
  uint64_t seed = 1;
  // Worker threads per MPI rank (0: all cores); the results do not depend on it.
  int threads = 0;
  std::function<bool()> cancelled;

  bool IsValid(std::string* why) const;
};

struct NpdeSummary {
  int simulations = 0;
  uint64_t seed = 0;
  int count = 0;                                              // observations with an npde
  double mean = 0, variance = 0, skewness = 0, kurtosis = 0;  // kurtosis: excess (0 if normal)
  double p_mean = 0, p_variance = 0, p_normality = 0, p_global = 0;
  double shapiro_w = 0;
  std::vector<std::string> notes;
};

// Computes EPRED, PDE and NPDE for every observation row of `summary` (a fit of `problem`; its
// estimates give the point; rows are matched by data-file line) and the tests. Rows are added
// (with the other diagnostics NaN) when the summary has none.
void compute_npde(const PopulationProblem& problem, const NpdeOptions& options,
                  PopulationSummary* summary, NpdeSummary* out);

void print_text(const NpdeSummary& npde, std::ostream& out);
// `fit_json` (a population fit's JSON) with "npde": {...} added.
std::string with_npde_json(const std::string& fit_json, const NpdeSummary& npde);

// The tests on their own (for other residuals too). p-values; NaN when n is too small (< 3 for
// Shapiro-Wilk, whose n must also be <= 5000; < 2 for the others).
double wilcoxon_signed_rank_p(const std::vector<double>& values);
double variance_test_p(const std::vector<double>& values);
double shapiro_wilk_p(std::vector<double> values, double* w);

}  // namespace onset::fits::population
