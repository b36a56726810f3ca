#include "fits/population/population_report.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "io/csv.hpp"
#include "io/format.hpp"

namespace onset::fits::population {

namespace {

nlohmann::json number(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

std::string cell(double value, int digits = 6) {
  return std::isfinite(value) ? format_number(value, digits) : "-";
}

// Full precision for tables that are read back by programs.
std::string csv_number(double value) {
  return std::isfinite(value) ? format_number(value, 17) : "";
}

// NPDE columns only when computed (fits/population/npde.hpp).
bool has_npde(const PopulationSummary& summary) {
  for (const auto& row : summary.observations)
    if (std::isfinite(row.npde)) return true;
  return false;
}

int eta_of_omega(const PopulationSummary& summary, const PopulationEstimate& e) {
  for (size_t k = 0; k < summary.eta_names.size(); ++k)
    if (summary.eta_names[k] == e.name) return static_cast<int>(k);
  return -1;
}

nlohmann::json subjects_json(const PopulationSummary& s) {
  nlohmann::json subjects = nlohmann::json::array();
  for (const auto& subject : s.subjects) {
    nlohmann::json eta = nlohmann::json::object(), parameters = nlohmann::json::object();
    for (size_t k = 0; k < subject.eta.size(); ++k) eta[s.eta_names[k]] = number(subject.eta[k]);
    for (size_t k = 0; k < subject.parameters.size(); ++k)
      parameters[s.model_parameter_names[k]] = number(subject.parameters[k]);
    subjects.push_back({{"id", subject.id},
                        {"objective", number(subject.objective)},
                        {"eta", eta},
                        {"parameters", parameters},
                        {"ebe_converged", subject.ebe_converged}});
  }
  return subjects;
}

nlohmann::json observations_json(const PopulationSummary& s) {
  nlohmann::json observations = nlohmann::json::array();
  const bool npde = has_npde(s);
  for (const auto& row : s.observations) {
    observations.push_back({{"id", row.id},
                            {"line", row.line},
                            {"time", number(row.time)},
                            {"observable", row.observable},
                            {"dv", number(row.dv)},
                            {"pred", number(row.pred)},
                            {"ipred", number(row.ipred)},
                            {"res", number(row.res)},
                            {"ires", number(row.ires)},
                            {"iwres", number(row.iwres)},
                            {"cwres", number(row.cwres)}});
    if (npde) {
      observations.back()["epred"] = number(row.epred);
      observations.back()["pde"] = number(row.pde);
      observations.back()["npde"] = number(row.npde);
    }
  }
  return observations;
}

}  // namespace

std::string subjects_json_text(const PopulationSummary& summary) {
  return subjects_json(summary).dump(2);
}

std::string observations_json_text(const PopulationSummary& summary) {
  return observations_json(summary).dump(2);
}

void print_text(const PopulationSummary& s, std::ostream& out) {
  char line[512];
  out << "population fit (" << method_name(s.method) << "): " << population_status_name(s.status)
      << " (" << s.message << ")\n";
  for (const auto& note : s.notes) out << "note: " << note << "\n";
  out << "subjects: " << s.num_subjects << "   observations: " << s.num_observations
      << "   estimated parameters: " << s.num_estimated << "   iterations: " << s.iterations
      << "   objective evaluations: " << s.evaluations
      << "   wall time: " << format_number(s.wall_time_s, 3) << " s\n";
  out << "objective (NONMEM: -2 log L without N log(2 pi)): " << format_number(s.objective, 10)
      << "\n-2 log L: " << format_number(s.minus_two_log_likelihood, 10)
      << "   AIC: " << format_number(s.aic, 8) << "   BIC: " << format_number(s.bic, 8) << "\n";
  std::snprintf(line, sizeof line, "%-24s %-12s %14s %12s %9s\n", "THETA", "", "estimate", "SE",
                "RSE%");
  out << line;
  for (const auto& e : s.estimates) {
    if (e.kind != PopulationEstimate::Kind::kTheta) continue;
    std::snprintf(line, sizeof line, "%-24s %-12s %14s %12s %9s%s\n", e.name.c_str(),
                  e.label.c_str(), cell(e.estimate).c_str(), cell(e.se, 4).c_str(),
                  cell(e.rse_pct, 3).c_str(), e.fixed ? "  (fixed)" : "");
    out << line;
  }
  std::snprintf(line, sizeof line, "%-24s %-12s %14s %12s %9s %9s %9s %9s\n", "OMEGA (variance)",
                "", "estimate", "SE", "RSE%", "CV%", "CV% exact", "shrink%");
  out << line;
  for (const auto& e : s.estimates) {
    if (e.kind != PopulationEstimate::Kind::kOmega) continue;
    const int k = eta_of_omega(s, e);
    const double shrinkage = k >= 0 && static_cast<size_t>(k) < s.eta_shrinkage_pct.size()
                                 ? s.eta_shrinkage_pct[static_cast<size_t>(k)]
                                 : NAN;
    if (std::isfinite(e.correlation)) {
      std::snprintf(line, sizeof line, "%-24s %-12s %14s %12s %9s  correlation %s%s\n",
                    e.name.c_str(), e.label.c_str(), cell(e.estimate).c_str(),
                    cell(e.se, 4).c_str(), cell(e.rse_pct, 3).c_str(),
                    cell(e.correlation, 3).c_str(), e.fixed ? "  (fixed)" : "");
    } else {
      std::snprintf(line, sizeof line, "%-24s %-12s %14s %12s %9s %9s %9s %9s%s\n", e.name.c_str(),
                    e.label.c_str(), cell(e.estimate).c_str(), cell(e.se, 4).c_str(),
                    cell(e.rse_pct, 3).c_str(), cell(e.cv_pct, 4).c_str(),
                    cell(e.cv_exact_pct, 4).c_str(), cell(shrinkage, 3).c_str(),
                    e.fixed ? "  (fixed)" : "");
    }
    out << line;
  }
  std::snprintf(line, sizeof line, "%-24s %-12s %14s %12s %9s %12s\n", "SIGMA (variance)", "",
                "estimate", "SE", "RSE%", "SD");
  out << line;
  for (const auto& e : s.estimates) {
    if (e.kind != PopulationEstimate::Kind::kSigma) continue;
    std::snprintf(line, sizeof line, "%-24s %-12s %14s %12s %9s %12s%s\n", e.name.c_str(),
                  e.label.c_str(), cell(e.estimate).c_str(), cell(e.se, 4).c_str(),
                  cell(e.rse_pct, 3).c_str(), cell(e.sd).c_str(), e.fixed ? "  (fixed)" : "");
    out << line;
  }
  for (size_t o = 0; o < s.eps_shrinkage_pct.size(); ++o)
    out << "EPS shrinkage " << s.observable_names[o] << ": " << cell(s.eps_shrinkage_pct[o], 3)
        << " %\n";
  if (!s.covariance_method.empty() || !s.covariance_message.empty())
    out << "covariance step: " << (s.covariance_ok ? s.covariance_method : s.covariance_message)
        << "\n";
  const size_t m = s.covariance_names.size();
  if (s.covariance_ok && m > 1) {
    out << "correlation of the estimates:\n";
    for (size_t a = 0; a < m; ++a) {
      std::snprintf(line, sizeof line, "  %-26s", s.covariance_names[a].c_str());
      out << line;
      for (size_t b = 0; b <= a; ++b) {
        std::snprintf(line, sizeof line, " %7.3f", s.correlation[a * m + b]);
        out << line;
      }
      out << "\n";
    }
  }
  out << "gradients: " << s.gradient_method << "\n";
}

std::string to_json_text(const PopulationSummary& s, bool include_tables) {
  nlohmann::json out;
  out["method"] = std::string(method_name(s.method));
  out["status"] = std::string(population_status_name(s.status));
  out["converged"] = s.converged();
  out["message"] = s.message;
  out["objective"] = number(s.objective);
  out["objective_definition"] =
      "NONMEM's objective function value: -2 log-likelihood without the N log(2 pi) constant";
  out["minus_two_log_likelihood"] = number(s.minus_two_log_likelihood);
  out["aic"] = number(s.aic);
  out["bic"] = number(s.bic);
  out["n_subjects"] = s.num_subjects;
  out["n_observations"] = s.num_observations;
  out["n_estimated"] = s.num_estimated;
  out["iterations"] = s.iterations;
  out["evaluations"] = s.evaluations;
  nlohmann::json theta = nlohmann::json::array(), omega = nlohmann::json::array(),
                 sigma = nlohmann::json::array();
  for (const auto& e : s.estimates) {
    nlohmann::json item = {{"name", e.name},
                           {"label", e.label},
                           {"estimate", number(e.estimate)},
                           {"se", number(e.se)},
                           {"rse_pct", number(e.rse_pct)},
                           {"fixed", e.fixed}};
    if (e.kind == PopulationEstimate::Kind::kTheta) {
      theta.push_back(item);
    } else if (e.kind == PopulationEstimate::Kind::kOmega) {
      item["cv_pct"] = number(e.cv_pct);
      item["cv_exact_pct"] = number(e.cv_exact_pct);
      item["correlation"] = number(e.correlation);
      const int k = eta_of_omega(s, e);
      item["shrinkage_pct"] = k >= 0 && static_cast<size_t>(k) < s.eta_shrinkage_pct.size()
                                  ? number(s.eta_shrinkage_pct[static_cast<size_t>(k)])
                                  : nlohmann::json(nullptr);
      omega.push_back(item);
    } else {
      item["sd"] = number(e.sd);
      sigma.push_back(item);
    }
  }
  out["theta"] = theta;
  out["omega"] = omega;
  out["sigma"] = sigma;
  nlohmann::json eps = nlohmann::json::object();
  for (size_t o = 0; o < s.eps_shrinkage_pct.size(); ++o)
    eps[s.observable_names[o]] = number(s.eps_shrinkage_pct[o]);
  out["eps_shrinkage_pct"] = eps;
  const size_t m = s.covariance_names.size();
  nlohmann::json matrix = nlohmann::json::array(), correlation = nlohmann::json::array();
  for (size_t a = 0; a < m; ++a) {
    nlohmann::json row = nlohmann::json::array(), corr = nlohmann::json::array();
    for (size_t b = 0; b < m; ++b) {
      row.push_back(number(s.covariance[a * m + b]));
      corr.push_back(number(s.correlation[a * m + b]));
    }
    matrix.push_back(row);
    correlation.push_back(corr);
  }
  out["covariance"] = {{"ok", s.covariance_ok},
                       {"method", s.covariance_method},
                       {"message", s.covariance_message},
                       {"names", s.covariance_names},
                       {"matrix", matrix},
                       {"correlation", correlation}};
  if (include_tables) {
    out["subjects"] = subjects_json(s);
    out["observations"] = observations_json(s);
  }
  out["gradient_method"] = s.gradient_method;
  out["notes"] = s.notes;
  return out.dump(2);
}

void write_subjects_csv(const PopulationSummary& s, std::ostream& out) {
  out << "ID";
  for (const auto& name : s.eta_names) out << "," << io::csv_field(name);
  for (const auto& name : s.model_parameter_names) out << "," << io::csv_field(name);
  out << ",OBJ,EBE_CONVERGED\n";
  for (const auto& subject : s.subjects) {
    out << io::csv_field(subject.id);
    for (double value : subject.eta) out << "," << csv_number(value);
    for (double value : subject.parameters) out << "," << csv_number(value);
    out << "," << csv_number(subject.objective) << "," << (subject.ebe_converged ? 1 : 0) << "\n";
  }
}

void write_observations_csv(const PopulationSummary& s, std::ostream& out) {
  const bool npde = has_npde(s);
  out << "ID,LINE,TIME,OBS,DV,PRED,IPRED,RES,IRES,IWRES,CWRES" << (npde ? ",EPRED,PDE,NPDE" : "")
      << "\n";
  for (const auto& row : s.observations) {
    out << io::csv_field(row.id) << "," << row.line << "," << csv_number(row.time) << ","
        << io::csv_field(row.observable) << "," << csv_number(row.dv) << "," << csv_number(row.pred)
        << "," << csv_number(row.ipred) << "," << csv_number(row.res) << "," << csv_number(row.ires)
        << "," << csv_number(row.iwres) << "," << csv_number(row.cwres);
    if (npde)
      out << "," << csv_number(row.epred) << "," << csv_number(row.pde) << ","
          << csv_number(row.npde);
    out << "\n";
  }
}

}  // namespace onset::fits::population
