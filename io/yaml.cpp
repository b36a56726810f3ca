#include "io/yaml.hpp"

#include <yaml-cpp/depthguard.h>

#include <cmath>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/format.hpp"
#include "io/input_file.hpp"
#include "io/text_input.hpp"

namespace onset::io::yaml {

std::optional<LimitHit> check_size(const YAML::Node& root) {
  using io::InputLimits;
  std::vector<std::pair<YAML::Node, int>> pending{{root, 0}};
  std::size_t visited = 0;
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (++visited > InputLimits::kMaxYamlNodes)
      return LimitHit{node.Mark(), "more than " + std::to_string(InputLimits::kMaxYamlNodes) +
                                       " YAML nodes (counting each use of an alias)"};
    if (!node.IsMap() && !node.IsSequence()) continue;
    if (depth >= InputLimits::kMaxNestingDepth)
      return LimitHit{node.Mark(), "maps and lists nested more than " +
                                       std::to_string(InputLimits::kMaxNestingDepth) +
                                       " levels deep"};
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (node.IsMap()) {
        pending.emplace_back(it->first, depth + 1);
        pending.emplace_back(it->second, depth + 1);
      } else {
        pending.emplace_back(*it, depth + 1);
      }
    }
  }
  return std::nullopt;
}

std::string DuplicateKey::what() const {
  return "duplicate key '" + excerpt(key) + "' (first at line " + std::to_string(first_line) +
         ", column " + std::to_string(first_column) + "): each key may appear once in a map";
}

std::optional<DuplicateKey> find_duplicate_key(const YAML::Node& root) {
  std::vector<YAML::Node> pending{root};
  std::optional<DuplicateKey> first;
  auto earlier = [](const YAML::Mark& a, const YAML::Mark& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  };
  while (!pending.empty()) {
    const YAML::Node node = pending.back();
    pending.pop_back();
    if (node.IsSequence()) {
      for (const auto& item : node) pending.push_back(item);
      continue;
    }
    if (!node.IsMap()) continue;
    std::unordered_map<std::string, YAML::Mark> keys;  // key -> where it first appears
    for (auto it = node.begin(); it != node.end(); ++it) {
      pending.push_back(it->second);
      if (!it->first.IsScalar()) continue;
      const auto [seen, inserted] = keys.emplace(it->first.Scalar(), it->first.Mark());
      if (inserted) continue;
      const YAML::Mark mark = it->first.Mark();
      if (!first || earlier(mark, first->mark))
        first =
            DuplicateKey{mark, it->first.Scalar(), seen->second.line + 1, seen->second.column + 1};
    }
  }
  return first;
}

std::optional<ParseFailure> parse_text(const std::string& text, YAML::Node* root) {
  try {
    root->reset(YAML::Load(text));
    return std::nullopt;
  } catch (const YAML::DeepRecursion& e) {
    return ParseFailure{e.mark, e.msg, static_cast<int>(e.depth())};
  } catch (const YAML::Exception& e) {  // YAML::ParserException: the syntax
    return ParseFailure{e.mark, e.msg, 0};
  }
}

YAML::Node load(const std::string& text, const std::string& file) {
  using io::InputLimits;
  if (text.size() > InputLimits::kMaxFileBytes)
    throw YamlFileError(file, 0, 0,
                        "the file is " + std::to_string(text.size() >> 20) +
                            " MB, above the limit of " +
                            std::to_string(InputLimits::kMaxFileBytes >> 20) + " MB");
  if (const auto bad = io::find_invalid_utf8(text))
    throw YamlFileError(file, bad->line, bad->column, io::describe_invalid_utf8(*bad));
  if (const auto long_line = io::find_long_line(text))
    throw YamlFileError(file, long_line->line, 1, io::describe_long_line());
  YAML::Node root;
  if (const auto failure = parse_text(text, &root)) {
    if (failure->depth > 0)
      throw YamlFileError(file, failure->mark.line + 1, failure->mark.column + 1,
                          "maps and lists nested deeper than " + std::to_string(failure->depth) +
                              " levels: expected at most " +
                              std::to_string(InputLimits::kMaxNestingDepth));
    throw YamlFileError(file, failure->mark.line + 1, failure->mark.column + 1,
                        "YAML syntax: " + failure->message);
  }
  if (const auto hit = check_size(root))
    throw YamlFileError(file, hit->mark.line + 1, hit->mark.column + 1, hit->what);
  if (const auto duplicate = find_duplicate_key(root))
    throw YamlFileError(file, duplicate->mark.line + 1, duplicate->mark.column + 1,
                        duplicate->what());
  return root;
}

std::string read_file(const std::filesystem::path& path, const std::string& what) {
  std::string text;
  const std::string why = io::read_text_file(path.string(), &text, io::InputLimits::kMaxFileBytes);
  if (!why.empty()) throw YamlFileError(path.string(), 0, 0, "the " + what + " " + why);
  return text;
}

void fail(const std::string& file, const YAML::Node& node, const std::string& message) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) throw YamlFileError(file, 0, 0, message);
  throw YamlFileError(file, mark.line + 1, mark.column + 1, message);
}

void require_keys(const std::string& file, const YAML::Node& node,
                  const std::set<std::string>& allowed, const std::string& what) {
  // A list or a single value where a map belongs: said here, before anything looks up a key
  // in it (yaml-cpp throws its own exception for a key looked up in a list or value).
  if (node.IsScalar() || node.IsSequence()) {
    fail(file, node,
         "expected a map for " + what + " (keys and values), found " +
             (node.IsScalar() ? "the value '" + excerpt(node.Scalar()) + "'"
                              : std::string("a list")));
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (allowed.count(key) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(file, entry.first,
           "unknown key '" + excerpt(key) + "' in " + what + "; expected one of " + list);
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
  const std::optional<double> value = io::parse_finite_number(text);
  if (!value) fail(file, node, "expected a number, found '" + excerpt(text) + "'");
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

std::string format(double value) { return format_number(value, 15); }

}  // namespace onset::io::yaml
