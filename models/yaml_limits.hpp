// The nesting and size limits of pk::InputLimits applied to a parsed YAML tree, and the check
// for duplicate keys: shared by every YAML reader (model files, prior, claim, physiology and
// label files, the base model of a tracer model).
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/input_file.hpp"
#include "pk/text_input.hpp"

namespace onset::models {

// Where a YAML tree goes deeper than the nesting limit or holds more nodes (aliases counted
// at each use) than the node limit: the node there, and which limit; nullopt when within.
// Bounded work even for self-referencing aliases (`&a [*a]`) and alias bombs.
struct YamlLimitHit {
  YAML::Mark mark;
  std::string what;
};
inline std::optional<YamlLimitHit> check_yaml_size(const YAML::Node& root) {
  using pk::InputLimits;
  std::vector<std::pair<YAML::Node, int>> pending{{root, 0}};
  std::size_t visited = 0;
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (++visited > InputLimits::kMaxYamlNodes)
      return YamlLimitHit{node.Mark(), "more than " + std::to_string(InputLimits::kMaxYamlNodes) +
                                           " YAML nodes (counting each use of an alias)"};
    if (!node.IsMap() && !node.IsSequence()) continue;
    if (depth >= InputLimits::kMaxNestingDepth)
      return YamlLimitHit{node.Mark(), "maps and lists nested more than " +
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

// A key that appears twice in one map (yaml-cpp keeps both and finds the first, so the second
// would be ignored without a word): the second occurrence, its text and the first one's line
// and column (1-based).
struct DuplicateKey {
  YAML::Mark mark;
  std::string key;
  int first_line = 0;
  int first_column = 0;
  // "duplicate key 'CL' (first at line 3, column 3): each key may appear once in a map"
  std::string what() const {
    return "duplicate key '" + io::excerpt(key) + "' (first at line " + std::to_string(first_line) +
           ", column " + std::to_string(first_column) + "): each key may appear once in a map";
  }
};

// The first duplicate key of any map in the tree, in document order of the maps; nullopt when
// none. Call it after check_yaml_size (which bounds the work). Keys are compared as text; a
// key that is itself a map or a list is not compared.
inline std::optional<DuplicateKey> find_duplicate_key(const YAML::Node& root) {
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

}  // namespace onset::models
