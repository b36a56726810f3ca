// libFuzzer target: a claim file to the HTML report (check/claim.hpp, check/report_html.hpp),
// the path by which a claim's ids, titles and names reach gnuplot and a web page. The claim is
// read as by `onset check`; a report is made up from it (every effect, check, observable and
// assumption name of the claim in its places, finite numbers) and rendered with a renderer
// that checks each gnuplot job instead of running gnuplot:
//  - the script passes io::gnuplot_script_problem (onset's own commands, words and strings);
//  - every quoted label of a data file holds only label characters (or '?' for the others);
//  - the page holds no element that a claim's text could have opened (its text is escaped: no
//    "<script", "<img", "<iframe", "<object" from the claim).
// Bad input must end in ClaimFileError (the claim reader's error type) or PriorFileError.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "check/claim.hpp"
#include "check/report_html.hpp"
#include "io/gnuplot.hpp"
#include "io/names.hpp"

#ifndef ONSET_FUZZ_DATA_DIR
#error "ONSET_FUZZ_DATA_DIR must name the data/ folder (priors/ inside)"
#endif

namespace {

using namespace onset::check;

// A report with the claim's names in every place the renderer shows one.
CheckReport made_up_report(const Claim& claim) {
  CheckReport report;
  report.seed = 1;
  report.draws = 8;
  for (const auto& effect : claim.effects) {
    EffectReport e;
    e.id = effect.id;
    e.statement = effect.statement;
    e.measurable = effect.measurable;
    e.claimed_within_h = effect.within_h;
    e.claimed_time_h = effect.claimed_time_h;
    e.reason =
        effect.not_assessable.empty() ? "made up for the fuzz target" : effect.not_assessable;
    e.verdict = effect.checks.empty() ? Verdict::kNotAssessable : Verdict::kPlausible;
    for (const auto& check : effect.checks) {
      CheckResult c;
      c.kind = check.kind;
      c.description = check.description;
      c.model = check.model;
      c.observable = check.observable;
      c.direction = "falls_below";
      c.verdict = Verdict::kPlausible;
      c.verdict_reason = "made up";
      c.best_case_onset_h = 1.5;
      c.onset_p05_h = 1;
      c.onset_p50_h = 2;
      c.onset_p95_h = 3;
      c.onset_times_h = {1, 2, 3, 4, 1e9};
      c.horizon_h = check.horizon_h;
      c.band.unit = "mg/L";
      c.band.times_h = {0, 1, 2};
      c.band.p05 = c.band.p50 = c.band.p95 = c.band.best_case = {3, 2, 1};
      c.band.threshold_best = 1.5;
      for (const auto& binding : check.parameters) {
        if (binding.assumption < 0) continue;
        const std::string& name = claim.assumptions[static_cast<size_t>(binding.assumption)].name;
        c.assumptions.push_back(name);
        c.elasticities.push_back({name, -0.5, 0.25, false});
        c.rate_limiting.push_back(name + " limits the onset");
        c.bound_assumptions.push_back({name, "low", 1, "h"});
        TippingPoint tip;
        tip.assumption = name;
        tip.text = name + " tips the verdict";
        c.tipping_points.push_back(tip);
        report.deciding_assumptions.push_back(name);
      }
      e.checks.push_back(c);
    }
    e.deciding_check = e.checks.empty() ? -1 : 0;
    report.effects.push_back(e);
  }
  return report;
}

void check_data_file(const std::string& content) {
  // Only the elasticity file has a label column: "label" then numbers.
  for (std::size_t start = 0; start < content.size();) {
    std::size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    const std::string line = content.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] != '"') continue;
    const std::size_t close = line.find('"', 1);
    if (close == std::string::npos) __builtin_trap();
    for (std::size_t i = 1; i < close; ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      if (byte < 0x80 && !onset::io::is_label_ascii(line[i]) && line[i] != '?') __builtin_trap();
    }
    if (line.find('"', close + 1) != std::string::npos) __builtin_trap();
  }
}

std::string checked_render(const onset::io::GnuplotJob& job) {
  if (!onset::io::gnuplot_script_problem(job.script).empty()) __builtin_trap();
  for (const auto& [name, content] : job.data_files) check_data_file(content);
  return "<svg></svg>";
}

bool contains_ignoring_case(std::string text, const std::string& what) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text.find(what) != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path data_dir(ONSET_FUZZ_DATA_DIR);
  Claim claim;
  try {
    claim = parse_claim(text, "fuzz.yaml", data_dir / "claims", data_dir / "priors");
  } catch (const onset::io::yaml::YamlFileError&) {  // ClaimFileError, or a prior file's
    return 0;
  }
  // Ids that reach a page's anchors and a plot's title are identifiers.
  if (!onset::io::identifier_problem(claim.id).empty()) __builtin_trap();
  for (const auto& effect : claim.effects)
    if (!onset::io::identifier_problem(effect.id).empty()) __builtin_trap();
  const std::string page = render_html_report(claim, made_up_report(claim), checked_render);
  for (const char* opened : {"<script", "<img", "<iframe", "<object"})
    if (contains_ignoring_case(page, opened)) __builtin_trap();
  return 0;
}
