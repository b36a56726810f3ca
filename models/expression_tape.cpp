// The expression compiler and the tape's evaluation (see expression_tape.hpp).
//
// Grammar, lowest precedence first (muparser 2.3's operator priorities, muParserDef.h):
//   ternary := or ('?' ternary ':' ternary)?
//   or      := and ('||' and)*
//   and     := compare ('&&' compare)*
//   compare := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)*
//   sum     := product (('+' | '-') product)*
//   product := unary (('*' | '/') unary)*
//   unary   := ('-' | '+') unary | power
//   power   := primary ('^' unary)?             (right-associative)
//   primary := number | name | function '(' ternary (',' ternary)* ')' | '(' ternary ')'
// Functions are computed with the formulas of muparser's MathImpl (muParserTemplateMagic.h),
// e.g. asinh(x) = ln(x + sqrt(x^2 + 1)) and rint(x) = floor(x + 0.5), so that values agree
// with muparser's; operations on constants only are folded at compile time.
#include "models/expression_tape.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace onset::models {

namespace {

using Op = ExpressionTape::Op;

// muparser's constants (its GNU build defines _pi with 13 digits).
constexpr double kMuparserPi = 3.141592653589;
constexpr double kMuparserE = 2.718281828459045235360287;

struct FunctionInfo {
  std::string_view name;
  Op op;
  int arity;  // -1: one or more (folded pairwise)
};

constexpr std::array<FunctionInfo, 25> kFunctions = {{
    {"sin", Op::kSin, 1},     {"cos", Op::kCos, 1},     {"tan", Op::kTan, 1},
    {"asin", Op::kAsin, 1},   {"acos", Op::kAcos, 1},   {"atan", Op::kAtan, 1},
    {"sinh", Op::kSinh, 1},   {"cosh", Op::kCosh, 1},   {"tanh", Op::kTanh, 1},
    {"asinh", Op::kAsinh, 1}, {"acosh", Op::kAcosh, 1}, {"atanh", Op::kAtanh, 1},
    {"exp", Op::kExp, 1},     {"ln", Op::kLog, 1},      {"log", Op::kLog, 1},
    {"log2", Op::kLog2, 1},   {"log10", Op::kLog10, 1}, {"sqrt", Op::kSqrt, 1},
    {"abs", Op::kAbs, 1},     {"sign", Op::kSign, 1},   {"rint", Op::kRint, 1},
    {"atan2", Op::kAtan2, 2}, {"min", Op::kMin, -1},    {"max", Op::kMax, -1},
    {"sum", Op::kAdd, -1},
}};

double apply(Op op, double x, double y, double z) {
  switch (op) {
    case Op::kConstant:
    case Op::kVariable:
      return x;
    case Op::kNegate:
      return -x;
    case Op::kAdd:
      return x + y;
    case Op::kSubtract:
      return x - y;
    case Op::kMultiply:
      return x * y;
    case Op::kDivide:
      return x / y;
    case Op::kPower:
      return std::pow(x, y);
    case Op::kLess:
      return x < y ? 1.0 : 0.0;
    case Op::kLessEqual:
      return x <= y ? 1.0 : 0.0;
    case Op::kGreater:
      return x > y ? 1.0 : 0.0;
    case Op::kGreaterEqual:
      return x >= y ? 1.0 : 0.0;
    case Op::kEqual:
      return x == y ? 1.0 : 0.0;
    case Op::kNotEqual:
      return x != y ? 1.0 : 0.0;
    case Op::kAnd:
      return (x != 0 && y != 0) ? 1.0 : 0.0;
    case Op::kOr:
      return (x != 0 || y != 0) ? 1.0 : 0.0;
    case Op::kSelect:
      return x != 0 ? y : z;
    case Op::kMin:
      return y < x ? y : x;  // std::min(x, y)
    case Op::kMax:
      return x < y ? y : x;  // std::max(x, y)
    case Op::kAtan2:
      return std::atan2(x, y);
    case Op::kSin:
      return std::sin(x);
    case Op::kCos:
      return std::cos(x);
    case Op::kTan:
      return std::tan(x);
    case Op::kAsin:
      return std::asin(x);
    case Op::kAcos:
      return std::acos(x);
    case Op::kAtan:
      return std::atan(x);
    case Op::kSinh:
      return std::sinh(x);
    case Op::kCosh:
      return std::cosh(x);
    case Op::kTanh:
      return std::tanh(x);
    case Op::kAsinh:
      return std::log(x + std::sqrt(x * x + 1));
    case Op::kAcosh:
      return std::log(x + std::sqrt(x * x - 1));
    case Op::kAtanh:
      return 0.5 * std::log((1 + x) / (1 - x));
    case Op::kExp:
      return std::exp(x);
    case Op::kLog:
      return std::log(x);
    case Op::kLog2:
      return std::log(x) / std::log(2.0);
    case Op::kLog10:
      return std::log10(x);
    case Op::kSqrt:
      return std::sqrt(x);
    case Op::kAbs:
      return x >= 0 ? x : -x;
    case Op::kSign:
      return x < 0 ? -1.0 : (x > 0 ? 1.0 : 0.0);
    case Op::kRint:
      return std::floor(x + 0.5);
  }
  return std::nan("");
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

struct ExpressionTape::Parser {
  const std::string& text;
  bool (*resolve)(const void*, const std::string&, TapeVariable*);
  const void* context;
  std::vector<Instruction> code;
  size_t at = 0;

  [[noreturn]] void fail(size_t offset, const std::string& what) const {
    throw TapeError(offset, what);
  }

  void skip_space() {
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  }
  bool accept(std::string_view token) {
    skip_space();
    if (text.compare(at, token.size(), token) != 0) return false;
    at += token.size();
    return true;
  }
  bool peek(std::string_view token) {
    skip_space();
    return text.compare(at, token.size(), token) == 0;
  }

  static bool same(const Instruction& x, const Instruction& y) {
    if (x.op != y.op || x.a != y.a || x.b != y.b || x.c != y.c) return false;
    if (x.op == Op::kVariable) return x.source == y.source && x.index == y.index;
    if (x.op == Op::kConstant)
      return std::bit_cast<std::uint64_t>(x.value) == std::bit_cast<std::uint64_t>(y.value);
    return true;
  }

  int emit(Instruction instruction) {
    // Fold operations on constants, as muparser's byte-code optimiser does (the operands
    // left behind are dropped by compact()).
    if (instruction.op != Op::kConstant && instruction.op != Op::kVariable) {
      auto constant = [&](int r) {
        return r < 0 || code[static_cast<size_t>(r)].op == Op::kConstant;
      };
      auto value = [&](int r) { return r < 0 ? 0.0 : code[static_cast<size_t>(r)].value; };
      if (constant(instruction.a) && constant(instruction.b) && constant(instruction.c)) {
        Instruction folded;
        folded.op = Op::kConstant;
        folded.value =
            apply(instruction.op, value(instruction.a), value(instruction.b), value(instruction.c));
        instruction = folded;
      }
    }
    // x^1, x^2, x^3, x^4 with a constant exponent: x and products, as muparser's byte-code
    // optimiser computes them (x*x, x*x*x, x*x*x*x from the left), instead of pow().
    if (instruction.op == Op::kPower &&
        code[static_cast<size_t>(instruction.b)].op == Op::kConstant) {
      const double exponent = code[static_cast<size_t>(instruction.b)].value;
      const int x = instruction.a;
      if (exponent == 1) return x;
      if (exponent == 2 || exponent == 3 || exponent == 4) {
        int product = emit_op(Op::kMultiply, x, x);
        for (double k = 3; k <= exponent; ++k) product = emit_op(Op::kMultiply, product, x);
        return product;
      }
    }
    // The same operation on the same operands is computed once (common subexpressions, e.g.
    // a concentration written twice): the value is the same, bit for bit.
    for (size_t k = code.size(); k-- > 0;)
      if (same(code[k], instruction)) return static_cast<int>(k);
    if (code.size() >= static_cast<size_t>(kMaxInstructions))
      fail(at, "an expression of at most " + std::to_string(kMaxInstructions) +
                   " operations (split it into derived values)");
    code.push_back(instruction);
    return static_cast<int>(code.size() - 1);
  }
  int emit_op(Op op, int a, int b = -1, int c = -1) {
    Instruction i;
    i.op = op;
    i.a = a;
    i.b = b;
    i.c = c;
    return emit(i);
  }
  int emit_constant(double value) {
    Instruction i;
    i.op = Op::kConstant;
    i.value = value;
    return emit(i);
  }

  int ternary() {
    const int condition = logical_or();
    if (!accept("?")) return condition;
    const int if_true = ternary();
    if (!accept(":")) fail(at, "':' of 'condition ? a : b'");
    const int if_false = ternary();
    return emit_op(Op::kSelect, condition, if_true, if_false);
  }
  int logical_or() {
    int left = logical_and();
    while (accept("||")) left = emit_op(Op::kOr, left, logical_and());
    return left;
  }
  int logical_and() {
    int left = compare();
    while (accept("&&")) left = emit_op(Op::kAnd, left, compare());
    return left;
  }
  int compare() {
    int left = sum();
    for (;;) {
      Op op;
      if (accept("<="))
        op = Op::kLessEqual;
      else if (accept(">="))
        op = Op::kGreaterEqual;
      else if (accept("=="))
        op = Op::kEqual;
      else if (accept("!="))
        op = Op::kNotEqual;
      else if (accept("<"))
        op = Op::kLess;
      else if (accept(">"))
        op = Op::kGreater;
      else
        return left;
      left = emit_op(op, left, sum());
    }
  }
  int sum() {
    int left = product();
    for (;;) {
      if (accept("+"))
        left = emit_op(Op::kAdd, left, product());
      else if (accept("-"))
        left = emit_op(Op::kSubtract, left, product());
      else
        return left;
    }
  }
  int product() {
    int left = unary();
    for (;;) {
      if (accept("*"))
        left = emit_op(Op::kMultiply, left, unary());
      else if (accept("/"))
        left = emit_op(Op::kDivide, left, unary());
      else
        return left;
    }
  }
  int unary() {
    if (accept("-")) return emit_op(Op::kNegate, unary());
    if (accept("+")) return unary();
    return power();
  }
  int power() {
    const int base = primary();
    if (!accept("^")) return base;
    return emit_op(Op::kPower, base, unary());
  }
  int primary() {
    skip_space();
    if (at >= text.size()) fail(at, "a value, a name or '(' (the expression ends here)");
    const char c = text[at];
    if (c == '(') {
      ++at;
      const int inner = ternary();
      if (!accept(")")) fail(at, "')'");
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    if (is_name_start(c)) return name();
    fail(at, std::string("a value, a name or '(', not '") + c + "'");
  }
  int number() {
    const size_t start = at;
    while (at < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[at])) || text[at] == '.'))
      ++at;
    if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
      size_t exponent = at + 1;
      if (exponent < text.size() && (text[exponent] == '+' || text[exponent] == '-')) ++exponent;
      if (exponent < text.size() && std::isdigit(static_cast<unsigned char>(text[exponent]))) {
        at = exponent;
        while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
      }
    }
    const std::string token = text.substr(start, at - start);
    char* end = nullptr;
    const double value = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size()) fail(start, "a number, not '" + token + "'");
    return emit_constant(value);
  }
  int name() {
    const size_t start = at;
    while (at < text.size() && is_name_char(text[at])) ++at;
    const std::string word = text.substr(start, at - start);
    if (peek("(")) return function(word, start);
    if (word == "_pi") return emit_constant(kMuparserPi);
    if (word == "_e") return emit_constant(kMuparserE);
    TapeVariable variable;
    if (!resolve(context, word, &variable)) fail(start, "a declared name, not '" + word + "'");
    Instruction i;
    i.op = Op::kVariable;
    i.source = variable.source;
    i.index = variable.index;
    return emit(i);
  }
  int function(const std::string& word, size_t start) {
    const FunctionInfo* info = nullptr;
    for (const auto& f : kFunctions)
      if (f.name == word) info = &f;
    const bool average = word == "avg";
    if (info == nullptr && !average) fail(start, "a known function, not '" + word + "'");
    accept("(");
    std::vector<int> arguments{ternary()};
    while (accept(",")) arguments.push_back(ternary());
    if (!accept(")")) fail(at, "')' closing " + word + "(...)");
    const int arity = average ? -1 : info->arity;
    if (arity > 0 && static_cast<int>(arguments.size()) != arity)
      fail(start, word + "() with " + std::to_string(arity) + " argument" +
                      (arity == 1 ? "" : "s") + ", not " + std::to_string(arguments.size()));
    if (arity == 1) return emit_op(info->op, arguments[0]);
    if (arity == 2) return emit_op(info->op, arguments[0], arguments[1]);
    // min, max, sum, avg: folded left to right, as muparser's loops.
    const Op op = average ? Op::kAdd : info->op;
    int result = arguments[0];
    for (size_t k = 1; k < arguments.size(); ++k) result = emit_op(op, result, arguments[k]);
    if (average)
      result = emit_op(Op::kDivide, result, emit_constant(static_cast<double>(arguments.size())));
    return result;
  }
};

