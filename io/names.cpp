#include "io/names.hpp"

#include <string_view>

namespace onset::io {

namespace {

bool is_ascii_letter_or_digit(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

// "a line break (byte 3)", "'\"' (byte 5)": the offending byte of a name, 1-based.
std::string describe_byte(char ch, std::size_t index) {
  const auto byte = static_cast<unsigned char>(ch);
  std::string what;
  if (ch == '\n' || ch == '\r') {
    what = "a line break";
  } else if (ch == '\t') {
    what = "a tab";
  } else if (byte < 0x20 || byte == 0x7F) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    what = "the control character 0x";
    what += kHex[byte >> 4];
    what += kHex[byte & 0xF];
  } else if (byte >= 0x80) {
    what = "a non-ASCII character";
  } else if (ch == ' ') {
    what = "a space";
  } else {
    what = std::string("'") + ch + "'";
  }
  return "it has " + what + " (byte " + std::to_string(index + 1) + ")";
}

}  // namespace

bool is_label_ascii(char ch) {
  if (is_ascii_letter_or_digit(ch)) return true;
  return std::string_view(" _-.,:()[]/%+*=#").find(ch) != std::string_view::npos;
}

// A character that does not belong is named before a length that is too long.
std::string identifier_problem(std::string_view text) {
  if (text.empty()) return "it is empty";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const bool allowed =
        is_ascii_letter_or_digit(ch) || ch == '_' || (i > 0 && (ch == '-' || ch == '.'));
    if (!allowed) return describe_byte(ch, i);
  }
  if (text.size() > kMaxIdentifierBytes)
    return "it is longer than " + std::to_string(kMaxIdentifierBytes) + " bytes";
  return {};
}

std::string label_problem(std::string_view text) {
  if (text.empty()) return "it is empty";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    // Non-ASCII bytes belong to UTF-8 characters (readers check the encoding first).
    if (static_cast<unsigned char>(ch) >= 0x80 || is_label_ascii(ch)) continue;
    return describe_byte(ch, i);
  }
  if (text.size() > kMaxLabelBytes)
    return "it is longer than " + std::to_string(kMaxLabelBytes) + " bytes";
  return {};
}

}  // namespace onset::io
