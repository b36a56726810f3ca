// A model read from a model file (models/README.md): arrays of typed processes, observables and
// references into the parameter vector (filled by the reader, models/model_file.cpp), compiled
// at load into an evaluation plan (models/evaluation_plan.hpp) that rhs(), jacobian() and
// observe() run without allocating or locking. The model is immutable after load, so one
// instance serves every thread; the per-parameter work (derived values, folded coefficients)
// goes into a workspace the caller owns (pk::PreparedModel), or, for the plain calls, into a
// scratch buffer of the calling thread.
//
// Everything has analytic derivatives: typed laws (first-order, flow, Michaelis-Menten, Hill,
// zero-order, capacity-limited, turnover, transit, Emax/Imax/linear effects, linear and ratio
// observables) by hand, general expressions (derived values, `expression` processes and
// observables, initial values, dose modifiers) by a reverse sweep over their tapes
// (models/expression_tape.hpp). muparser parses and checks every expression at load; the tapes
// evaluate them.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "models/expression_tape.hpp"
#include "pk/model.hpp"

namespace mu {
class Parser;
}

namespace onset::models {

// A value read by a rate law: a number (already in the unit the law wants), a parameter or a
// derived value (times `factor`, the unit conversion into what the law wants).
struct ValueRef {
  enum class Kind : std::uint8_t { kConstant, kParameter, kDerived };
  Kind kind = Kind::kConstant;
  int index = 0;
  double value = 1;   // kConstant: the value
  double factor = 1;  // multiplies a parameter or derived value
};

enum class EffectKind : std::uint8_t { kNone, kEmax, kImax, kLinear };

// Multiplies a process's rate by S(x): Emax 1 + Emax x^h/(EC50^h + x^h); Imax
// 1 - Imax x^h/(IC50^h + x^h); linear 1 + slope x. x = driver observable x driver_factor.
struct Effect {
  EffectKind kind = EffectKind::kNone;
  int driver = -1;     // observable index (declared or hidden)
  ValueRef magnitude;  // Emax, Imax or slope
  ValueRef potency;    // EC50 or IC50 (unused for linear)
  ValueRef hill;       // Hill coefficient (1 by default)
  bool unit_hill = true;
  double driver_factor = 1;  // driver's unit -> potency's unit (or slope*driver -> 1)
};

enum class Law : std::uint8_t {
  kFirstOrder,  // v = k x, x = A_sub (or A_sub / V_sub)
  kZeroOrder,   // v = k
  kSaturable,   // v = k x^h / (K^h + x^h)  (Michaelis-Menten: h = 1)
  kFlow,        // v = k (A_from / V_from - f A_to / (V_to Kp))
  kCapacity,    // v = k x max(0, 1 - f A_fill / Cap)
  kExpression,  // v = muparser expression
};

struct Process {
  Law law = Law::kFirstOrder;
  std::string name;
  int from = -1;            // state losing v (amount per hour, in its unit)
  int to = -1;              // state gaining stoich * v
  int substrate = -1;       // state whose amount drives the rate
  int second = -1;          // flow: the receiving state; capacity: the filling state
  ValueRef k;               // k, CL, rate, Vmax or Q (times the unit factor into base/h)
  ValueRef volume;          // divisor of the substrate amount (constant 1: amount form)
  bool has_volume = false;  // concentration form (divide by `volume`)
  ValueRef km;              // saturable: K; capacity: capacity
  ValueRef hill;            // saturable: Hill coefficient
  bool unit_hill = true;
  ValueRef volume2;     // flow: receiving volume
  ValueRef partition;   // flow: partition coefficient
  double x_factor = 1;  // saturable: x -> K's unit; flow, capacity: second term's unit
  ValueRef yield;       // stoich to `to` (times the unit factor base -> to's unit)
  Effect effect;
  int expression = -1;  // kExpression: index into the expressions
  double expression_factor = 1;
  std::vector<int> expression_states;  // states the expression reads (finite differences)

