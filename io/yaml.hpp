// The one set of YAML helpers of onset: every YAML file (model files, prior, claim, physiology
// and label files, the population section of a model file) is parsed and checked here before
// its reader looks at a key, and every reader's typed getters say file:line:column.
//
//  - load(): the size limits of pk/text_input.hpp (file bytes, UTF-8, line length, nesting
//    depth, node count with aliases counted at each use) and duplicate-key refusal, then the
//    parsed tree; each problem a YamlFileError at its position. A UTF-8 byte order mark and
//    CRLF line ends are accepted.
//  - check_size() and find_duplicate_key(): the two tree checks on their own, for a reader
//    that words its errors itself (the model-file reader's "expected ...; found ...").
//  - fail(), require_keys(), get_string(), get_bool(), get_number(), as_number(): typed access
//    to a map, a YamlFileError at the node's position otherwise.
//
// A reader with its own error type (PriorFileError, check::ClaimFileError) catches
// YamlFileError around its parse and throws its own with the same place and message.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "io/user_error.hpp"

namespace onset::io::yaml {

// A YAML data file that breaks a limit, is not YAML, or does not follow its schema: where
// (file:line:column, 1-based; 0 = not known) and what.
class YamlFileError : public FileError {
 public:
  YamlFileError(std::string file, int line, int column, std::string message)
      : FileError(std::move(file), line, column, std::move(message)) {}
  // The message without the "file:line:column: error: " prefix.
  const std::string& reason() const { return problem(); }
};

// yaml-cpp's parse alone, for a reader that words its own errors: nullopt and the tree in
// *root, or where and why yaml-cpp refused the text (its message; `depth` > 0 when the nesting
// went deeper than yaml-cpp's depth guard). The limits of the text (bytes, UTF-8, line length)
// and of the tree (check_size, find_duplicate_key) are the reader's next calls; load() makes
// all of them.
struct ParseFailure {
  YAML::Mark mark;
  std::string message;
  int depth = 0;
};
std::optional<ParseFailure> parse_text(const std::string& text, YAML::Node* root);

// Parses text within the limits (see above); `file` names it in messages.
YAML::Node load(const std::string& text, const std::string& file);

// The whole file (within pk::InputLimits::kMaxFileBytes; regular files only); else a
// YamlFileError without a position saying why ("the claim file cannot be opened for reading").
// `what` names the file in the message ("prior file", "claim file").
std::string read_file(const std::filesystem::path& path, const std::string& what);

// Where a YAML tree goes deeper than pk::InputLimits::kMaxNestingDepth or holds more than
// kMaxYamlNodes nodes (aliases counted at each use): the node there, and which limit; nullopt
// when within. Bounded work even for self-referencing aliases (`&a [*a]`) and alias bombs.
struct LimitHit {
  YAML::Mark mark;
  std::string what;
};
std::optional<LimitHit> check_size(const YAML::Node& root);

// A key that appears twice in one map (yaml-cpp keeps both and finds the first, so the second
// would be ignored without a word): the second occurrence, its text and the first one's line
// and column (1-based).
struct DuplicateKey {
  YAML::Mark mark;
  std::string key;
  int first_line = 0;
  int first_column = 0;
  // "duplicate key 'CL' (first at line 3, column 3): each key may appear once in a map"
  std::string what() const;
};
// The first duplicate key of any map in the tree, in document order of the maps; nullopt when
// none. Call it after check_size (which bounds the work). Keys are compared as text; a key
// that is itself a map or a list is not compared.
std::optional<DuplicateKey> find_duplicate_key(const YAML::Node& root);

// Throws YamlFileError at node's position (1-based line and column).
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

// A number in these files' messages: 15 significant digits (io::format_number).
std::string format(double value);

}  // namespace onset::io::yaml
