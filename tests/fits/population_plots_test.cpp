// The gnuplot jobs of the population plots (fits/population/population_plots.hpp) never carry
// user text as commands: names from data sets (subject IDs, observables) reach the scripts only
// as filtered single-quoted strings, scripts are set/unset/plot lines only, and the data files
// hold numbers only.
#include "fits/population/population_plots.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <sstream>
#include <string>

namespace onset::fits::population {
namespace {

// The names in these plots go through io::gnuplot_text (tests/io covers it in full): label
// characters stay, the others become '?'; well-formed UTF-8 (a unit's micro sign) stays, a
// malformed byte does not.
TEST(PopulationPlots, NamesKeepLabelCharactersOnly) {
  EXPECT_EQ(io::gnuplot_text("CP (mg/L) 5%"), "'CP (mg/L) 5%'");
  EXPECT_EQ(io::gnuplot_text("a'b\n`c$d@e\\f\"g;h|i"), "'a?b??c?d?e?f?g?h?i'");
  EXPECT_EQ(io::gnuplot_text("\xce\xbcg \xff"), "'\xce\xbcg ?'");
}

// A summary whose names try to escape: quotes, line breaks, backquotes, a system() call.
PopulationSummary hostile_summary() {
  PopulationSummary s;
  s.method = Method::kFoceI;
  s.observable_names = {"CP'\nsystem('touch /tmp/x')"};
  for (int subject = 0; subject < 3; ++subject)
    for (int j = 0; j < 4; ++j) {
      ObservationDiagnostics row;
      row.id = "1'; `rm -rf /` #" + std::to_string(subject);
      row.line = 10 * subject + j;
      row.time = j;
      row.observable = s.observable_names[0];
      row.dv = 1 + j;
      row.pred = 1.1 + j;
      row.ipred = 0.9 + j;
      row.cwres = 0.1 * j - 0.1;
      row.npde = 0.2 * j - 0.3;
      s.observations.push_back(row);
    }
  return s;
}

void expect_safe(const io::GnuplotJob& job) {
  // The io module's own check, which io::run_gnuplot enforces before every run.
  EXPECT_EQ(io::gnuplot_script_problem(job.script), "") << job.script;
  std::istringstream lines(job.script);
  std::string line;
  bool continued = false;
  while (std::getline(lines, line)) {
    const bool command = line.rfind("set ", 0) == 0 || line.rfind("unset ", 0) == 0 ||
                         line.rfind("plot ", 0) == 0 || line.empty();
    EXPECT_TRUE(command || continued) << line;
    continued = !line.empty() && line.back() == '\\';
    // Outside single-quoted strings: no quote characters, backquotes, '$', '@', ';' or '#'.
    bool in_string = false;
    for (char c : line) {
      if (c == '\'') {
        in_string = !in_string;
        continue;
      }
      if (!in_string) {
        EXPECT_EQ(std::string("\"`$@;#|<>").find(c), std::string::npos) << line;
      }
    }
    EXPECT_FALSE(in_string) << line;
  }
  for (const auto& [name, content] : job.data_files) {
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_."), std::string::npos);
    for (char c : content)
      EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(c)) ||
                  std::string(" .-+e\n").find(c) != std::string::npos)
          << name;
  }
}

TEST(PopulationPlots, JobsHoldNoUserTextOutsideStrings) {
  const PopulationSummary s = hostile_summary();
  const io::GnuplotJob gof = goodness_of_fit_plot(s, "gof.svg");
  expect_safe(gof);
  // The observable's name is there only as a filtered string (a title of the key).
  EXPECT_NE(gof.script.find("title 'CP??system(?touch /tmp/x?)'"), std::string::npos);
  const io::GnuplotJob individual = individual_fits_plot(s, "individual.png");
  expect_safe(individual);
  EXPECT_NE(individual.script.find("set title 'ID 1?? ?rm -rf /? #0'"), std::string::npos);
  Vpc vpc;
  vpc.percentiles = {5, 50, 95};
  vpc.interval = 95;
  vpc.replicates = 10;
  VpcObservable observable;
  observable.observable = s.observable_names[0];
  VpcBin bin;
  bin.time = 1;
  bin.count = 3;
  bin.observed = bin.low = bin.median = bin.high = {1, 2, 3};
  observable.bins = {bin, bin};
  observable.times = {1, 1};
  observable.values = {2, 3};
  vpc.observables = {observable};
  expect_safe(vpc_plot(vpc, "vpc.svg"));
  SaemSummary saem;
  saem.trajectory_names = {"tv'CL\n", "omega eta_CL"};
  saem.trajectory = {1, 2, 3, 4};
  expect_safe(saem_trajectory_plot(saem, "trajectory.svg"));
  // The terminal follows the extension.
  EXPECT_EQ(goodness_of_fit_plot(s, "x.png").terminal.rfind("pngcairo", 0), 0u);
  EXPECT_EQ(goodness_of_fit_plot(s, "x.svg").terminal.rfind("svg", 0), 0u);
}

TEST(PopulationPlots, GnuplotDrawsTheJobs) {
  if (const std::string problem = io::gnuplot_problem(); !problem.empty()) GTEST_SKIP() << problem;
  const std::string svg = io::run_gnuplot(goodness_of_fit_plot(hostile_summary(), "gof.svg"));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("CWRES vs PRED"), std::string::npos);
  // The hostile ID reached the picture as filtered text.
  const std::string individual =
      io::run_gnuplot(individual_fits_plot(hostile_summary(), "ind.svg"));
  EXPECT_NE(individual.find("ID 1?? ?rm -rf /? #0"), std::string::npos);
}

}  // namespace
}  // namespace onset::fits::population
