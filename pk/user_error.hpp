// onset::UserError and onset::FileError live in io/ (the bottom library, which throws them for
// inputs and outputs it refuses); this header keeps the old include path working.
#pragma once

#include "io/user_error.hpp"  // IWYU pragma: export
