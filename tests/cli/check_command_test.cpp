// onset check through the real binary: table, JSON identical for 1 and 2 threads, bad input,
// and the HTML report opened in headless Chromium.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli/run_command.hpp"

namespace onset::testing {
namespace {

const std::string kClaim = std::string(ONSET_SOURCE_DIR) + "/data/claims/case-report-4h.yaml";

TEST(CheckCommand, TableHasEveryEffect) {
  const CommandResult r = run_onset("check " + kClaim + " --draws 128");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* id : {"jaundice", "facial_colour", "consciousness", "ascites", "bladder_bowel",
                         "appetite", "speech", "mirna_mechanism"}) {
    EXPECT_NE(r.out.find(id), std::string::npos) << id;
  }
  EXPECT_NE(r.out.find("not_assessable"), std::string::npos);
  EXPECT_EQ(r.err, "");  // no progress bar when stdout is not a terminal
}

TEST(CheckCommand, SameSeedSameJsonWithOneAndTwoThreads) {
  const CommandResult one =
      run_onset("check " + kClaim + " --format json --seed 7 --draws 256 --threads 1");
  const CommandResult two =
      run_onset("check " + kClaim + " --format json --seed 7 --draws 256 --threads 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(one.out, two.out);
  const auto json = nlohmann::json::parse(one.out);
  ASSERT_EQ(json["claims"].size(), 8u);
  for (const auto& c : json["claims"]) {
    for (const char* key :
         {"id", "verdict", "claimed_within_h", "best_case_onset_h", "p_within_claim",
          "onset_quantiles_h", "rate_limiting", "bound_parameters", "tipping_points"}) {
      EXPECT_TRUE(c.contains(key)) << key;
    }
  }
}

TEST(CheckCommand, BadClaimIsExitTwoWithLine) {
  const std::string path = std::string(ONSET_BINARY_DIR) + "/bad_claim.yaml";
  {
    std::ofstream out(path);
    out << "id: x\nstatement: s\neffects:\n  - id: e\n    statment: typo\n";
  }
  const CommandResult r = run_onset("check " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad_claim.yaml:5:"), std::string::npos) << r.err;
}

std::string chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    if (std::system((std::string("command -v ") + name + " > /dev/null 2>&1").c_str()) == 0) {
      return name;
    }
  }
  return "";
}

TEST(CheckCommand, ReportRendersInHeadlessChromium) {
  const std::string dir = std::string(ONSET_BINARY_DIR) + "/check_report_test";
  std::filesystem::create_directories(dir);
  const std::string report = dir + "/case-report.html";
  const CommandResult r = run_onset("check " + kClaim + " --draws 128 --report " + report);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = read_all(report);
  // Self-contained: plots inline, no external resources.
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("src=\"http"), std::string::npos);
  EXPECT_EQ(page.find("href=\"http"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  // Every assumption with its source; the deciding ones marked.
  EXPECT_NE(page.find("Assumptions and their sources"), std::string::npos);
  EXPECT_NE(page.find("bilirubin/skin_equilibration_time_constant"), std::string::npos);
  EXPECT_NE(page.find("Ruiz MA"), std::string::npos);
  EXPECT_NE(page.find("class=\"deciding\""), std::string::npos);
  // The threshold actually tested (the best case's) in the verdict table and in each check's
  // paragraph, as the text output prints it: jaundice is gone when the sclera's pigment falls
  // below 2.5 mg/dL serum-equivalent (the lowest level read as icterus, Ruiz 1997).
  EXPECT_NE(page.find("<th>threshold tested</th>"), std::string::npos);
  EXPECT_NE(page.find("<td>&lt; 2.5 mg/dL</td>"), std::string::npos);
  EXPECT_NE(page.find("the threshold (tested at the best case: &lt; 2.5 mg/dL)"),
            std::string::npos);
  const std::string browser = chromium();
  // scripts/setup installs chromium and fonts-noto-cjk: in CI this test runs, never skips.
  ASSERT_FALSE(browser.empty()) << "chromium is not installed (scripts/setup installs it)";
  const std::string dom = dir + "/dom.html";
  const std::string command =
      browser +
      " --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --no-first-run --disable-sync --user-data-dir=" +
      dir + "/profile --dump-dom file://" + report + " > " + dom + " 2> /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const std::string rendered = read_all(dom);
  EXPECT_NE(rendered.find("jaundice"), std::string::npos);
  EXPECT_NE(rendered.find("<svg"), std::string::npos);
  const std::string shot = dir + "/shot.png";
  const std::string screenshot =
      browser +
      " --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --no-first-run --disable-sync --user-data-dir=" +
      dir + "/profile --window-size=1200,2000 --screenshot=" + shot + " file://" + report +
      " > /dev/null 2>&1";
  ASSERT_EQ(std::system(screenshot.c_str()), 0);
  EXPECT_GT(std::filesystem::file_size(shot), 20000u);  // a blank page is a few kB
}

// The report's Japanese statement is drawn with real glyphs, not empty boxes: headless
// Chromium rasterises each of the statement's first 12 kanji/kana alone, in the report's font
// (sans-serif, 48 px), on a canvas, and counts ink pixels and distinct pictures. Without a CJK
// font every character falls back to the same empty box: one distinct picture. With
// fonts-noto-cjk (scripts/setup) each character has its own shape. The page's script only
// reads its own canvas; the result is written into the DOM and read with --dump-dom.
TEST(CheckCommand, JapaneseStatementRendersWithRealGlyphs) {
  const std::string browser = chromium();
  ASSERT_FALSE(browser.empty()) << "chromium is not installed (scripts/setup installs it)";
  const std::string dir = std::string(ONSET_BINARY_DIR) + "/check_report_glyphs";
  std::filesystem::create_directories(dir);
  // The characters drawn are the claim's own statement, which the report prints verbatim.
  ASSERT_NE(read_all(kClaim).find("末期肝硬変患者に対し"), std::string::npos);
  const std::string probe = dir + "/glyphs.html";
  {
    std::ofstream out(probe);
    out << "<!DOCTYPE html><meta charset=\"utf-8\"><body><canvas id=c width=64 height=64>"
           "</canvas><pre id=out></pre><script>\n"
           "const text = '末期肝硬変患者に対し投与';\n"
           "const ctx = document.getElementById('c').getContext('2d');\n"
           "const seen = new Set(); let ink = 0;\n"
           "for (const ch of text) {\n"
           "  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 64, 64);\n"
           "  ctx.fillStyle = '#000'; ctx.font = '48px sans-serif'; ctx.fillText(ch, 4, 52);\n"
           "  const d = ctx.getImageData(0, 0, 64, 64).data; let key = '';\n"
           "  for (let i = 0; i < d.length; i += 4) { const dark = d[i] < 128; ink += dark;"
           " key += dark ? '1' : '0'; }\n"
           "  seen.add(key);\n"
           "}\n"
           "document.getElementById('out').textContent = 'distinct=' + seen.size + ' ink=' + ink;\n"
           "</script>\n";
  }
  const std::string dom = dir + "/glyphs_dom.html";
  const std::string command =
      browser +
      " --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --no-first-run --disable-sync --user-data-dir=" +
      dir + "/profile --dump-dom file://" + probe + " > " + dom + " 2> /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const std::string rendered = read_all(dom);
  const auto at = rendered.find("distinct=");
  ASSERT_NE(at, std::string::npos) << rendered;
  int distinct = 0;
  long ink = 0;
  ASSERT_EQ(std::sscanf(rendered.c_str() + at, "distinct=%d ink=%ld", &distinct, &ink), 2);
  EXPECT_EQ(distinct, 12) << "12 characters, 12 different pictures (not one box for all)";
  EXPECT_GT(ink, 12 * 50) << "each glyph leaves ink";
}

}  // namespace
}  // namespace onset::testing
