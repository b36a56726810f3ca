// How to integrate: one options type for every backend. Plain struct, defaults in class.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onset::pk {

enum class Backend {
  kAuto,               // exact linear if the model is linear (up to 64 states), else onset's
                       // BDF (banded for a narrow band from 40 states on)
  kCvodesBdf,          // SUNDIALS CVODES, BDF + Newton, dense or banded direct solver (stiff)
  kCvodesAdams,        // SUNDIALS CVODES, Adams-Moulton + fixed point (non-stiff)
  kOdeintDopri5,       // Boost.Odeint Dormand-Prince 5(4), dense output (non-stiff)
  kOdeintRosenbrock4,  // Boost.Odeint Rosenbrock4, dense output (stiff; needs a Jacobian)
  kExactLinear,        // matrix exponential through Eigen (linear time-invariant models only;
                       // a step too stiff for it to be exact goes to onset_bdf)
  kOnsetBdf,           // onset's BDF (CVODE's method; fixed-size kernels up to 16 states)
};

std::string_view backend_name(Backend backend);
// Parses a backend name as printed by backend_name(); nullopt if unknown.
std::optional<Backend> parse_backend(std::string_view name);

enum class LinearSolverKind {
  kAuto,    // onset_bdf: dense LU, or sparse LU (KLU) from kOnsetBdfSparseMinStates states on
            // for models that declare their Jacobian's sparsity; cvodes_bdf: dense LU
  kDense,   // dense LU
  kBanded,  // banded LU; bandwidths from the options or else from Model::bandwidth()
  kSparse,  // onset_bdf only: sparse LU (KLU, SuiteSparse) on Model::jacobian_pattern()
};

struct SolverOptions {
  // Which integrator. kAuto picks by model size and linearity (see Backend).
  Backend backend = Backend::kAuto;
  // Relative tolerance (dimensionless), in (0, 1). kExactLinear takes a step exactly only when
  // its error bound u ||A dt||_1 is within it, and hands the step to a BDF method otherwise
  // (pk/exact_linear_integrator.cpp).
  double rtol = 1e-8;
  // Absolute tolerance, in each state's own unit; used for every state unless
  // atol_per_state is given.
  double atol = 1e-10;
  // Per-state absolute tolerances (state units); empty: `atol` for all. Set this when states
  // differ by orders of magnitude (particles next to relative levels).
  std::vector<double> atol_per_state;
  // Direct linear solver for the Newton iterations of kOnsetBdf and kCvodesBdf.
  LinearSolverKind linear_solver = LinearSolverKind::kAuto;
  // Bandwidths for kBanded; -1: take them from Model::bandwidth().
  int lower_bandwidth = -1;
  int upper_bandwidth = -1;
  // Use the model's analytic Jacobian when it has one (else finite differences).
  bool use_model_jacobian = true;
  // Most internal steps between two outputs (CVODES mxstep); a failure says so in words.
  long max_steps = 500000;
  // Largest internal step, hours; 0: no limit.
  double max_step_h = 0;
  // First internal step, hours; 0: the backend's own estimate.
  double initial_step_h = 0;
  // Sub-intervals per output interval in which kExactLinear looks for sign changes of a
  // crossing function before refining with Brent's method.
  int exact_root_subdivisions = 8;

  // True when the options can be used; else false with the reason in *why.
  bool IsValid(std::string* why) const;
  // Absolute tolerance of state i.
  double atol_of(int state) const {
    return atol_per_state.empty() ? atol : atol_per_state[static_cast<size_t>(state)];
  }
};

}  // namespace onset::pk