  // Every value the rate law reads (EvaluationPlan::prepare computes only the derived values
  // listed here): a ValueRef added above belongs in this list too.
  std::array<const ValueRef*, 10> values() const {
    return {&k,          &volume,           &km,
            &hill,       &volume2,          &partition,
            &yield,      &effect.magnitude, &effect.potency,
            &effect.hill};
  }
};

enum class ObservableKind : std::uint8_t { kLinear, kRatio, kExpression };

// weight of a linear term = constant / div1 / div2 (just `constant` when both are numbers:
// folded when the file is read).
struct ObservableTerm {
  int state = 0;
  double constant = 1;
  ValueRef div1;
  ValueRef div2;
  bool constant_weight = false;
};

// A linear term weight * y[state] (/ p[div_param] when div_param >= 0), unit factors folded.
struct SimpleTerm {
  int state = 0;
  int div_param = -1;
  double weight = 1;
};

struct ObservableDef {
  ObservableKind kind = ObservableKind::kLinear;
  int first_term = 0, num_terms = 0;  // kLinear: range in the term table
  bool simple = false;                // kLinear with number weights: range in simple_terms_
  int first_simple = 0;
  int numerator = -1, denominator = -1;  // kRatio: linear observables
  int expression = -1;
  std::vector<int> expression_states;
  double factor = 1;  // natural unit -> declared unit
};

// A scalar of a compartment (initial value, lag, F, rate, duration): a number, a parameter,
// or an expression (of parameters, derived values and, for dose modifiers, data columns).
struct ScalarDef {
  enum class Kind : std::uint8_t { kNone, kConstant, kParameter, kExpression };
  Kind kind = Kind::kNone;
  int index = 0;
  double value = 0;
  double factor = 1;  // unit conversion (time into hours, ...)
};

struct CompartmentDoseDef {
  ScalarDef lag, bioavailability, rate, duration;
};

// A derived value that must stay positive: one that divides amounts (a compartment's volume,
// an observable's divisor: > 0), or scales a first-order elimination or a flow (a clearance,
// rate constant or flow: >= 0, zero shuts that route).
struct PositiveDerived {
  int index = 0;     // derived value
  std::string role;  // "volume", "divisor", "clearance", "rate constant", "flow"
  bool zero_allowed = false;
  std::string name;        // as declared
  std::string unit;        // as declared
  std::string expression;  // as written
  std::string where;       // model file:line:column of the expression
};

struct ParameterBounds {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
};

// Descriptive text of a model, for `onset models show`.
struct ModelDocumentation {
  std::string description;
  std::string equations;
  std::string source;                         // file path or "library:NAME"
  std::vector<std::string> state_notes;       // per state: volume/mass/initial, dose modifiers
  std::vector<std::string> parameter_notes;   // per parameter: bounds, description
  std::vector<std::string> observable_notes;  // per observable: definition
  std::vector<std::string> process_notes;     // per process: one line
};

// The expressions of a model: muparser's parsers over one variable buffer
// [params | derived | covariates | states | t] (used at load, to parse and check), and the
// tapes compiled from them (used to evaluate), at the same indices.
class ExpressionTable {
 public:
  ExpressionTable();
  ~ExpressionTable();
  ExpressionTable(const ExpressionTable&) = delete;
  ExpressionTable& operator=(const ExpressionTable&) = delete;

  int num_params = 0, num_derived = 0, num_covariates = 0, num_states = 0;
  std::vector<std::string> names;  // every slot's variable name
  std::unique_ptr<double[]> slots;
  std::vector<std::unique_ptr<mu::Parser>> parsers;
  std::vector<int> derived_expression;  // derived value i is parsers[derived_expression[i]]
  std::vector<int> derived_order;       // derived values in evaluation order (dependencies first)
  std::vector<ExpressionTape> tapes;    // tapes[i] evaluates parsers[i]

  int param_slot(int i) const { return i; }
  int derived_slot(int i) const { return num_params + i; }
  int covariate_slot(int i) const { return num_params + num_derived + i; }
  int state_slot(int i) const { return num_params + num_derived + num_covariates + i; }
  int time_slot() const { return num_params + num_derived + num_covariates + num_states; }
  void allocate_slots();
  // What a slot is, for a tape.
  TapeVariable variable(int slot) const;
};

class EvaluationPlan;

class FileModel final : public pk::Model {
 public:
  FileModel();
  ~FileModel() override;

