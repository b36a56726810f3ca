#include "nca/report.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "io/csv.hpp"
#include "io/format.hpp"

namespace onset::nca {
namespace {

// Ordered: subject first, then the parameters in report order.
using json = nlohmann::ordered_json;

std::string format(double value, int digits) {
  if (value != value) return "";
  return onset::format_number(value, digits);
}

json number_or_null(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json subject_json(const NcaResult& result) {
  json object;
  object["subject"] = result.subject;
  if (!result.group.empty()) object["group"] = result.group;
  if (result.excluded) {
    object["excluded"] = true;
    object["exclusion_reason"] = result.exclusion_reason;
  }
  json units = json::object();
  json reasons = json::object();
  json excluded_values = json::object();
  for (const NcaParameter& parameter : result.parameters) {
    const std::string key = parameter.key();
    // An excluded result keeps its value (as PKNCA keeps PPORRES beside its exclude column);
    // `excluded_values` flags it. Null only when there is no value.
    if (parameter.value != parameter.value) {
      object[key] = nullptr;
    } else if (parameter.code == "LAMZNPT") {
      object[key] = static_cast<int>(parameter.value);
    } else {
      object[key] = number_or_null(parameter.value);
    }
    if (!parameter.unit.empty()) units[key] = parameter.unit;
    if (!parameter.note.empty()) reasons[key] = parameter.note;
    if (parameter.excluded) excluded_values[key] = number_or_null(parameter.value);
  }
  object["units"] = units;
  object["parameter_notes"] = reasons;
  object["excluded_values"] = excluded_values;
  object["data_notes"] = result.notes;
  return object;
}

void write_csv_rows(std::ostream& out, const NcaResult& result, const std::string& group) {
  if (result.excluded && result.parameters.empty()) {
    out << io::csv_field(result.subject) << ',' << io::csv_field(group) << ",,,,excluded,"
        << io::csv_field(result.exclusion_reason) << '\n';
  }
  for (const NcaParameter& parameter : result.parameters) {
    const char* status = parameter.excluded ? "excluded" : (parameter.usable() ? "ok" : "missing");
    out << io::csv_field(result.subject) << ',' << io::csv_field(group) << ','
        << io::csv_field(parameter.key()) << ',' << format(parameter.value, 15) << ','
        << io::csv_field(parameter.unit) << ',' << status << ',' << io::csv_field(parameter.note)
        << '\n';
  }
}

void write_text_block(std::ostream& out, const NcaResult& result) {
  out << "Subject " << result.subject;
  if (!result.group.empty()) out << "  (group " << result.group << ")";
  out << '\n';
  if (result.excluded) out << "  EXCLUDED: " << result.exclusion_reason << '\n';
  for (const NcaParameter& parameter : result.parameters) {
    char line[160];
    const std::string value =
        parameter.value == parameter.value ? format(parameter.value, 6) : std::string("-");
    std::snprintf(line, sizeof line, "  %-16s %14s  %-12s", parameter.key().c_str(), value.c_str(),
                  parameter.unit.c_str());
    std::string text = line;
    if (parameter.excluded)
      text += " EXCLUDED: " + parameter.note;
    else if (!parameter.note.empty())
      text += " (" + parameter.note + ")";
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  }
  for (const std::string& note : result.notes) out << "  note: " << note << '\n';
  out << '\n';
}

void write_header(std::ostream& out, const NcaOptions& options) {
  out << "Non-compartmental analysis: route " << route_name(options.route);
  if (options.route == Route::kIvInfusion) {
    out << " (duration " << format(options.infusion_duration, 6) << ' ' << options.units.time.name
        << ')';
  }
  out << ", AUC " << auc_method_name(options.auc_method) << ", BLQ "
      << blq_rule_name(options.blq_rule) << "\n\n";
}

json sparse_json(const SparseAuc& auc, double confidence_level) {
  json object;
  object["method"] = "linear trapezoid of the mean profile";
  object["start_time"] = auc.start_time;
  object["end_time"] = auc.end_time;
  object["auc"] = number_or_null(auc.auc);
  object["confidence_level"] = confidence_level;
  object["se_bailer"] = number_or_null(auc.se_bailer);
  object["df_satterthwaite"] = number_or_null(auc.df);
  object["ci_normal"] = {number_or_null(auc.z_lower), number_or_null(auc.z_upper)};
  object["ci_t"] = {number_or_null(auc.t_lower), number_or_null(auc.t_upper)};
  object["repeated_sampling"] = auc.repeated_sampling;
  object["se_nedelman_jia"] = number_or_null(auc.se_nedelman_jia);
  object["ci_normal_nedelman_jia"] = {number_or_null(auc.nj_z_lower),
                                      number_or_null(auc.nj_z_upper)};
  if (!auc.reason.empty()) object["reason"] = auc.reason;
  json points = json::array();
  for (const auto& point : auc.points) {
    points.push_back({{"time", point.time},
                      {"n", point.n},
                      {"mean", point.mean},
                      {"sd", point.sd},
                      {"weight", point.weight}});
  }
  object["points"] = points;
  return object;
}

}  // namespace

std::optional<ReportFormat> parse_report_format(std::string_view name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "json") return ReportFormat::kJson;
  if (name == "csv") return ReportFormat::kCsv;
  return std::nullopt;
}

void write_nca_report(std::ostream& out, const std::vector<NcaResult>& results,
                      const NcaOptions& options, ReportFormat format) {
  switch (format) {
    case ReportFormat::kJson: {
      json array = json::array();
      for (const auto& result : results) array.push_back(subject_json(result));
      out << array.dump(2) << '\n';
      return;
    }
    case ReportFormat::kCsv:
      out << "subject,group,PPTESTCD,value,unit,status,note\n";
      for (const auto& result : results) write_csv_rows(out, result, result.group);
      return;
    case ReportFormat::kText:
      write_header(out, options);
      for (const auto& result : results) write_text_block(out, result);
      return;
  }
}

void write_sparse_report(std::ostream& out, const std::vector<SparseGroupResult>& results,
                         const SparseOptions& options, ReportFormat format) {
  const std::string level = nca::format(options.confidence_level * 100, 4) + "%";
  switch (format) {
    case ReportFormat::kJson: {
      json array = json::array();
      for (const auto& result : results) {
        json object = subject_json(result.mean_profile);
        object.erase("subject");
        object["group"] = result.group;
        object["sparse_auc"] = sparse_json(result.auc, options.confidence_level);
        for (const auto& note : result.notes) object["data_notes"].push_back(note);
        array.push_back(object);
      }
      out << array.dump(2) << '\n';
      return;
    }
    case ReportFormat::kCsv: {
      out << "subject,group,PPTESTCD,value,unit,status,note\n";
      for (const auto& result : results) {
        write_csv_rows(out, result.mean_profile, result.group);
        const std::string auc_unit = options.nca.units.output_time.name + "*" +
                                     options.nca.units.output_concentration.name();
        const SparseAuc& auc = result.auc;
        const std::pair<const char*, double> rows[] = {
            {"SPARSE_AUC", auc.auc},         {"SPARSE_SE", auc.se_bailer},
            {"SPARSE_DF", auc.df},           {"SPARSE_ZLO", auc.z_lower},
            {"SPARSE_ZHI", auc.z_upper},     {"SPARSE_TLO", auc.t_lower},
            {"SPARSE_THI", auc.t_upper},     {"SPARSE_SE_NJ", auc.se_nedelman_jia},
            {"SPARSE_NJLO", auc.nj_z_lower}, {"SPARSE_NJHI", auc.nj_z_upper}};
        for (const auto& [code, value] : rows) {
          const bool is_df = std::string(code) == "SPARSE_DF";
          out << "mean," << io::csv_field(result.group) << ',' << code << ','
              << nca::format(value, 15) << ',' << (is_df ? "" : auc_unit) << ','
              << (value == value ? "ok" : "missing") << ','
              << io::csv_field(value == value ? "" : auc.reason) << '\n';
        }
      }
      return;
    }
    case ReportFormat::kText: {
      write_header(out, options.nca);
      for (const auto& result : results) {
        const SparseAuc& auc = result.auc;
        out << "Group " << (result.group.empty() ? "(all)" : result.group)
            << ": sparse AUC of the mean profile, t = " << nca::format(auc.start_time, 6) << " to "
            << nca::format(auc.end_time, 6) << '\n';
        out << "  time        n   mean          SD\n";
        for (const auto& point : auc.points) {
          char line[120];
          std::snprintf(line, sizeof line, "  %-10s %3d   %-12s  %s\n",
                        nca::format(point.time, 6).c_str(), point.n,
                        nca::format(point.mean, 6).c_str(), nca::format(point.sd, 6).c_str());
          out << line;
        }
        out << "  AUC " << nca::format(auc.auc, 6) << '\n';
        if (auc.estimated) {
          out << "  SE (Bailer 1988) " << nca::format(auc.se_bailer, 6) << "; " << level
              << " CI normal [" << nca::format(auc.z_lower, 6) << ", "
              << nca::format(auc.z_upper, 6) << "]\n";
          out << "  " << level << " CI t, Satterthwaite df " << nca::format(auc.df, 4)
              << " (Nedelman et al. 1995) [" << nca::format(auc.t_lower, 6) << ", "
              << nca::format(auc.t_upper, 6) << "]\n";
          if (auc.repeated_sampling) {
            out << "  SE with covariances (Nedelman & Jia 1998) "
                << nca::format(auc.se_nedelman_jia, 6) << "; " << level << " CI normal ["
                << nca::format(auc.nj_z_lower, 6) << ", " << nca::format(auc.nj_z_upper, 6)
                << "]\n";
          }
        } else {
          out << "  SE not available: " << auc.reason << '\n';
        }
        for (const auto& note : result.notes) out << "  note: " << note << '\n';
        out << "  NCA of the mean profile:\n";
        write_text_block(out, result.mean_profile);
      }
      return;
    }
  }
}

}  // namespace onset::nca
