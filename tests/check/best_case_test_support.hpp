// Helpers shared by the tests of the best case on a reported baseline
// (best_case_on_constraint_test.cpp, elasticity_on_constraint_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "check/check.hpp"

namespace onset::check::test_support {

// The toy claims of tests/check/claims/.
inline const std::string kTestClaims = std::string(ONSET_SOURCE_DIR) + "/tests/check/claims/";

// The value of `assumption` at a check's best case (NaN, and a test failure, if it has none).
inline double best_case_value(const CheckResult& c, const std::string& assumption) {
  for (size_t d = 0; d < c.assumptions.size(); ++d)
    if (c.assumptions[d] == assumption) return c.best_case_values.at(d);
  ADD_FAILURE() << "no assumption " << assumption;
  return std::nan("");
}

}  // namespace onset::check::test_support
