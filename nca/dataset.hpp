// From a CSV table (read by io/csv.hpp, whose errors are InputError too) to NCA inputs: the user's
// column choices, cell checks with file:line:column errors, and grouping rows into one profile per
// subject (and group).
//
// Cells: numbers as C would read them ("1.5", "2e-3"); in the concentration column "", ".",
// "NA" and "NaN" mean missing (the row is dropped with a note), and "BLQ", "BQL", "BLOQ",
// "<LLOQ" or any text starting with "<" means below the limit of quantification.
// A concentration below the row's LLOQ is BLQ too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/csv.hpp"
#include "nca/nca.hpp"
#include "nca/sparse.hpp"

namespace onset::nca {

struct NcaColumns {
  // Subject (animal) identifier. Required for per-subject NCA; for sparse data optional, and
  // needed only to recognise animals sampled more than once (Nedelman-Jia).
  std::string subject;
  std::string time;           // required
  std::string concentration;  // required
  std::string dose;           // optional: per-subject dose (constant within a subject)
  std::string lloq;           // optional: per-row lower limit of quantification
  std::string group;          // optional: organ / analyte / cohort; profiles are per group
};

struct DatasetOptions {
  NcaColumns columns;
  // Dose for every subject (dose unit), used when there is no dose column.
  std::optional<double> dose;
  // LLOQ for every row (concentration unit), used when there is no LLOQ column or its cell is
  // empty.
  std::optional<double> lloq;
};

// One profile per (group, subject), in order of first appearance. Throws InputError for a
// missing column, a bad cell, a subject whose times are not strictly increasing in file order
// (duplicate or unsorted), or a dose that changes within a subject.
std::vector<Profile> read_profiles(const io::CsvTable& table, const DatasetOptions& options);

// Observations for sparse NCA, one per row. Throws InputError for a missing column, a bad
// cell, or the same animal twice at the same time.
std::vector<SparseObservation> read_sparse_observations(const io::CsvTable& table,
                                                        const DatasetOptions& options);

}  // namespace onset::nca
