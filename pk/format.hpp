// Numbers in messages and reports: one formatting rule for the whole toolkit.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "io/csv.hpp"

namespace onset {

// `value` with `significant` significant digits (printf %g), e.g. 1.2e+13, 0.5, 77.4424.
inline std::string format_number(double value, int significant = 6) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.*g", significant, value);
  return buffer;
}

// "3.2 h": a time in hours for messages.
inline std::string format_hours(double t_h) { return format_number(t_h) + " h"; }

// One cell of a CSV file: io/csv.hpp (the one CSV module) writes it.
using io::csv_field;

}  // namespace onset