  std::string_view name() const override { return name_; }
  std::span<const pk::StateInfo> states() const override { return states_; }
  std::span<const pk::ParameterInfo> parameters() const override { return parameters_; }
  std::span<const pk::ObservableInfo> observables() const override {
    return {observable_infos_.data(), observable_infos_.size()};
  }
  void initial_state(std::span<const double> p, std::span<double> y0) const override;
  void rhs(double t, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override;
  bool has_jacobian() const override { return true; }
  void jacobian(double t, std::span<const double> y, std::span<const double> p,
                std::span<double> jac) const override;
  pk::Bandwidth bandwidth() const override { return bandwidth_; }
  const pk::JacobianPattern* jacobian_pattern() const override;
  std::vector<int> observable_states(int o) const override;
  void observe(double t, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override;
  std::span<const std::string> covariates() const override { return covariates_; }
  pk::DoseModifiers dose_modifiers(int state, std::span<const double> p,
                                   std::span<const double> covariates) const override;
  bool linear_system(std::span<const double> p, std::span<double> a,
                     std::span<double> b) const override;
  // A derived volume or clearance that is not positive (or not a number) for p.
  std::string check_parameters(std::span<const double> p) const override;
  // This model's states `kept` alone, with observable `observable` (and the hidden drivers of
  // the kept processes' effects): a FileModel of the processes that write a kept state and the
  // derived values they and the observable read, so prepare(), rhs() and the Jacobian do the
  // kept rows' work only, in the same operations and order (bit-identical values). nullptr
  // when a kept process or the observable reads a left-out state, or `kept` is not ascending.
  std::shared_ptr<const pk::Model> restricted(std::span<const int> kept,
                                              int observable) const override;

  size_t workspace_size() const override;
  void prepare(std::span<const double> p, std::span<double> workspace) const override;
  void rhs_prepared(double t, std::span<const double> y, std::span<const double> p,
                    std::span<double> workspace, std::span<double> ydot) const override;
  void jacobian_prepared(double t, std::span<const double> y, std::span<const double> p,
                         std::span<double> workspace, std::span<double> jac) const override;
  void observe_prepared(double t, std::span<const double> y, std::span<const double> p,
                        std::span<double> workspace, std::span<double> out) const override;
  double observable_prepared(int o, double t, std::span<const double> y, std::span<const double> p,
                             std::span<double> workspace, std::span<double> scratch) const override;
  void jacobian_sparse_prepared(double t, std::span<const double> y, std::span<const double> p,
                                std::span<double> workspace,
                                std::span<double> values) const override;

  const ModelDocumentation& documentation() const { return documentation_; }
  std::span<const ParameterBounds> parameter_bounds() const { return bounds_; }
  std::span<const Process> processes() const { return processes_; }
  bool uses_expressions() const { return uses_expressions_; }
  // The expressions: muparser's parsers and their tapes (tests compare the two).
  const ExpressionTable& expression_table() const { return table_; }
  // Builds the evaluation plan; called once, when the reader is done.
  void build_plan();

 private:
  friend class ModelFileCompiler;
  friend class EvaluationPlan;

  // The plan prepared for p in a scratch buffer of the calling thread (for the plain calls).
  std::span<double> prepared_scratch(std::span<const double> p) const;
  // That scratch buffer, unprepared.
  std::span<double> scratch() const;

  std::string name_;
  std::vector<pk::StateInfo> states_;
  std::vector<pk::ParameterInfo> parameters_;
  std::vector<ParameterBounds> bounds_;
  std::vector<pk::ObservableInfo> observable_infos_;  // declared observables only
  std::vector<ObservableDef> observables_;            // declared, then hidden drivers
  std::vector<ObservableTerm> terms_;
  std::vector<SimpleTerm> simple_terms_;
  std::vector<Process> processes_;
  std::vector<ScalarDef> initial_;
  std::vector<CompartmentDoseDef> dose_defs_;
  std::vector<std::string> covariates_;
  std::vector<PositiveDerived> positive_derived_;
  pk::Bandwidth bandwidth_;
  bool linear_ = false;
  bool uses_expressions_ = false;  // rhs/jacobian/observe need the expression table
  bool rhs_expressions_ = false;   // derived values or expression processes/observables
  ExpressionTable table_;
  std::unique_ptr<EvaluationPlan> plan_;
  // The derived values (evaluation order) the initial values and dose modifiers read, and
  // those the positivity checks read: the plain initial_state(), dose_modifiers() and
  // check_parameters() compute these alone (EvaluationPlan::derive), not the whole prepare().
  std::vector<int> scalar_derived_, check_derived_;
  ModelDocumentation documentation_;
};

}  // namespace onset::models
