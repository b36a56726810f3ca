// Every case of tests/bad_inputs/cases.tsv through the real `onset` binary: the exit code, a
// fragment of the message, and what must hold of the files afterwards (no partial output,
// inputs untouched). One GoogleTest per case, named after it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.hpp"

namespace {

namespace fs = std::filesystem;
using onset::testing::read_all;
using onset::testing::run_onset;

const std::string kCasesDir = std::string(ONSET_SOURCE_DIR) + "/tests/bad_inputs";

struct BadInputCase {
  std::string name;
  std::string arguments;  // placeholders: {dir} this folder, {tmp} a scratch folder
  int exit_code = 0;
  std::string fragment;  // expected in stderr (or stdout for an accepted input)
  std::string after;     // "", "absent:PATH" or "unchanged:PATH"
  int line = 0;          // in cases.tsv
};

// gtest prints a failing parameter with this instead of its bytes.
void PrintTo(const BadInputCase& item, std::ostream* out) { *out << item.name; }

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, '\t')) fields.push_back(field);
  return fields;
}

std::vector<BadInputCase> read_cases() {
  std::vector<BadInputCase> cases;
  std::ifstream in(kCasesDir + "/cases.tsv");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const auto fields = split_tabs(line);
    if (fields.size() < 4) {
      ADD_FAILURE() << "cases.tsv:" << number << ": expected name, arguments, exit code, fragment";
      continue;
    }
    BadInputCase item;
    item.name = fields[0];
    item.arguments = fields[1];
    item.exit_code = std::stoi(fields[2]);
    item.fragment = fields[3];
    if (fields.size() > 4) item.after = fields[4];
    item.line = number;
    cases.push_back(item);
  }
  return cases;
}

std::string substitute(std::string text, const std::string& key, const std::string& value) {
  for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
  return text;
}

// Inputs too large to keep in the repository, written into the scratch folder.
void generate_inputs(const fs::path& tmp) {
  const std::string long_cell(70 * 1024, '1');
  std::ofstream(tmp / "long_line.csv") << "ID,TIME,AMT,DV\n1,0," << long_cell << ",.\n";
  std::ofstream(tmp / "long_line_nca.csv") << "ID,TIME,CONC\n1,0,0\n1,1," << long_cell << "\n";
  std::ofstream(tmp / "long_line.yaml") << "name: long\ndescription: " << long_cell << "\n";
  std::ofstream states(tmp / "too_many_states.yaml");
  states << "name: many\nparameters:\n  V: {value: 1, unit: L}\ncompartments:\n";
  for (int k = 0; k < 2001; ++k) states << "  c" << k << ": {unit: mg, volume: V}\n";
  std::ofstream ids(tmp / "long_id.csv");
  ids << "ID,TIME,AMT,DV\n" << std::string(2000, 'x') << ",0,100,.\n";
  // 2,000 compartments (the limit) in a ring: not banded, so a stiff solver's workspace is
  // three dense 2,000 x 2,000 matrices (96 MB) per thread; and a claim checking it.
  std::ofstream dense(tmp / "dense_ring.yaml");
  dense << "name: dense_ring\nparameters:\n  k: {value: 1, unit: 1/h}\ncompartments:\n";
  for (int k = 0; k < 2000; ++k) dense << "  c" << k << ": {unit: mg}\n";
  dense << "processes:\n";
  for (int k = 0; k < 2000; ++k)
    dense << "  - {type: first_order, from: c" << k << ", to: c" << (k + 1) % 2000 << ", k: k}\n";
  dense << "observables:\n  A: {amount: c0, unit: mg}\n";
  std::ofstream claim(tmp / "dense_claim.yaml");
  claim << "id: dense\ntitle: t\nstatement: s\nsubject: {species: human}\n"
           "intervention: {agent: drug, dose: \"100 mg\", route: iv_bolus, duration_h: 0}\n"
           "assumptions:\n  rate: {central: 1, low: 0.5, high: 2, distribution: uniform, unit: "
           "1/h, assumption: \"test\"}\n"
           "effects:\n  - id: falls\n    statement: s\n    measurable: m\n    within_h: 10\n"
           "    checks:\n      - kind: mechanism_free\n        model: dense_ring.yaml\n"
           "        dose_intervention_into: c0\n        parameters:\n          k: {assumption: "
           "rate}\n        observable: A\n        falls_below: \"1 mg\"\n";
  // A FIFO with no writer: as an input it must be refused at once (not hang), as an output
  // refused and left a FIFO.
  ::mkfifo((tmp / "fifo").c_str(), 0600);
}

