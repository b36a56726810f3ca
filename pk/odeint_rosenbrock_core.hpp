// Boost.Odeint's Rosenbrock4 dense-output stepper behind a plain interface. Odeint's
// Rosenbrock4 stores its state in boost::ublas, which Boost 1.74 cannot compile as C++20,
// so odeint_rosenbrock_core.cpp is compiled as C++17 and this header stays C++17-clean.
#pragma once

#include <memory>

namespace onset::pk {

class OdeintRosenbrockCore {
 public:
  // f(context, t, y, dydt) and jac(context, t, y, jac) with jac column-major n x n, zeroed.
  using RhsFunction = void (*)(void* context, double t, const double* y, double* dydt);
  using JacobianFunction = void (*)(void* context, double t, const double* y, double* jac);

  OdeintRosenbrockCore(int n, double atol, double rtol, RhsFunction rhs, JacobianFunction jacobian,
                       void* context);
  ~OdeintRosenbrockCore();
  OdeintRosenbrockCore(const OdeintRosenbrockCore&) = delete;
  OdeintRosenbrockCore& operator=(const OdeintRosenbrockCore&) = delete;

  void initialize(const double* y0, double t0, double dt);
  // One adaptive step; throws std::exception when odeint gives up.
  void do_step();
  double current_time() const;
  double current_time_step() const;
  void current_state(double* out) const;
  // State at t inside the last step (dense output).
  void calc_state(double t, double* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onset::pk
