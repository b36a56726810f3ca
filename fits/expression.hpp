// Algebraic models given as text ("A*exp(-alpha*t) + B*exp(-beta*t)"): parsed once into a
// flat postfix program that is interpreted (never compiled or executed as code), with exact
// first derivatives with respect to the parameters by forward-mode automatic
// differentiation. Exact derivatives are what lets the estimation engine reach the NIST StRD
// certified values (LRE >= 6) on the hard problems (MGH09, MGH10, Eckerle4, Bennett5), where
// finite-difference Jacobians stall.
//
// Grammar: numbers (1, 2.5, 1.5e-3), names (letters, digits, '_', starting with a letter),
// + - * / ^ (also **; right-associative), unary + and -, parentheses, and the functions
// exp, log (natural; also ln), log10, sqrt, abs, sin, cos, tan, atan (also arctan), sinh,
// cosh, tanh, pow(a, b), atan2(y, x) (the angle of (x, y), in (-pi, pi]); the constant pi. Every
// other name is a variable (bound to a data column) or a parameter (estimated).
#pragma once

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pk/user_error.hpp"

namespace onset::fits {

// A syntax error or an unknown name: the 1-based character column in the expression.
// what() reads "column N: error: MESSAGE".
class ExpressionError : public UserError {
 public:
  ExpressionError(int column, const std::string& message)
      : UserError("column " + std::to_string(column), message), column_(column) {}
  int column() const { return column_; }
  const std::string& message() const { return problem(); }

 private:
  int column_;
};

class Expression {
 public:
  // Parses `text`; names listed in `variables` are data, every other free name is a
  // parameter (in order of first appearance). Throws ExpressionError.
  static Expression parse(std::string_view text, const std::vector<std::string>& variables);

  const std::string& text() const { return text_; }
  const std::vector<std::string>& variables() const { return variables_; }
  const std::vector<std::string>& parameters() const { return parameters_; }

  // Value at (variables, parameters).
  double evaluate(std::span<const double> variables, std::span<const double> parameters) const;
  // Value and its gradient with respect to the parameters (gradient.size() ==
  // parameters().size()). `scratch` is reused between calls (no allocation once warm).
  double evaluate_with_gradient(std::span<const double> variables,
                                std::span<const double> parameters, std::span<double> gradient,
                                std::vector<double>* scratch) const;
  // Value in extended precision (long double): residuals of near-exact fits (NIST Lanczos1,
  // RSS 1e-25) keep their digits when the observation is carried as double + low part.
  long double evaluate_extended(std::span<const long double> variables,
                                std::span<const double> parameters,
                                std::vector<long double>* scratch) const;

  enum class Op : unsigned char {
    kConstant,
    kVariable,
    kParameter,
    kAdd,
    kSub,
    kMul,
    kDiv,
    kPow,
    kNeg,
    kExp,
    kLog,
    kLog10,
    kSqrt,
    kAbs,
    kSin,
    kCos,
    kTan,
    kAtan,
    kSinh,
    kCosh,
    kTanh,
    kAtan2,
  };
  struct Instruction {
    Op op = Op::kConstant;
    int index = 0;          // variable or parameter index
    long double value = 0;  // constant
  };

 private:
  std::string text_;
  std::vector<std::string> variables_;
  std::vector<std::string> parameters_;
  std::vector<Instruction> program_;  // postfix
  int max_depth_ = 0;
  friend class ExpressionParser;
};

}  // namespace onset::fits