ExpressionTape ExpressionTape::compile_with(const std::string& text,
                                            bool (*resolve)(const void*, const std::string&,
                                                            TapeVariable*),
                                            const void* context) {
  Parser parser{text, resolve, context, {}, 0};
  const int result = parser.ternary();
  parser.skip_space();
  if (parser.at < text.size()) {
    const char c = text[parser.at];
    if (c == '=') parser.fail(parser.at, "no assignment ('=') in an expression: compare with '=='");
    if (c == ',')
      parser.fail(parser.at, "one expression (a ',' separates function arguments only)");
    parser.fail(parser.at,
                std::string("an operator or the end of the expression, not '") + c + "'");
  }
  // Keep what the result needs (folding leaves unused constants behind), in order: the
  // result is then the last instruction. Mark what depends on the states.
  std::vector<char> live(parser.code.size(), 0);
  live[static_cast<size_t>(result)] = 1;
  for (size_t k = parser.code.size(); k-- > 0;) {
    if (!live[k]) continue;
    for (int r : {parser.code[k].a, parser.code[k].b, parser.code[k].c})
      if (r >= 0) live[static_cast<size_t>(r)] = 1;
  }
  std::vector<int> renumbered(parser.code.size(), -1);
  std::vector<Instruction> code;
  for (size_t k = 0; k < parser.code.size(); ++k) {
    if (!live[k]) continue;
    Instruction i = parser.code[k];
    for (int* r : {&i.a, &i.b, &i.c})
      if (*r >= 0) *r = renumbered[static_cast<size_t>(*r)];
    i.varies = i.op == Op::kVariable && i.source == TapeSource::kState;
    for (int r : {i.a, i.b, i.c})
      if (r >= 0) i.varies = i.varies || code[static_cast<size_t>(r)].varies;
    renumbered[k] = static_cast<int>(code.size());
    code.push_back(i);
  }
  parser.code = std::move(code);
  ExpressionTape tape;
  tape.code_ = std::move(parser.code);
  return tape;
}

