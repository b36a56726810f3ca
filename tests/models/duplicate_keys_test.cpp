// Duplicate keys in every YAML file onset reads are errors at the second key's line and column
// (yaml-cpp keeps both and finds the first, so the second would be ignored without a word):
// model files, the tracer model's base model, claim, prior, physiology and label files. Each
// case is a shipped file with one top-level key given again at its end.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "check/claim.hpp"
#include "io/physiology.hpp"
#include "io/priors.hpp"
#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "models/tracer_labels.hpp"
#include "models/tracer_observation.hpp"

namespace {

const std::string kData = std::string(ONSET_SOURCE_DIR) + "/data/";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `text` with `line` appended, and that line's number.
std::pair<std::string, int> with_line(std::string text, const std::string& line) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  int lines = 0;
  for (const char ch : text) lines += ch == '\n';
  return {text + line + "\n", lines + 1};
}

// The message of what `read_it` throws.
template <typename Read>
std::string error_of(Read read_it) {
  try {
    read_it();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "(read without an error)";
}

TEST(DuplicateKeys, ModelFileRefusesTheSecondKeyAtItsLine) {
  const auto [text, line] =
      with_line(onset::models::library_model_text("one_compartment_iv"), "name: again");
  const std::string what = error_of([&] { onset::models::compile_model_text(text, "m.yaml"); });
  EXPECT_NE(what.find("m.yaml:" + std::to_string(line) + ":1: error: found duplicate key 'name'"),
            std::string::npos)
      << what;
}

TEST(DuplicateKeys, TracerModelRefusesItAtTheBaseModelsLine) {
  const auto labels = onset::models::read_label_table(kData + "tracers/labels.yaml");
  const auto* label = labels.find("111In");
  ASSERT_NE(label, nullptr);
  const auto [text, line] =
      with_line(onset::models::library_model_text("ev_pbpk_mouse"), "description: again");
  const std::string what =
      error_of([&] { onset::models::tracer_model_text(text, "base.yaml", *label, {}); });
  EXPECT_NE(what.find("base.yaml:" + std::to_string(line) +
                      ":1: error: found duplicate key "
                      "'description'"),
            std::string::npos)
      << what;
}

TEST(DuplicateKeys, ClaimFileRefusesTheSecondKeyAtItsLine) {
  const auto [text, line] = with_line(read(kData + "claims/case-report-4h.yaml"), "title: again");
  const std::string what = error_of(
      [&] { onset::check::parse_claim(text, "c.yaml", kData + "claims", kData + "priors"); });
  EXPECT_NE(what.find("c.yaml:" + std::to_string(line) + ":1: error: duplicate key 'title'"),
            std::string::npos)
      << what;
}

TEST(DuplicateKeys, PriorFileNamesTheSecondKeyAndWhereTheFirstIs) {
  const auto [text, line] = with_line(read(kData + "priors/bilirubin.yaml"), "family: again");
  const std::string what = error_of([&] { onset::io::PriorSet::parse(text, "p.yaml"); });
  EXPECT_NE(what.find("p.yaml:" + std::to_string(line) +
                      ":1: error: duplicate key 'family' "
                      "(first at line 4, column 1)"),
            std::string::npos)
      << what;
}

TEST(DuplicateKeys, PhysiologyFileNamesTheSecondKeyAndWhereTheFirstIs) {
  const auto [text, line] =
      with_line(read(kData + "species/physiology.yaml"), "description: again");
  const std::string what =
      error_of([&] { onset::io::PhysiologyTable::parse(text, "physiology.yaml"); });
  EXPECT_NE(what.find("physiology.yaml:" + std::to_string(line) +
                      ":1: error: duplicate key 'description' (first at line 31, column 1)"),
            std::string::npos)
      << what;
}

TEST(DuplicateKeys, LabelFileNamesTheSecondKeyAndWhereTheFirstIs) {
  const auto [text, line] = with_line(read(kData + "tracers/labels.yaml"), "description: again");
  const std::string what = error_of([&] { onset::models::parse_label_table(text, "labels.yaml"); });
  EXPECT_NE(what.find("labels.yaml:" + std::to_string(line) +
                      ":1: expected each key once in a map; found duplicate key 'description' "
                      "(first at line 27, column 1)"),
            std::string::npos)
      << what;
}

// A duplicate deep inside (a parameter's own map) is found too.
TEST(DuplicateKeys, AreFoundInsideANestedMapToo) {
  const std::string text =
      "name: m\nparameters:\n  CL: {value: 1, unit: L/h, value: 5}\n  V: {value: 10, unit: L}\n"
      "compartments:\n  central: {unit: mg, volume: V}\n";
  const std::string what = error_of([&] { onset::models::compile_model_text(text, "m.yaml"); });
  EXPECT_NE(
      what.find("m.yaml:3:29: error: found duplicate key 'value' (first at line 3, column 8)"),
      std::string::npos)
      << what;
}

}  // namespace
