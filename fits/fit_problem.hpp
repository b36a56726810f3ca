// What is fitted: a Predictor (model + design: what each observation's prediction is, with
// its derivatives), the observations, an error model per observable, and the parameters
// (start, bounds, scale, fixed or estimated). How: FitOptions; what happened: FitSummary
// (fits/fit.hpp).
#pragma once

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace onset::fits {

// Predictions of every observation from the full parameter vector. Implementations: an
// algebraic expression over a data column (fits/expression_predictor.hpp), an ODE model over
// NONMEM-style dosing records (fits/dosing_predictor.hpp).
class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual const std::vector<std::string>& parameter_names() const = 0;
  virtual size_t num_observations() const = 0;
  // f (num_observations) at `params` (every parameter, in parameter_names() order) and, when
  // `jacobian` is not empty, df/dp for the parameters listed in `wrt`, column-major
  // (num_observations x wrt.size()). False with the reason in *why when the model cannot be
  // evaluated there (solver failure, a non-finite value).
  virtual bool predict(std::span<const double> params, std::span<const int> wrt,
                       std::span<double> f, std::span<double> jacobian, std::string* why) = 0;
  // Low parts of the predictions of the last predict() call (f = f + low exactly to more
  // digits than a double holds), for residuals of near-exact fits; default: zeros.
  virtual void prediction_low_parts(std::span<double> low) const {
    std::fill(low.begin(), low.end(), 0.0);
  }
  // How derivatives are obtained, in words ("exact (forward-mode automatic differentiation
  // of the expression)", "CVODES forward sensitivities (staggered)").
  virtual std::string gradient_method() const = 0;
  // An independent copy, for parallel workers (bootstrap, multi-start).
  virtual std::unique_ptr<Predictor> clone() const = 0;
  // The model curve of observation `observation`, for plots: the prediction it would have at
  // each value of `x` (ascending) instead of at its own, with the same subject, observable and
  // doses, into `f` (x.size()). At a time shared with a dose record the curve is the value after
  // the dose. False with the reason in *why when this predictor draws no curves or the model
  // cannot be evaluated there. Default: no curves.
  virtual bool predict_curve(std::span<const double> params, size_t observation,
                             std::span<const double> x, std::span<double> f, std::string* why) {
    (void)params, (void)observation, (void)x, (void)f;
    if (why) *why = "this model draws no curves";
    return false;
  }
  // Relaxed accuracy for the inner fits of profile likelihoods, which need -2 log L to about
  // 1e-6 (absolute), not to the last digit: a predictor may then solve its model less tightly
  // (fits/dosing_predictor.hpp). Default: nothing changes.
  virtual void set_relaxed_accuracy(bool relaxed) { (void)relaxed; }
};

// The residual error of one observable; y the observation, f the prediction.
enum class ErrorKind {
  kAdditive,      // y = f + e,        e ~ N(0, sigma^2)
  kProportional,  // y = f (1 + e),    e ~ N(0, sigma^2)
  kCombined,      // y = f + e,        e ~ N(0, a^2 + b^2 f^2)
  kLogNormal,     // log y = log f + e, e ~ N(0, sigma^2) (fit on log scale; y, f > 0)
};
std::string_view error_kind_name(ErrorKind kind);
std::optional<ErrorKind> parse_error_kind(std::string_view name);

struct ObservableBlock {
  std::string name;  // the observable ("CP", "liver")
  ErrorKind error = ErrorKind::kAdditive;
  // Combined error only: starting value of a/b (the concentration below which the additive
  // part dominates), in the observable's unit; 0: 10 % of the median observation.
  double combined_ratio_start = 0;
};

struct FitParameter {
  std::string name;
  std::string unit;
  double start = 1;
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  bool fixed = false;      // held at `start`
  bool log_scale = false;  // estimated as log(value) (positive parameters)
  // Box for extra multi-start points; NaN: [start/10, 10 start] on log scale, else
  // start -/+ max(|start|, 1), clipped to the bounds.
  double start_low = std::numeric_limits<double>::quiet_NaN();
  double start_high = std::numeric_limits<double>::quiet_NaN();
};

struct FitProblem {
  std::shared_ptr<Predictor> predictor;
  // One per predictor parameter, in the same order.
  std::vector<FitParameter> parameters;
  // Observations (same order as the predictor's predictions).
  std::vector<double> y;
  // Optional low parts of the observations as written (y + y_low = the decimal text to
  // ~19 digits); empty: zeros. Only near-exact fits need them (NIST Lanczos1).
  std::vector<double> y_low;
  std::vector<int> block;      // index into `blocks` per observation
  std::vector<double> weight;  // per observation (variance divided by it); empty: all 1
  // Summary-level data (fits/README.md, "Summary data"). animals[i] > 1: observation i is the
  // mean of that many animals, its variance the error model's divided by animals[i]; empty:
  // all 1. within_ss[i]: the animals' within-group sum of squares (n - 1) SD^2, in the
  // observation's unit squared, when the SD was reported (NaN: not reported); with it the
  // likelihood is that of the animals themselves (mean and SD are sufficient for normal
  // errors), so observation i counts as animals[i] observations of its error model. Empty:
  // no SDs. Additive, proportional and combined error only.
  std::vector<double> animals;
  std::vector<double> within_ss;
  std::vector<ObservableBlock> blocks;
  // For plots and output only: the independent variable (time) and a group label (subject).
  std::vector<double> x;
  std::vector<std::string> group;
  // For output only: each observation's observable when it differs from its error model's
  // name (several observables sharing one, --error-group); empty: the block's name.
  std::vector<std::string> observable;
  // For plots only: the unit of each observation (its observable's: "mg/L", "%ID", "%ID/g");
  // empty: not known.
  std::vector<std::string> unit;
  std::string x_name = "time";
  // For plots only: where the model curves start (0, the dose time, for model data); NaN: at
  // the first x of the panel (an algebraic model over any x).
  double curve_from = std::numeric_limits<double>::quiet_NaN();

  // True when the sizes agree and the data suit the error models (positive y for log-normal);
  // else false with the reason.
  bool IsValid(std::string* why) const;
  int parameter_index(std::string_view name) const;
};

}  // namespace onset::fits
