// The report formats: JSON has one object per subject with PPTESTCD keys (null for excluded or
// unavailable results, the reason beside), CSV is long format with a status column.
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

TEST(NcaReport, JsonHasPpTestCdKeysAndNullForExcludedResults) {
  std::ostringstream out;
  write_nca_report(out, {example()}, NcaOptions{}, ReportFormat::kJson);
  const std::string json = out.str();
  EXPECT_NE(json.find("\"subject\": \"7\""), std::string::npos);
  EXPECT_NE(json.find("\"CMAX\": 10.0"), std::string::npos);
  EXPECT_NE(json.find("\"LAMZNPT\": 3"), std::string::npos);
  EXPECT_NE(json.find("\"CLFO\": null"), std::string::npos);
  EXPECT_NE(json.find("\"excluded_values\": {"), std::string::npos);
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
