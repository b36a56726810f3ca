// Simulating a model over NONMEM-style dosing records (what: model + DosingData + parameters;
// how: DosingOptions; what happened: DosingResult), many subjects in one call.
//
// Semantics (as NONMEM's PREDPP; checked against the 29 nmtests scenarios of
// shared/data/nonmem-dosing in tests/pk/nonmem_dosing_test.cpp):
//  - CMT n doses into state n - 1. The model's dose_modifiers() for that state and the dose
//    record's data columns give the lag time, bioavailability F, modelled rate and duration.
//  - A bolus (RATE 0) adds F * AMT at TIME + lag. An infusion runs at RATE for F * AMT / RATE
//    hours (RATE = -1: at the modelled rate; RATE = -2: F * AMT over the modelled duration),
//    from TIME + lag. ADDL repeats the dose every II (each with the same lag, F, rate).
//  - EVID 3 resets every state to the model's initial state, stops running infusions and
//    cancels every dose still pending from earlier records (lagged doses, ADDL); EVID 4 does
//    the same, then doses. SS = 1 implies the same reset.
//  - SS = 1 sets the state to the steady state of the dose repeated every II for ever (see
//    pk/steady_state.hpp), SS = 2 adds that steady state (counted from the model's dose-free
//    baseline) to the current state; then the record's own dose and its ADDL follow, and
//    infusions of the implied earlier doses that are still running (II shorter than the
//    infusion) continue to their ends. SS with AMT = 0, RATE > 0, II = 0 sets the steady state
//    of a constant infusion and, as NONMEM does, leaves no infusion running afterwards.
//  - Events from earlier records that fall at a record's time (an ADDL or lagged dose, an
//    infusion's end) happen before that record. A record's row shows the state after its
//    own events at its time: a dose row shows the post-dose state for a bolus without lag,
//    a reset row the reset state; a record placed before a dose record at the same time
//    shows the pre-dose state.
//  - Covariates are the dose record's own values (also for its ADDL doses).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pk/dosing_records.hpp"
#include "pk/integrator.hpp"
#include "pk/model.hpp"
#include "pk/solver_options.hpp"
#include "pk/steady_state.hpp"
#include "pk/trajectory.hpp"

namespace onset::pk {

struct DosingOptions {
  // How to integrate (backend, tolerances); kAuto: exact for linear models.
  SolverOptions solver;
  // How to find steady states (SS = 1, 2).
  SteadyStateOptions steady_state;
};

struct DosingRequest {
  // One output row per record of the data set, in file order.
  bool record_rows = true;
  // Output times (hours, ascending) added for every subject, after the subject's records at
  // the same time; empty: none.
  std::vector<double> grid_times_h;
  // Keep the states of every row besides the observables.
  bool record_states = false;
  // Record a state within +-atol of zero as 0 (the integrator's state is not changed);
  // false: the integrated values as they are (conservation checks).
  bool zero_within_atol = true;
};

struct DosingRow {
  size_t subject = 0;  // index into DosingResult::subject_ids
  int record = -1;     // index into DosingData::records; -1 for a grid row
  double time_h = 0;
};

struct DosingResult {
  std::vector<std::string> subject_ids;
  std::vector<std::string> state_names;
  std::vector<std::string> observable_names;
  // Per subject, the record rows (file order) and grid rows merged by time.
  std::vector<DosingRow> rows;
  std::vector<double> observables;  // row-major: rows x observables
  std::vector<double> states;       // row-major: rows x states (if record_states)
  SolveStatus status = SolveStatus::kSuccess;
  std::string message;  // for kFailed: which subject, which record, what failed
  SolverStats stats;
  Backend backend_used = Backend::kAuto;
  std::string backend_reason;

  double observable(size_t row, size_t index) const {
    return observables[row * observable_names.size() + index];
  }
  bool ok() const { return status != SolveStatus::kFailed; }
};

class DosingSimulator {
 public:
  // Throws std::invalid_argument for invalid options or a backend that cannot take the model.
  DosingSimulator(const Model& model, DosingOptions options);
  ~DosingSimulator();

  // Checks the records against the model (compartments exist, the model's covariate columns
  // are present and numeric, modelled rates and durations exist where RATE is -1 or -2, lag
  // >= 0, F >= 0) and throws DosingDataError naming file:line:column before simulating
  // anything; std::invalid_argument for wrong parameters or grid. Then simulates every
  // subject into *out (buffers reused). Integration or steady-state failures end the run
  // with out->status = kFailed and a message naming the subject and the record's line.
  bool run(const DosingData& data, std::span<const double> params, const DosingRequest& request,
           DosingResult* out);

  Backend backend_used() const { return backend_used_; }
  // Why the backend was chosen (for kAuto), as in DosingResult::backend_reason.
  const std::string& backend_reason() const { return backend_reason_; }
  const Model& model() const { return model_; }

 private:
  struct Workspace;
  const Model& model_;
  DosingOptions options_;
  Backend backend_used_;
  std::string backend_reason_;
  std::unique_ptr<Integrator> integrator_;
  std::unique_ptr<Workspace> work_;
};

}  // namespace onset::pk
