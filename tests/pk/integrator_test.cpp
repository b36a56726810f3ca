// Integrator::set_prepared (pk/integrator.hpp): an integrator that evaluates the model through
// its caller's prepared model, as the Simulator has it do so that a simulation prepares each
// parameter vector once, gives what it gives with a preparation of its own (set_parameters),
// bit for bit; and a later set_parameters() makes it independent of the caller's model again.
#include "pk/integrator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/model_library.hpp"
#include "pk/observed_subsystem.hpp"

namespace onset::pk {
namespace {

struct Recording {
  std::vector<double> values;  // y at every output, then each crossing time
  long steps = 0;
};

// Restarts at t = 0 from the model's initial state (plus `bolus` into state 0) and advances
// over 0.5, 1, ..., `end` h, recording every state and every crossing on the way.
Recording drive(Integrator& integrator, const Model& model, std::span<const double> params,
                double bolus, double end) {
  const auto n = static_cast<size_t>(model.num_states());
  std::vector<double> y(n), zero(n, 0.0);
  model.initial_state(params, y);
  y[0] += bolus;
  integrator.reset_stats();
  integrator.restart(0, y, zero, end);
  Recording run;
  std::vector<char> crossed(1);
  for (double t_out = 0.5; t_out <= end; t_out += 0.5) {
    for (;;) {
      double t = 0;
      const AdvanceOutcome outcome = integrator.advance(t_out, y, &t, crossed);
      EXPECT_NE(outcome, AdvanceOutcome::kFailure) << integrator.failure();
      if (outcome != AdvanceOutcome::kCrossing) break;
      run.values.push_back(t);
    }
    run.values.insert(run.values.end(), y.begin(), y.end());
  }
  run.steps = integrator.stats().steps;
  return run;
}

void expect_same_bits(const Recording& a, const Recording& b, const std::string& what) {
  ASSERT_EQ(a.values.size(), b.values.size()) << what;
  EXPECT_EQ(a.steps, b.steps) << what;
  EXPECT_EQ(std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(double)), 0)
      << what;
}

struct Case {
  std::string name;
  std::shared_ptr<const Model> model;
  Backend backend;
  CrossingQuery crossing;
  double bolus;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  // exact_linear: ammonia with normal hepatic function, the encephalopathy drive falling
  // through a half (an expression observable: its fixed part comes from the preparation).
  std::shared_ptr<const Model> ammonia(models::load_model("ammonia"));
  out.push_back({"ammonia/exact_linear",
                 ammonia,
                 Backend::kExactLinear,
                 {ammonia->observable_index("encephalopathy_excess"), 0.5, Direction::kFalling},
                 0});
  // onset_bdf: the 16 states AGO-loaded miRNA per Kupffer cell sees in the EV cargo cascade
  // (fixed-size kernels, pattern LU), a 1e13-particle bolus, the loaded copies rising past
  // 0.01 per cell.
  std::shared_ptr<const Model> cascade(models::load_model("ev_cargo_cascade_human"));
  const int risc = cascade->observable_index("risc_copies_per_cell");
  out.push_back({"risc subsystem/onset_bdf",
                 ObservedSubsystem::make(cascade, risc),
                 Backend::kOnsetBdf,
                 {0, 0.01, Direction::kRising},
                 1e13});
  return out;
}

TEST(Integrator, SetPreparedGivesTheValuesOfItsOwnPreparationBitForBit) {
  for (const Case& c : cases()) {
    ASSERT_NE(c.model, nullptr) << c.name;
    const Model& model = *c.model;
    SolverOptions options;
    options.backend = c.backend;
    options.rtol = 1e-6;
    options.atol = 1e-9 * (c.bolus > 0 ? c.bolus : 1.0);
    std::vector<double> p = model.default_parameters();
    if (const int hf = model.parameter_index("hepatic_function"); hf >= 0)
      p[static_cast<size_t>(hf)] = 1;
    std::vector<double> other = p;
    for (double& v : other) v *= 1.3;
    const std::vector<CrossingQuery> queries{c.crossing};

    const auto own = make_integrator(c.backend, model, options);
    own->set_crossings(queries);
    own->set_parameters(p);
    const Recording reference = drive(*own, model, p, c.bolus, 24);
    ASSERT_EQ(reference.values.size() % static_cast<size_t>(model.num_states()), 1u)
        << c.name << ": one crossing expected";

    const auto shared = make_integrator(c.backend, model, options);
    shared->set_crossings(queries);
    PreparedModel prepared(model);
    prepared.set_parameters(p);
    shared->set_prepared(&prepared);
    expect_same_bits(drive(*shared, model, p, c.bolus, 24), reference, c.name + ", shared");

    // Its own parameters again (the same values): the caller's model may now be prepared for
    // other parameters without changing anything.
    shared->set_parameters(p);
    prepared.set_parameters(other);
    expect_same_bits(drive(*shared, model, p, c.bolus, 24), reference, c.name + ", own again");
  }
}

// dA/dt = -k A, linear only for k >= 0 (linear_system says no below): the exact integrator's
// parameters that fail must fail every time. Before, the failing parameters were remembered
// as the current ones, so a second call with them found them "already in use" and went on
// with the previous system, k = 0.5, without an error.
class LinearForNonNegativeRate final : public Model {
 public:
  std::string_view name() const override { return "test_linear_for_k_at_least_0"; }
  std::span<const StateInfo> states() const override { return states_; }
  std::span<const ParameterInfo> parameters() const override { return params_; }
  std::span<const ObservableInfo> observables() const override { return observables_; }
  void rhs(double, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override {
    ydot[0] = -p[0] * y[0];
  }
  void observe(double, std::span<const double> y, std::span<const double>,
               std::span<double> out) const override {
    out[0] = y[0];
  }
  bool linear_system(std::span<const double> p, std::span<double> a,
                     std::span<double> b) const override {
    a[0] = -p[0];
    b[0] = 0;
    return p[0] >= 0;
  }

 private:
  StateInfo states_[1] = {{"A", "mg"}};
  ParameterInfo params_[1] = {{"k", "1/h", 0.5}};
  ObservableInfo observables_[1] = {{"A", "mg"}};
};

TEST(Integrator, ExactLinearRefusesTheSameNonlinearParametersEveryTime) {
  const LinearForNonNegativeRate model;
  SolverOptions options;
  options.backend = Backend::kExactLinear;
  const auto integrator = make_integrator(Backend::kExactLinear, model, options);
  const std::vector<double> good{0.5}, bad{-0.5};
  integrator->set_parameters(good);
  EXPECT_THROW(integrator->set_parameters(bad), std::invalid_argument);
  EXPECT_THROW(integrator->set_parameters(bad), std::invalid_argument);
  PreparedModel prepared(model);
  prepared.set_parameters(bad);
  EXPECT_THROW(integrator->set_prepared(&prepared), std::invalid_argument);
  // And the good parameters afterwards give their own exact solution: A(2 h) = e^{-1}.
  integrator->set_parameters(good);
  std::vector<double> y{1.0}, zero{0.0};
  integrator->restart(0, y, zero, 2);
  double t = 0;
  std::vector<char> crossed;
  ASSERT_EQ(integrator->advance(2, y, &t, crossed), AdvanceOutcome::kReachedOutput)
      << integrator->failure();
  // The exact propagator: e^{-1} to a few units of roundoff (1e-12 leaves room for any path).
  EXPECT_NEAR(y[0], std::exp(-1.0), 1e-12);
}

}  // namespace
}  // namespace onset::pk
