// The expression tapes of model files against muparser, which parses and checks every
// expression at load and was their evaluator before: the same value for every expression of
// every library model and for a corpus of muparser's operators, functions and precedence
// rules, at random inputs; exact gradients against central differences; and the refusals
// (assignment, lists) with the place in the file.
#include "models/expression_tape.hpp"

#include <gtest/gtest.h>
#include <muParser.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "models/file_model.hpp"
#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "pk/user_error.hpp"

namespace onset::models {
namespace {

// Relative agreement with muparser: both evaluate the same operations in the same order,
// except that muparser's byte-code optimiser rewrites x^2, x^3, x^4 as products and fuses
// some constant operands (a few ulps).
constexpr double kAgreement = 1e-13;

bool agree(double tape, double reference) {
  if (std::isnan(reference)) return std::isnan(tape);
  if (std::isinf(reference)) return tape == reference;
  return std::fabs(tape - reference) <= kAgreement * std::max(1.0, std::fabs(reference));
}

// Evaluates `text` with muparser and with a tape over variables a, b, c (and x as a state).
void expect_same(const std::string& text, std::mt19937_64& rng, int draws = 50) {
  std::uniform_real_distribution<double> value(-3.0, 3.0);
  double vars[4] = {0, 0, 0, 0};
  mu::Parser parser;
  const char* names[4] = {"a", "b", "c", "x"};
  for (int i = 0; i < 4; ++i) parser.DefineVar(names[i], &vars[i]);
  parser.SetExpr(text);
  const ExpressionTape tape =
      ExpressionTape::compile(text, [&](const std::string& name, TapeVariable* variable) {
        for (int i = 0; i < 3; ++i)
          if (name == names[i]) {
            *variable = {TapeSource::kParameter, i};
            return true;
          }
        if (name == "x") {
          *variable = {TapeSource::kState, 0};
          return true;
        }
        return false;
      });
  std::vector<double> registers(static_cast<size_t>(tape.size()));
  for (int d = 0; d < draws; ++d) {
    for (double& v : vars) v = d == 0 ? 1.0 : value(rng);
    const double reference = parser.Eval();
    TapeInputs in;
    in.parameters = {vars, 3};
    in.states = {vars + 3, 1};
    const double got = tape.evaluate(in, registers);
    EXPECT_TRUE(agree(got, reference))
        << text << " at a=" << vars[0] << " b=" << vars[1] << " c=" << vars[2] << " x=" << vars[3]
        << ": tape " << got << ", muparser " << reference;
  }
}

TEST(ExpressionTape, AgreesWithMuparserOnOperatorsFunctionsAndPrecedence) {
  std::mt19937_64 rng(11);
  const char* corpus[] = {
      "a + b * c",
      "a - b - c",
      "a / b / c",
      "-a^2",
      "a^b^c",
      "2^-a^2",
      "-(-a)^2",
      "a * -b",
      "a - -b",
      "+a",
      "a < b ? c : x",
      "a ? b : c ? x : 1",
      "a<b && b<c || x",
      "(a < b) + (b >= c) + (a == a) + (a != b) + (b <= a) + (c > x)",
      "min(a, b, c)",
      "max(a, b, c, x)",
      "sum(a, b, c)",
      "avg(a, b)",
      "abs(a) + sign(b) + rint(c)",
      "exp(a) * ln(abs(b) + 1) + log(abs(c) + 2)",
      "log2(abs(a) + 1) + log10(abs(b) + 1) + sqrt(abs(c))",
      "sin(a) + cos(b) + tan(c / 4)",
      "asin(a / 4) + acos(b / 4) + atan(c)",
      "sinh(a) + cosh(b) + tanh(c)",
      "asinh(a) + acosh(abs(b) + 1) + atanh(c / 4)",
      "atan2(a, b)",
      "_pi * a + _e",
      "1e-3 * a + 2.5E2 * b + .5 * c + 5. * x",
      "a^2 + b^3 + c^4 + x^0.5",
      "(a + b) * (c - x) / (1 + a * a)",
      "max(0, 1 - a - b) * x",
      "x / (x + abs(a) + 1)",
  };
  for (const char* text : corpus) expect_same(text, rng);
}

// Every expression of every library model (derived values, expression processes and
// observables, initial values), at the model's parameters scaled at random and random states.
TEST(ExpressionTape, AgreesWithMuparserOnEveryLibraryExpression) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> factor(0.3, 3.0);
  int expressions = 0;
  for (const std::string& name : library_model_names()) {
    const auto model = load_file_model(name);
    const ExpressionTable& table = model->expression_table();
    ASSERT_EQ(table.tapes.size(), table.parsers.size()) << name;
    for (int draw = 0; draw < 20; ++draw) {
      // Fill muparser's variable buffer: parameters, derived values (in order), states, t.
      std::vector<double> params = model->default_parameters();
      for (double& p : params) p *= factor(rng);
      for (size_t i = 0; i < params.size(); ++i)
        table.slots[static_cast<size_t>(table.param_slot(static_cast<int>(i)))] = params[i];
      std::vector<double> derived(static_cast<size_t>(table.num_derived));
      std::vector<double> registers(4096);
      for (int d : table.derived_order) {
        const int e = table.derived_expression[static_cast<size_t>(d)];
        const double reference = table.parsers[static_cast<size_t>(e)]->Eval();
        table.slots[static_cast<size_t>(table.derived_slot(d))] = reference;
        derived[static_cast<size_t>(d)] = reference;
      }
      std::vector<double> states(static_cast<size_t>(table.num_states));
      for (size_t i = 0; i < states.size(); ++i) {
        states[i] = factor(rng) * 1e3;
        table.slots[static_cast<size_t>(table.state_slot(static_cast<int>(i)))] = states[i];
      }
      table.slots[static_cast<size_t>(table.time_slot())] = 2.5;
      TapeInputs in;
      in.parameters = params;
      in.derived = derived;
      in.states = states;
      in.time = 2.5;
      for (size_t e = 0; e < table.tapes.size(); ++e) {
        if (table.tapes[e].reads(TapeSource::kCovariate)) continue;  // dose modifiers: below
        const double reference = table.parsers[e]->Eval();
        const double got = table.tapes[e].evaluate(in, registers);
        EXPECT_TRUE(agree(got, reference))
            << name << " expression " << e << " '" << table.parsers[e]->GetExpr() << "': tape "
            << got << ", muparser " << reference;
        if (draw == 0) ++expressions;
      }
    }
  }
  EXPECT_GT(expressions, 50);  // the EV models alone have dozens
}

// The gradient with respect to the states is exact: central differences of the value agree
// to their own truncation error.
TEST(ExpressionTape, GradientMatchesCentralDifferences) {
  const char* corpus[] = {"x * y / (k + x)",
                          "k * min(1, x / (y + 1) + max(0, 1 - y))",
                          "x^3 - 2 * y^0.5 + exp(-k * x)",
                          "x > y ? x * x : y * k",
                          "sqrt(x * y) + ln(x) * atan2(y, x) + abs(x - y)",
                          "x^y",
                          "sinh(x / 4) * tanh(y / 4) + asinh(x) + cos(y)"};
  for (const char* text : corpus) {
    const ExpressionTape tape =
        ExpressionTape::compile(text, [](const std::string& name, TapeVariable* variable) {
          if (name == "x" || name == "y") {
            *variable = {TapeSource::kState, name == "x" ? 0 : 1};
            return true;
          }
          if (name == "k") {
            *variable = {TapeSource::kParameter, 0};
            return true;
          }
          return false;
        });
    std::vector<double> registers(static_cast<size_t>(tape.size())), adjoints(registers.size());
    const double k = 0.7;
    for (double x : {0.3, 1.7, 2.9}) {
      for (double y : {0.5, 1.2, 2.2}) {
        double state[2] = {x, y};
        TapeInputs in;
        in.parameters = {&k, 1};
        in.states = {state, 2};
        double gradient[2] = {0, 0};
        tape.gradient(in, 1.0, gradient, registers, adjoints);
        for (int i = 0; i < 2; ++i) {
          const double h = 1e-6 * std::max(1.0, state[i]);
          const double saved = state[i];
          state[i] = saved + h;
          const double up = tape.evaluate(in, registers);
          state[i] = saved - h;
          const double down = tape.evaluate(in, registers);
          state[i] = saved;
          const double fd = (up - down) / (2 * h);
          EXPECT_NEAR(gradient[i], fd, 1e-7 * std::max(1.0, std::fabs(fd)))
              << text << " d/d" << (i == 0 ? "x" : "y") << " at x=" << x << " y=" << y;
        }
      }
    }
  }
}

// x^1 .. x^4 with a constant exponent compile to x and products (muparser's byte-code does the
// same: x*x, x*x*x, x*x*x*x), not to pow(); x^0.5 stays pow(). A subexpression written twice is
// computed once, with the same value.
TEST(ExpressionTape, ConstantPowersBecomeProductsAndRepeatsAreComputedOnce) {
  auto resolve = [](const std::string& name, TapeVariable* variable) {
    if (name.size() != 1 || name[0] < 'a' || name[0] > 'c') return false;
    *variable = {TapeSource::kParameter, name[0] - 'a'};
    return true;
  };
  auto has_power = [](const ExpressionTape& tape) {
    for (const auto& i : tape.code())
      if (i.op == ExpressionTape::Op::kPower) return true;
    return false;
  };
  const ExpressionTape powers = ExpressionTape::compile("a^2 + a^3 + a^4 + a^1", resolve);
  EXPECT_FALSE(has_power(powers));
  EXPECT_TRUE(has_power(ExpressionTape::compile("a^0.5", resolve)));
  const ExpressionTape repeated = ExpressionTape::compile("(a + b) / (c + (a + b))", resolve);
  EXPECT_EQ(repeated.size(), 6);  // a, b, a + b, c, c + (a + b), the quotient
  std::vector<double> registers(64);
  for (const double a : {1.7, -0.3, 2.5e-3}) {
    const double values[3] = {a, 0.9, 4.0};
    TapeInputs in;
    in.parameters = {values, 3};
    const double a2 = a * a, a3 = a2 * a, a4 = a3 * a;
    EXPECT_EQ(powers.evaluate(in, registers), a2 + a3 + a4 + a);
    EXPECT_EQ(repeated.evaluate(in, registers), (a + 0.9) / (4.0 + (a + 0.9)));
  }
}

// muparser accepts `k = 3` (it assigns to the variable) and `a, b` (a list); a model must do
// neither: the reader refuses them with the place in the file.
TEST(ExpressionTape, AssignmentAndListsAreRefusedWithThePlace) {
  const std::string head = R"(name: bad
parameters:
  k: {value: 1, unit: 1/h}
derived:
)";
  for (const std::string expression : {"k = 3", "k, 2 * k"}) {
    const std::string text = head + "  d: {expression: \"" + expression + "\", unit: 1/h}\n" +
                             "compartments:\n  A: {unit: mg}\nprocesses:\n" +
                             "  - {name: out, type: first_order, from: A, k: d}\n";
    try {
      compile_model_text(text, "bad.yaml");
      ADD_FAILURE() << "'" << expression << "' was accepted";
    } catch (const ModelFileError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("bad.yaml:5:"), std::string::npos) << message;
      EXPECT_NE(message.find(expression), std::string::npos) << message;
    }
  }
}

