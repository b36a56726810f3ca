// The report formats: JSON has one object per subject with PPTESTCD keys (null for unavailable
// results; an excluded result keeps its value, flagged in excluded_values with the reason
// beside, as PKNCA keeps it), CSV is long format with a status column.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "nca/report.hpp"

namespace onset::nca {
namespace {

NcaResult example() {
  Profile profile;
  profile.subject = std::string("7");
  profile.dose = 100;
  // Terminal phase barely sampled: AUC extrapolated well above 20 %.
  for (const auto& [t, c] :
       {std::pair{0.5, 2.0}, {1.0, 10.0}, {2.0, 9.0}, {3.0, 8.0}, {4.0, 7.2}}) {
    profile.samples.push_back({t, c, false, 0});
  }
  return run_nca(profile, NcaOptions{});
}

TEST(NcaReport, JsonHasPpTestCdKeysAndKeepsExcludedValuesWithTheirFlag) {
  const NcaResult result = example();
  const NcaParameter* clfo = result.find("CLFO");
  ASSERT_NE(clfo, nullptr);
  ASSERT_TRUE(clfo->excluded);
  ASSERT_TRUE(std::isfinite(clfo->value));
  std::ostringstream out;
  write_nca_report(out, {result}, NcaOptions{}, ReportFormat::kJson);
  const std::string json = out.str();
  EXPECT_NE(json.find("\"subject\": \"7\""), std::string::npos);
  EXPECT_NE(json.find("\"CMAX\": 10.0"), std::string::npos);
  EXPECT_NE(json.find("\"LAMZNPT\": 3"), std::string::npos);
  // The excluded CLFO keeps its value (exactly: the JSON writes doubles round-trip) both under
  // its key and in excluded_values, the flag; the reason is in parameter_notes.
  EXPECT_EQ(json.find("\"CLFO\": null"), std::string::npos);
  const auto first = json.find("\"CLFO\": ");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(std::stod(json.substr(first + 8)), clfo->value);
  const auto flags = json.find("\"excluded_values\": {");
  ASSERT_NE(flags, std::string::npos);
  const auto flagged = json.find("\"CLFO\": ", flags);
  ASSERT_NE(flagged, std::string::npos);
  EXPECT_EQ(std::stod(json.substr(flagged + 8)), clfo->value);
  EXPECT_NE(json.find("AUC extrapolated"), std::string::npos);
}

TEST(NcaReport, CsvIsLongFormatWithStatus) {
  std::ostringstream out;
  write_nca_report(out, {example()}, NcaOptions{}, ReportFormat::kCsv);
  std::istringstream lines(out.str());
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header, "subject,group,PPTESTCD,value,unit,status,note");
  std::string line;
  bool saw_excluded = false;
  while (std::getline(lines, line)) {
    if (line.rfind("7,,CLFO,", 0) == 0) {
      saw_excluded = line.find(",L/h,excluded,AUC extrapolated") != std::string::npos;
    }
  }
  EXPECT_TRUE(saw_excluded);
}

TEST(NcaReport, TextMarksExcludedResults) {
  std::ostringstream out;
  write_nca_report(out, {example()}, NcaOptions{}, ReportFormat::kText);
  EXPECT_NE(out.str().find("EXCLUDED: AUC extrapolated"), std::string::npos);
}

}  // namespace
}  // namespace onset::nca
