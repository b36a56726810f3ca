#include "io/priors.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "io/input_file.hpp"
#include "io/units.hpp"
#include "io/yaml.hpp"

namespace onset::io {

// ---------------------------------------------------------------------------------------------
// Normal distribution helpers

double standard_normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double standard_normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) {
    throw std::domain_error("standard_normal_quantile: p must lie in (0, 1), got " +
                            std::to_string(p));
  }
  // Acklam (2003) rational approximation; relative error 1.15e-9 before refinement.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double p_low = 0.02425;
  double x;
  if (p < p_low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - p_low) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step against the exact CDF (erfc) brings the error to machine precision.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double uniform_open01(std::mt19937_64& rng) {
  // 53 random bits, shifted by half a unit so that neither 0 nor 1 can occur.
  const std::uint64_t bits = rng() >> 11;
  return (static_cast<double>(bits) + 0.5) * 0x1.0p-53;
}

const std::vector<std::string>& known_species() {
  static const std::vector<std::string> names = {"mouse", "rat", "monkey", "human", "any"};
  return names;
}

// ---------------------------------------------------------------------------------------------
// Citation and Prior

std::string Citation::text() const {
  std::ostringstream out;
  out << authors;
  if (year > 0) out << " " << year;
  out << ".";
  if (!title.empty()) out << " " << title << ".";
  if (!journal.empty()) out << " " << journal << ".";
  if (!doi.empty()) out << " doi:" << doi;
  if (doi.empty() && !pmid.empty()) out << " PMID " << pmid;
  if (doi.empty() && pmid.empty() && !url.empty()) out << " " << url;
  return out.str();
}

double Prior::log_mean() const {
  if (!is_lognormal()) return 0;
  const double z_low = standard_normal_quantile(quantile_low);
  const double z_high = standard_normal_quantile(quantile_high);
  // ln low = mu + sigma z_low, ln high = mu + sigma z_high.
  const double sigma = (std::log(high) - std::log(low)) / (z_high - z_low);
  return std::log(low) - sigma * z_low;
}

double Prior::log_sd() const {
  if (!is_lognormal()) return 0;
  const double z_low = standard_normal_quantile(quantile_low);
  const double z_high = standard_normal_quantile(quantile_high);
  return (std::log(high) - std::log(low)) / (z_high - z_low);
}

double Prior::quantile(double p) const {
  if (!(p > 0.0 && p < 1.0)) {
    throw std::domain_error("quantile of prior '" + name + "': p must lie in (0, 1)");
  }
  if (is_lognormal()) return std::exp(log_mean() + log_sd() * standard_normal_quantile(p));
  return low + p * (high - low);
}

double Prior::cdf(double x) const {
  if (is_lognormal()) {
    if (x <= 0) return 0;
    const double sd = log_sd();
    if (sd == 0) return x < std::exp(log_mean()) ? 0.0 : 1.0;
    return standard_normal_cdf((std::log(x) - log_mean()) / sd);
  }
  if (x <= low) return x < low ? 0.0 : (high > low ? 0.0 : 1.0);
  if (x >= high) return 1;
  return (x - low) / (high - low);
}

double Prior::sample(std::mt19937_64& rng) const { return quantile(uniform_open01(rng)); }

// ---------------------------------------------------------------------------------------------
// Reading

namespace {

using yaml::fail;
using yaml::get_number;
using yaml::get_string;
using yaml::require_keys;

const std::set<std::string> kParameterKeys = {
    "name", "description", "central",  "low",        "high",       "distribution", "quantiles",
    "unit", "species",     "citation", "assumption", "derivation", "note"};

}  // namespace

namespace {

void check_doi(const std::string& file, const YAML::Node& node, const std::string& doi) {
  if (doi.empty()) return;
  if (doi.rfind("10.", 0) != 0 || doi.find('/') == std::string::npos ||
      doi.find(' ') != std::string::npos) {
    fail(file, node, "expected a bare DOI such as 10.1172/JCI106184, found '" + excerpt(doi) + "'");
  }
}

}  // namespace

