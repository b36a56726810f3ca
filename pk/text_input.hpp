// What every reader of a user's text file (data set, NCA table, model file, prior or claim
// file) accepts: the size limits in one place, reading a whole file under a size limit, and
// finding the first byte that is not UTF-8 or the first line that is too long, so that each
// reader can reject them with its own error type and file:line:column.
//
// The limits are far above any real data set or model and far below what would exhaust memory
// or the stack; a file beyond one is rejected with a message that names the limit.
#pragma once

#include <cmath>
#include <cstddef>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace onset::pk {

struct InputLimits {
  static constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;  // one input file
  static constexpr std::size_t kMaxLineBytes = std::size_t{64} << 10;  // one line of a file
  static constexpr std::size_t kMaxRecords = 1'000'000;                // rows of a data set
  static constexpr std::size_t kMaxColumns = 10'000;                   // cells of a CSV row
  static constexpr std::size_t kMaxCells = 20'000'000;                 // cells of a CSV file
  static constexpr std::size_t kMaxNameBytes = 1024;     // a column name, ID, or model name
  static constexpr int kMaxNestingDepth = 32;            // YAML maps and lists inside each other
  static constexpr std::size_t kMaxYamlNodes = 200'000;  // nodes of a YAML file, aliases expanded
  static constexpr std::size_t kMaxStates = 2'000;       // states (compartments) of a model
};

// Reads the whole file at `path` into *text. Returns an empty string on success, else why
// not in words ("cannot be opened", "is 300 MB, above the limit of 64 MB").
inline std::string read_text_file(const std::string& path, std::string* text,
                                  std::size_t max_bytes = InputLimits::kMaxFileBytes) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return "is a folder, not a file";
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "cannot be opened for reading";
  const std::streamoff size = in.tellg();
  if (size < 0) return "cannot be read (not a regular file?)";
  if (static_cast<std::size_t>(size) > max_bytes)
    return "is " + std::to_string(static_cast<std::size_t>(size) >> 20) +
           " MB, above the limit of " + std::to_string(max_bytes >> 20) + " MB for one input file";
  in.seekg(0);
  text->assign(static_cast<std::size_t>(size), '\0');
  in.read(text->data(), size);
  if (in.gcount() != size) return "cannot be read completely";
  return {};
}

// The number `text` is as a whole (std::stod syntax), if finite; nullopt for empty text, text
// with anything after the number, NaN, infinities, and values out of double's range.
inline std::optional<double> parse_finite_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// A position in a text: 1-based line and byte column, and the byte found there.
struct TextPosition {
  int line = 0;
  int column = 0;
  unsigned char byte = 0;
};

// The first byte of `text` that does not belong to a well-formed UTF-8 sequence (overlong
// forms, surrogates and code points above U+10FFFF are not well-formed); nullopt if none.
inline std::optional<TextPosition> find_invalid_utf8(std::string_view text) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte == '\n') {
        ++line;
        line_start = i + 1;
      }
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      if (byte == 0xE0) low = 0xA0;
      if (byte == 0xED) high = 0x9F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      if (byte == 0xF0) low = 0x90;
      if (byte == 0xF4) high = 0x8F;
    }
    bool ok = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      ok = k == 1 ? (next >= low && next <= high) : (next >= 0x80 && next <= 0xBF);
    }
    if (!ok) return TextPosition{line, static_cast<int>(i - line_start) + 1, byte};
    i += length;
  }
  return std::nullopt;
}

// The first line longer than `max_bytes` (its first byte past the limit); nullopt if none.
inline std::optional<TextPosition> find_long_line(
    std::string_view text, std::size_t max_bytes = InputLimits::kMaxLineBytes) {
  int line = 1;
  for (std::size_t start = 0; start < text.size(); ++line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (end - start > max_bytes)
      return TextPosition{line, static_cast<int>(max_bytes) + 1,
                          static_cast<unsigned char>(text[start + max_bytes])};
    start = end + 1;
  }
  return std::nullopt;
}

// "byte 0xFF is not UTF-8 text: save the file as UTF-8 (or plain ASCII)".
inline std::string describe_invalid_utf8(const TextPosition& position) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text = "byte 0x";
  text += kHex[position.byte >> 4];
  text += kHex[position.byte & 0xF];
  text += " is not UTF-8 text: save the file as UTF-8 (or plain ASCII)";
  return text;
}

// "a line longer than 1048576 bytes: ...".
inline std::string describe_long_line() {
  return "a line longer than " + std::to_string(InputLimits::kMaxLineBytes) +
         " bytes, the limit for one line: is this a text file with line breaks?";
}

}  // namespace onset::pk
