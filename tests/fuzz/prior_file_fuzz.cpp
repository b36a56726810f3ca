// libFuzzer target: the prior-file reader (io/priors.hpp, YAML from a string), then the
// quantiles of every prior read. Bad input must end in PriorFileError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/priors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const onset::io::PriorSet set = onset::io::PriorSet::parse(text, "fuzz.yaml");
    for (const auto& prior : set.priors()) {
      (void)prior.quantile(0.05);
      (void)prior.quantile(0.95);
      (void)prior.cdf(prior.central);
    }
  } catch (const onset::io::PriorFileError&) {
  }
  return 0;
}
