// NCA's error for bad input: io::InputError (file:line:column and what), the error of the CSV
// reader it reads through. Problems that only affect one subject are not thrown: they become
// an exclusion reason in that subject's result.
#pragma once

#include "io/input_error.hpp"  // IWYU pragma: export

namespace onset::nca {

using io::InputError;

}  // namespace onset::nca
