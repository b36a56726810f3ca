// The number formatter lives in io/format.hpp (io is the ground floor). This header only keeps
// the old include path working for files another branch is rewriting (the data readers); it
// defines nothing and goes once they include io/format.hpp.
#pragma once

#include "io/format.hpp"  // IWYU pragma: export
