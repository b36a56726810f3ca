// Compiled as C++17 (see the header).
#include "pk/odeint_rosenbrock_core.hpp"

#include <boost/numeric/odeint.hpp>
#include <utility>

namespace onset::pk {

namespace odeint = boost::numeric::odeint;
namespace ublas = boost::numeric::ublas;

struct OdeintRosenbrockCore::Impl {
  using State = ublas::vector<double>;
  using Stepper =
      odeint::rosenbrock4_dense_output<odeint::rosenbrock4_controller<odeint::rosenbrock4<double>>>;

  Impl(int size, double atol, double rtol, RhsFunction f, JacobianFunction j, void* c)
      : n(size),
        rhs(f),
        jacobian(j),
        context(c),
        stepper(odeint::make_dense_output(atol, rtol, odeint::rosenbrock4<double>())),
        state(static_cast<size_t>(size)),
        scratch(static_cast<size_t>(size)),
        jac_flat(static_cast<size_t>(size) * static_cast<size_t>(size)) {}

  int n;
  RhsFunction rhs;
  JacobianFunction jacobian;
  void* context;
  Stepper stepper;
  State state, scratch;
  std::vector<double> jac_flat;
};

OdeintRosenbrockCore::OdeintRosenbrockCore(int n, double atol, double rtol, RhsFunction rhs,
                                           JacobianFunction jacobian, void* context)
    : impl_(std::make_unique<Impl>(n, atol, rtol, rhs, jacobian, context)) {}

OdeintRosenbrockCore::~OdeintRosenbrockCore() = default;

void OdeintRosenbrockCore::initialize(const double* y0, double t0, double dt) {
  for (int i = 0; i < impl_->n; ++i) impl_->state[static_cast<size_t>(i)] = y0[i];
  impl_->stepper.initialize(impl_->state, t0, dt);
}

void OdeintRosenbrockCore::do_step() {
  Impl& impl = *impl_;
  const auto n = static_cast<size_t>(impl.n);
  auto system = [&impl](const Impl::State& x, Impl::State& dxdt, double t) {
    impl.rhs(impl.context, t, &x.data()[0], &dxdt.data()[0]);
  };
  auto jacobian = [&impl, n](const Impl::State& x, ublas::matrix<double>& jac, double t,
                             Impl::State& dfdt) {
    std::fill(impl.jac_flat.begin(), impl.jac_flat.end(), 0.0);
    impl.jacobian(impl.context, t, &x.data()[0], impl.jac_flat.data());
    for (size_t i = 0; i < n; ++i) {
      dfdt[i] = 0;  // autonomous within a piece
      for (size_t j = 0; j < n; ++j) jac(i, j) = impl.jac_flat[i + n * j];
    }
  };
  impl.stepper.do_step(std::make_pair(system, jacobian));
}

double OdeintRosenbrockCore::current_time() const { return impl_->stepper.current_time(); }
double OdeintRosenbrockCore::current_time_step() const {
  return impl_->stepper.current_time_step();
}

void OdeintRosenbrockCore::current_state(double* out) const {
  const auto& state = impl_->stepper.current_state();
  for (int i = 0; i < impl_->n; ++i) out[i] = state[static_cast<size_t>(i)];
}

void OdeintRosenbrockCore::calc_state(double t, double* out) {
  impl_->stepper.calc_state(t, impl_->scratch);
  for (int i = 0; i < impl_->n; ++i) out[i] = impl_->scratch[static_cast<size_t>(i)];
}

}  // namespace onset::pk
