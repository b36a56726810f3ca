// libFuzzer target: the NONMEM-style data-set reader of `onset simulate`
// (pk/dosing_records.hpp). Any input must either parse or throw DosingDataError; anything
// else (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pk/dosing_records.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const onset::pk::DosingData records = onset::pk::parse_dosing_csv(text, "fuzz.csv");
    // Walk what a simulator reads: subjects and covariate cells.
    for (const auto& range : onset::pk::subject_ranges(records))
      for (size_t r = range[0]; r < range[1]; ++r)
        for (size_t c = 0; c < records.num_covariates(); ++c) (void)records.covariate(r, c);
  } catch (const onset::pk::DosingDataError&) {
  }
  return 0;
}
