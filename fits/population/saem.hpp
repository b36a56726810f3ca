// Population fits by SAEM, the stochastic approximation expectation-maximisation algorithm
// (Delyon, Lavielle and Moulines 1999, Ann Stat 27:94; with MCMC in the E-step: Kuhn and Lavielle
// 2004, ESAIM P&S 8:115, and 2005, Comput Stat Data Anal 49:1020), as Monolix, saemix (Comets,
// Lavenu and Lavielle 2017, J Stat Softw 80(3)) and nlmixr2 run it. Solve(options, problem,
// &summary), the Ceres pattern, on the same PopulationProblem as the FOCE family.
//
// The model must be mu-referenced: every ETA enters exactly one individual parameter, and that
// parameter is h(mu_i(THETA, covariates) + ETA) with h the identity (a normal random effect,
// "tvV + eta_V"), exp (log-normal, "tvCL * (WT/70)^dCLWT * exp(eta_CL)") or the logistic
// function (logit-normal). This is checked numerically on the expressions (d h^-1(phi) / d eta
// must be 1) and refused otherwise, with the parameter named. psi_i = mu_i + eta_i ~ N(mu_i, OMEGA)
// are then the individual parameters on the transformed scale; they are the latent variables.
//
// Each iteration k:
//  - E-step: for each subject and each of its chains, Metropolis-Hastings kernels as saemix's
//    (Comets et al. 2017, section 2.2): kernel 1 proposes eta from its prior N(0, OMEGA)
//    (accepted on the likelihood ratio); kernel 2 a random walk on one component at a time;
//    kernel 3 a random walk on a random block of components; the random-walk scales adapt to an
//    acceptance rate of 0.4.
//  - Stochastic approximation of the complete-data sufficient statistics with step gamma_k:
//    per subject s_i = SA of psi_i; S2 = SA of sum_i psi_i psi_i'; per observable the SA of
//    sum r^2 (additive) and sum (r / f)^2 (proportional). gamma_k = 1 in the exploration phase
//    (K1 iterations), then 1 / (k - K1) (K2 smoothing iterations).
//  - M-step: THETA minimises sum_i (s_i - mu_i(THETA))' OMEGA^-1 (s_i - mu_i(THETA)) (Gauss-
//    Newton in internal coordinates; closed form for plain typical values); OMEGA = M / N with
//    M = S2 - sum_i (s_i mu_i' + mu_i s_i') + sum_i mu_i mu_i' (restricted to the declared block
//    structure); additive a^2 = SA(sum r^2) / n, proportional b^2 = SA(sum (r/f)^2) / n;
//    combined error: (a, b) minimise the residual -2 log L of the current samples and move by
//    gamma_k towards it (saemix's M-step for error models without sufficient statistics).
//  - Simulated annealing during the first half of the exploration phase (saemix's alpha.sa):
//    OMEGA's variances and the residual SDs shrink by at most the factor `annealing` per
//    iteration, so that the chains explore before the variances settle.
//
// Afterwards:
//  - -2 log L by importance sampling (saemix's llis.saemix, Monolix's default): per subject,
//    a multivariate t proposal (`importance_df` degrees of freedom) centred on the conditional
//    mean of eta with its conditional covariance (both averaged over the smoothing phase);
//    L_i = mean over draws of p(y_i | eta) p(eta) / q(eta). Its Monte Carlo standard error is
//    reported beside it.
//  - The FOCE-I objective at the SAEM estimates (the FOCE family's evaluation, NONMEM's
//    MAXEVAL=0), with its covariance step (standard errors) and the EBEs (conditional modes),
//    shrinkage and per-observation diagnostics: nlmixr2 reports the same ("OBJF by FOCEi
//    approximation").
//
// Determinism: subject i's random numbers at iteration k come from pk::task_rng(a key of (seed,
// k), i) and its importance samples from task_rng(a key of seed, i); subjects run in parallel over
// threads and MPI ranks (pk/distributed.hpp) and every sum is taken in subject order on every
// rank, so a seed gives the same numbers for any number of threads or ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fits/population/population_fit.hpp"

