// CSV cells of the population tables (simulations, VPC, bootstrap): a text field quoted when it
// holds a comma, quote or line break (quotes doubled, RFC 4180); numbers with enough digits to
// be read back (empty when not finite).
#pragma once

#include <cmath>
#include <string>

#include "pk/format.hpp"

namespace onset::fits::population {

inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.push_back('"');
  for (char c : text) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

inline std::string csv_value(double value, int digits = 10) {
  return std::isfinite(value) ? format_number(value, digits) : std::string();
}

}  // namespace onset::fits::population
