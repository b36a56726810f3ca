// A model file's equations as a flat evaluation plan, built once at load and immutable after:
// what FileModel's rhs(), jacobian() and observe() run (models/file_model.hpp).
//
// Two stages:
//  - prepare(p): once per parameter vector, into a workspace the caller owns: derived values
//    (expression tapes, in dependency order), every rate law's coefficients with its unit
//    factors folded in (k/V, Q/V, Vmax, K, yields, effect Emax/EC50/Hill), the weights of the
//    linear observables, and the linear part of the model merged into one list of Jacobian
//    entries (first-order and flow processes without an effect, summed per (row, column)) and
//    one constant input per state (zero-order processes without an effect);
//  - rhs / jacobian / observe at (t, y): the constant inputs, the linear entries (a sparse
//    matrix-vector product, and the same entries are the linear part of the Jacobian), then the
//    nonlinear processes one by one (saturable, capacity-limited, effects, expressions) with
//    their analytic derivative columns (an expression's by a reverse sweep over its tape).
// Nothing here allocates, locks or writes anywhere but the caller's workspace and outputs, so
// one model serves every thread.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "models/expression_tape.hpp"
#include "models/file_model.hpp"
#include "pk/model.hpp"

namespace onset::models {

class EvaluationPlan {
 public:
  // Reads the compiled model (processes, observables, expressions). Called once, at load.
  void build(const FileModel& model);

  size_t workspace_size() const { return workspace_size_; }
  // After prepare(p, w): derived value i.
  double derived(int i, const double* w) const { return w[derived_at_ + static_cast<size_t>(i)]; }
  const pk::JacobianPattern& pattern() const { return pattern_; }

  // The parameter stage into w (workspace_size() doubles).
  void prepare(const double* p, double* w) const;
  // After prepare(p, w): ydot = f(t, y) (ydot fully written).
  void rhs(double t, const double* y, const double* p, double* w, double* ydot) const;
  // After prepare(p, w): adds df/dy into jac (column-major n x n, arrives zeroed).
  void jacobian(double t, const double* y, const double* p, double* w, double* jac) const;
  // The same into values[k] for the k-th entry of pattern() (arrives zeroed).
  void jacobian_sparse(double t, const double* y, const double* p, double* w, double* values) const;
  // After prepare(p, w): the first `count` (declared) observables.
  void observe(double t, const double* y, const double* p, double* w, double* out,
               size_t count) const;
  // After prepare(p, w): a compartment scalar (initial value, dose modifier); NaN for none.
  double scalar(const ScalarDef& def, const double* p, const double* covariates,
                size_t num_covariates, double* w) const;

 private:
  struct Kernel {
    Process process;
    int coefficients = 0;                        // offset of its block in the coefficient area
    std::array<int, 4> entries{-1, -1, -1, -1};  // linear: (from, to) x (substrate, second)
  };
  struct ObservablePlan {
    ObservableKind kind = ObservableKind::kLinear;
    int first_term = 0, num_terms = 0;  // kLinear: range in terms_
    int numerator = -1, denominator = -1;
    int expression = -1;
    std::vector<int> expression_states;
    double factor = 1;
  };
  struct Term {
    int state = 0;
    ObservableTerm definition;  // weight = constant / (div1 div2), computed by prepare()
  };

  double observable_value(int o, double t, const double* y, const double* p, double* w) const;
  // add(row, column, value) for each entry of coef * d(observable o)/dy in row `row`.
  template <typename Add>
  void add_observable_gradient(int o, double coef, int row, double t, const double* y,
                               const double* p, double* w, Add& add) const;
  template <typename Add>
  void jacobian_into(double t, const double* y, const double* p, double* w, Add& add) const;
  double effect_factor(const Kernel& k, double t, const double* y, const double* p, double* w,
                       double* ds_dx) const;
  double kernel_rate(const Kernel& k, double t, const double* y, const double* p, double* w,
                     double* d_substrate, double* d_second) const;
  TapeInputs inputs(double t, const double* y, const double* p, const double* w) const;

  int n_ = 0, num_params_ = 0, num_derived_ = 0;
  std::vector<ExpressionTape> tapes_;
  std::vector<int> derived_tape_;  // derived value i is tapes_[derived_tape_[i]]
  std::vector<int> derived_order_;
  std::vector<Kernel> linear_;                 // linear processes (no effect): merged into entries
  std::vector<int> entry_row_, entry_column_;  // merged linear Jacobian entries
  std::vector<Kernel> kernels_;
  std::vector<ObservablePlan> observables_;
  std::vector<Term> terms_;  // linear observables' terms (weights in the workspace)
  pk::JacobianPattern pattern_;
  // Workspace layout (offsets in doubles).
  size_t derived_at_ = 0, coefficients_at_ = 0, entries_at_ = 0, inputs_at_ = 0, weights_at_ = 0,
         registers_at_ = 0, adjoints_at_ = 0, gradient_at_ = 0, workspace_size_ = 0;
};

}  // namespace onset::models
