// Internal helpers for reading onset's YAML data files with positions in every message.
// Not part of the public interface of onset_check.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <string>

#include "check/priors.hpp"

namespace onset::check::yaml_support {

// Parses text; a syntax error becomes PriorFileError at the parser's position, and so do text
// beyond the limits of pk/text_input.hpp (not UTF-8, a line too long, nesting too deep, too
// many nodes). A UTF-8 byte order mark and CRLF line ends are accepted.
YAML::Node load(const std::string& text, const std::string& file);

// The whole file (within pk::InputLimits::kMaxFileBytes); else a PriorFileError without a
// position saying why ("the claim file cannot be opened for reading").
std::string read_file(const std::filesystem::path& path, const std::string& what);

// Throws PriorFileError at node's position (1-based line and column).
[[noreturn]] void fail(const std::string& file, const YAML::Node& node, const std::string& message);

// Every key of map `node` must be in `allowed`; else an error naming the unknown key and the
// allowed ones. `what` names the map in the message ("parameter", "citation").
void require_keys(const std::string& file, const YAML::Node& node,
                  const std::set<std::string>& allowed, const std::string& what);

// map[key] as a string; "" when absent and not required.
std::string get_string(const std::string& file, const YAML::Node& map, const std::string& key,
                       bool required);
// map[key] as true or false; false when absent.
bool get_bool(const std::string& file, const YAML::Node& map, const std::string& key);
// map[key] as a finite number (the key must exist).
double get_number(const std::string& file, const YAML::Node& map, const std::string& key);
double as_number(const std::string& file, const YAML::Node& node);

// A citation map (authors, year, journal required; title, doi, url, pmid, verification).
Citation parse_citation(const std::string& file, const YAML::Node& node, const std::string& key);

// Shortest round-trip text for a number in messages.
std::string format(double value);

}  // namespace onset::check::yaml_support
