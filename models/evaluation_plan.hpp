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
#include <cstdint>
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
  // After prepare(p, w): derived value i, when the rates or observables read it (prepare()
  // computes those only: the others stay 0); after derive(p, w, order): those of `order`.
  double derived(int i, const double* w) const { return w[derived_at_ + static_cast<size_t>(i)]; }
  // The derived values marked in `needed` (one flag per derived value) and those they read, in
  // evaluation order.
  std::vector<int> derived_closure(std::vector<char> needed) const;
  // The derived values of `order` (from derived_closure()) into w and nothing else: what
  // scalar() and a parameter check read, without the rest of prepare().
  void derive(const double* p, double* w, std::span<const int> order) const;
  // The part of prepare() that observe() and observable_value() read (their derived values and
  // the linear observables' weights), for a plain observe() at one parameter vector.
  void prepare_observables(const double* p, double* w) const;
  const pk::JacobianPattern& pattern() const { return pattern_; }
  // The states observable o reads (ascending), as the pattern counts them.
  const std::vector<int>& observable_states(int o) const {
    return observable_states_[static_cast<size_t>(o)];
  }

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
  // After prepare(p, w): observable o alone.
  double observable_value(int o, double t, const double* y, const double* p, double* w) const;
  // After prepare(p, w): a compartment scalar (initial value, dose modifier); NaN for none.
  double scalar(const ScalarDef& def, const double* p, const double* covariates,
                size_t num_covariates, double* w) const;

 private:
  // What prepare() reads: a process with the offset of its coefficient block and, for linear
  // processes, the entries it adds to: (from, to) x (substrate, second).
  struct ProcessDefinition {
    Process process;
    int coefficients = 0;
    std::array<int, 4> entries{-1, -1, -1, -1};
    // A zero-order process with a linear effect of a linear observable is affine in the
    // states, v = k (1 + s sum_t w_t y_t): its constant goes to the inputs and its terms to the
    // entries (from, to) x (the driver's terms).
    std::vector<std::array<int, 2>> driver_entries;
  };
  // What rhs() and jacobian() read per nonlinear process: small, flat, no strings.
  struct Kernel {
    Law law = Law::kFirstOrder;
    EffectKind effect = EffectKind::kNone;
    bool unit_hill = true, effect_unit_hill = true;
    int from = -1, to = -1, substrate = -1, second = -1;
    int coefficients = 0;  // workspace offset of its coefficients (see prepare)
    int driver = -1;       // effect: the driving observable
    double driver_factor = 1;
    int expression = -1;         // kExpression: its tape
    int expression_states = -1;  // kExpression: index into expression_states_
  };
  struct ObservablePlan {
    ObservableKind kind = ObservableKind::kLinear;
    int first_term = 0, num_terms = 0;  // kLinear: range in term_state_ (weights in workspace)
    int numerator = -1, denominator = -1;
    int expression = -1, expression_states = -1;
    double factor = 1;
    // kExpression: the workspace offset of its tape's registers, whose instructions that do not
    // move with the states or the time (ExpressionTape::moving) prepare() computes once; a
    // value then runs the others, [first_moving, end_moving) of moving_steps_.
    int registers = -1, first_moving = 0, end_moving = 0;
  };

  // add(row, column, value) for each entry of coef * d(observable o)/dy in row `row`.
  template <typename Add>
  void add_observable_gradient(int o, double coef, int row, double t, const double* y,
                               const double* p, double* w, Add& add) const;
  template <typename Add>
  void jacobian_into(double t, const double* y, const double* p, double* w, Add& add) const;
  // observe() of the declared linear observables; of the rest, or of another count.
  [[gnu::always_inline]] inline void observe_linear(const double* y, const double* w,
                                                    double* out) const;
  [[gnu::noinline]] void observe_general(double t, const double* y, const double* p, double* w,
                                         double* out, size_t count) const;
  // observable_value() of a ratio or expression.
  [[gnu::noinline]] double nonlinear_value(int o, double t, const double* y, const double* p,
                                           double* w) const;
  // Observable o when it is linear: the weighted sum of its terms.
  double linear_value(int o, const double* y, const double* w) const {
    const int* range = term_range_.data() + 2 * o;
    const double* weights = w + weights_at_;
    const int* states = term_state_.data();
    double sum = 0;
    for (int k = range[0]; k < range[1]; ++k) sum += weights[k] * y[states[k]];
    return sum;
  }
  double effect_factor(const Kernel& k, double t, const double* y, const double* p, double* w,
                       double* ds_dx) const;
  // The rate alone (for rhs), and the rate with its partials (for the Jacobian).
  double kernel_value(const Kernel& k, double t, const double* y, const double* p, double* w) const;
  double kernel_rate(const Kernel& k, double t, const double* y, const double* p, double* w,
                     double* d_substrate, double* d_second) const;
  TapeInputs inputs(double t, const double* y, const double* p, const double* w) const;
  // The linear observables' weights into w (after their derived values), and the registers of
  // the expression observables that do not move with the states or the time.
  void prepare_weights(const double* p, double* w) const;

  int n_ = 0, num_params_ = 0, num_derived_ = 0;
  std::vector<ExpressionTape> tapes_;
  std::vector<int> derived_tape_;              // derived value i is tapes_[derived_tape_[i]]
  std::vector<int> all_derived_order_;         // every derived value, dependencies first
  std::vector<int> derived_order_;             // those the rates and observables read (prepare())
  std::vector<int> observable_derived_order_;  // those the observables read
  std::vector<ProcessDefinition> linear_;      // linear processes (no effect): merged into entries
  std::vector<ProcessDefinition> nonlinear_;   // the others, one kernel each
  std::vector<Kernel> kernels_;
  // rhs()'s kernels by shape, each shape a flat array walked by a tight loop that writes the
  // rate into the workspace (w + rates_at_ + slot); the rates are then added to ydot in
  // process order. The shapes compute kernel_value()'s operations in its order, so the values
  // are identical: a Michaelis-Menten law without effect (v = c0 x / (c2 + x), x = c1 y_s), a
  // capacity-limited law without effect (Kupffer-cell and splenic uptake), a first-order law with a
  // linear, Emax or Imax effect (unit Hill) of an observable of one term (x = (0 + w y_d) f), and
  // the rest through kernel_value(). When no state is written by two kernels (B2, the cascades),
  // the order in which they are added does not change a bit, and each loop adds its rates to ydot
  // at once.
  struct Scatter {
    int from, to, yield;  // yield: workspace offset of the stoichiometry
  };
  struct SaturableRate {
    int slot, substrate, coefficients;
    Scatter scatter;
  };
  struct CapacityRate {  // v = c0 y_s (1 - c1 y_fill) while that is positive, else 0
    int slot, substrate, fill, coefficients;
    Scatter scatter;
  };
  struct EffectRate {
    int slot, substrate, coefficients, driver_state, driver_term;
    double driver_factor, sign;  // sign: +1 Emax, -1 Imax (unused for a linear effect)
    Scatter scatter;
  };
  // kernel_value() of kernel i, out of line (the typed loops stay small).
  [[gnu::noinline]] double general_rate(int i, double t, const double* y, const double* p,
                                        double* w) const;
  template <bool kAddAtOnce>
  [[gnu::always_inline]] inline void kernel_rates(double t, const double* y, const double* p,
                                                  double* w, double* ydot) const;
  std::vector<SaturableRate> saturable_rates_;
  std::vector<CapacityRate> capacity_rates_;
  std::vector<EffectRate> linear_effect_rates_, hill_effect_rates_;
  std::vector<int> general_rates_;  // kernel indices
  std::vector<Scatter> scatter_;    // per kernel, in process order
  bool add_at_once_ = false;
  std::vector<int> entry_row_, entry_column_;  // merged linear Jacobian entries, by row
  std::vector<int> row_start_;                 // row r's entries: [row_start_[r], [r + 1])
  std::vector<ObservablePlan> observables_;
  // The instructions of the expression observables' tapes that move with the states or the
  // time (ranges per observable), and those that do not (computed by prepare_weights()).
  std::vector<int> moving_steps_, fixed_steps_;
  std::vector<int> fixed_range_;      // per observable: [first, end) in fixed_steps_
  std::vector<int> term_state_;       // linear observables' terms: the state read,
  std::vector<int> term_observable_;  // the observable it belongs to;
  // per observable: [first, end) of its terms (empty for a non-linear one), and whether it is
  // linear (the hot paths read these two flat arrays only).
  std::vector<int> term_range_;
  std::vector<char> linear_observable_;
  // observe()'s plan for the declared observables, by shape, each a flat array walked by a
  // tight loop: one term of weight exactly 1 (out = y, the `amount` of a compartment), one
  // term (out = weight x y), a sum of unit weights over consecutive states (out = y_a + ... +
  // y_b, e.g. a total over compartments declared in order), a sum of unit weights over other
  // states, a weighted sum over a range of terms, then the non-linear ones. Each computes the
  // same operations in the same order as the general path, so the values are identical.
  struct Copy {
    int observable, state;
  };
  struct SingleTerm {
    int observable, state, term;
  };
  struct StateRun {
    int observable, first, end;  // states [first, end)
  };
  std::vector<Copy> declared_copy_;
  std::vector<SingleTerm> declared_single_;
  std::vector<StateRun> declared_run_;
  std::vector<int> declared_unit_sum_;  // observable indices (their terms' states)
  std::vector<int> declared_multi_;     // observable indices
  std::vector<int> declared_other_;
  size_t declared_ = 0;
  // observable_value()'s shape per observable (declared and hidden): kCopy reads
  // y[shape_state_], kSingle weights[shape_term_] * y[shape_state_], kLinear the range of
  // terms, kOther the ratio or the tape.
  enum class Shape : std::uint8_t { kCopy, kSingle, kLinear, kOther };
  struct ObservableShape {
    Shape shape = Shape::kOther;
    int state = -1, term = -1;
  };
  std::vector<ObservableShape> shape_;
  std::vector<ObservableTerm> term_definition_;  // what prepare() makes each weight of
  std::vector<std::vector<int>> expression_states_;
  pk::JacobianPattern pattern_;
  std::vector<std::vector<int>> observable_states_;
  // Workspace layout (offsets in doubles).
  size_t derived_at_ = 0, coefficients_at_ = 0, entries_at_ = 0, inputs_at_ = 0, weights_at_ = 0,
         registers_at_ = 0, adjoints_at_ = 0, gradient_at_ = 0, rates_at_ = 0, workspace_size_ = 0;
};

}  // namespace onset::models
