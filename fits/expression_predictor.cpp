#include "fits/expression_predictor.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace onset::fits {

ExpressionPredictor::ExpressionPredictor(Expression expression, std::vector<double> x)
    : ExpressionPredictor(std::move(expression), std::vector<long double>(x.begin(), x.end())) {}

ExpressionPredictor::ExpressionPredictor(Expression expression, std::vector<long double> x)
    : expression_(std::move(expression)), x_(x.begin(), x.end()), x_extended_(std::move(x)) {
  num_variables_ = expression_.variables().size();
  if (num_variables_ == 0 || x_.size() % num_variables_ != 0)
    throw std::invalid_argument(
        "an algebraic model needs a value of every variable per observation");
  gradient_.resize(expression_.parameters().size());
}

bool ExpressionPredictor::predict(std::span<const double> params, std::span<const int> wrt,
                                  std::span<double> f, std::span<double> jacobian,
                                  std::string* why) {
  const size_t n = num_observations();
  low_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double value = expression_.evaluate_with_gradient(
        std::span<const double>(&x_[i * num_variables_], num_variables_), params, gradient_,
        &scratch_);
    if (!std::isfinite(value)) {
      if (why) *why = "the expression is not finite at observation " + std::to_string(i + 1);
      return false;
    }
    // The value again in extended precision: f = value + low part.
    const long double extended = expression_.evaluate_extended(
        std::span<const long double>(&x_extended_[i * num_variables_], num_variables_), params,
        &extended_scratch_);
    f[i] = static_cast<double>(extended);
    low_[i] = static_cast<double>(extended - static_cast<long double>(f[i]));
    if (!jacobian.empty()) {
      for (size_t a = 0; a < wrt.size(); ++a)
        jacobian[a * n + i] = gradient_[static_cast<size_t>(wrt[a])];
    }
  }
  return true;
}

bool ExpressionPredictor::predict_curve(std::span<const double> params, size_t observation,
                                        std::span<const double> x, std::span<double> f,
                                        std::string* why) {
  (void)observation;
  if (num_variables_ != 1) {
    if (why) *why = "an expression of several variables has no curve over one x";
    return false;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    f[i] = expression_.evaluate(std::span<const double>(&x[i], 1), params);
    if (!std::isfinite(f[i])) f[i] = std::numeric_limits<double>::quiet_NaN();
  }
  return true;
}

}  // namespace onset::fits
