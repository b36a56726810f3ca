// An expression of a model file (muparser syntax) compiled once, at load, into a flat tape of
// instructions in single-assignment form: instruction k reads earlier instructions' results and
// the model's variables (parameters, derived values, data columns, states, t) and writes
// register k. Evaluating the tape is a loop over a few dozen instructions with no parser, no
// shared variable buffer and no lock, so one immutable model serves every thread; a reverse
// sweep over the same tape gives the exact gradient with respect to the states (the analytic
// Jacobian column of an `expression` process or observable).
//
// muparser still parses and checks every expression first (models/model_file.cpp); the tape
// reproduces its grammar and semantics for what the model reader accepts: numbers, declared
// names, the constants _pi and _e, + - * / ^ (right-associative, above unary minus, as
// muparser: -2^2 = -4), comparisons, && ||, cond ? a : b, and muparser's functions (sin cos
// tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp ln log log2 log10 sqrt abs
// sign rint min max sum avg). muparser's assignment `=` and comma-separated lists, which would
// write into the model's variables or return a second value, are refused with the place.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace onset::models {

// Where a name in an expression points.
enum class TapeSource : std::uint8_t { kParameter, kDerived, kCovariate, kState, kTime };

struct TapeVariable {
  TapeSource source = TapeSource::kParameter;
  int index = 0;
};

// The variables an evaluation reads. Spans that the expression does not use may be empty.
struct TapeInputs {
  std::span<const double> parameters;
  std::span<const double> derived;
  std::span<const double> covariates;
  std::span<const double> states;
  double time = 0;
};

// A failure to compile: the offset of the offending token in the text and what was wrong.
class TapeError : public std::runtime_error {
 public:
  TapeError(size_t offset, const std::string& what) : std::runtime_error(what), offset_(offset) {}
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

class ExpressionTape {
 public:
  // Longest tape accepted (instructions); longer expressions are refused at load, so an
  // evaluation's registers fit a fixed buffer.
  static constexpr int kMaxInstructions = 2048;

  enum class Op : std::uint8_t {
    kConstant,
    kVariable,
    kNegate,
    kAdd,
    kSubtract,
    kMultiply,
    kDivide,
    kPower,
    kLess,
    kLessEqual,
    kGreater,
    kGreaterEqual,
    kEqual,
    kNotEqual,
    kAnd,
    kOr,
    kSelect,  // a ? b : c
    kMin,
    kMax,
    kAtan2,
    kSin,
    kCos,
    kTan,
    kAsin,
    kAcos,
    kAtan,
    kSinh,
    kCosh,
    kTanh,
    kAsinh,
    kAcosh,
    kAtanh,
    kExp,
    kLog,
    kLog2,
    kLog10,
    kSqrt,
    kAbs,
    kSign,
    kRint,
  };

  struct Instruction {
    Op op = Op::kConstant;
    TapeSource source = TapeSource::kParameter;  // kVariable
    int a = -1, b = -1, c = -1;                  // operand registers
    int index = 0;                               // kVariable: index within its source
    double value = 0;                            // kConstant
    bool varies = false;                         // depends on a state
  };

  // Compiles `text`; `resolve(name, &variable)` says what a name is (false: unknown name).
  // Throws TapeError with the offset of the offending token.
  template <typename Resolve>
  static ExpressionTape compile(const std::string& text, Resolve&& resolve);

  // Registers needed by evaluate() and gradient() (the tape's length).
  int size() const { return static_cast<int>(code_.size()); }
  std::span<const Instruction> code() const { return code_; }
  // Whether the tape reads a variable of this source.
  bool reads(TapeSource source) const;
  // The indices of the variables of this source it reads (ascending, once each).
  std::vector<int> variables(TapeSource source) const;
  // The same tape with state k read as state state_map[k] (a model restricted to some of its
  // states, models/file_model.hpp); false, and the tape unchanged, when it reads a state that
  // maps to -1 or outside the map.
  bool renumber_states(std::span<const int> state_map);

  // The value; `registers` needs size() entries (scratch, owned by the caller).
  double evaluate(const TapeInputs& in, std::span<double> registers) const;
  // Per instruction: whether its value depends on a state or the time (directly or through an
  // operand). The others depend on parameters, derived values and data columns only.
  std::vector<char> moving() const;
  // evaluate() of the listed instructions only (ascending), each as evaluate() computes it:
  // the registers of the others are read as they are. The value (the last register). With
  // the instructions that do not move computed once per parameter vector, the ones that move
  // give evaluate()'s value bit for bit at a fraction of the work.
  double evaluate_instructions(const TapeInputs& in, std::span<double> registers,
                               std::span<const int> instructions) const;
  // The value, and d value / d state_k for the states the tape reads: gradient[k] (of the
  // length of in.states) receives `scale` times the derivative, added to what is there.
  // `registers` and `adjoints` need size() entries each.
  double gradient(const TapeInputs& in, double scale, std::span<double> gradient,
                  std::span<double> registers, std::span<double> adjoints) const;

 private:
  struct Parser;
  static ExpressionTape compile_with(const std::string& text,
                                     bool (*resolve)(const void*, const std::string&,
                                                     TapeVariable*),
                                     const void* context);
  std::vector<Instruction> code_;
};

template <typename Resolve>
ExpressionTape ExpressionTape::compile(const std::string& text, Resolve&& resolve) {
  using R = std::remove_reference_t<Resolve>;
  return compile_with(
      text,
      [](const void* context, const std::string& name, TapeVariable* variable) {
        return (*static_cast<const R*>(context))(name, variable);
      },
      &resolve);
}

}  // namespace onset::models
