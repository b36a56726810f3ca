// `onset nca` through the real binary: JSON keyed by PPTESTCD, and exit code 2 with the
// file and what was expected for bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "run_command.hpp"

namespace {

using onset::testing::run_onset;

const std::string kTheoph = std::string(ONSET_SHARED_DIR) + "/data/theoph.csv";

TEST(NcaCommand, JsonGivesOneObjectPerSubjectWithPptestcdKeys) {
  const auto result =
      run_onset("nca " + kTheoph + " --subject Subject --time Time --conc conc --dose 320 " +
                "--route extravascular --auc linear --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  // the layout may wrap subjects; find subject 1's CMAX wherever it sits
  const std::string text = json.dump();
  EXPECT_NE(text.find("\"CMAX\""), std::string::npos);
  EXPECT_NE(text.find("\"AUCLST\""), std::string::npos);
  EXPECT_NE(text.find("\"LAMZHL\""), std::string::npos);
  // Theoph subject 1: Cmax 10.5 mg/L at 1.12 h (R's datasets::Theoph).
  EXPECT_NE(text.find("10.5"), std::string::npos);
}

TEST(NcaCommand, MissingColumnExitsWith2AndNamesTheColumnsThatExist) {
  const auto result =
      run_onset("nca " + kTheoph + " --subject Subject --time Time --conc nope --dose 320 " +
                "--route extravascular");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("theoph.csv:1"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("'nope'"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("'conc'"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST(NcaCommand, UnknownRouteIsABadInput) {
  const auto result =
      run_onset("nca " + kTheoph + " --subject Subject --time Time --conc conc --dose 320 " +
                "--route intrathecal");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("route"), std::string::npos) << result.err;
}

// Theoph (12 subjects, oral 320 mg) as text and as JSON: every value of every subject the
// same. The text prints 6 significant digits (%.6g), so values agree to 5e-6 relative (half a
// unit in the 6th digit); "-" in the text is null in the JSON; units equal. With
// --max-extrapolation 10 some subjects' AUCIFO-based results fail the rule: the text shows the
// value with "EXCLUDED: ...", and the JSON keeps the same value under its key and flags it in
// excluded_values (as PKNCA keeps the value beside its exclude column), not null.
TEST(NcaCommand, TheophJsonHasEveryValueOfTheTextIncludingExcludedOnes) {
  const std::string common = "nca " + kTheoph +
                             " --subject Subject --time Time --conc conc --dose 320 "
                             "--route extravascular --auc linear-up-log-down "
                             "--max-extrapolation 10 --format ";
  const auto text = run_onset(common + "text");
  const auto json_run = run_onset(common + "json");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  // The text: "Subject ID" opens a block; a parameter line is "  KEY VALUE [UNIT] [(note) |
  // EXCLUDED: reason]".
  struct Row {
    std::string value, unit;
    bool excluded = false;
  };
  std::map<std::string, std::map<std::string, Row>> from_text;
  std::istringstream lines(text.out);
  std::string line, subject;
  while (std::getline(lines, line)) {
    if (line.rfind("Subject ", 0) == 0) {
      subject = line.substr(8);
      continue;
    }
    if (subject.empty() || line.rfind("  ", 0) != 0 || line.rfind("  note:", 0) == 0) continue;
    std::istringstream words(line);
    std::string key, unit;
    Row row;
    words >> key >> row.value >> unit;
    if (!unit.empty() && unit.front() != '(' && unit != "EXCLUDED:") row.unit = unit;
    row.excluded = line.find("EXCLUDED:") != std::string::npos;
    from_text[subject][key] = row;
  }
  const auto json = nlohmann::json::parse(json_run.out);
  ASSERT_EQ(json.size(), 12u);
  ASSERT_EQ(from_text.size(), 12u);
  int compared = 0, excluded = 0;
  for (const auto& object : json) {
    const std::string id = object["subject"].get<std::string>();
    ASSERT_TRUE(from_text.count(id)) << id;
    const auto& rows = from_text[id];
    for (const auto& [key, row] : rows) {
      ASSERT_TRUE(object.contains(key)) << id << " " << key;
      const auto& value = object[key];
      if (row.value == "-") {
        EXPECT_TRUE(value.is_null()) << id << " " << key;
        continue;
      }
      ASSERT_TRUE(value.is_number()) << id << " " << key << " is " << value.dump();
      const double shown = std::stod(row.value), kept = value.get<double>();
      EXPECT_NEAR(kept, shown, 5e-6 * std::abs(shown)) << id << " " << key;
      const std::string json_unit =
          object["units"].contains(key) ? object["units"][key].get<std::string>() : "";
      EXPECT_EQ(json_unit, row.unit) << id << " " << key;
      EXPECT_EQ(object["excluded_values"].contains(key), row.excluded) << id << " " << key;
      if (row.excluded) {
        EXPECT_EQ(object["excluded_values"][key].get<double>(), kept) << id << " " << key;
        ++excluded;
      }
      ++compared;
    }
    // Nothing in the JSON that the text does not show.
    for (const auto& [key, value] : object.items()) {
      if (value.is_object() || value.is_array() || key == "subject") continue;
      EXPECT_TRUE(rows.count(key)) << id << " " << key;
    }
  }
  std::printf("%d values compared, %d of them excluded (AUC extrapolated > 10 %%)\n", compared,
              excluded);
  EXPECT_GT(compared, 12 * 30);
  EXPECT_GT(excluded, 0);  // the case the JSON used to null
}

}  // namespace