class BadInput : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInput, ExitCodeMessageAndFiles) {
  const BadInputCase& item = GetParam();
  const fs::path tmp =
      fs::path(ONSET_BINARY_DIR) / ("bad_inputs_" + std::to_string(::getpid()) + "_" + item.name);
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  generate_inputs(tmp);
  auto expand = [&](const std::string& text) {
    return substitute(substitute(text, "{dir}", kCasesDir), "{tmp}", tmp.string());
  };
  std::string kept_path, kept_text;
  if (item.after.rfind("unchanged:", 0) == 0) {
    kept_path = expand(item.after.substr(10));
    kept_text = read_all(kept_path);
  }

  // Leading NAME=VALUE words (ONSET_DATA_DIR={dir}/priors/x) are set in the environment of
  // this one run.
  std::string arguments = expand(item.arguments);
  std::vector<std::string> variables;
  for (auto space = arguments.find(' '); space != std::string::npos; space = arguments.find(' ')) {
    const std::string word = arguments.substr(0, space);
    const auto equals = word.find('=');
    if (equals == std::string::npos || equals == 0 ||
        !std::all_of(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(equals), [](char ch) {
          return std::isupper(static_cast<unsigned char>(ch)) || ch == '_';
        }))
      break;
    ::setenv(word.substr(0, equals).c_str(), word.substr(equals + 1).c_str(), 1);
    variables.push_back(word.substr(0, equals));
    arguments.erase(0, space + 1);
  }
  const auto result = run_onset(arguments);
  for (const auto& name : variables) ::unsetenv(name.c_str());
  SCOPED_TRACE("tests/bad_inputs/cases.tsv:" + std::to_string(item.line) + ": onset " +
               expand(item.arguments));
  EXPECT_EQ(result.exit_code, item.exit_code) << result.err;
  EXPECT_NE((result.err + result.out).find(expand(item.fragment)), std::string::npos)
      << "expected '" << item.fragment << "' in:\n"
      << result.err;
  // A user error is a message, never a crash report.
  EXPECT_EQ(result.err.find("terminate called"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("Sanitizer"), std::string::npos) << result.err;
  // Nor a library's log line (Ceres through glog).
  EXPECT_EQ(result.err.find("InitGoogleLogging"), std::string::npos) << result.err;
  if (item.after.rfind("absent:", 0) == 0) {
    const std::string path = expand(item.after.substr(7));
    EXPECT_FALSE(fs::exists(path)) << path << " was written by a failing run";
  }
  if (!kept_path.empty()) {
    EXPECT_EQ(read_all(kept_path), kept_text) << kept_path << " changed";
  }
  // No temporary file of an atomic write is left behind.
  for (const auto& entry : fs::directory_iterator(tmp)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << entry.path() << " left behind";
  }
  fs::remove_all(tmp);
}

std::string case_name(const ::testing::TestParamInfo<BadInputCase>& info) {
  std::string name = info.param.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, BadInput, ::testing::ValuesIn(read_cases()), case_name);

TEST(BadInputs, AtLeastFortyCases) { EXPECT_GE(read_cases().size(), 40u); }

// Claim files and the prior files they read are among the inputs a reviewer is handed.
TEST(BadInputs, AtLeastTenClaimAndTenPriorFileCases) {
  size_t claims = 0, priors = 0;
  for (const auto& item : read_cases()) {
    claims += item.name.rfind("claim_", 0) == 0;
    priors += item.name.rfind("prior_", 0) == 0;
  }
  EXPECT_GE(claims, 10u);
  EXPECT_GE(priors, 10u);
}

}  // namespace
