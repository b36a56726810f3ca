// libFuzzer target: the claim-file reader (check/claim.hpp, YAML from a string), resolving prior
// references against the shipped data/priors, then every assumption's quantiles. Bad input must
// end in ClaimFileError (the reader's error type, a UserError) or PriorFileError.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "check/claim.hpp"

#ifndef ONSET_FUZZ_DATA_DIR
#error "ONSET_FUZZ_DATA_DIR must name the data/ folder (priors/ inside)"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path data_dir(ONSET_FUZZ_DATA_DIR);
  try {
    const onset::check::Claim claim =
        onset::check::parse_claim(text, "fuzz.yaml", data_dir / "claims", data_dir / "priors");
    for (const auto& assumption : claim.assumptions) {
      (void)assumption.prior.quantile(0.05);
      (void)assumption.prior.quantile(0.95);
      (void)assumption.source_text();
    }
    for (const auto& effect : claim.effects) {
      for (const auto& check : effect.checks) {
        for (const auto& binding : check.parameters) {
          if (binding.assumption >= static_cast<int>(claim.assumptions.size())) __builtin_trap();
        }
      }
    }
  } catch (
      const onset::io::yaml::YamlFileError&) {  // ClaimFileError, or PriorFileError of a prior file
  }
  return 0;
}
