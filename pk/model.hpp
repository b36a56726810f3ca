// The model interface: what every model, hand-written or read from a model file, declares
// and computes. Solvers and the dose engine see a model only through this interface.
//
// Conventions:
//  - States are amounts (or dimensionless levels); dose inputs are added by the solver as
//    d(state)/dt += input rate, so a model's right-hand side knows nothing about doses.
//  - Dense matrices are column-major: jac[i + n * j] = d f_i / d y_j.
//  - rhs(), jacobian() and observe() are called in the solver's inner loop: they must not
//    throw, must not allocate once a thread has made its first call, and must not write
//    anything another thread reads. Scratch memory a plain call needs is the calling thread's
//    own (FileModel keeps one thread_local buffer, grown on that thread's first call; muparser's
//    variable slots are written only while the model file is read, never by these calls).
//  - Work that depends on the parameters only (derived values, unit-folded coefficients) may be
//    done once per parameter set: prepare() writes it into a workspace the caller owns, and the
//    *_prepared() calls read it. A model is immutable and shared by every thread; each thread
//    keeps its own workspace (PreparedModel below).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace onset::pk {

struct StateInfo {
  std::string name;
  std::string unit;  // e.g. "mg", "particles", "1" for a dimensionless level
};

struct ParameterInfo {
  std::string name;
  std::string unit;  // e.g. "L/h"
  double value = 0;  // default value, in `unit`
};

struct ObservableInfo {
  std::string name;
  std::string unit;  // e.g. "mg/L"
};

// How a dose into one compartment is modified (NONMEM's ALAGn, Fn, Rn, Dn), from parameters
// and the dose record's data columns.
struct DoseModifiers {
  double lag_h = 0;                  // the dose starts this much later
  double bioavailability = 1;        // fraction of AMT that arrives
  std::optional<double> rate;        // modelled rate (used when RATE = -1), amount/h
  std::optional<double> duration_h;  // modelled duration (used when RATE = -2)
};

// Structural non-zeros of the Jacobian in compressed-column form: the rows of column j are
// rows[column_start[j] .. column_start[j + 1]), ascending. Entries outside it are always zero.
struct JacobianPattern {
  int n = 0;
  std::vector<int> column_start;  // n + 1 entries
  std::vector<int> rows;
  size_t nonzeros() const { return rows.size(); }
};

// Non-zero band of the Jacobian: J(i, j) may be non-zero only for -lower <= j - i <= upper.
struct Bandwidth {
  int lower = -1;  // -1: unknown (dense)
  int upper = -1;
};

class Model {
 public:
  virtual ~Model() = default;

  virtual std::string_view name() const = 0;
  virtual std::span<const StateInfo> states() const = 0;
  virtual std::span<const ParameterInfo> parameters() const = 0;
  virtual std::span<const ObservableInfo> observables() const = 0;

  int num_states() const { return static_cast<int>(states().size()); }
  int num_parameters() const { return static_cast<int>(parameters().size()); }
  int num_observables() const { return static_cast<int>(observables().size()); }

  // Default parameter values, in the order of parameters().
  std::vector<double> default_parameters() const;
  // Index of a state, parameter or observable by name; -1 if absent.
  int state_index(std::string_view name) const;
  int parameter_index(std::string_view name) const;
  int observable_index(std::string_view name) const;

  // State at the start of a simulation (before any dose). Default: all zero.
  virtual void initial_state(std::span<const double> p, std::span<double> y0) const;

  // dy/dt = f(t, y, p), without dose inputs.
  virtual void rhs(double t, std::span<const double> y, std::span<const double> p,
                   std::span<double> ydot) const = 0;

  // Whether jacobian() is implemented analytically.
  virtual bool has_jacobian() const { return false; }
  // Dense column-major n x n Jacobian df/dy. `jac` arrives zeroed.
  virtual void jacobian(double t, std::span<const double> y, std::span<const double> p,
                        std::span<double> jac) const;
  // Band of the Jacobian, for a banded linear solver; unknown (dense) by default.
  virtual Bandwidth bandwidth() const { return {}; }
  // Structural non-zeros of the Jacobian, for a sparse linear solver; nullptr: unknown (dense).
  virtual const JacobianPattern* jacobian_pattern() const { return nullptr; }
  // The states observable o reads, whatever their values (ascending); empty: not declared (it
  // may read any). With jacobian_pattern(), what pk/observed_subsystem.hpp needs.
  virtual std::vector<int> observable_states(int /*o*/) const { return {}; }
  // The model of the states `kept` alone (ascending indices; every state their derivatives
  // read among them), with observable `observable` as its only observable: the same
  // derivatives, Jacobian entries (in the order of the kept rows of the kept columns of
  // jacobian_pattern()) and observable, bit for bit, computed without the work only the other
  // states need. pk/observed_subsystem.hpp solves it. nullptr (the default): not available;
  // the subsystem then evaluates the whole model and gathers the kept rows.
  virtual std::shared_ptr<const Model> restricted(std::span<const int> /*kept*/,
                                                  int /*observable*/) const {
    return nullptr;
  }

