#include "models/linear_structure.hpp"

#include <algorithm>
#include <vector>

#include "models/file_model.hpp"

namespace onset::models {

namespace {

// What a tape register is as a function of the states: free of them (and of t), affine in
// them, or anything else (nonlinear, or reading t).
enum class Form : unsigned char { kConstant = 0, kAffine = 1, kOther = 2 };

Form widest(Form a, Form b) { return std::max(a, b); }

}  // namespace

bool affine_in_states(const ExpressionTape& tape) {
  using Op = ExpressionTape::Op;
  const auto code = tape.code();
  if (code.empty()) return false;
  std::vector<Form> form(code.size(), Form::kOther);
  auto of = [&](int reg) { return reg >= 0 ? form[static_cast<size_t>(reg)] : Form::kConstant; };
  for (size_t k = 0; k < code.size(); ++k) {
    const ExpressionTape::Instruction& in = code[k];
    const Form a = of(in.a), b = of(in.b), c = of(in.c);
    const bool operands_constant =
        a == Form::kConstant && b == Form::kConstant && c == Form::kConstant;
    Form result = Form::kOther;
    switch (in.op) {
      case Op::kConstant:
        result = Form::kConstant;
        break;
      case Op::kVariable:
        result = in.source == TapeSource::kState  ? Form::kAffine
                 : in.source == TapeSource::kTime ? Form::kOther
                                                  : Form::kConstant;
        break;
      case Op::kNegate:
        result = a;
        break;
      case Op::kAdd:
      case Op::kSubtract:
        result = widest(a, b);
        break;
      case Op::kMultiply:
        // constant x affine stays affine; affine x affine is quadratic.
        result = a == Form::kConstant ? b : b == Form::kConstant ? a : Form::kOther;
        break;
      case Op::kDivide:
        result = b == Form::kConstant ? a : Form::kOther;
        break;
      case Op::kSelect:
        // cond ? b : c with a condition on parameters: one affine branch per parameter set.
        result = a == Form::kConstant ? widest(b, c) : Form::kOther;
        break;
      default:
        // Powers, comparisons, logic, min/max and every function: only of constants.
        result = operands_constant ? Form::kConstant : Form::kOther;
        break;
    }
    form[k] = result;
  }
  return form.back() != Form::kOther;
}

bool processes_are_linear(std::span<const Process> processes,
                          std::span<const ExpressionTape> tapes) {
  for (const Process& pr : processes) {
    if (pr.effect.kind != EffectKind::kNone) return false;
    switch (pr.law) {
      case Law::kFirstOrder:
      case Law::kZeroOrder:
      case Law::kFlow:
        break;
      case Law::kExpression:
        if (pr.expression < 0 || static_cast<size_t>(pr.expression) >= tapes.size() ||
            !affine_in_states(tapes[static_cast<size_t>(pr.expression)]))
          return false;
        break;
      case Law::kSaturable:
      case Law::kCapacity:
        return false;
    }
  }
  return true;
}

}  // namespace onset::models