// A tape is refused beyond its length limit, with the limit named.
TEST(ExpressionTape, LongExpressionsAreRefusedNamingTheLimit) {
  std::string text = "a";
  for (int i = 0; i < ExpressionTape::kMaxInstructions; ++i) text += " + a";
  try {
    ExpressionTape::compile(text, [](const std::string&, TapeVariable* variable) {
      *variable = {TapeSource::kParameter, 0};
      return true;
    });
    ADD_FAILURE() << "accepted";
  } catch (const TapeError& error) {
    EXPECT_NE(std::string(error.what()).find(std::to_string(ExpressionTape::kMaxInstructions)),
              std::string::npos);
  }
}

}  // namespace
}  // namespace onset::models

namespace onset::models {
namespace {

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

// An expression observable's value is computed in two parts (models/evaluation_plan.hpp): the
// instructions that do not move with the states or the time once per parameter vector, the
// rest per value. Every library expression, at random parameters, states and times: the
// instructions that do not move, run with every state and the time NaN (so that reading one
// would show), then the moving ones with the real values, give evaluate()'s value bit for bit;
// and an expression of a state and two parameters moves only where the state enters.
TEST(ExpressionTape, MovingInstructionsAfterTheFixedOnesGiveTheWholeValueBitForBit) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> factor(0.3, 3.0);
  int split = 0;
  for (const std::string& name : library_model_names()) {
    const auto model = load_file_model(name);
    const ExpressionTable& table = model->expression_table();
    for (int draw = 0; draw < 5; ++draw) {
      std::vector<double> params = model->default_parameters();
      for (double& p : params) p *= factor(rng);
      std::vector<double> derived(static_cast<size_t>(table.num_derived));
      for (double& d : derived) d = factor(rng);
      std::vector<double> states(static_cast<size_t>(table.num_states));
      for (double& y : states) y = factor(rng) * 1e3;
      const std::vector<double> no_states(states.size(), std::nan(""));
      TapeInputs in{params, derived, {}, states, 2.5 * factor(rng)};
      TapeInputs fixed_in{params, derived, {}, no_states, std::nan("")};
      for (const ExpressionTape& tape : table.tapes) {
        if (tape.reads(TapeSource::kCovariate)) continue;  // dose modifiers: not observables
        const std::vector<char> moves = tape.moving();
        std::vector<int> fixed, moving;
        for (int k = 0; k < tape.size(); ++k)
          (moves[static_cast<size_t>(k)] ? moving : fixed).push_back(k);
        std::vector<double> whole(static_cast<size_t>(tape.size())),
            parts(static_cast<size_t>(tape.size()));
        const double reference = tape.evaluate(in, whole);
        tape.evaluate_instructions(fixed_in, parts, fixed);
        const double got = tape.evaluate_instructions(in, parts, moving);
        EXPECT_TRUE(same_bits(got, reference)) << name << ": " << got << " vs " << reference;
        if (draw == 0 && !fixed.empty() && !moving.empty()) ++split;
      }
    }
  }
  EXPECT_GT(split, 10);  // expressions that mix states with parameters or derived values

  // (x - a) / (b - a): x, x - a and the quotient move; a, b and b - a do not.
  const ExpressionTape tape = ExpressionTape::compile(
      "(x - a) / (b - a)", [](const std::string& name, TapeVariable* variable) {
        if (name == "x")
          *variable = {TapeSource::kState, 0};
        else if (name == "a")
          *variable = {TapeSource::kParameter, 0};
        else if (name == "b")
          *variable = {TapeSource::kParameter, 1};
        else
          return false;
        return true;
      });
  const std::vector<char> moves = tape.moving();
  EXPECT_EQ(std::count(moves.begin(), moves.end(), 1), 3);
  EXPECT_EQ(tape.size(), 6);
}

}  // namespace
}  // namespace onset::models
