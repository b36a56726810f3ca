#include "check/yaml_support.hpp"

#include <yaml-cpp/depthguard.h>

#include <cmath>
#include <sstream>

#include "io/format.hpp"
#include "io/input_file.hpp"
#include "models/yaml_limits.hpp"
#include "pk/text_input.hpp"

namespace onset::check::yaml_support {

YAML::Node load(const std::string& text, const std::string& file) {
  using pk::InputLimits;
  if (text.size() > InputLimits::kMaxFileBytes)
    throw PriorFileError(file, 0, 0,
                         "the file is " + std::to_string(text.size() >> 20) +
                             " MB, above the limit of " +
                             std::to_string(InputLimits::kMaxFileBytes >> 20) + " MB");
  if (const auto bad = pk::find_invalid_utf8(text))
    throw PriorFileError(file, bad->line, bad->column, pk::describe_invalid_utf8(*bad));
  if (const auto long_line = pk::find_long_line(text))
    throw PriorFileError(file, long_line->line, 1, pk::describe_long_line());
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw PriorFileError(file, e.mark.line + 1, e.mark.column + 1,
                         "maps and lists nested deeper than " + std::to_string(e.depth()) +
                             " levels: expected at most " +
                             std::to_string(InputLimits::kMaxNestingDepth));
  } catch (const YAML::ParserException& e) {
    throw PriorFileError(file, e.mark.line + 1, e.mark.column + 1, "YAML syntax: " + e.msg);
  }
  if (const auto hit = models::check_yaml_size(root))
    throw PriorFileError(file, hit->mark.line + 1, hit->mark.column + 1, hit->what);
  if (const auto duplicate = models::find_duplicate_key(root))
    throw PriorFileError(file, duplicate->mark.line + 1, duplicate->mark.column + 1,
                         duplicate->what());
  return root;
}

std::string read_file(const std::filesystem::path& path, const std::string& what) {
  std::string text;
  const std::string why = pk::read_text_file(path.string(), &text);
  if (!why.empty()) throw PriorFileError(path.string(), 0, 0, "the " + what + " " + why);
  return text;
}

void fail(const std::string& file, const YAML::Node& node, const std::string& message) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) throw PriorFileError(file, 0, 0, message);
  throw PriorFileError(file, mark.line + 1, mark.column + 1, message);
}

void require_keys(const std::string& file, const YAML::Node& node,
                  const std::set<std::string>& allowed, const std::string& what) {
  // A list or a single value where a map belongs: said here, before anything looks up a key
  // in it (yaml-cpp throws its own exception for a key looked up in a list or value).
  if (node.IsScalar() || node.IsSequence()) {
    fail(file, node,
         "expected a map for " + what + " (keys and values), found " +
             (node.IsScalar() ? "the value '" + io::excerpt(node.Scalar()) + "'"
                              : std::string("a list")));
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (allowed.count(key) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(file, entry.first,
           "unknown key '" + io::excerpt(key) + "' in " + what + "; expected one of " + list);
    }
  }
}

std::string get_string(const std::string& file, const YAML::Node& map, const std::string& key,
                       bool required) {
  const YAML::Node node = map[key];
  if (!node) {
    if (required) fail(file, map, "missing '" + key + "'");
    return "";
  }
  if (!node.IsScalar()) fail(file, node, "expected text for '" + key + "'");
  return node.Scalar();
}

double as_number(const std::string& file, const YAML::Node& node) {
  if (!node.IsScalar()) fail(file, node, "expected a number");
  const std::string& text = node.Scalar();
  const std::optional<double> value = pk::parse_finite_number(text);
  if (!value) fail(file, node, "expected a number, found '" + io::excerpt(text) + "'");
  return *value;
}

bool get_bool(const std::string& file, const YAML::Node& map, const std::string& key) {
  const YAML::Node node = map[key];
  if (!node) return false;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
    fail(file, node, "expected true or false for '" + key + "'");
  return value;
}

double get_number(const std::string& file, const YAML::Node& map, const std::string& key) {
  const YAML::Node node = map[key];
  if (!node) fail(file, map, "missing '" + key + "'");
  return as_number(file, node);
}

namespace {

void check_doi(const std::string& file, const YAML::Node& node, const std::string& doi) {
  if (doi.empty()) return;
  if (doi.rfind("10.", 0) != 0 || doi.find('/') == std::string::npos ||
      doi.find(' ') != std::string::npos) {
    fail(file, node,
         "expected a bare DOI such as 10.1172/JCI106184, found '" + io::excerpt(doi) + "'");
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
         "expected a publication year, found '" + io::excerpt(node["year"].Scalar()) + "'");
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

std::string format(double value) { return format_number(value, 15); }

}  // namespace onset::check::yaml_support
