// The error fits throws for bad input (a data set's cell, a --map, --start or --fix value):
// io::InputError, with file:line:column (or the option's name) and what.
#pragma once

#include "io/input_error.hpp"  // IWYU pragma: export

namespace onset::fits {

using io::InputError;

}  // namespace onset::fits
