// Literature priors: reading data/priors/*.yaml, looking parameters up, sampling them.
//
// A prior file (schema in data/priors/README.md) holds one model family: a `references` map
// of citations, keyed so that parameters can share them, and a `parameters` list. Every
// parameter has a name, central value, plausible range [low, high], distribution, unit,
// species and either a citation (a key into `references`, or an inline map) or an explicit
// `assumption:` saying why no source exists. A `derivation:` records arithmetic that turns
// cited numbers into the value used.
//
// Distributions:
//   lognormal  ln X ~ Normal(mu, sigma), with mu and sigma fixed by the range: `low` is the
//              quantile `quantiles[0]` and `high` the quantile `quantiles[1]` (default 0.05
//              and 0.95, i.e. [low, high] is a central 90 % interval). `central` is the
//              nominal value for point simulations; it need not equal the median
//              exp(mu) = sqrt(low * high) when the literature range is skewed.
//   uniform    X ~ Uniform(low, high); `central` is the nominal value.
// The best-case box of a parameter is [low, high] for both: the support of a uniform prior
// and the stated quantile interval of a log-normal one.
//
// Sampling maps one uniform variate through the inverse CDF (one 53-bit draw from the
// std::mt19937_64 per sample), so the same seed gives the same numbers on every platform
// and the same mapping serves Sobol or Latin-hypercube points (sample_at).
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/user_error.hpp"
#include "io/yaml.hpp"

namespace onset::io {

// A literature source. Fields are as printed in the research tables; `verification` says what
// was actually read ("abstract read", "secondary: review table", ...).
struct Citation {
  std::string key;  // key in the file's `references` map; empty for an inline citation
  std::string authors;
  int year = 0;
  std::string title;
  std::string journal;  // journal with volume and pages where known
  std::string doi;      // bare DOI ("10.1172/JCI106184"), empty when none was seen
  std::string url;
  std::string pmid;
  std::string verification;

  bool empty() const { return authors.empty() && journal.empty(); }
  // "Berk PD, Howe RB, ... 1969. J Clin Invest 48:2176-2190. doi:10.1172/JCI106184"
  std::string text() const;
};

// A prior or physiology file that breaks a limit or does not follow the schema: where
// (file:line:column, 1-based) and what was expected. The YAML helpers' errors (io/yaml.hpp)
// met while reading such a file become this type, with the same place and message.
class PriorFileError : public yaml::YamlFileError {
 public:
  PriorFileError(std::string file, int line, int column, std::string message)
      : YamlFileError(std::move(file), line, column, std::move(message)) {}
  explicit PriorFileError(const yaml::YamlFileError& error)
      : PriorFileError(error.file(), error.line(), error.column(), error.reason()) {}
};

// Runs `read` (a prior or physiology reader's work), turning a YamlFileError of the helpers
// into a PriorFileError.
template <class Read>
auto as_prior_file_error(Read read) {
  try {
    return read();
  } catch (const PriorFileError&) {
    throw;
  } catch (const yaml::YamlFileError& error) {
    throw PriorFileError(error);
  }
}

// A citation map at `node` (authors, year, journal required; title, doi (bare, 10.x/...), url,
// pmid, verification, note optional); `key` is its key in a `references` map ("" inline).
// Throws yaml::YamlFileError at the offending node.
Citation parse_citation(const std::string& file, const YAML::Node& node, const std::string& key);

// The region searched for a best case: one interval per parameter.
struct Interval {
  double low = 0;
  double high = 0;
};

struct Prior {
  std::string name;
  std::string unit;          // explicit unit, e.g. "1/h", "particles/cell", "mg/dL", "1"
  std::string species;       // "mouse", "rat", "monkey", "human" or "any"
  std::string distribution;  // "lognormal" or "uniform"
  double central = 0;
  double low = 0;
  double high = 0;
  Citation citation;
  std::string assumption;  // non-empty when the value is an assumption, with the reasoning
  std::string derivation;  // arithmetic from cited numbers, when the value is derived
  std::string description;
  // Lognormal only: the probabilities at which `low` and `high` sit.
  double quantile_low = 0.05;
  double quantile_high = 0.95;
  std::string family;  // the file's `family`
  std::string file;
  int line = 0;  // 1-based line of the parameter's entry

  bool is_lognormal() const { return distribution == "lognormal"; }
  // True when the value rests on a citation (possibly with a derivation), false when it is
  // an explicit assumption only.
  bool has_citation() const { return !citation.empty(); }
  // Lognormal: mean and standard deviation of ln X. Uniform: not meaningful (0).
  double log_mean() const;
  double log_sd() const;
  // Inverse CDF at p in (0, 1).
  double quantile(double p) const;
  // CDF at x.
  double cdf(double x) const;
  // The value at uniform variate u in (0, 1): quantile(u). For Sobol / Latin hypercube.
  double sample_at(double u) const { return quantile(u); }
  // One draw; consumes exactly one output of rng.
  double sample(std::mt19937_64& rng) const;
  // [low, high]: the interval searched for the best case.
  Interval box() const { return {low, high}; }
};

// The priors of one file (one model family).
class PriorSet {
 public:
  // Reads and validates one prior file. Throws PriorFileError.
  static PriorSet load(const std::filesystem::path& file);
  // Parses text; `file_name` is used in messages.
  static PriorSet parse(const std::string& text, const std::string& file_name);

  const std::string& family() const { return family_; }
  const std::string& description() const { return description_; }
  const std::string& file() const { return file_; }
  const std::vector<Prior>& priors() const { return priors_; }
  const std::vector<Citation>& references() const { return references_; }

  // The prior for `name` in `species`, falling back to species "any"; nullptr if none.
  const Prior* find(std::string_view name, std::string_view species) const;
  // As find(), but throws std::out_of_range naming the species that do exist.
  const Prior& at(std::string_view name, std::string_view species) const;
  // Every entry called `name` (one per species).
  std::vector<const Prior*> find_all(std::string_view name) const;
  // Distinct parameter names, in file order.
  std::vector<std::string> names() const;

 private:
  std::string family_;
  std::string description_;
  std::string file_;
  std::vector<Prior> priors_;
  std::vector<Citation> references_;
};

// Every *.yaml file in `directory`, sorted by file name.
std::vector<PriorSet> load_prior_directory(const std::filesystem::path& directory);

// Standard normal inverse CDF (Acklam's rational approximation refined by one Halley step;
// |error| < 1e-14 over (1e-300, 1 - 1e-16)). Throws std::domain_error outside (0, 1).
double standard_normal_quantile(double p);
double standard_normal_cdf(double z);

// A uniform variate in (0, 1) from one output of rng (53 bits, never 0 or 1).
double uniform_open01(std::mt19937_64& rng);

// The species names a prior or physiology entry may carry.
const std::vector<std::string>& known_species();

}  // namespace onset::io
