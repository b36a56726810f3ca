// CSV cells of the population tables (simulations, VPC, bootstrap): a text field through
// io::csv_field (RFC 4180 quoting when needed); numbers with enough digits to be read back
// (empty when not finite).
#pragma once

#include <cmath>
#include <string>

#include "io/csv.hpp"
#include "io/format.hpp"

namespace onset::fits::population {

using io::csv_field;  // the one CSV module (io/csv.hpp)

inline std::string csv_value(double value, int digits = 10) {
  return std::isfinite(value) ? format_number(value, digits) : std::string();
}

}  // namespace onset::fits::population
