// `onset nca` through the real binary: JSON keyed by PPTESTCD, and exit code 2 with the
// file and what was expected for bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
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

}  // namespace
