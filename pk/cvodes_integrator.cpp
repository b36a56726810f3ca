// SUNDIALS CVODES backend: BDF + Newton with a dense or banded direct solver (stiff), or
// Adams-Moulton + fixed-point iteration (non-stiff); the model's Jacobian when it has one;
// per-state absolute tolerances; CVODES root finding for crossings. Every SUNDIALS object
// is owned through RAII and every return code is checked.
#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_band.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_band.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/format.hpp"
#include "pk/integrator.hpp"
#include "pk/solver_error.hpp"
#include "pk/sundials_support.hpp"

namespace onset::pk {

namespace {

using sundials::ContextDeleter;
using sundials::CvodeDeleter;
using sundials::flag_name;
using sundials::LinearSolverDeleter;
using sundials::MatrixDeleter;
using sundials::NonlinearSolverDeleter;
using sundials::VectorDeleter;

class CvodesIntegrator final : public Integrator {
 public:
  CvodesIntegrator(const Model& model, const SolverOptions& options, bool adams)
      : model_(model), options_(options), n_(model.num_states()), prepared_(model) {
    if (options.linear_solver == LinearSolverKind::kSparse && !adams)
      throw std::invalid_argument(
          "cvodes_bdf has dense and banded linear solvers only: use onset_bdf for a sparse one");
    SUNContext raw_context = nullptr;
    check(SUNContext_Create(nullptr, &raw_context), "SUNContext_Create");
    context_.reset(raw_context);
    y_.reset(N_VNew_Serial(n_, context_.get()));
    if (!y_) throw SolverError("cvodes: N_VNew_Serial failed (out of memory?)");
    N_VConst(0.0, y_.get());
    std::unique_ptr<_generic_N_Vector, VectorDeleter> atol(N_VNew_Serial(n_, context_.get()));
    for (int i = 0; i < n_; ++i) NV_Ith_S(atol.get(), i) = options.atol_of(i);

    memory_.reset(CVodeCreate(adams ? CV_ADAMS : CV_BDF, context_.get()));
    if (!memory_) throw SolverError("cvodes: CVodeCreate failed");
    void* mem = memory_.get();
    check(CVodeInit(mem, &CvodesIntegrator::rhs_callback, 0.0, y_.get()), "CVodeInit");
    check(CVodeSetUserData(mem, this), "CVodeSetUserData");
    check(CVodeSetErrHandlerFn(mem, &CvodesIntegrator::error_callback, this),
          "CVodeSetErrHandlerFn");
    check(CVodeSVtolerances(mem, options.rtol, atol.get()), "CVodeSVtolerances");
    check(CVodeSetMaxNumSteps(mem, options.max_steps), "CVodeSetMaxNumSteps");
    if (options.max_step_h > 0) check(CVodeSetMaxStep(mem, options.max_step_h), "CVodeSetMaxStep");
    if (adams) {
      nonlinear_solver_.reset(SUNNonlinSol_FixedPoint(y_.get(), 0, context_.get()));
      check(CVodeSetNonlinearSolver(mem, nonlinear_solver_.get()), "CVodeSetNonlinearSolver");
    } else {
      setup_linear_solver();
    }
  }

  void set_parameters(std::span<const double> params) override { prepared_.set_parameters(params); }

  void set_crossings(std::span<const CrossingQuery> queries) override {
    crossings_ = CrossingFunctions(model_, queries);
    const int count = crossings_.size();
    root_info_.assign(static_cast<size_t>(count), 0);
    check(CVodeRootInit(memory_.get(), count, count ? &CvodesIntegrator::root_callback : nullptr),
          "CVodeRootInit");
    if (count == 0) return;
    std::vector<int> directions;
    for (int k = 0; k < count; ++k) {
      const auto direction = crossings_.query(k).direction;
      directions.push_back(direction == Direction::kRising    ? 1
                           : direction == Direction::kFalling ? -1
                                                              : 0);
    }
    check(CVodeSetRootDirection(memory_.get(), directions.data()), "CVodeSetRootDirection");
    // A zero of g at the start of a piece is not a crossing (CVODES would warn about it).
    check(CVodeSetNoInactiveRootWarn(memory_.get()), "CVodeSetNoInactiveRootWarn");
  }

