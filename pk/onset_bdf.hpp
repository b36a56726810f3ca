// onset_bdf (pk/onset_bdf_integrator.cpp) beyond the Integrator interface: forward
// sensitivities of the states with respect to parameters, solved with the states by CVODES's
// staggered direct method, for pk/sensitivity.cpp; and the size limits of its kernels.
#pragma once

#include <memory>
#include <span>

#include "pk/integrator.hpp"

namespace onset::pk {

// Models with up to this many states run on kernels compiled for their exact size (every
// vector and matrix a fixed-size object, every loop a compile-time trip count); larger ones on
// the dynamic-size path, with a workspace allocated once per integrator.
constexpr int kOnsetBdfFixedMaxStates = 16;
// From this many states on, a model that declares its Jacobian's sparsity (every model file)
// and has an analytic Jacobian gets KLU's sparse LU (SuiteSparse) instead of dense LU, when
// SolverOptions::linear_solver is kAuto. Measured crossover: bench/onset_bench.cpp,
// Size/... rows, bench/README.md.
constexpr int kOnsetBdfSparseMinStates = 40;

class OnsetBdfIntegrator : public Integrator {
 public:
  // Forward sensitivities s_j = dy/dp_wrt[j], solved with the states: after each step's
  // Newton iteration on the states has converged, the (linear) sensitivity equations
  // s' = J(t, y) s + df/dp_j are corrected with the same iteration matrix (CVODES's
  // CV_STAGGERED), and their local errors enter the error test and the step and order
  // selection (errconS), with CVODES's default sensitivity tolerances: rtol, and atol_i / pbar_j
  // (CVodeSensEEtolerances). df/dp_j by central differences of the right-hand side in p alone
  // (step 1e-6 pbar_j); J the model's analytic Jacobian (else difference quotients).
  // Empty `wrt`: off (the default). Allocates; call before set_parameters().
  virtual void set_sensitivities(std::span<const int> wrt, std::span<const double> pbar) = 0;
  // The sensitivities at the start of the next restart() (s[j * n + i] = d y_i / d p_wrt[j]).
  // Afterwards, restart() continues from the sensitivities at the time last returned by
  // advance(): doses that do not depend on the parameters leave them continuous.
  virtual void set_sensitivity_values(std::span<const double> s) = 0;
  // The sensitivities at the time of the last advance() result (same layout).
  virtual void sensitivities(std::span<double> s) const = 0;
};

// onset_bdf for a model of any size (the fixed-size kernels up to kOnsetBdfFixedMaxStates).
std::unique_ptr<OnsetBdfIntegrator> make_onset_bdf(const Model& model,
                                                   const SolverOptions& options);

}  // namespace onset::pk
