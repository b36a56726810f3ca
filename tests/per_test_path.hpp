// A file path in the build folder that belongs to the running test case alone. ctest runs
// every GoogleTest case as its own process, several at a time, so a fixed file name shared by
// a helper that several cases call would be rewritten and removed under another case's feet.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace onset::testing_support {

inline std::string per_test_path(const std::string& stem) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name =
      info != nullptr ? std::string(info->test_suite_name()) + "." + info->name() : "no_test";
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return std::string(ONSET_BINARY_DIR) + "/" + name + "_" + stem;
}

}  // namespace onset::testing_support
