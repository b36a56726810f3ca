// Each file in tests/io/bad_priors/ breaks one rule of the prior schema. Its first two
// lines state the line the error must point at and a fragment of the message:
//   # expect-line: 12
//   # expect: low > high
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "io/priors.hpp"

namespace onset::io {
namespace {

struct Expectation {
  int line = -1;
  std::string fragment;
};

Expectation read_expectation(const std::filesystem::path& file) {
  std::ifstream in(file);
  Expectation e;
  std::string text;
  while (std::getline(in, text) && text.rfind('#', 0) == 0) {
    if (text.rfind("# expect-line: ", 0) == 0) e.line = std::stoi(text.substr(15));
    if (text.rfind("# expect: ", 0) == 0) e.fragment = text.substr(10);
  }
  return e;
}

TEST(BadPriors, EachFileFailsAtItsLineWithItsMessage) {
  const std::filesystem::path dir = std::filesystem::path(ONSET_SOURCE_DIR) / "tests/io/bad_priors";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    SCOPED_TRACE(entry.path().filename().string());
    const Expectation expected = read_expectation(entry.path());
    ASSERT_GT(expected.line, 0) << "file lacks '# expect-line:'";
    ASSERT_FALSE(expected.fragment.empty()) << "file lacks '# expect:'";
    try {
      (void)PriorSet::load(entry.path());
      ADD_FAILURE() << "no error";
    } catch (const PriorFileError& e) {
      EXPECT_EQ(e.line(), expected.line) << e.what();
      EXPECT_GT(e.column(), 0);
      EXPECT_NE(e.reason().find(expected.fragment), std::string::npos) << e.what();
      // The message starts with file:line:column.
      const std::string prefix =
          entry.path().string() + ":" + std::to_string(e.line()) + ":" + std::to_string(e.column());
      EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    }
  }
  EXPECT_GE(files, 10);
}

}  // namespace
}  // namespace onset::io