namespace onset::fits::population {

struct SaemOptions {
  // Seed of every random number (MCMC, importance sampling).
  uint64_t seed = 1;
  // Iterations of MCMC alone at the starting values, before any update (saemix nbiter.burn).
  int burn_in = 5;
  // Exploration phase: step size 1 (saemix K1 = 300, nlmixr2 nBurn = 200).
  int exploration_iterations = 300;
  // Smoothing phase: step size 1 / (k - K1) (saemix K2 = 100, nlmixr2 nEm = 300).
  int smoothing_iterations = 200;
  // Markov chains per subject; 0: enough that subjects x chains >= 50 (Monolix's rule).
  int chains = 0;
  // Metropolis-Hastings steps per iteration of kernels 1, 2 and 3 (saemix nbiter.mcmc).
  int kernel1_steps = 2;
  int kernel2_steps = 2;
  int kernel3_steps = 2;
  // Target acceptance rate of the random-walk kernels and the rate of adaptation of their
  // scales (saemix proba.mcmc = 0.4, stepsize.rw = 0.4).
  double target_acceptance = 0.4;
  double adaptation_rate = 0.4;
  // Largest shrinkage per iteration of OMEGA's variances and of the residual SDs during the
  // first half of the exploration phase (saemix alpha.sa = 0.97); 0: no annealing.
  double annealing = 0.97;
  // Importance sampling of -2 log L afterwards: draws per subject (saemix nmc.is = 5000; 0:
  // skipped) and degrees of freedom of the t proposal (saemix nu.is = 4).
  int importance_samples = 5000;
  double importance_df = 4;
  // The FOCE-I evaluation at the estimates: objective, covariance step (the matrix used; kNone:
  // no standard errors), EBEs and diagnostics.
  bool focei_evaluation = true;
  CovarianceMatrix covariance = CovarianceMatrix::kSandwich;
  bool diagnostics = true;
  // Worker threads per MPI rank (0: all cores); the results do not depend on it.
  int threads = 0;
  // Wall-time limit in seconds (0: none) and a flag polled between iterations; when either stops
  // the run, the status says so and the summary keeps the last estimates.
  double time_limit_s = 0;
  std::function<bool()> cancelled;

  bool IsValid(std::string* why) const;
};

struct SaemSummary {
  // Status, estimates, objective (-2 log L by importance sampling; NONMEM's convention without
  // the N log(2 pi) constant in `objective`), standard errors, EBEs and diagnostics (from the
  // FOCE-I evaluation at the estimates), method SAEM.
  PopulationSummary population;
  uint64_t seed = 0;
  int chains = 0;
  int burn_in = 0, exploration_iterations = 0, smoothing_iterations = 0;
  // -2 log L by importance sampling (with the N log(2 pi) constant) and its Monte Carlo SE;
  // NaN when not computed.
  double importance_minus_two_log_likelihood = 0;
  double importance_standard_error = 0;
  int importance_samples = 0;
  // The FOCE-I objective (NONMEM's convention) at the SAEM estimates; NaN when not evaluated.
  double focei_objective = 0;
  // Per ETA (transform of its parameter): "log" (log-normal), "identity" (normal), "logit".
  std::vector<std::string> eta_parameters;
  std::vector<std::string> eta_transforms;
  // Acceptance rates over the last iteration's subjects and chains: kernel 1, and the mean of
  // kernels 2 and 3.
  double acceptance_prior = 0, acceptance_random_walk = 0;
  // The estimates at every iteration (rows) in the order of `trajectory_names` (THETAs, OMEGA
  // variances and covariances, SIGMAs as variances): the convergence plot.
  std::vector<std::string> trajectory_names;
  std::vector<double> trajectory;
};

// Fits `problem` by SAEM. Throws UserError when the model is not mu-referenced, or when an
// estimated THETA enters no parameter with a random effect (SAEM's M-step cannot reach it:
// fix it, or give its parameter a random effect); otherwise as the FOCE family's Solve.
void Solve(const SaemOptions& options, const PopulationProblem& problem, SaemSummary* summary);

// The text report (the SAEM settings and likelihoods, then the population report), the JSON
// (the population fit's JSON with "saem": {...}) and the trajectory as CSV (ITERATION, PHASE,
// the estimates).
void print_text(const SaemSummary& summary, std::ostream& out);
std::string to_json_text(const SaemSummary& summary, bool include_tables);
void write_trajectory_csv(const SaemSummary& summary, std::ostream& out);

}  // namespace onset::fits::population
