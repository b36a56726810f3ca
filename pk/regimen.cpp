#include "pk/regimen.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace onset::pk {

namespace {

void validate(const Dose& dose, int num_states, size_t index) {
  const std::string where = "dose " + std::to_string(index + 1) + ": ";
  if (dose.state < 0 || dose.state >= num_states)
    throw std::invalid_argument(where + "state index " + std::to_string(dose.state) +
                                " does not exist (the model has " + std::to_string(num_states) +
                                " states)");
  if (!std::isfinite(dose.time_h))
    throw std::invalid_argument(where + "time must be a finite number of hours");
  if (!std::isfinite(dose.amount) || dose.amount < 0)
    throw std::invalid_argument(where + "amount must be finite and not negative");
  if (!std::isfinite(dose.duration_h) || dose.duration_h < 0)
    throw std::invalid_argument(where + "infusion duration must be finite and not negative");
}

void validate(const ParameterChange& change, size_t index) {
  const std::string where = "parameter change " + std::to_string(index + 1) + ": ";
  if (change.parameter < 0)
    throw std::invalid_argument(where + "parameter index " + std::to_string(change.parameter) +
                                " does not exist");
  if (!std::isfinite(change.time_h))
    throw std::invalid_argument(where + "time must be a finite number of hours");
  if (!std::isfinite(change.value))
    throw std::invalid_argument(where + "the new value must be a finite number");
}

}  // namespace

std::vector<Piece> build_timeline(const Regimen& regimen, int num_states, double t_start,
                                  double t_end) {
  std::vector<Piece> pieces;
  build_timeline_into(regimen, num_states, t_start, t_end, &pieces);
  return pieces;
}

void build_timeline_into(const Regimen& regimen, int num_states, double t_start, double t_end,
                         std::vector<Piece>* out) {
  if (!(t_end >= t_start)) throw std::invalid_argument("end time is before start time");
  for (size_t i = 0; i < regimen.doses.size(); ++i) validate(regimen.doses[i], num_states, i);
  for (size_t i = 0; i < regimen.parameter_changes.size(); ++i)
    validate(regimen.parameter_changes[i], i);

  // Every time at which something changes, inside [t_start, t_end).
  std::vector<double> cuts{t_start};
  cuts.reserve(1 + 2 * regimen.doses.size() + regimen.resets.size() +
               regimen.parameter_changes.size());
  auto add_cut = [&](double t) {
    if (t > t_start && t < t_end) cuts.push_back(t);
  };
  for (const auto& dose : regimen.doses) {
    add_cut(dose.time_h);
    if (dose.duration_h > 0) add_cut(dose.time_h + dose.duration_h);
  }
  for (const auto& reset : regimen.resets) add_cut(reset.time_h);
  for (const auto& change : regimen.parameter_changes) add_cut(change.time_h);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

  const auto n = static_cast<size_t>(num_states);
  std::vector<Piece>& pieces = *out;
  pieces.resize(cuts.size());
  for (size_t k = 0; k < cuts.size(); ++k) {
    Piece& piece = pieces[k];
    piece.t_begin = cuts[k];
    piece.t_end = k + 1 < cuts.size() ? cuts[k + 1] : t_end;
    piece.reset_at_begin = false;
    piece.bolus.assign(n, 0.0);
    piece.input_rate.assign(n, 0.0);
    piece.parameter_changes.clear();
  }
  auto piece_at = [&](double t) {  // the piece that starts at or contains t
    const auto it = std::upper_bound(cuts.begin(), cuts.end(), t);
    return static_cast<size_t>(it - cuts.begin()) - 1;
  };
  for (const auto& reset : regimen.resets)
    if (reset.time_h >= t_start && reset.time_h < t_end)
      pieces[piece_at(reset.time_h)].reset_at_begin = true;
  // Stable by time: changes at the same time keep the order given.
  for (const auto& change : regimen.parameter_changes) {
    if (change.time_h >= t_end && change.time_h > t_start) continue;
    const size_t k = change.time_h <= t_start ? 0 : piece_at(change.time_h);
    auto& list = pieces[k].parameter_changes;
    const auto at =
        std::upper_bound(list.begin(), list.end(), change.time_h,
                         [](double t, const ParameterChange& other) { return t < other.time_h; });
    list.insert(at, change);
  }
  for (const auto& dose : regimen.doses) {
    const auto s = static_cast<size_t>(dose.state);
    if (dose.duration_h == 0) {
      if (dose.time_h >= t_start && dose.time_h <= t_end && dose.time_h < t_end)
        pieces[piece_at(dose.time_h)].bolus[s] += dose.amount;
      continue;
    }
    const double begin = std::max(dose.time_h, t_start);
    const double end = std::min(dose.time_h + dose.duration_h, t_end);
    if (!(end > begin)) continue;
    const double rate = dose.amount / dose.duration_h;
    // Pieces are cut at every infusion edge, so each piece lies wholly in or out.
    for (size_t k = piece_at(begin); k < pieces.size() && pieces[k].t_begin < end; ++k)
      pieces[k].input_rate[s] += rate;
  }
}

}  // namespace onset::pk