  void restart(double t0, std::span<const double> y0, std::span<const double> input_rate,
               double t_stop) override {
    accumulate_piece_stats();
    input_rate_ = input_rate;
    std::copy(y0.begin(), y0.end(), NV_DATA_S(y_.get()));
    check(CVodeReInit(memory_.get(), t0, y_.get()), "CVodeReInit");
    check(CVodeSetStopTime(memory_.get(), t_stop), "CVodeSetStopTime");
    if (options_.initial_step_h > 0)
      check(CVodeSetInitStep(memory_.get(), options_.initial_step_h), "CVodeSetInitStep");
    t_stop_ = t_stop;
    bad_rhs_state_ = -1;
    piece_started_ = true;
  }

  AdvanceOutcome advance(double t_out, std::span<double> y, double* t,
                         std::span<char> crossed) override {
    void* mem = memory_.get();
    const int flag = CVode(mem, std::min(t_out, t_stop_), y_.get(), t, CV_NORMAL);
    std::copy_n(NV_DATA_S(y_.get()), n_, y.begin());
    if (flag == CV_ROOT_RETURN) {
      check(CVodeGetRootInfo(mem, root_info_.data()), "CVodeGetRootInfo");
      for (size_t k = 0; k < root_info_.size(); ++k) crossed[k] = root_info_[k] != 0 ? 1 : 0;
      return AdvanceOutcome::kCrossing;
    }
    if (flag >= 0) return AdvanceOutcome::kReachedOutput;
    describe_failure(flag, y);
    return AdvanceOutcome::kFailure;
  }

  SolverStats stats() const override {
    SolverStats total = accumulated_;
    total += piece_stats();
    return total;
  }
  void reset_stats() override {
    accumulated_ = {};
    piece_started_ = false;
  }
  const std::string& failure() const override { return failure_; }

 private:
  static int rhs_callback(double t, N_Vector y, N_Vector ydot, void* user_data) {
    auto* self = static_cast<CvodesIntegrator*>(user_data);
    const auto n = static_cast<size_t>(self->n_);
    std::span<double> out(NV_DATA_S(ydot), n);
    self->prepared_.rhs(t, std::span<const double>(NV_DATA_S(y), n), out);
    for (size_t i = 0; i < self->input_rate_.size() && i < n; ++i) out[i] += self->input_rate_[i];
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(out[i])) {
        self->bad_rhs_state_ = static_cast<int>(i);
        self->bad_rhs_time_ = t;
        return 1;  // recoverable: CVODES retries with a smaller step, then gives up
      }
    return 0;
  }

  static int dense_jacobian_callback(double t, N_Vector y, N_Vector, SUNMatrix jac, void* user_data,
                                     N_Vector, N_Vector, N_Vector) {
    auto* self = static_cast<CvodesIntegrator*>(user_data);
    const auto n = static_cast<size_t>(self->n_);
    self->prepared_.jacobian(t, std::span<const double>(NV_DATA_S(y), n),
                             std::span<double>(SM_DATA_D(jac), n * n));
    return 0;
  }

  static int band_jacobian_callback(double t, N_Vector y, N_Vector, SUNMatrix jac, void* user_data,
                                    N_Vector, N_Vector, N_Vector) {
    auto* self = static_cast<CvodesIntegrator*>(user_data);
    const int n = self->n_;
    std::fill(self->dense_scratch_.begin(), self->dense_scratch_.end(), 0.0);
    self->prepared_.jacobian(t, std::span<const double>(NV_DATA_S(y), static_cast<size_t>(n)),
                             self->dense_scratch_);
    const sunindextype mu = SM_UBAND_B(jac), ml = SM_LBAND_B(jac);
    for (int j = 0; j < n; ++j)
      for (int i = std::max(0, j - static_cast<int>(mu));
           i <= std::min(n - 1, j + static_cast<int>(ml)); ++i)
        SM_ELEMENT_B(jac, i, j) = self->dense_scratch_[static_cast<size_t>(i + n * j)];
    return 0;
  }

