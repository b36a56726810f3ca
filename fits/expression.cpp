#include "fits/expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <numbers>

namespace onset::fits {

namespace {

struct FunctionName {
  std::string_view name;
  Expression::Op op;
};
constexpr FunctionName kFunctions[] = {
    {"exp", Expression::Op::kExp},     {"log", Expression::Op::kLog},
    {"ln", Expression::Op::kLog},      {"log10", Expression::Op::kLog10},
    {"sqrt", Expression::Op::kSqrt},   {"abs", Expression::Op::kAbs},
    {"sin", Expression::Op::kSin},     {"cos", Expression::Op::kCos},
    {"tan", Expression::Op::kTan},     {"atan", Expression::Op::kAtan},
    {"arctan", Expression::Op::kAtan}, {"sinh", Expression::Op::kSinh},
    {"cosh", Expression::Op::kCosh},   {"tanh", Expression::Op::kTanh},
};

}  // namespace

// Recursive descent: expr = term {(+|-) term}; term = unary {(*|/) unary};
// unary = (+|-) unary | power; power = primary [(^|**) unary]; primary = number | name |
// name '(' args ')' | '(' expr ')'.
class ExpressionParser {
 public:
  ExpressionParser(std::string_view text, Expression* out) : text_(text), out_(out) {}

  void run() {
    expression();
    skip_spaces();
    if (pos_ < text_.size()) fail("expected an operator or the end of the expression");
    // Stack depth of the postfix program.
    int depth = 0;
    for (const auto& instruction : out_->program_) {
      depth += stack_effect(instruction.op);
      out_->max_depth_ = std::max(out_->max_depth_, depth);
    }
  }

 private:
  static int stack_effect(Expression::Op op) {
    switch (op) {
      case Expression::Op::kConstant:
      case Expression::Op::kVariable:
      case Expression::Op::kParameter:
        return 1;
      case Expression::Op::kAdd:
      case Expression::Op::kSub:
      case Expression::Op::kMul:
      case Expression::Op::kDiv:
      case Expression::Op::kPow:
      case Expression::Op::kAtan2:
        return -1;
      default:
        return 0;
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    std::string found =
        pos_ < text_.size() ? "'" + std::string(1, text_[pos_]) + "'" : std::string("the end");
    throw ExpressionError(static_cast<int>(pos_) + 1, what + "; found " + found);
  }

  void skip_spaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool accept(std::string_view token) {
    skip_spaces();
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return true;
    }
    return false;
  }
  void emit(Expression::Op op, int index = 0, long double value = 0) {
    out_->program_.push_back({op, index, value});
  }

  void expression() {
    term();
    for (;;) {
      if (accept("+")) {
        term();
        emit(Expression::Op::kAdd);
      } else if (accept("-")) {
        term();
        emit(Expression::Op::kSub);
      } else {
        return;
      }
    }
  }
  void term() {
    unary();
    for (;;) {
      skip_spaces();
      if (text_.substr(pos_, 2) == "**") return;  // power, handled below
      if (accept("*")) {
        unary();
        emit(Expression::Op::kMul);
      } else if (accept("/")) {
        unary();
        emit(Expression::Op::kDiv);
      } else {
        return;
      }
    }
  }
  void unary() {
    if (accept("-")) {
      unary();
      emit(Expression::Op::kNeg);
    } else if (accept("+")) {
      unary();
    } else {
      power();
    }
  }
  void power() {
    primary();
    if (accept("**") || accept("^")) {
      unary();  // right-associative, and 2^-1 is allowed
      emit(Expression::Op::kPow);
    }
    // A power may be followed by * or /: term() continues.
    skip_spaces();
    if (text_.substr(pos_, 2) == "**") fail("unexpected '**'");
  }
  void primary() {
    skip_spaces();
    if (pos_ >= text_.size()) fail("expected a number, a name or '('");
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      expression();
      if (!accept(")")) fail("expected ')'");
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      char* end = nullptr;
      const std::string copy(text_.substr(pos_));
      const long double value = std::strtold(copy.c_str(), &end);
      const size_t length = static_cast<size_t>(end - copy.c_str());
      if (length == 0) fail("expected a number");
      pos_ += length;
      emit(Expression::Op::kConstant, 0, value);
      return;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
        ++pos_;
      }
      const std::string name(text_.substr(start, pos_ - start));
      skip_spaces();
      if (pos_ < text_.size() && text_[pos_] == '(') {
        ++pos_;
        if (name == "pow") {
          expression();
          if (!accept(",")) fail("expected ',' in pow(a, b)");
          expression();
          if (!accept(")")) fail("expected ')'");
          emit(Expression::Op::kPow);
          return;
        }
        if (name == "atan2") {
          expression();
          if (!accept(",")) fail("expected ',' in atan2(y, x)");
          expression();
          if (!accept(")")) fail("expected ')'");
          emit(Expression::Op::kAtan2);
          return;
        }
        const auto* function = std::find_if(std::begin(kFunctions), std::end(kFunctions),
                                            [&](const FunctionName& f) { return f.name == name; });
        if (function == std::end(kFunctions)) {
          pos_ = start;
          fail("unknown function '" + name +
               "' (known: exp, log, ln, log10, sqrt, abs, sin, cos, tan, atan, sinh, cosh, "
               "tanh, pow, atan2)");
        }
        expression();
        if (!accept(")")) fail("expected ')'");
        emit(function->op);
        return;
      }
      if (name == "pi") {
        emit(Expression::Op::kConstant, 0, std::numbers::pi_v<long double>);
        return;
      }
      const auto& variables = out_->variables_;
      if (auto it = std::find(variables.begin(), variables.end(), name); it != variables.end()) {
        emit(Expression::Op::kVariable, static_cast<int>(it - variables.begin()));
        return;
      }
      auto& parameters = out_->parameters_;
      auto it = std::find(parameters.begin(), parameters.end(), name);
      if (it == parameters.end()) {
        parameters.push_back(name);
        it = parameters.end() - 1;
      }
      emit(Expression::Op::kParameter, static_cast<int>(it - parameters.begin()));
      return;
    }
    fail("expected a number, a name or '('");
  }

  std::string_view text_;
  size_t pos_ = 0;
  Expression* out_;
};

