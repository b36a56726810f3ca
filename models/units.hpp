// The unit system lives in io/ (io/units.hpp), the one place units are parsed; models keep
// their names for it.
#pragma once

#include "io/units.hpp"  // IWYU pragma: export

namespace onset::models {

using io::conversion_factor;
using io::conversion_factor_molar;
using io::convert;
using io::Dimension;
using io::is_unit;
using io::kBilirubinMolarMass;
using io::kNumDimensions;
using io::parse_unit;
using io::Unit;
using io::UnitError;

}  // namespace onset::models