  static int root_callback(double t, N_Vector y, double* g, void* user_data) {
    auto* self = static_cast<CvodesIntegrator*>(user_data);
    const auto n = static_cast<size_t>(self->n_);
    self->crossings_.evaluate(t, std::span<const double>(NV_DATA_S(y), n), self->prepared_,
                              std::span<double>(g, static_cast<size_t>(self->crossings_.size())));
    return 0;
  }

  static void error_callback(int, const char*, const char* function, char* message,
                             void* user_data) {
    auto* self = static_cast<CvodesIntegrator*>(user_data);
    self->last_error_ = std::string(function) + ": " + message;
  }

  void setup_linear_solver() {
    void* mem = memory_.get();
    const bool use_jacobian = options_.use_model_jacobian && model_.has_jacobian();
    if (options_.linear_solver == LinearSolverKind::kBanded) {
      const Bandwidth model_band = model_.bandwidth();
      const int lower = options_.lower_bandwidth >= 0 ? options_.lower_bandwidth : model_band.lower;
      const int upper = options_.upper_bandwidth >= 0 ? options_.upper_bandwidth : model_band.upper;
      if (lower < 0 || upper < 0)
        throw std::invalid_argument(
            "cvodes: a banded linear solver needs bandwidths: set lower_bandwidth and "
            "upper_bandwidth in the solver options, or declare them in model '" +
            std::string(model_.name()) + "'");
      matrix_.reset(SUNBandMatrix(n_, upper, lower, context_.get()));
      linear_solver_.reset(SUNLinSol_Band(y_.get(), matrix_.get(), context_.get()));
      dense_scratch_.resize(static_cast<size_t>(n_) * static_cast<size_t>(n_));
    } else {
      matrix_.reset(SUNDenseMatrix(n_, n_, context_.get()));
      linear_solver_.reset(SUNLinSol_Dense(y_.get(), matrix_.get(), context_.get()));
    }
    if (!matrix_ || !linear_solver_)
      throw SolverError("cvodes: could not create the linear solver");
    check(CVodeSetLinearSolver(mem, linear_solver_.get(), matrix_.get()), "CVodeSetLinearSolver");
    if (use_jacobian)
      check(CVodeSetJacFn(mem, options_.linear_solver == LinearSolverKind::kBanded
                                   ? &CvodesIntegrator::band_jacobian_callback
                                   : &CvodesIntegrator::dense_jacobian_callback),
            "CVodeSetJacFn");
  }

  void check(int flag, const char* function) const {
    if (flag < 0)
      throw SolverError(std::string("cvodes: ") + function + " failed with " + flag_name(flag) +
                        (last_error_.empty() ? "" : " (" + last_error_ + ")"));
  }

  SolverStats piece_stats() const {
    SolverStats stats;
    if (!piece_started_) return stats;
    void* mem = memory_.get();
    long value = 0;
    if (CVodeGetNumSteps(mem, &value) == CV_SUCCESS) stats.steps = value;
    if (CVodeGetNumRhsEvals(mem, &value) == CV_SUCCESS) stats.rhs_evals = value;
    if (CVodeGetNumErrTestFails(mem, &value) == CV_SUCCESS) stats.error_test_failures = value;
    if (CVodeGetNumNonlinSolvConvFails(mem, &value) == CV_SUCCESS) stats.nonlinear_failures = value;
    if (CVodeGetNumGEvals(mem, &value) == CV_SUCCESS) stats.root_evals = value;
    if (linear_solver_) {
      if (CVodeGetNumLinSolvSetups(mem, &value) == CV_SUCCESS) stats.linear_setups = value;
      if (CVodeGetNumJacEvals(mem, &value) == CV_SUCCESS) stats.jacobian_evals = value;
      long fd_rhs = 0;  // right-hand sides spent on finite-difference Jacobians
      if (CVodeGetNumLinRhsEvals(mem, &fd_rhs) == CV_SUCCESS) stats.rhs_evals += fd_rhs;
    }
    return stats;
  }

