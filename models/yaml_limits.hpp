// The nesting and size limits of pk::InputLimits applied to a parsed YAML tree: shared by every
// YAML reader (model files, prior files, claim files).
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

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

}  // namespace onset::models
