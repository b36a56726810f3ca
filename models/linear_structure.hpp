// Whether a model file's right-hand side is linear time-invariant: f(t, y) = A y + b with A and
// b depending on the parameters only, so that it can be solved exactly (pk/exact_linear, chosen
// by `auto`; pk/model.hpp's Model::linear_system).
//
// Decided from the structure, once, at load (no sampling of values):
//  - first-order (`from` or `of`), zero-order and flow processes without an effect are affine:
//    their rates are numbers, parameters or derived values (models/model_file.cpp: derived
//    values read parameters and other derived values only, never states or t), so their
//    coefficients are constant for a parameter set, conditionals on parameters included;
//  - an `expression` process is affine when its tape (models/expression_tape.hpp) is, by the
//    rules of affine_in_states() below: it may combine states by + and -, scale them by
//    sub-expressions of parameters and derived values (* and /, / only by such a
//    sub-expression), and choose between affine branches by a condition on parameters; it may
//    not read t, multiply two state-dependent terms or pass a state through any function;
//  - Michaelis-Menten/Hill (saturable), capacity-limited processes and any effect (a rate
//    times S(observable)) are not.
// Observables, initial values and dose modifiers do not enter f, so their form does not
// matter (doses and parameter changes are events the simulator applies between pieces).
#pragma once

#include <span>

#include "models/expression_tape.hpp"

namespace onset::models {

struct Process;

// Whether `tape` is affine in the states with coefficients that depend on parameters, derived
// values and numbers only (no t): see the rules above. Structural, so it may say false for an
// expression that is affine after simplification (y * y - y * y).
bool affine_in_states(const ExpressionTape& tape);

// Whether every process keeps f(t, y) affine in y and time-invariant (the rules above);
// `tapes` are the model's expression tapes (an expression process reads tapes[expression]).
bool processes_are_linear(std::span<const Process> processes,
                          std::span<const ExpressionTape> tapes);

}  // namespace onset::models