Citation parse_citation(const std::string& file, const YAML::Node& node, const std::string& key) {
  if (!node.IsMap()) fail(file, node, "expected a citation map (authors, year, journal, doi)");
  require_keys(
      file, node,
      {"authors", "year", "title", "journal", "doi", "url", "pmid", "verification", "note"},
      "citation");
  Citation c;
  c.key = key;
  c.authors = get_string(file, node, "authors", true);
  c.journal = get_string(file, node, "journal", true);
  if (!node["year"]) fail(file, node, "citation has no 'year'");
  const double year = get_number(file, node, "year");
  if (year < 1800 || year > 2100 || year != std::floor(year)) {
    fail(file, node["year"],
         "expected a publication year, found '" + excerpt(node["year"].Scalar()) + "'");
  }
  c.year = static_cast<int>(year);
  c.title = get_string(file, node, "title", false);
  c.doi = get_string(file, node, "doi", false);
  check_doi(file, node["doi"], c.doi);
  c.url = get_string(file, node, "url", false);
  c.pmid = get_string(file, node, "pmid", false);
  c.verification = get_string(file, node, "verification", false);
  return c;
}

PriorSet PriorSet::load(const std::filesystem::path& file) {
  return parse(as_prior_file_error([&] { return yaml::read_file(file, "prior file"); }),
               file.string());
}

PriorSet PriorSet::parse(const std::string& text, const std::string& file_name) {
  return as_prior_file_error([&] {
    const YAML::Node root = yaml::load(text, file_name);
    if (root.IsNull() && root.Mark().is_null()) {
      throw PriorFileError(
          file_name, 1, 1,
          "the prior file is empty (nothing but blank lines or comments): expected "
          "a map with keys family, description, references, parameters");
    }
    if (!root.IsMap()) {
      throw PriorFileError(file_name, 1, 1,
                           "expected a map with keys family, description, references, parameters");
    }
    require_keys(file_name, root, {"family", "description", "references", "parameters", "notes"},
                 "prior file");
    PriorSet set;
    set.file_ = file_name;
    set.family_ = get_string(file_name, root, "family", true);
    set.description_ = get_string(file_name, root, "description", false);

    std::map<std::string, Citation> references;
    if (const YAML::Node refs = root["references"]) {
      if (!refs.IsMap()) fail(file_name, refs, "expected 'references' to be a map of citations");
      for (const auto& entry : refs) {
        const std::string key = entry.first.Scalar();
        if (references.count(key) != 0) {
          fail(file_name, entry.first, "duplicate reference key '" + key + "'");
        }
        references[key] = parse_citation(file_name, entry.second, key);
        set.references_.push_back(references[key]);
      }
    }

    const YAML::Node params = root["parameters"];
    if (!params) throw PriorFileError(file_name, 1, 1, "missing 'parameters' list");
    if (!params.IsSequence()) fail(file_name, params, "expected 'parameters' to be a list");

    std::map<std::pair<std::string, std::string>, int> seen;  // (name, species) -> line
    for (const YAML::Node& node : params) {
      if (!node.IsMap()) fail(file_name, node, "expected a parameter map");
      require_keys(file_name, node, kParameterKeys, "parameter");
      Prior p;
      p.file = file_name;
      p.family = set.family_;
      p.line = node.Mark().line + 1;
      p.name = get_string(file_name, node, "name", true);
      const std::string where = "parameter '" + p.name + "'";
      p.description = get_string(file_name, node, "description", false);
      p.unit = get_string(file_name, node, "unit", false);
      if (!node["unit"]) {
        fail(file_name, node, where + " has no unit: write one explicitly, \"1\" if dimensionless");
      }
      if (p.unit.empty() || p.unit.find_first_not_of(" \t") == std::string::npos) {
        fail(file_name, node["unit"], where + " has an empty unit; write \"1\" if dimensionless");
      }
      try {
        (void)io::parse_unit(p.unit);
      } catch (const io::UnitError& error) {
        fail(file_name, node["unit"], where + ": " + error.problem());
      }
      p.species = get_string(file_name, node, "species", true);
      const auto& species = known_species();
      if (std::find(species.begin(), species.end(), p.species) == species.end()) {
        fail(file_name, node["species"],
             where + ": unknown species '" + p.species +
                 "'; expected mouse, rat, monkey, human or any");
      }
      p.distribution = get_string(file_name, node, "distribution", true);
      if (p.distribution != "lognormal" && p.distribution != "uniform") {
        fail(file_name, node["distribution"],
             where + ": unknown distribution '" + p.distribution +
                 "'; expected lognormal or uniform");
      }
      for (const char* key : {"central", "low", "high"}) {
        if (!node[key]) fail(file_name, node, where + " has no '" + key + "'");
      }
      p.central = get_number(file_name, node, "central");
      p.low = get_number(file_name, node, "low");
      p.high = get_number(file_name, node, "high");
      if (p.low > p.high) {
        fail(file_name, node["low"],
             where + ": low > high (" + yaml::format(p.low) + " > " + yaml::format(p.high) + ")");
      }
      if (p.central < p.low || p.central > p.high) {
        fail(file_name, node["central"],
             where + ": central " + yaml::format(p.central) + " outside the range [" +
                 yaml::format(p.low) + ", " + yaml::format(p.high) + "]");
      }
      if (p.is_lognormal() && p.low <= 0) {
        fail(file_name, node["low"],
             where + ": a lognormal prior needs positive values, found low = " +
                 yaml::format(p.low) + " (use uniform for a range that includes 0)");
      }
      if (const YAML::Node q = node["quantiles"]) {
        if (!p.is_lognormal()) {
          fail(file_name, q,
               where +
                   ": 'quantiles' applies to lognormal priors only (a uniform prior's range "
                   "is its support)");
        }
        if (!q.IsSequence() || q.size() != 2) {
          fail(file_name, q, where + ": expected 'quantiles: [p_low, p_high]', e.g. [0.05, 0.95]");
        }
        p.quantile_low = yaml::as_number(file_name, q[0]);
        p.quantile_high = yaml::as_number(file_name, q[1]);
        if (!(p.quantile_low > 0 && p.quantile_low < p.quantile_high && p.quantile_high < 1)) {
          fail(file_name, q, where + ": quantiles must satisfy 0 < p_low < p_high < 1");
        }
      }
      p.assumption = get_string(file_name, node, "assumption", false);
      p.derivation = get_string(file_name, node, "derivation", false);
      if (const YAML::Node c = node["citation"]) {
        if (c.IsScalar()) {
          const auto it = references.find(c.Scalar());
          if (it == references.end()) {
            fail(file_name, c,
                 where + ": unknown reference '" + c.Scalar() + "' (not a key of 'references')");
          }
          p.citation = it->second;
        } else {
          p.citation = parse_citation(file_name, c, "");
        }
      }
      if (p.citation.empty() && p.assumption.empty()) {
        fail(file_name, node,
             where +
                 " has no citation: give 'citation:' (a key of 'references' or an inline "
                 "map) or state 'assumption:' with the reasoning");
      }
      const auto key = std::make_pair(p.name, p.species);
      if (const auto it = seen.find(key); it != seen.end()) {
        fail(file_name, node["name"],
             "duplicate name '" + p.name + "' for species " + p.species + " (first at line " +
                 std::to_string(it->second) + ")");
      }
      seen[key] = p.line;
      set.priors_.push_back(std::move(p));
    }
    return set;
  });
}

