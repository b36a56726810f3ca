// An algebraic model y = expr(x; parameters) over one data column, through the fitting
// engine; derivatives exact (forward-mode AD of the parsed expression).
#pragma once

#include <memory>
#include <vector>

#include "fits/expression.hpp"
#include "fits/fit_problem.hpp"

namespace onset::fits {

class ExpressionPredictor final : public Predictor {
 public:
  // `x` holds the values of the expression's variables, row-major (observations x
  // variables), usually one variable (the x column).
  ExpressionPredictor(Expression expression, std::vector<double> x);
  // The same with the data in extended precision (as read from text with strtold), for
  // near-exact fits where even the rounding of x to double shows in the residuals.
  ExpressionPredictor(Expression expression, std::vector<long double> x);

  const std::vector<std::string>& parameter_names() const override {
    return expression_.parameters();
  }
  size_t num_observations() const override { return x_.size() / num_variables_; }
  bool predict(std::span<const double> params, std::span<const int> wrt, std::span<double> f,
               std::span<double> jacobian, std::string* why) override;
  void prediction_low_parts(std::span<double> low) const override {
    std::copy(low_.begin(), low_.end(), low.begin());
  }
  std::string gradient_method() const override {
    return "exact (forward-mode automatic differentiation of the expression)";
  }
  // The expression at each x (one variable only; `observation` does not matter).
  bool predict_curve(std::span<const double> params, size_t observation, std::span<const double> x,
                     std::span<double> f, std::string* why) override;
  std::unique_ptr<Predictor> clone() const override {
    return std::make_unique<ExpressionPredictor>(expression_, x_extended_);
  }

 private:
  Expression expression_;
  std::vector<double> x_;
  std::vector<long double> x_extended_;
  size_t num_variables_ = 1;
  std::vector<double> gradient_, scratch_, low_;
  std::vector<long double> extended_scratch_;
};

}  // namespace onset::fits