Expression Expression::parse(std::string_view text, const std::vector<std::string>& variables) {
  Expression expression;
  expression.text_ = std::string(text);
  expression.variables_ = variables;
  ExpressionParser parser(expression.text_, &expression);
  parser.run();
  return expression;
}

double Expression::evaluate(std::span<const double> variables,
                            std::span<const double> parameters) const {
  std::vector<double> scratch;
  std::vector<double> gradient(parameters_.size());
  // Plain evaluation goes through the same interpreter with a gradient of length p: simple,
  // and the cost is irrelevant outside the fitting loop (which uses the gradient anyway).
  return evaluate_with_gradient(variables, parameters, gradient, &scratch);
}

double Expression::evaluate_with_gradient(std::span<const double> variables,
                                          std::span<const double> parameters,
                                          std::span<double> gradient,
                                          std::vector<double>* scratch) const {
  const size_t p = parameters_.size();
  const size_t width = p + 1;  // value, then p partial derivatives
  scratch->resize(width * static_cast<size_t>(std::max(max_depth_, 1)));
  double* stack = scratch->data();
  size_t top = 0;  // number of entries on the stack
  auto slot = [&](size_t k) { return stack + k * width; };
  for (const Instruction& instruction : program_) {
    switch (instruction.op) {
      case Op::kConstant: {
        double* s = slot(top++);
        s[0] = static_cast<double>(instruction.value);
        std::fill(s + 1, s + width, 0.0);
        break;
      }
      case Op::kVariable: {
        double* s = slot(top++);
        s[0] = variables[static_cast<size_t>(instruction.index)];
        std::fill(s + 1, s + width, 0.0);
        break;
      }
      case Op::kParameter: {
        double* s = slot(top++);
        s[0] = parameters[static_cast<size_t>(instruction.index)];
        std::fill(s + 1, s + width, 0.0);
        s[1 + instruction.index] = 1.0;
        break;
      }
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kPow:
      case Op::kAtan2: {
        double* a = slot(top - 2);
        const double* b = slot(top - 1);
        --top;
        const double av = a[0], bv = b[0];
        switch (instruction.op) {
          case Op::kAdd:
            for (size_t j = 0; j < width; ++j) a[j] += b[j];
            break;
          case Op::kSub:
            for (size_t j = 0; j < width; ++j) a[j] -= b[j];
            break;
          case Op::kMul:
            a[0] = av * bv;
            for (size_t j = 1; j < width; ++j) a[j] = a[j] * bv + av * b[j];
            break;
          case Op::kDiv: {
            const double q = av / bv;
            a[0] = q;
            for (size_t j = 1; j < width; ++j) a[j] = (a[j] - q * b[j]) / bv;
            break;
          }
          case Op::kAtan2: {
            // d atan2(a, b) = (b da - a db) / (a^2 + b^2)
            const double denominator = av * av + bv * bv;
            a[0] = std::atan2(av, bv);
            for (size_t j = 1; j < width; ++j) a[j] = (bv * a[j] - av * b[j]) / denominator;
            break;
          }
          default: {  // kPow
            const double value = std::pow(av, bv);
            const bool exponent_varies =
                std::any_of(b + 1, b + width, [](double d) { return d != 0.0; });
            // d(a^b) = b a^(b-1) da + a^b ln(a) db; the first term written without a^(b-1)
            // blowing up at a = 0 for b >= 1.
            const double base_factor = bv == 0.0 ? 0.0 : bv * std::pow(av, bv - 1.0);
            const double log_factor = exponent_varies ? value * std::log(av) : 0.0;
            a[0] = value;
            for (size_t j = 1; j < width; ++j) {
              a[j] = base_factor * a[j] + (b[j] != 0.0 ? log_factor * b[j] : 0.0);
            }
            break;
          }
        }
        break;
      }
      default: {
        double* a = slot(top - 1);
        const double x = a[0];
        double value = 0, derivative = 0;
        switch (instruction.op) {
          case Op::kNeg:
            value = -x;
            derivative = -1;
            break;
          case Op::kExp:
            value = std::exp(x);
            derivative = value;
            break;
          case Op::kLog:
            value = std::log(x);
            derivative = 1 / x;
            break;
          case Op::kLog10:
            value = std::log10(x);
            derivative = 1 / (x * std::numbers::ln10);
            break;
          case Op::kSqrt:
            value = std::sqrt(x);
            derivative = 0.5 / value;
            break;
          case Op::kAbs:
            value = std::abs(x);
            derivative = x < 0 ? -1 : 1;
            break;
          case Op::kSin:
            value = std::sin(x);
            derivative = std::cos(x);
            break;
          case Op::kCos:
            value = std::cos(x);
            derivative = -std::sin(x);
            break;
          case Op::kTan: {
            value = std::tan(x);
            derivative = 1 + value * value;
            break;
          }
          case Op::kAtan:
            value = std::atan(x);
            derivative = 1 / (1 + x * x);
            break;
          case Op::kSinh:
            value = std::sinh(x);
            derivative = std::cosh(x);
            break;
          case Op::kCosh:
            value = std::cosh(x);
            derivative = std::sinh(x);
            break;
          default:  // kTanh
            value = std::tanh(x);
            derivative = 1 - value * value;
            break;
        }
        a[0] = value;
        for (size_t j = 1; j < width; ++j) a[j] *= derivative;
        break;
      }
    }
  }
  const double* result = slot(0);
  std::copy(result + 1, result + width, gradient.begin());
  return result[0];
}

