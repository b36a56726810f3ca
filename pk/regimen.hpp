// Doses and the timeline they make. A regimen is a list of doses into states; the timeline
// cuts time into smooth pieces with constant input rates, so that every discontinuity
// (bolus, infusion start or end, state reset) is an integration boundary.
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

struct Regimen {
  std::vector<Dose> doses;
  std::vector<Reset> resets;
};

// One smooth piece [t_begin, t_end) with constant input rates.
struct Piece {
  double t_begin = 0;
  double t_end = 0;
  bool reset_at_begin = false;       // reset states to initial values before applying boluses
  std::vector<double> bolus;         // amounts added to each state at t_begin
  std::vector<double> input_rate;    // per state, amount per hour during the piece
};

// Cuts [t_start, t_end] into pieces at every dose time, infusion end and reset. Doses before
// t_start are ignored except infusions still running then. Throws std::invalid_argument for a
// dose into a state that does not exist, or a negative/non-finite amount, duration or time.
std::vector<Piece> build_timeline(const Regimen& regimen, int num_states, double t_start,
                                  double t_end);
// The same into *pieces, reusing its buffers (for repeated simulations).
void build_timeline_into(const Regimen& regimen, int num_states, double t_start, double t_end,
                         std::vector<Piece>* pieces);

}  // namespace onset::pk