bool ExpressionTape::reads(TapeSource source) const {
  return std::any_of(code_.begin(), code_.end(), [&](const Instruction& i) {
    return i.op == Op::kVariable && i.source == source;
  });
}

namespace {

inline double read_variable(const ExpressionTape::Instruction& i, const TapeInputs& in) {
  const auto k = static_cast<size_t>(i.index);
  switch (i.source) {
    case TapeSource::kParameter:
      return in.parameters[k];
    case TapeSource::kDerived:
      return in.derived[k];
    case TapeSource::kCovariate:
      return k < in.covariates.size() ? in.covariates[k] : std::nan("");
    case TapeSource::kState:
      return in.states[k];
    case TapeSource::kTime:
      return in.time;
  }
  return std::nan("");
}

}  // namespace

std::vector<int> ExpressionTape::variables(TapeSource source) const {
  std::vector<int> out;
  for (const Instruction& i : code_)
    if (i.op == Op::kVariable && i.source == source) out.push_back(i.index);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool ExpressionTape::renumber_states(std::span<const int> state_map) {
  for (const Instruction& i : code_)
    if (i.op == Op::kVariable && i.source == TapeSource::kState &&
        (i.index < 0 || static_cast<size_t>(i.index) >= state_map.size() ||
         state_map[static_cast<size_t>(i.index)] < 0))
      return false;
  for (Instruction& i : code_)
    if (i.op == Op::kVariable && i.source == TapeSource::kState)
      i.index = state_map[static_cast<size_t>(i.index)];
  return true;
}

namespace {

// Instruction i of a tape into register k.
inline void execute(const ExpressionTape::Instruction& i, size_t k, const TapeInputs& in,
                    double* r) {
  using Op = ExpressionTape::Op;
  switch (i.op) {
    case Op::kConstant:
      r[k] = i.value;
      break;
    case Op::kVariable:
      r[k] = read_variable(i, in);
      break;
    case Op::kAdd:
      r[k] = r[i.a] + r[i.b];
      break;
    case Op::kSubtract:
      r[k] = r[i.a] - r[i.b];
      break;
    case Op::kMultiply:
      r[k] = r[i.a] * r[i.b];
      break;
    case Op::kDivide:
      r[k] = r[i.a] / r[i.b];
      break;
    default:
      r[k] = apply(i.op, r[i.a], i.b >= 0 ? r[i.b] : 0.0, i.c >= 0 ? r[i.c] : 0.0);
      break;
  }
}

}  // namespace

double ExpressionTape::evaluate(const TapeInputs& in, std::span<double> registers) const {
  double* r = registers.data();
  const size_t count = code_.size();
  for (size_t k = 0; k < count; ++k) execute(code_[k], k, in, r);
  return r[count - 1];
}

std::vector<char> ExpressionTape::moving() const {
  std::vector<char> moves(code_.size(), 0);
  for (size_t k = 0; k < code_.size(); ++k) {
    const Instruction& i = code_[k];
    char m =
        i.op == Op::kVariable && (i.source == TapeSource::kState || i.source == TapeSource::kTime);
    for (int r : {i.a, i.b, i.c})
      if (r >= 0) m = static_cast<char>(m | moves[static_cast<size_t>(r)]);
    moves[k] = m;
  }
  return moves;
}

double ExpressionTape::evaluate_instructions(const TapeInputs& in, std::span<double> registers,
                                             std::span<const int> instructions) const {
  double* r = registers.data();
  for (const int k : instructions)
    execute(code_[static_cast<size_t>(k)], static_cast<size_t>(k), in, r);
  return r[code_.size() - 1];
}

double ExpressionTape::gradient(const TapeInputs& in, double scale, std::span<double> gradient,
                                std::span<double> registers, std::span<double> adjoints) const {
  const double value = evaluate(in, registers);
  const double* r = registers.data();
  double* adj = adjoints.data();
  const size_t count = code_.size();
  std::fill(adj, adj + count, 0.0);
  adj[count - 1] = scale;
  for (size_t k = count; k-- > 0;) {
    const double ak = adj[k];
    const Instruction& i = code_[k];
    if (ak == 0 || !i.varies) continue;  // nothing below it reads a state
    const double x = i.a >= 0 ? r[i.a] : 0.0;
    const double y = i.b >= 0 ? r[i.b] : 0.0;
    switch (i.op) {
      case Op::kConstant:
        break;
      case Op::kVariable:
        if (i.source == TapeSource::kState) gradient[static_cast<size_t>(i.index)] += ak;
        break;
      case Op::kNegate:
        adj[i.a] -= ak;
        break;
      case Op::kAdd:
        adj[i.a] += ak;
        adj[i.b] += ak;
        break;
      case Op::kSubtract:
        adj[i.a] += ak;
        adj[i.b] -= ak;
        break;
      case Op::kMultiply:
        adj[i.a] += ak * y;
        adj[i.b] += ak * x;
        break;
      case Op::kDivide:
        adj[i.a] += ak / y;
        adj[i.b] -= ak * r[k] / y;
        break;
      case Op::kPower:
        // d/dx x^y = y x^(y-1); d/dy x^y = x^y ln x, taken only where the exponent varies.
        adj[i.a] += ak * y * std::pow(x, y - 1);
        if (code_[static_cast<size_t>(i.b)].varies && r[k] != 0)
          adj[i.b] += ak * r[k] * std::log(x);
        break;
      case Op::kLess:
      case Op::kLessEqual:
      case Op::kGreater:
      case Op::kGreaterEqual:
      case Op::kEqual:
      case Op::kNotEqual:
      case Op::kAnd:
      case Op::kOr:
      case Op::kSign:
      case Op::kRint:
        break;  // piecewise constant
      case Op::kSelect:
        adj[x != 0 ? i.b : i.c] += ak;
        break;
      case Op::kMin:
        adj[y < x ? i.b : i.a] += ak;
        break;
      case Op::kMax:
        adj[x < y ? i.b : i.a] += ak;
        break;
      case Op::kAtan2: {
        const double d = x * x + y * y;
        adj[i.a] += ak * y / d;
        adj[i.b] -= ak * x / d;
        break;
      }
      case Op::kSin:
        adj[i.a] += ak * std::cos(x);
        break;
      case Op::kCos:
        adj[i.a] -= ak * std::sin(x);
        break;
      case Op::kTan:
        adj[i.a] += ak * (1 + r[k] * r[k]);
        break;
      case Op::kAsin:
        adj[i.a] += ak / std::sqrt(1 - x * x);
        break;
      case Op::kAcos:
        adj[i.a] -= ak / std::sqrt(1 - x * x);
        break;
      case Op::kAtan:
        adj[i.a] += ak / (1 + x * x);
        break;
      case Op::kSinh:
        adj[i.a] += ak * std::cosh(x);
        break;
      case Op::kCosh:
        adj[i.a] += ak * std::sinh(x);
        break;
      case Op::kTanh:
        adj[i.a] += ak * (1 - r[k] * r[k]);
        break;
      case Op::kAsinh:
        adj[i.a] += ak / std::sqrt(x * x + 1);
        break;
      case Op::kAcosh:
        adj[i.a] += ak / std::sqrt(x * x - 1);
        break;
      case Op::kAtanh:
        adj[i.a] += ak / (1 - x * x);
        break;
      case Op::kExp:
        adj[i.a] += ak * r[k];
        break;
      case Op::kLog:
        adj[i.a] += ak / x;
        break;
      case Op::kLog2:
        adj[i.a] += ak / (x * std::log(2.0));
        break;
      case Op::kLog10:
        adj[i.a] += ak / (x * std::log(10.0));
        break;
      case Op::kSqrt:
        adj[i.a] += ak * 0.5 / r[k];
        break;
      case Op::kAbs:
        adj[i.a] += x >= 0 ? ak : -ak;
        break;
    }
  }
  return value;
}

}  // namespace onset::models
