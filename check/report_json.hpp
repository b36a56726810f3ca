// The machine-readable form of a CheckReport (`onset check --format json`). Only numbers that
// the seed and the claim determine go in, never timings or thread counts, so the same seed
// gives byte-identical JSON for any number of threads.
#pragma once

#include <nlohmann/json.hpp>

#include "check/check.hpp"

namespace onset::check {

// {"claim": ..., "seed", "draws", "claims": [{"id", "verdict", "claimed_within_h",
//  "best_case_onset_h" (null if never), "p_within_claim", "onset_quantiles_h": {"p05", "p50",
//  "p95"}, "rate_limiting": [...], "bound_parameters": [...], "tipping_points": [{"assumption",
//  "value", "prior_low", "prior_high", "unit"}], ...}]}
nlohmann::ordered_json report_to_json(const Claim& claim, const CheckReport& report);

}  // namespace onset::check
