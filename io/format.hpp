// Numbers in messages, reports and tables: the one number formatter of the toolkit (every
// room formats numbers through these functions; tests/layout_test.sh refuses another
// snprintf("%g") or ostringstream-precision helper outside io/).
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

// `value` in fixed notation with six decimals and the trailing zeros (and a trailing point)
// removed (std::to_string, trimmed): 0.5, 12, 0.000001; values below 5e-7 print as 0.
inline std::string format_decimal(double value) {
  std::string text = std::to_string(value);
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

// `value` with enough digits to read back the same double (%.17g); "" for NaN (a missing
// cell of a table).
inline std::string format_exact(double value) {
  if (value != value) return {};
  return format_number(value, 17);
}

// "3.2 h": a time in hours for messages.
inline std::string format_hours(double t_h) { return format_number(t_h) + " h"; }

}  // namespace onset
