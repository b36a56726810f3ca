// Doses and the timeline they make. A regimen is a list of doses into states (and of
// parameter changes); the timeline cuts time into smooth pieces with constant input rates and
// constant parameters, so that every discontinuity (bolus, infusion start or end, state reset,
// parameter step) is an integration boundary.
#pragma once

#include <span>
#include <vector>

namespace onset::pk {

struct Dose {
  double time_h = 0;      // when the dose starts, hours
  int state = 0;          // index of the receiving state
  double amount = 0;      // in the receiving state's unit
  double duration_h = 0;  // 0: bolus; > 0: zero-order infusion over this many hours
};

// Sets every state back to its initial value at time_h (NONMEM EVID 3 / 4).
struct Reset {
  double time_h = 0;
};

// A step of one parameter to a new value at time_h, held until the next change of the same
// parameter (e.g. hepatic function stepping to normal at a chosen time: "what if the liver
// were repaired at once?"). A change at or before the simulation start applies from the start,
// after the initial state has been computed with the given parameters (so the initial state
// is the one before the change). Changes at the same time apply in the order given.
struct ParameterChange {
  double time_h = 0;
  int parameter = 0;  // index into Model::parameters()
  double value = 0;   // in the parameter's unit
};

struct Regimen {
  std::vector<Dose> doses;
  std::vector<Reset> resets;
  std::vector<ParameterChange> parameter_changes = {};  // = {}: Regimen{doses, resets} stays valid
};

// One smooth piece [t_begin, t_end) with constant input rates.
struct Piece {
  double t_begin = 0;
  double t_end = 0;
  bool reset_at_begin = false;     // reset states to initial values before applying boluses
  std::vector<double> bolus;       // amounts added to each state at t_begin
  std::vector<double> input_rate;  // per state, amount per hour during the piece
  // Parameter steps applied at t_begin (before the boluses), in the order they apply.
  std::vector<ParameterChange> parameter_changes;
};

// Cuts [t_start, t_end] into pieces at every dose time, infusion end, reset and parameter
// change. Doses before t_start are ignored except infusions still running then; parameter
// changes at or before t_start go to the first piece. Throws std::invalid_argument for a dose
// into a state that does not exist, a negative/non-finite amount, duration or time, or a
// parameter change with a negative index or a non-finite time or value (the index is checked
// against the model by the Simulator).
std::vector<Piece> build_timeline(const Regimen& regimen, int num_states, double t_start,
                                  double t_end);
// The same into *pieces, reusing its buffers (for repeated simulations).
void build_timeline_into(const Regimen& regimen, int num_states, double t_start, double t_end,
                         std::vector<Piece>* pieces);

}  // namespace onset::pk
