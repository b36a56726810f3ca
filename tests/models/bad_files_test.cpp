// Broken model files (tests/models/bad/): each gives a ModelFileError with the file, the line
// and column of the offending text, what was expected and what was found; never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "models/model_library.hpp"

namespace onset::models {
namespace {

struct BadFile {
  const char* file;
  int line;
  int column;
  const char* expected;  // substring of what was expected
  const char* found;     // substring of what was found
};

const BadFile kBadFiles[] = {
    {"unknown_compartment.yaml", 8, 44, "a declared compartment",
     "unknown compartment 'periferal'"},
    {"cycle.yaml", 6, 19, "without a cycle", "the cycle a -> b -> c -> a"},
    {"missing_unit.yaml", 3, 7, "a unit for parameter 'CL'", "no unit"},
    {"undeclared_parameter.yaml", 8, 43, "a declared parameter", "'KEL', used but not declared"},
    {"undeclared_in_expression.yaml", 8, 72, "a declared parameter", "'VC', used but not declared"},
    {"negative_volume.yaml", 6, 31, "a positive volume for compartment 'central'", "-10 L"},
    {"incompatible_units.yaml", 10, 60, "km in the unit of the amount (particles)", "'mg/L'"},
    {"bad_yaml.yaml", 4, 13, "valid YAML", "end of map flow not found"},
    {"unknown_key.yaml", 6, 23, "one of the keys of compartment 'central'", "unknown key 'volum'"},
    {"unknown_law.yaml", 8, 12, "a process type", "'second_order'"},
    {"bare_number.yaml", 8, 43, "a unit for k", "no unit"},
    {"state_in_derived.yaml", 6, 24, "only parameters, derived values", "compartment 'central'"},
    {"wrong_rate_unit.yaml", 8, 43, "a rate in mg/h", "'L'"},
    {"observable_unit.yaml", 8, 38, "units that convert", "'mg/L' (observable 'CP' as defined)"},
    {"bad_expression.yaml", 8, 75, "a valid expression", "Missing parenthesis"},
    {"no_volume.yaml", 8, 23, "a compartment with a volume", "'central' without a volume"},
    {"duplicate_name.yaml", 6, 3, "a name not used before", "'CL', already a parameter"},
    {"bad_unit.yaml", 6, 19, "a unit for compartment 'central'", "unknown symbol 'furlong'"},
};

TEST(BadModelFiles, EachGivesFileLineColumnExpectedAndFound) {
  const std::string dir = std::string(ONSET_SOURCE_DIR) + "/tests/models/bad/";
  std::set<std::string> covered;
  for (const BadFile& bad : kBadFiles) {
    SCOPED_TRACE(bad.file);
    covered.insert(bad.file);
    try {
      load_model(dir + bad.file);
      ADD_FAILURE() << "no error";
    } catch (const ModelFileError& error) {
      EXPECT_EQ(error.file(), dir + bad.file);
      EXPECT_EQ(error.line(), bad.line) << error.what();
      EXPECT_EQ(error.column(), bad.column) << error.what();
      EXPECT_NE(error.expected().find(bad.expected), std::string::npos) << error.what();
      EXPECT_NE(error.found().find(bad.found), std::string::npos) << error.what();
      const std::string prefix = dir + bad.file + ":" + std::to_string(bad.line) + ":" +
                                 std::to_string(bad.column) + ": error: found ";
      EXPECT_EQ(std::string(error.what()).rfind(prefix, 0), 0u) << error.what();
    }
  }
  // Every file in the folder is in the table.
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    EXPECT_TRUE(covered.count(entry.path().filename().string())) << entry.path();
}

TEST(BadModelFiles, UnknownNameAndMissingFile) {
  try {
    load_model("two_compartment_ivv");
    ADD_FAILURE() << "no error";
  } catch (const ModelFileError& error) {
    EXPECT_NE(error.expected().find("two_compartment_iv"), std::string::npos) << error.what();
  }
  EXPECT_THROW(load_model("/nonexistent/model.yaml"), ModelFileError);
  EXPECT_THROW(load_model(""), ModelFileError);
}

TEST(BadModelFiles, ErrorsAreModelFileErrorsDerivedFromRuntimeError) {
  const std::string text = "name: x\ncompartments:\n  a: {unit: mg}\nprocesses: 5\n";
  EXPECT_THROW(compile_model_text(text, "inline"), std::runtime_error);
  for (const char* snippet :
       {"", "[1, 2]", "name: x", "name: x\ncompartments: {}", "name: x\ncompartments:\n  a: 5",
        "name: x\ncompartments:\n  a: mg\nobservables:\n  A: {amount: b}",
        "name: x\ncompartments:\n  a: mg\nobservables:\n  A: {ratio: [A, A]}",
        "name: x\ncompartments:\n  a: mg\nprocesses:\n  - {type: turnover, compartment: a}",
        "name: x\nparameters:\n  k: {value: 1, unit: 1/h, bounds: [2, 3]}\ncompartments:\n  a: mg"})
    EXPECT_THROW(compile_model_text(snippet, "inline"), ModelFileError) << snippet;
}

}  // namespace
}  // namespace onset::models
