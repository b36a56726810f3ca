// libFuzzer target: the CSV table and data-set reader of `onset nca` (io/csv.hpp,
// nca/dataset.hpp), then NCA itself on what was read, per subject and sparse. Columns are
// looked up as the seeds name them (ID or Subject, TIME, CONC, DOSE, LLOQ, GROUP). Bad input must
// end in InputError; NCA must not throw for data problems (they become notes).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/csv.hpp"
#include "nca/dataset.hpp"
#include "nca/input_error.hpp"
#include "nca/nca.hpp"
#include "nca/sparse.hpp"

namespace {

using namespace onset::nca;
using onset::io::CsvTable;

DatasetOptions options_for(const CsvTable& table) {
  DatasetOptions options;
  auto pick = [&](std::string* field, std::string_view name) {
    if (table.find_column(name)) *field = std::string(name);
  };
  options.columns.time = "TIME";
  options.columns.concentration = "CONC";
  pick(&options.columns.subject, "ID");
  if (options.columns.subject.empty()) pick(&options.columns.subject, "Subject");
  pick(&options.columns.dose, "DOSE");
  pick(&options.columns.lloq, "LLOQ");
  pick(&options.columns.group, "GROUP");
  if (options.columns.dose.empty()) options.dose = 100;
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CsvTable table;
  try {
    table = CsvTable::parse(text, "fuzz.csv");
  } catch (const InputError&) {
    return 0;
  }
  const DatasetOptions dataset = options_for(table);
  const bool extravascular = size > 0 && (data[0] & 1);
  try {
    NcaOptions options;
    options.route = extravascular ? Route::kExtravascular : Route::kIvBolus;
    for (const Profile& profile : read_profiles(table, dataset)) (void)run_nca(profile, options);
  } catch (const InputError&) {
  }
  try {
    SparseOptions options;
    (void)run_sparse_nca(read_sparse_observations(table, dataset), options);
  } catch (const InputError&) {
  }
  return 0;
}
