// Shared by the population-fit tests: the reference data sets (population_reference_data.hpp)
// written to files of the running test, a problem built from a command-line style
// specification, and an estimate by its NONMEM label.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fits/population/population_data.hpp"
#include "fits/population/population_fit.hpp"
#include "fits/population/population_spec.hpp"
#include "tests/fits/population_reference_data.hpp"
#include "tests/per_test_path.hpp"

namespace onset::fits::population::testing {

using reference::bauer402_spec;
using reference::ext_row;
using reference::shared;

inline std::string write_file(const std::string& stem, const std::string& text) {
  return reference::write_text(onset::testing_support::per_test_path(stem), text);
}
inline std::string wang_records() {
  return reference::wang_records(onset::testing_support::per_test_path("wang2007.csv"));
}
inline std::string nonmem_focei_records(const std::string& name) {
  return reference::nonmem_focei_records(name, onset::testing_support::per_test_path(name));
}
inline std::string bauer402_records() {
  return reference::bauer402_records(onset::testing_support::per_test_path("402.csv"));
}
inline std::string theo_sd_records() {
  return reference::theo_sd_records(onset::testing_support::per_test_path("theo_sd.csv"));
}

using reference::make_problem;

inline const PopulationEstimate& estimate(const PopulationSummary& summary,
                                          const std::string& label) {
  for (const auto& e : summary.estimates)
    if (e.label == label) return e;
  ADD_FAILURE() << "no estimate " << label;
  static PopulationEstimate none;
  return none;
}

}  // namespace onset::fits::population::testing