  void accumulate_piece_stats() { accumulated_ += piece_stats(); }

  void describe_failure(int flag, std::span<const double> y) {
    void* mem = memory_.get();
    double t = 0;
    CVodeGetCurrentTime(mem, &t);
    std::string where;
    if (bad_rhs_state_ >= 0 &&
        (flag == CV_RHSFUNC_FAIL || flag == CV_REPTD_RHSFUNC_ERR || flag == CV_FIRST_RHSFUNC_ERR ||
         flag == CV_UNREC_RHSFUNC_ERR || flag == CV_ERR_FAILURE || flag == CV_CONV_FAILURE)) {
      failure_ = "cvodes: " + flag_name(flag) + " at t = " + format_hours(bad_rhs_time_) +
                 ": the right-hand side of state '" +
                 model_.states()[static_cast<size_t>(bad_rhs_state_)].name +
                 "' is not a finite number (NaN or Inf); check the model's parameters and "
                 "expressions";
      return;
    }
    std::unique_ptr<_generic_N_Vector, VectorDeleter> errors(N_VNew_Serial(n_, context_.get()));
    int worst = 0;
    if (errors && CVodeGetEstLocalErrors(mem, errors.get()) == CV_SUCCESS)
      worst = worst_state(
          y, std::span<const double>(NV_DATA_S(errors.get()), static_cast<size_t>(n_)), options_);
    std::string why;
    switch (flag) {
      case CV_TOO_MUCH_WORK:
        why = "more than " + std::to_string(options_.max_steps) +
              " steps were needed before the next output; raise max_steps, loosen the "
              "tolerances, or use a stiff solver";
        break;
      case CV_TOO_MUCH_ACC:
        why =
            "the tolerances ask for more accuracy than double precision can give; raise rtol "
            "or atol";
        break;
      case CV_ERR_FAILURE:
        why = "the local error test failed repeatedly with the smallest step";
        break;
      case CV_CONV_FAILURE:
        why = "the Newton iteration failed to converge repeatedly with the smallest step";
        break;
      case CV_ILL_INPUT:
        if (last_error_.find("ewt") != std::string::npos) {
          why =
              "an absolute tolerance of 0 on a state that is 0 leaves no error scale; give "
              "every state atol > 0 (" +
              last_error_ + ")";
          for (int i = 0; i < n_; ++i)
            if (y[static_cast<size_t>(i)] == 0 && options_.atol_of(i) == 0) worst = i;
          break;
        }
        [[fallthrough]];
      default:
        why = last_error_.empty() ? "integration failed" : last_error_;
    }
    failure_ = "cvodes: " + flag_name(flag) + " at t = " + format_hours(t) + ": " + why +
               "; worst " + describe_state(model_, y, worst);
  }

  const Model& model_;
  SolverOptions options_;
  int n_;
  PreparedModel prepared_;
  std::span<const double> input_rate_;
  CrossingFunctions crossings_;
  std::vector<int> root_info_;
  std::vector<double> dense_scratch_;
  std::unique_ptr<_SUNContext, ContextDeleter> context_;
  std::unique_ptr<_generic_N_Vector, VectorDeleter> y_;
  std::unique_ptr<void, CvodeDeleter> memory_;
  std::unique_ptr<_generic_SUNMatrix, MatrixDeleter> matrix_;
  std::unique_ptr<_generic_SUNLinearSolver, LinearSolverDeleter> linear_solver_;
  std::unique_ptr<_generic_SUNNonlinearSolver, NonlinearSolverDeleter> nonlinear_solver_;
  double t_stop_ = 0;
  int bad_rhs_state_ = -1;
  double bad_rhs_time_ = 0;
  bool piece_started_ = false;
  SolverStats accumulated_;
  std::string failure_;
  std::string last_error_;
};

}  // namespace

std::unique_ptr<Integrator> make_cvodes_integrator(const Model& model, const SolverOptions& options,
                                                   bool adams) {
  return std::make_unique<CvodesIntegrator>(model, options, adams);
}

}  // namespace onset::pk
