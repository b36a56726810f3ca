// Unit errors of a claim file at the value's own line and column, with a fix (issue 16): a
// threshold, reported baseline or fixed parameter whose unit does not convert to the unit it
// is used in, and a fixed value of a parameter with a unit written without one.
#pragma once

#include <string>

namespace onset::check {

// Where a value sits in the claim file, what it is ("threshold", "parameter plasma_volume")
// and the value as written (`value` is NaN for an assumption, whose unit is its prior's).
struct ValuePlace {
  std::string file;
  int line = 0;
  int column = 0;
  std::string what;
  double value = 0;
};

// Throws UserError at `place`: `from` does not convert to `to`. When the two differ only by
// amount against mass (umol/L against mg/dL) and `model` is a library marker whose molecule
// has a molar mass, the fix gives the value converted through it; otherwise it names `to`.
[[noreturn]] void throw_unit_mismatch(const ValuePlace& place, const std::string& from,
                                      const std::string& to, const std::string& model,
                                      const std::string& problem);

// Throws UserError at `place` when `unit` is empty and `to` has a dimension (a bare "3" for a
// volume): the unit is the usual mistake, so it is never assumed. Dimensionless targets
// ("1", "%") accept a bare number.
void require_unit(const ValuePlace& place, const std::string& unit, const std::string& to);

}  // namespace onset::check