const Prior* PriorSet::find(std::string_view name, std::string_view species) const {
  const Prior* fallback = nullptr;
  for (const Prior& p : priors_) {
    if (p.name != name) continue;
    if (p.species == species) return &p;
    if (p.species == "any") fallback = &p;
  }
  return fallback;
}

const Prior& PriorSet::at(std::string_view name, std::string_view species) const {
  if (const Prior* p = find(name, species)) return *p;
  std::string have;
  for (const Prior* p : find_all(name)) have += (have.empty() ? "" : ", ") + p->species;
  throw std::out_of_range(
      "prior '" + std::string(name) + "' for species " + std::string(species) + " is not in " +
      file_ +
      (have.empty() ? std::string(" (no such parameter)") : " (species present: " + have + ")"));
}

std::vector<const Prior*> PriorSet::find_all(std::string_view name) const {
  std::vector<const Prior*> out;
  for (const Prior& p : priors_) {
    if (p.name == name) out.push_back(&p);
  }
  return out;
}

std::vector<std::string> PriorSet::names() const {
  std::vector<std::string> out;
  for (const Prior& p : priors_) {
    if (std::find(out.begin(), out.end(), p.name) == out.end()) out.push_back(p.name);
  }
  return out;
}

std::vector<PriorSet> load_prior_directory(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<PriorSet> sets;
  for (const auto& f : files) sets.push_back(PriorSet::load(f));
  return sets;
}

}  // namespace onset::io