  // Doubles of workspace prepare() and the *_prepared() calls use (0: they need none).
  virtual size_t workspace_size() const { return 0; }
  // Fills `workspace` (workspace_size() doubles) with what depends on p only; the *_prepared()
  // calls with the same p then read it (and use the rest as scratch).
  virtual void prepare(std::span<const double> /*p*/, std::span<double> /*workspace*/) const {}
  // rhs(), jacobian() and observe() after prepare(p, workspace). Default: the plain calls.
  virtual void rhs_prepared(double t, std::span<const double> y, std::span<const double> p,
                            std::span<double> /*workspace*/, std::span<double> ydot) const {
    rhs(t, y, p, ydot);
  }
  virtual void jacobian_prepared(double t, std::span<const double> y, std::span<const double> p,
                                 std::span<double> /*workspace*/, std::span<double> jac) const {
    jacobian(t, y, p, jac);
  }
  virtual void observe_prepared(double t, std::span<const double> y, std::span<const double> p,
                                std::span<double> /*workspace*/, std::span<double> out) const {
    observe(t, y, p, out);
  }
  // Observable o alone (for crossing functions). Default: every observable into `scratch`
  // (num_observables() doubles), then o.
  virtual double observable_prepared(int o, double t, std::span<const double> y,
                                     std::span<const double> p, std::span<double> workspace,
                                     std::span<double> scratch) const {
    observe_prepared(t, y, p, workspace, scratch);
    return scratch[static_cast<size_t>(o)];
  }
  // The Jacobian's entries in the order of jacobian_pattern() (`values` arrives zeroed), after
  // prepare(). Only for models with a pattern and an analytic Jacobian.
  virtual void jacobian_sparse_prepared(double t, std::span<const double> y,
                                        std::span<const double> p, std::span<double> workspace,
                                        std::span<double> values) const;

  // Observables at (t, y).
  virtual void observe(double t, std::span<const double> y, std::span<const double> p,
                       std::span<double> out) const = 0;

  // Data columns the model reads (e.g. "LAGT", "WT" of a NONMEM data set), by name; their
  // values for a record are passed to dose_modifiers() in this order. Default: none.
  virtual std::span<const std::string> covariates() const { return {}; }
  // Lag, bioavailability, modelled rate and duration of a dose into `state`. Default: no lag,
  // F = 1, neither rate nor duration modelled.
  virtual DoseModifiers dose_modifiers(int state, std::span<const double> p,
                                       std::span<const double> covariates) const;

  // Empty when the model means something for these parameter values; else why not, in words
  // (a model file's derived volume or clearance that is not positive, with its expression and
  // place). Simulations check it at the start and at each parameter change, and fail with the
  // time. Default: always meaningful (parameter bounds are checked where values are given).
  virtual std::string check_parameters(std::span<const double> p) const;

  // For linear time-invariant models, f(t, y) = A y + b with A and b depending on p only.
  // Fills A (column-major n x n) and b and returns true; returns false for other models.
  virtual bool linear_system(std::span<const double> p, std::span<double> a,
                             std::span<double> b) const;
};

// A model with one parameter vector prepared, and the workspace for it: what integrators call in
// their inner loop. One per thread (the workspace is scratch); the model itself is shared.
// The workspace is allocated once, at construction.
class PreparedModel {
 public:
  PreparedModel() = default;
  explicit PreparedModel(const Model& model) : model_(&model), workspace_(model.workspace_size()) {}

  // Prepares p, which must stay valid until the next call.
  void set_parameters(std::span<const double> p) {
    params_ = p;
    model_->prepare(p, workspace_);
  }
  const Model& model() const { return *model_; }
  std::span<const double> parameters() const { return params_; }

  void rhs(double t, std::span<const double> y, std::span<double> ydot) {
    model_->rhs_prepared(t, y, params_, workspace_, ydot);
  }
  // `jac` arrives zeroed.
  void jacobian(double t, std::span<const double> y, std::span<double> jac) {
    model_->jacobian_prepared(t, y, params_, workspace_, jac);
  }
  void observe(double t, std::span<const double> y, std::span<double> out) {
    model_->observe_prepared(t, y, params_, workspace_, out);
  }
  // Observable o alone; `scratch` holds num_observables() doubles.
  double observable(int o, double t, std::span<const double> y, std::span<double> scratch) {
    return model_->observable_prepared(o, t, y, params_, workspace_, scratch);
  }
  // `values` (one per entry of the model's jacobian_pattern()) arrives zeroed.
  void jacobian_sparse(double t, std::span<const double> y, std::span<double> values) {
    model_->jacobian_sparse_prepared(t, y, params_, workspace_, values);
  }

 private:
  const Model* model_ = nullptr;
  std::span<const double> params_;
  std::vector<double> workspace_;
};

}  // namespace onset::pk
