#include "pk/integrator.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "io/format.hpp"

namespace onset::pk {

CrossingFunctions::CrossingFunctions(const Model& model, std::span<const CrossingQuery> queries)
    : model_(&model), queries_(queries.begin(), queries.end()) {
  observables_.resize(static_cast<size_t>(model.num_observables()));
  for (const auto& query : queries_)
    if (query.observable < 0 || query.observable >= model.num_observables())
      throw std::invalid_argument("crossing query names observable index " +
                                  std::to_string(query.observable) + ", but model '" +
                                  std::string(model.name()) + "' has " +
                                  std::to_string(model.num_observables()) + " observables");
}

void CrossingFunctions::evaluate(double t, std::span<const double> y,
                                 std::span<const double> params, std::span<double> g) const {
  if (queries_.empty()) return;
  model_->observe(t, y, params, observables_);
  for (size_t k = 0; k < queries_.size(); ++k)
    g[k] = observables_[static_cast<size_t>(queries_[k].observable)] - queries_[k].value;
}

void CrossingFunctions::evaluate(double t, std::span<const double> y, PreparedModel& prepared,
                                 std::span<double> g) const {
  if (queries_.empty()) return;
  if (queries_.size() == 1) {  // one observable: the model may compute it alone
    g[0] = prepared.observable(queries_[0].observable, t, y, observables_) - queries_[0].value;
    return;
  }
  prepared.observe(t, y, observables_);
  for (size_t k = 0; k < queries_.size(); ++k)
    g[k] = observables_[static_cast<size_t>(queries_[k].observable)] - queries_[k].value;
}

bool CrossingFunctions::crosses(int k, double g_left, double g_right) const {
  switch (query(k).direction) {
    case Direction::kRising:
      return g_left < 0 && g_right >= 0;
    case Direction::kFalling:
      return g_left > 0 && g_right <= 0;
    case Direction::kEither:
      return (g_left < 0 && g_right >= 0) || (g_left > 0 && g_right <= 0);
  }
  return false;
}

std::unique_ptr<Integrator> make_integrator(Backend backend, const Model& model,
                                            const SolverOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("solver options: " + why);
  if (!options.atol_per_state.empty() &&
      options.atol_per_state.size() != static_cast<size_t>(model.num_states()))
    throw std::invalid_argument("solver options: atol_per_state has " +
                                std::to_string(options.atol_per_state.size()) +
                                " entries but model '" + std::string(model.name()) + "' has " +
                                std::to_string(model.num_states()) + " states");
  switch (backend) {
    case Backend::kCvodesBdf:
      return make_cvodes_integrator(model, options, false);
    case Backend::kCvodesAdams:
      return make_cvodes_integrator(model, options, true);
    case Backend::kOdeintDopri5:
      return make_odeint_integrator(model, options, false);
    case Backend::kOdeintRosenbrock4:
      return make_odeint_integrator(model, options, true);
    case Backend::kExactLinear:
      return make_exact_linear_integrator(model, options);
    case Backend::kOnsetBdf:
      return make_onset_bdf_integrator(model, options);
    case Backend::kAuto:
      break;
  }
  throw std::invalid_argument("make_integrator: resolve kAuto before calling");
}

int worst_state(std::span<const double> y, std::span<const double> v,
                const SolverOptions& options) {
  int worst = 0;
  double largest = -1;
  for (size_t i = 0; i < y.size(); ++i) {
    const double weight = options.rtol * std::fabs(y[i]) + options.atol_of(static_cast<int>(i));
    const double scaled = std::fabs(v[i]) / (weight > 0 ? weight : 1e-300);
    if (!(scaled <= largest)) {  // NaN counts as worst
      largest = std::isnan(scaled) ? INFINITY : scaled;
      worst = static_cast<int>(i);
      if (std::isnan(scaled)) break;
    }
  }
  return worst;
}

std::string describe_state(const Model& model, std::span<const double> y, int i) {
  const auto& info = model.states()[static_cast<size_t>(i)];
  return "state '" + info.name + "' = " + format_number(y[static_cast<size_t>(i)]) +
         (info.unit.empty() || info.unit == "1" ? "" : " " + info.unit);
}

}  // namespace onset::pk
