// Numbers in messages and reports: one formatting rule for the whole toolkit.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace onset {

// `value` with `significant` significant digits (printf %g), e.g. 1.2e+13, 0.5, 77.4424.
inline std::string format_number(double value, int significant = 6) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.*g", significant, value);
  return buffer;
}

// "3.2 h": a time in hours for messages.
inline std::string format_hours(double t_h) { return format_number(t_h) + " h"; }

// One cell of a CSV file (RFC 4180): as it is, or in double quotes with its quotes doubled
// when it holds a comma, a quote, a line break, or spaces at either end (which CSV readers,
// onset's among them, trim from unquoted cells).
inline std::string csv_field(std::string_view text) {
  const bool padded = !text.empty() && (text.front() == ' ' || text.front() == '\t' ||
                                        text.back() == ' ' || text.back() == '\t');
  if (!padded && text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char ch : text) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + "\"";
}

}  // namespace onset