long double Expression::evaluate_extended(std::span<const long double> variables,
                                          std::span<const double> parameters,
                                          std::vector<long double>* scratch) const {
  scratch->resize(static_cast<size_t>(std::max(max_depth_, 1)));
  long double* stack = scratch->data();
  size_t top = 0;
  for (const Instruction& instruction : program_) {
    switch (instruction.op) {
      case Op::kConstant:
        stack[top++] = instruction.value;
        break;
      case Op::kVariable:
        stack[top++] = variables[static_cast<size_t>(instruction.index)];
        break;
      case Op::kParameter:
        stack[top++] = parameters[static_cast<size_t>(instruction.index)];
        break;
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kPow:
      case Op::kAtan2: {
        const long double b = stack[--top];
        long double& a = stack[top - 1];
        switch (instruction.op) {
          case Op::kAdd:
            a += b;
            break;
          case Op::kSub:
            a -= b;
            break;
          case Op::kMul:
            a *= b;
            break;
          case Op::kDiv:
            a /= b;
            break;
          case Op::kAtan2:
            a = std::atan2(a, b);
            break;
          default:
            a = std::pow(a, b);
            break;
        }
        break;
      }
      default: {
        long double& a = stack[top - 1];
        switch (instruction.op) {
          case Op::kNeg:
            a = -a;
            break;
          case Op::kExp:
            a = std::exp(a);
            break;
          case Op::kLog:
            a = std::log(a);
            break;
          case Op::kLog10:
            a = std::log10(a);
            break;
          case Op::kSqrt:
            a = std::sqrt(a);
            break;
          case Op::kAbs:
            a = std::fabs(a);
            break;
          case Op::kSin:
            a = std::sin(a);
            break;
          case Op::kCos:
            a = std::cos(a);
            break;
          case Op::kTan:
            a = std::tan(a);
            break;
          case Op::kAtan:
            a = std::atan(a);
            break;
          case Op::kSinh:
            a = std::sinh(a);
            break;
          case Op::kCosh:
            a = std::cosh(a);
            break;
          default:
            a = std::tanh(a);
            break;
        }
        break;
      }
    }
  }
  return stack[0];
}

}  // namespace onset::fits
