// NCA results as text (for people), JSON (one object per subject, PPTESTCD keys) or CSV (long
// format, one row per subject and parameter, as in an SDTM PP domain).
#pragma once

#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include "nca/nca.hpp"
#include "nca/sparse.hpp"

namespace onset::nca {

enum class ReportFormat { kText, kJson, kCsv };
std::optional<ReportFormat> parse_report_format(std::string_view name);  // text, json, csv

// JSON: an array with one object per subject: "subject", "group" (if any),
// "excluded"/"exclusion_reason" for a subject that could not be analysed at all, every
// parameter key with its value (null only when not available; an excluded result keeps its
// value, as PKNCA does), "units" {key: unit}, "parameter_notes" {key: why missing or
// excluded, or how it was obtained}, "excluded_values" {key: value} (the flag: the results
// that fail a rule, e.g. AUC extrapolated > 20 %), "data_notes" [BLQ, missing, dose-time
// point].
void write_nca_report(std::ostream& out, const std::vector<NcaResult>& results,
                      const NcaOptions& options, ReportFormat format);

// As above, per group; each object also has "sparse_auc" with the Bailer / Nedelman-Jia
// statistics (CSV: rows SPARSE_AUC, SPARSE_SE, SPARSE_DF, SPARSE_ZLO/ZHI, SPARSE_TLO/THI,
// SPARSE_SE_NJ, SPARSE_NJLO/NJHI).
void write_sparse_report(std::ostream& out, const std::vector<SparseGroupResult>& results,
                         const SparseOptions& options, ReportFormat format);

}  // namespace onset::nca
