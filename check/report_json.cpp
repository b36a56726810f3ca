#include "check/report_json.hpp"

#include <filesystem>

namespace onset::check {

namespace {

using Json = nlohmann::ordered_json;

Json optional_number(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json check_json(const CheckResult& c) {
  Json j;
  j["kind"] = bound_kind_name(c.kind);
  j["description"] = c.description;
  j["model"] = std::filesystem::path(c.model).filename().string();
  j["observable"] = c.observable;
  j["direction"] = c.direction;
  j["verdict"] = verdict_name(c.verdict);
  j["reason"] = c.verdict_reason;
  j["best_case_onset_h"] = optional_number(c.best_case_onset_h);
  j["threshold_tested"] = {{"value", c.threshold_tested}, {"unit", c.threshold_unit}};
  j["earliest_draw_onset_h"] = optional_number(c.earliest_draw_onset_h);
  j["best_case_search"] = {{"evaluations", c.best_case_evaluations},
                           {"converged", c.best_case_converged},
                           {"active_constraint", c.active_constraint}};
  j["p_within_claim"] = c.p_within_claim;
  j["p_within_claim_ci95"] = {c.p_ci_low, c.p_ci_high};
  j["onset_quantiles_h"] = {{"p05", optional_number(c.onset_p05_h)},
                            {"p50", optional_number(c.onset_p50_h)},
                            {"p95", optional_number(c.onset_p95_h)}};
  j["fraction_never"] = c.fraction_never;
  j["fraction_excluded_by_baseline"] = c.fraction_inconsistent;  // or already at the threshold
  j["horizon_h"] = c.horizon_h;
  Json best = Json::object();
  for (size_t i = 0; i < c.assumptions.size(); ++i) best[c.assumptions[i]] = c.best_case_values[i];
  j["best_case_assumptions"] = best;
  Json bound = Json::array();
  for (const auto& b : c.bound_assumptions) {
    bound.push_back(
        {{"assumption", b.assumption}, {"side", b.side}, {"value", b.value}, {"unit", b.unit}});
  }
  j["bound_parameters"] = bound;
  j["rate_limiting"] = c.rate_limiting;
  Json elasticities = Json::array();
  for (const auto& e : c.elasticities) {
    elasticities.push_back({{"assumption", e.assumption},
                            {"at_best_case", e.at_best_case},
                            {"at_median", optional_number(e.at_median)},
                            {"per_prior_range", e.per_range},
                            {"kept_on_reported_baseline", e.kept_on_baseline}});
  }
  j["elasticities"] = elasticities;
  Json tipping = Json::array();
  for (const auto& t : c.tipping_points) {
    tipping.push_back({{"assumption", t.assumption},
                       {"value", optional_number(t.value)},
                       {"prior_low", t.prior_low},
                       {"prior_high", t.prior_high},
                       {"unit", t.unit},
                       {"direction", t.direction},
                       {"best_case_value", t.best_case_value},
                       {"inside_prior_range", t.inside_prior_range},
                       {"text", t.text}});
  }
  j["tipping_points"] = tipping;
  j["simulations"] = c.simulations;
  j["simulations_by_stage"] = {{"monte_carlo", c.work.monte_carlo},
                               {"best_case", c.work.best_case},
                               {"best_case_search", c.work.best_case_search},
                               {"tipping_points", c.work.tipping_points}};
  j["failed_simulations"] = c.failed_simulations;
  return j;
}

}  // namespace

nlohmann::ordered_json report_to_json(const Claim& claim, const CheckReport& report) {
  Json root;
  root["claim"] = {{"id", claim.id}, {"title", claim.title}};
  root["seed"] = report.seed;
  root["draws"] = report.draws;
  root["unlikely_below"] = report.unlikely_below;
  Json claims = Json::array();
  for (const auto& e : report.effects) {
    Json j;
    j["id"] = e.id;
    j["verdict"] = verdict_name(e.verdict);
    j["claimed_within_h"] = e.claimed_within_h;
    const CheckResult* d = e.deciding();
    j["best_case_onset_h"] = d ? optional_number(d->best_case_onset_h) : Json(nullptr);
    j["p_within_claim"] = d ? Json(d->p_within_claim) : Json(nullptr);
    j["onset_quantiles_h"] = {{"p05", d ? optional_number(d->onset_p05_h) : Json(nullptr)},
                              {"p50", d ? optional_number(d->onset_p50_h) : Json(nullptr)},
                              {"p95", d ? optional_number(d->onset_p95_h) : Json(nullptr)}};
    j["rate_limiting"] = d ? Json(d->rate_limiting) : Json::array();
    Json bound = Json::array();
    Json tipping = Json::array();
    if (d) {
      for (const auto& b : d->bound_assumptions) {
        bound.push_back(
            {{"assumption", b.assumption}, {"side", b.side}, {"value", b.value}, {"unit", b.unit}});
      }
      for (const auto& t : d->tipping_points) {
        tipping.push_back({{"assumption", t.assumption},
                           {"value", optional_number(t.value)},
                           {"prior_low", t.prior_low},
                           {"prior_high", t.prior_high},
                           {"unit", t.unit}});
      }
    }
    j["bound_parameters"] = bound;
    j["tipping_points"] = tipping;
    j["statement"] = e.statement;
    j["measurable"] = e.measurable;
    j["claimed_time_from_start_h"] = e.claimed_time_h;
    j["reason"] = e.reason;
    Json checks = Json::array();
    for (const auto& c : e.checks) checks.push_back(check_json(c));
    j["checks"] = checks;
    claims.push_back(j);
  }
  root["claims"] = claims;
  root["deciding_assumptions"] = report.deciding_assumptions;
  return root;
}

}  // namespace onset::check
