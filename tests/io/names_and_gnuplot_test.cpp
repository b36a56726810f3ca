// The character sets of names (io/names.hpp) and the gnuplot boundary (io/gnuplot.hpp): labels
// filtered into strings that nothing can end early, and the script check that refuses any
// command, word or string onset's scripts do not hold, so that a text that got past the filter
// still runs nothing.
#include <gtest/gtest.h>

#include <string>

#include "io/gnuplot.hpp"
#include "io/names.hpp"

namespace {

using onset::io::gnuplot_data_label;
using onset::io::gnuplot_script_problem;
using onset::io::gnuplot_text;
using onset::io::identifier_problem;
using onset::io::label_problem;

TEST(Names, Identifiers) {
  for (const char* ok : {"jaundice", "bilirubin_halves", "case-report-4h", "B2", "_x", "a.b"})
    EXPECT_EQ(identifier_problem(ok), "") << ok;
  EXPECT_EQ(identifier_problem(""), "it is empty");
  EXPECT_EQ(identifier_problem("x\nsystem \"touch /tmp/P\"\n#"), "it has a line break (byte 2)");
  EXPECT_EQ(identifier_problem("-x"), "it has '-' (byte 1)");
  EXPECT_EQ(identifier_problem("a b"), "it has a space (byte 2)");
  EXPECT_EQ(identifier_problem("a'b"), "it has ''' (byte 2)");
  EXPECT_EQ(identifier_problem("caf\xC3\xA9"), "it has a non-ASCII character (byte 4)");
  EXPECT_EQ(identifier_problem(std::string(65, 'a')), "it is longer than 64 bytes");
}

TEST(Names, Labels) {
  for (const char* ok : {"TIME", "Conc (ng/mL)", "WT_\xC2\xB5g", "dose [mg/kg], 5%", "a=b#1"})
    EXPECT_EQ(label_problem(ok), "") << ok;
  EXPECT_EQ(label_problem("x'\nsystem 'touch P'"), "it has ''' (byte 2)");
  EXPECT_EQ(label_problem("a\tb"), "it has a tab (byte 2)");
  EXPECT_EQ(label_problem("`id`"), "it has '`' (byte 1)");
  EXPECT_EQ(label_problem("a@b"), "it has '@' (byte 2)");
  EXPECT_EQ(label_problem("<cmd"), "it has '<' (byte 1)");
}

TEST(Gnuplot, TextsAreFilteredIntoStringsThatCannotEndEarly) {
  EXPECT_EQ(gnuplot_text("jaundice: skin (mg/dL)"), "'jaundice: skin (mg/dL)'");
  EXPECT_EQ(gnuplot_text("x'\nsystem 'touch /tmp/P'\n#"), "'x??system ?touch /tmp/P??#'");
  EXPECT_EQ(gnuplot_text("`touch P` @macro $var \\ \"q\" ; | <"),
            "'?touch P? ?macro ?var ? ?q? ? ? ?'");
  EXPECT_EQ(gnuplot_text("\xC2\xB5mol/L \xFF"), "'\xC2\xB5mol/L ?'");
  EXPECT_EQ(gnuplot_data_label("k\"\n1 2 3"), "\"k??1 2 3\"");
}

TEST(Gnuplot, OnsetsOwnScriptPassesTheCheck) {
  const std::string script =
      "set title 'jaundice: onset time over 64 draws (never within 720 h: 0 %)'\n"
      "set xrange [0.1:1.5e+03]\nset yrange [0:*]\nset logscale x\nset key top left\n"
      "set arrow from 4, graph 0 to 4, graph 1 nohead lw 2 lc rgb '#aa0000'\n"
      "plot 'traj.dat' using 1:2:4 with filledcurves fc rgb '#9ecae1' fs transparent solid 0.5 "
      "title '5-95 % of draws', \\\n"
      "  '' using 1:3 with lines lw 2 title 'median', \\\n"
      "  '+' using (4):(2.5) every ::0::0 with points pt 7 ps 1.5 title 'claimed point'\n"
      "set xtics rotate by -30 left font ',9'\nunset multiplot\nplot 1/0 notitle\n";
  EXPECT_EQ(gnuplot_script_problem(script), "");
  // Whatever the filter makes of a text passes.
  const std::string hostile = "x'\nsystem 'touch P'\n`id` @m $v \\ \"q\" ; | <cmd \x01";
  EXPECT_EQ(gnuplot_script_problem("set title " + gnuplot_text(hostile) + "\n"), "");
}

TEST(Gnuplot, ScriptCheckRefusesAnythingElse) {
  // Each of these runs a command, reads or writes a file, or ends a string early.
  const char* const refused[] = {
      "set title 'x'\nsystem \"touch /tmp/P\"\n",     // a command of its own
      "set title 'x\nsystem \"touch /tmp/P\"\n#'\n",  // a string across a line break
      "set output '/etc/passwd'\n",                   // the word 'output'
      "plot '<touch /tmp/P' using 1:2\n",             // a pipe as a data file
      "set title 'a`touch P`'\n",                     // backquote substitution
      "set title 'x' ; print 1\n",                    // a second command on the line
      "set label sprintf('%s', system('id'))\n",      // a function call
      "  '' using 1:2\n",                             // a continuation with nothing before
      "set title \"x\"\n",                            // a double-quoted string
      "load 'other.gp'\n",
      "call 'x'\n",
      "!touch P\n",
      "set title @macro\n",
  };
  for (const char* script : refused) EXPECT_NE(gnuplot_script_problem(script), "") << script;
}

TEST(Gnuplot, RunRefusesAScriptThatFailsTheCheck) {
  onset::io::GnuplotJob job;
  job.terminal = "svg";
  job.script = "system 'touch /tmp/P'\n";
  try {
    onset::io::run_gnuplot(job);
    FAIL() << "ran";
  } catch (const onset::io::GnuplotError& error) {
    EXPECT_NE(std::string(error.what()).find("refusing to run a gnuplot script"),
              std::string::npos);
  }
}

}  // namespace
