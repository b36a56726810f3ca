// Locates the earliest crossing inside one interval [a, b] for backends that can evaluate
// the state anywhere in it (Boost.Odeint's dense output, the exact linear solution). CVODES
// and onset_bdf do the same on their own interpolants.
//
// Each crossing function is bracketed and refined by the Illinois variant of regula falsi
// (Dowell and Jarratt 1971), as CVODE's rootfinder does; the reported time is the right end
// of the final bracket, so the function has already crossed there and the next search,
// started from that point, does not report the same crossing again.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "pk/integrator.hpp"

namespace onset::pk {

class CrossingSearch {
 public:
  void resize(int num_states, int num_functions) {
    y_.resize(static_cast<size_t>(num_states));
    g_.resize(static_cast<size_t>(num_functions));
    hi_.resize(static_cast<size_t>(num_functions));
  }

  // g_a and g_b: the functions at a and b. state_at(t, y) fills y(t) for t in [a, b].
  // `params`: the parameters, or a PreparedModel holding them (CrossingFunctions::evaluate).
  // When a crossing lies in (a, b]: returns true with *t_root, y_root (state there), g_root
  // (functions there) and crossed[k] set for every function crossing at *t_root.
  template <typename Params, typename StateAt>
  bool find(const CrossingFunctions& functions, Params&& params, double a,
            std::span<const double> g_a, double b, std::span<const double> g_b, StateAt&& state_at,
            double* t_root, std::span<double> y_root, std::span<double> g_root,
            std::span<char> crossed) {
    const int count = functions.size();
    const double tolerance =
        100 * std::numeric_limits<double>::epsilon() * (std::fabs(b) + std::fabs(b - a));
    double earliest = std::numeric_limits<double>::infinity();
    for (int k = 0; k < count; ++k) {
      const auto K = static_cast<size_t>(k);
      hi_[K] = std::numeric_limits<double>::infinity();
      if (!functions.crosses(k, g_a[K], g_b[K])) continue;
      double lo = a, hi = b, g_lo = g_a[K], g_hi = g_b[K];
      int last_moved = 0;  // -1: hi moved last, +1: lo moved last
      for (int iteration = 0; iteration < 200 && hi - lo > tolerance; ++iteration) {
        double t = g_hi != g_lo ? (lo * g_hi - hi * g_lo) / (g_hi - g_lo) : 0.5 * (lo + hi);
        const double margin = 0.1 * tolerance;  // keep the trial point strictly inside
        if (!(t > lo + margin && t < hi - margin)) t = 0.5 * (lo + hi);
        state_at(t, std::span<double>(y_));
        functions.evaluate(t, y_, params, g_);
        if (functions.crosses(k, g_lo, g_[K])) {
          hi = t;
          g_hi = g_[K];
          if (last_moved == -1) g_lo *= 0.5;  // Illinois: the stale end loses weight
          last_moved = -1;
        } else {
          lo = t;
          g_lo = g_[K];
          if (last_moved == 1) g_hi *= 0.5;
          last_moved = 1;
        }
      }
      hi_[K] = hi;
      earliest = std::min(earliest, hi);
    }
    if (!std::isfinite(earliest)) return false;
    *t_root = earliest;
    state_at(earliest, y_root);
    functions.evaluate(earliest, y_root, params, g_root);
    for (int k = 0; k < count; ++k) {
      const auto K = static_cast<size_t>(k);
      crossed[K] = hi_[K] <= earliest + tolerance ? 1 : 0;
    }
    return true;
  }

 private:
  std::vector<double> y_, g_, hi_;
};

}  // namespace onset::pk
