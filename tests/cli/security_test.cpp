// Issue 14 through the real binary (build/bin/onset), as a hostile or careless user would try:
//  - nothing in an input or a path runs a command (the claim-file and `fit --plot`
//    reproducers: the marker file a crafted id or path would create must not exist);
//  - no output replaces an input, a FIFO or a device (mknod copies in a scratch folder);
//  - only regular files are read: a FIFO as data or as a claim's model is refused at once;
//  - a claim names model files only inside its folder, and messages quote a few characters of a
//    file, never its content;
//  - output lost on the way (a full device, a closed stdout, `ulimit -f`) is exit 2 with a
//    message and nothing left behind; a report or plot into a missing folder is exit 2 at once;
//  - a signal ends a run with 128 + its number, as README's table says;
//  - two `fit --plot` runs into one file at the same time both finish with a whole file.
// Each test has its own scratch folder (tests/scratch.hpp); marker files live there, never in
// /tmp.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.hpp"
#include "tests/scratch.hpp"

namespace {

namespace fs = std::filesystem;
using onset::testing::read_all;
using onset::testing_support::Scratch;

const std::string kOnset = std::string(ONSET_BINARY_DIR) + "/bin/onset";
const std::string kSource = ONSET_SOURCE_DIR;
const std::string kBad = kSource + "/tests/bad_inputs";

struct ShellRun {
  int code = -1;  // as a shell reports it: the exit code, or 128 + the signal
  std::string out;
  std::string err;
};

// Runs a bash script (in the scratch folder, $ONSET the binary, $SRC the source tree) with a
// time limit, so that a hang fails the test instead of the suite.
ShellRun shell(const Scratch& dir, const std::string& script) {
  static int counter = 0;
  const std::string stem = dir / ("run" + std::to_string(counter++));
  std::ofstream(stem + ".sh") << "cd '" << dir.path().string() << "'\nONSET='" << kOnset
                              << "'\nSRC='" << kSource << "'\n"
                              << script << "\n";
  const std::string command =
      "timeout 120 bash " + stem + ".sh > " + stem + ".out 2> " + stem + ".err";
  const int status = std::system(command.c_str());
  ShellRun run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = read_all(stem + ".out");
  run.err = read_all(stem + ".err");
  for (const char* ext : {".sh", ".out", ".err"}) fs::remove(stem + ext);
  return run;
}

// The files of a folder whose names contain ".tmp" (a temporary file left behind).
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> left;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp") != std::string::npos)
      left.push_back(entry.path().string());
  return left;
}

const std::string kFitExpr = "fit --expr 'a*exp(b*x)' --x x --y y --data " + kBad +
                             "/data/exp_decay.csv --start a=10 --start b=-0.3";

// ---------------------------------------------------------------- nothing runs

// The reproducer of issue 14: the shipped claim with the effect id "x\nsystem \"touch M\"\n#".
TEST(Security, ClaimEffectIdCannotRunACommandThroughTheReport) {
  const Scratch dir;
  const std::string marker = dir / "marker";
  std::ifstream in(kSource + "/data/claims/control-transplant-bilirubin-halves.yaml");
  std::stringstream claim;
  claim << in.rdbuf();
  std::string text = claim.str();
  const std::string id = "  - id: bilirubin_halves";
  ASSERT_NE(text.find(id), std::string::npos);
  text.replace(text.find(id), id.size(), "  - id: \"x\\nsystem \\\"touch " + marker + "\\\"\\n#\"");
  std::ofstream(dir / "claim.yaml") << text;
  fs::copy(kSource + "/data/claims/models", dir / "models");
  const ShellRun run = shell(dir, "$ONSET check claim.yaml --draws 64 --report r.html");
  EXPECT_FALSE(fs::exists(marker)) << "the claim ran a command";
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_NE(run.err.find("claim.yaml:38:9: error: expected an effect id of 1 to 64 ASCII "
                         "letters, digits, '_', '-' or '.'"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("it has a line break (byte 2)"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir / "r.html"));
}

// Names the claim may choose freely (assumption names are map keys) reach the plots as data and
// titles; crafted ones are drawn as text, and run nothing.
TEST(Security, HostileAssumptionNamesAreDrawnAsTextOnly) {
  const Scratch dir;
  const std::string marker = dir / "marker";
  const std::string hostile =
      "\"k'\\nsystem 'touch " + marker + "'\\n`touch " + marker + "` @m \\\"q\\\"\"";
  std::ifstream in(kBad + "/claims/ok.yaml");
  std::stringstream claim;
  claim << in.rdbuf();
  std::string text = claim.str();
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"  clearance: {", "  " + hostile + ": {"},
           {"CL: {assumption: clearance}", "CL: {assumption: " + hostile + "}"}}) {
    ASSERT_NE(text.find(from), std::string::npos) << from;
    text.replace(text.find(from), from.size(), to);
  }
  std::ofstream(dir / "claim.yaml") << text;
  const ShellRun run = shell(dir, "$ONSET check claim.yaml --draws 64 --threads 1 --report r.html");
  EXPECT_FALSE(fs::exists(marker)) << "the claim ran a command";
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string page = read_all(dir / "r.html");
  // The name, filtered, is an axis label of the elasticity plot.
  EXPECT_NE(page.find("k??system ?touch "), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

// The same attack through the path given to `fit --plot`: gnuplot never sees the path.
TEST(Security, FitPlotPathCannotRunACommand) {
  const Scratch dir;
  const std::string marker = dir / "marker";
  // (No '/' in the name, so that the plot goes into this folder; gnuplot ran in the working
  // directory, where `touch marker` would have made the marker.)
  const std::string name = "x'\nsystem 'touch marker'\n#.svg";
  std::ofstream(dir / "name.txt") << name;
  const ShellRun run = shell(dir, "$ONSET " + kFitExpr + " --plot \"$(cat name.txt)\"");
  EXPECT_FALSE(fs::exists(marker)) << "the plot path ran a command";
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string plot = read_all(dir / name);
  EXPECT_NE(plot.find("</svg>"), std::string::npos) << "the plot was not written under its name";
  EXPECT_TRUE(temporaries(dir.path()).empty());
}

// A column name reaches the plot's axis label: one that is not a label is refused where it is
// read, with the file, line and column.
TEST(Security, FitPlotColumnNameIsCheckedWhereItIsRead) {
  const Scratch dir;
  const std::string marker = dir / "marker";
  std::ofstream(dir / "data.csv") << "\"t'\nsystem 'touch " << marker << "'\n#\",y\n0,1\n1,2\n";
  const ShellRun run = shell(dir,
                             "$ONSET fit --expr 'a*t' --x \"$(head -c 2 data.csv | tail -c 1)\" "
                             "--y y --data data.csv --start a=1 --plot p.svg");
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_NE(run.err.find("data.csv:1:1: error: column name 't'..."), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("it has ''' (byte 2)"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir / "p.svg"));
}

// ---------------------------------------------------------------- outputs

// A FIFO and a character device (a copy of /dev/null made with mknod) as the target of every
// command that writes a file: refused at once, and still a FIFO and a device afterwards.
TEST(Security, FifoAndDeviceTargetsAreRefusedByEveryCommand) {
  const Scratch dir;
  onset::testing_support::make_fifo(dir / "pipe");
  const std::string why = onset::testing_support::make_character_device(dir / "null", 1, 3);
  if (!why.empty()) GTEST_SKIP() << why;
  const std::vector<std::string> writes = {
      "simulate one_compartment_iv --data " + kBad + "/data/ok.csv --out ",
      "nca " + kBad +
          "/nca/ok.csv --subject ID --time TIME --conc CONC --dose 100 --route "
          "bolus --output ",
      "check " + kBad + "/claims/ok.yaml --draws 16 --threads 1 --report ",
      kFitExpr + " --plot ",
      "reference B1 --csv ",
  };
  for (const auto& command : writes) {
    for (const auto& [target, kind] : std::vector<std::pair<std::string, std::string>>{
             {"pipe", "it is a FIFO (named pipe)"}, {"null", "it is a device"}}) {
      const ShellRun run = shell(dir, "$ONSET " + command + target);
      EXPECT_EQ(run.code, 2) << command << target << "\n" << run.err;
      EXPECT_NE(run.err.find(kind), std::string::npos) << command << target << "\n" << run.err;
    }
  }
  EXPECT_TRUE(fs::is_fifo(dir / "pipe"));
  EXPECT_TRUE(fs::is_character_file(dir / "null"));
  EXPECT_TRUE(temporaries(dir.path()).empty());
}

// Each kind of input given again as the output: refused, the input untouched. (The data set
// and model of `simulate --out`, the NCA table and the claim of `check --report` are also in
// tests/bad_inputs/cases.tsv.)
TEST(Security, NoCommandWritesOverItsInputs) {
  const Scratch dir;
  fs::create_directories(dir.path() / "claims/models");
  fs::copy(kBad + "/claims/ok.yaml", dir / "claims/claim.yaml");
  fs::copy(kBad + "/data/exp_decay.csv", dir / "data.csv");
  fs::copy(kSource + "/models/library/one_compartment_iv.yaml", dir / "claims/models/m.yaml");
  {  // the claim with its model as a file
    std::ifstream in(dir / "claims/claim.yaml");
    std::stringstream text;
    text << in.rdbuf();
    std::string claim = text.str();
    claim.replace(claim.find("model: one_compartment_iv"), 25, "model: models/m.yaml");
    std::ofstream(dir / "claims/claim.yaml") << claim;
  }
  fs::create_directories(dir.path() / "datadir/priors");
  fs::copy(kBad + "/priors/ok/priors/testprior.yaml", dir / "datadir/priors/testprior.yaml");
  fs::copy(kBad + "/claims/uses_prior.yaml", dir / "uses_prior.yaml");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"check claims/claim.yaml --draws 16 --threads 1 --report claims/claim.yaml",
       "claims/claim.yaml"},
      {"check claims/claim.yaml --draws 16 --threads 1 --report claims/models/m.yaml",
       "claims/models/m.yaml"},
      {"ONSET_DATA_DIR=datadir $ONSET check uses_prior.yaml --draws 16 --threads 1 --report "
       "datadir/priors/testprior.yaml",
       "datadir/priors/testprior.yaml"},
      {"fit --expr 'a*exp(b*x)' --x x --y y --data data.csv --start a=10 --start b=-0.3 "
       "--plot data.csv",
       "data.csv"},
      {"fit claims/models/m.yaml --data data.csv --start CL=1 --plot claims/models/m.yaml",
       "claims/models/m.yaml"},
      {"simulate claims/models/m.yaml --data data.csv --out data.csv", "data.csv"},
      {"nca data.csv --subject x --time x --conc y --dose 1 --route bolus --output data.csv",
       "data.csv"},
  };
  for (const auto& [arguments, input] : cases) {
    const std::string before = read_all(dir / input);
    const std::string line =
        arguments.rfind("ONSET_DATA_DIR", 0) == 0 ? arguments : "$ONSET " + arguments;
    const ShellRun run = shell(dir, line);
    EXPECT_EQ(run.code, 2) << arguments << "\n" << run.err;
    EXPECT_NE(run.err.find("will not write here: it is the input file"), std::string::npos)
        << arguments << "\n"
        << run.err;
    EXPECT_EQ(read_all(dir / input), before) << input << " changed";
  }
  EXPECT_TRUE(temporaries(dir.path()).empty());
}

// Standard output to a full device (a mknod copy of /dev/full) and to a closed descriptor: every
// command says so and exits 2.
TEST(Security, LostStandardOutputIsExitTwoForEveryCommand) {
  const Scratch dir;
  const std::string why = onset::testing_support::make_character_device(dir / "full", 1, 7);
  if (!why.empty()) GTEST_SKIP() << why;
  const std::vector<std::string> commands = {
      "models",
      "models show one_compartment_iv",
      "simulate one_compartment_iv --data " + kBad + "/data/ok.csv",
      "nca " + kBad + "/nca/ok.csv --subject ID --time TIME --conc CONC --dose 100 --route bolus",
      "check " + kBad + "/claims/ok.yaml --draws 16 --threads 1",
      kFitExpr,
      "reference B1",
      "--version",
  };
  for (const auto& command : commands) {
    for (const auto& [redirect, reason] : std::vector<std::pair<std::string, std::string>>{
             {"> full", "No space left on device"}, {">&-", "standard output is closed"}}) {
      const ShellRun run = shell(dir, "$ONSET " + command + " " + redirect);
      EXPECT_EQ(run.code, 2) << command << " " << redirect << "\n" << run.err;
      EXPECT_NE(
          run.err.find("onset: the output could not be written to standard output: " + reason),
          std::string::npos)
          << command << " " << redirect << "\n"
          << run.err;
    }
  }
}

// `ulimit -f`: the file-size limit is a failed write (exit 2, "File too large"), not SIGXFSZ,
// and leaves neither the output nor a temporary file; the same for standard output to a file.
TEST(Security, FileSizeLimitIsExitTwoWithNothingLeft) {
  const Scratch dir;
  const std::string big =
      "simulate one_compartment_iv --data " + kBad + "/data/ok.csv --times 0:1000:0.01";
  ShellRun run = shell(dir, "ulimit -f 1; $ONSET " + big + " --out big.csv");
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_NE(run.err.find("big.csv: error: cannot write: File too large; nothing written"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(dir / "big.csv"));
  EXPECT_TRUE(temporaries(dir.path()).empty());
  run = shell(dir, "ulimit -f 1; $ONSET " + big + " > stdout.csv");
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_NE(run.err.find("standard output: File too large"), std::string::npos) << run.err;
  // The report: gnuplot (under the same limit) or the write of the page fails; either way
  // exit 2 and no page.
  run = shell(dir, "ulimit -f 1; $ONSET check " + kBad +
                       "/claims/ok.yaml --draws 16 --threads 1 --report r.html > /dev/null");
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_NE(run.err.find("onset check: --report: "), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir / "r.html"));
  EXPECT_TRUE(temporaries(dir.path()).empty());
}

// A report, plot or output into a folder that does not exist: exit 2 at once, before the work,
// with the folder named, and no word about gnuplot.
TEST(Security, OutputIntoAMissingFolderIsExitTwoBeforeTheWork) {
  const Scratch dir;
  const std::vector<std::string> commands = {
      "check " + kBad + "/claims/ok.yaml --draws 100000000 --report no/r.html",
      kFitExpr + " --plot no/p.svg",
      "simulate one_compartment_iv --data " + kBad + "/data/ok.csv --out no/o.csv",
      "nca " + kBad +
          "/nca/ok.csv --subject ID --time TIME --conc CONC --dose 100 --route bolus --output "
          "no/o.txt",
      "reference B3 --csv no/b3.csv",
  };
  for (const auto& command : commands) {
    const ShellRun run = shell(dir, "$ONSET " + command);
    EXPECT_EQ(run.code, 2) << command << "\n" << run.err;
    EXPECT_NE(run.err.find("cannot write: the folder '" + (dir / "no") + "' does not exist"),
              std::string::npos)
        << command << "\n"
        << run.err;
    EXPECT_EQ(run.err.find("gnuplot"), std::string::npos) << run.err;
    EXPECT_TRUE(run.out.empty()) << "refused after the work: " << run.out;
  }
}

// Two runs of `fit --plot` into one file at the same time: both succeed and the file is one
// whole SVG (each run has its own gnuplot folder and its own temporary file).
TEST(Security, ConcurrentPlotsIntoOneFileDoNotCollide) {
  const Scratch dir;
  const ShellRun run =
      shell(dir, "for k in 1 2 3 4; do $ONSET " + kFitExpr +
                     " --plot same.svg > out$k.txt 2>&1 & pids=\"$pids $!\"; done; "
                     "status=0; for pid in $pids; do wait $pid || status=1; done; "
                     "exit $status");
  EXPECT_EQ(run.code, 0) << read_all(dir / "out1.txt") << read_all(dir / "out2.txt");
  const std::string svg = read_all(dir / "same.svg");
  EXPECT_EQ(svg.find("<svg"), svg.rfind("<svg")) << "two plots in one file";
  EXPECT_NE(svg.find("</svg>"), std::string::npos) << "a cut plot";
  EXPECT_TRUE(temporaries(dir.path()).empty());
}

// ---------------------------------------------------------------- inputs

// A FIFO as a data set, NCA table, claim file, a claim's model file or a fit's data set is
// refused at once (a FIFO with no writer would block a plain open forever).
TEST(Security, FifoInputsAreRefusedAtOnce) {
  const Scratch dir;
  onset::testing_support::make_fifo(dir / "pipe");
  fs::create_directories(dir.path() / "claim/models");
  onset::testing_support::make_fifo(dir / "claim/models/m.yaml");
  std::ifstream in(kBad + "/claims/ok.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string claim = text.str();
  claim.replace(claim.find("model: one_compartment_iv"), 25, "model: models/m.yaml");
  std::ofstream(dir / "claim/claim.yaml") << claim;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"simulate one_compartment_iv --data pipe", "the data set is a FIFO (named pipe)"},
      {"simulate ./pipe --data " + kBad + "/data/ok.csv", "a file that is a FIFO (named pipe)"},
      {"nca pipe --subject ID --time TIME --conc CONC --dose 1 --route bolus",
       "is a FIFO (named pipe)"},
      {"check pipe", "the claim file is a FIFO (named pipe)"},
      {"check claim/claim.yaml --draws 16", "is a FIFO (named pipe), not a regular file"},
      {"fit --expr 'a*x' --x x --y y --data pipe --start a=1", "is a FIFO (named pipe)"},
  };
  for (const auto& [arguments, message] : cases) {
    const ShellRun run = shell(dir, "timeout 20 $ONSET " + arguments);
    EXPECT_EQ(run.code, 2) << arguments << "\n" << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << arguments << "\n" << run.err;
  }
}

// A claim names model files only inside its own folder: not through "..", not by an absolute
// path, not through a symbolic link that leads out; and the message shows none of the file.
TEST(Security, ClaimModelFilesStayInsideTheClaimsFolder) {
  const Scratch dir;
  fs::create_directories(dir.path() / "claim/models");
  std::ofstream(dir / "secret.yaml") << "root:x:0:0:root:/root:/bin/bash\nsecond-secret-line\n";
  fs::create_symlink(dir / "secret.yaml", dir / "claim/models/link.yaml");
  std::ifstream in(kBad + "/claims/ok.yaml");
  std::stringstream text;
  text << in.rdbuf();
  const std::string base = text.str();
  for (const auto& [model, why] : std::vector<std::pair<std::string, std::string>>{
           {"../secret.yaml", "a path with '..'"},
           {"../../../../../../../../etc/passwd", "a path with '..'"},
           {dir / "secret.yaml", "an absolute path"},
           {"models/link.yaml", "a symbolic link that leads outside the folder"}}) {
    std::string claim = base;
    claim.replace(claim.find("model: one_compartment_iv"), 25, "model: " + model);
    std::ofstream(dir / "claim/claim.yaml") << claim;
    const ShellRun run = shell(dir, "$ONSET check claim/claim.yaml --draws 16");
    EXPECT_EQ(run.code, 2) << model << "\n" << run.err;
    EXPECT_NE(run.err.find("claim.yaml:17:16: error: model file '"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("is not inside the claim's folder: " + why), std::string::npos)
        << run.err;
    EXPECT_EQ(run.err.find("root:x"), std::string::npos) << run.err;
  }
  // A file inside the folder that is not a model: the message quotes the start of the offending
  // value, one line, a few characters; never the file.
  fs::remove(dir / "claim/models/link.yaml");
  fs::copy(dir / "secret.yaml", dir / "claim/models/notes.yaml");
  std::string claim = base;
  claim.replace(claim.find("model: one_compartment_iv"), 25, "model: models/notes.yaml");
  std::ofstream(dir / "claim/claim.yaml") << claim;
  const ShellRun run = shell(dir, "$ONSET check claim/claim.yaml --draws 16");
  EXPECT_EQ(run.code, 2) << run.err;
  // (YAML folds the two lines into one value: its first 40 bytes are shown.)
  EXPECT_NE(run.err.find("'root:x:0:0:root:/root:/bin/bash second-s...'"), std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("second-secret-line"), std::string::npos) << run.err;
}

// ---------------------------------------------------------------- signals

// What a shell reports for the binary ended by `signal_number` after `delay_ms`: the exit
// code, or 128 + the signal that ended it.
int shell_code_after_signal(const std::vector<std::string>& arguments, int signal_number,
                            int delay_ms) {
  const int status = onset::testing::run_signalled(arguments, signal_number, delay_ms);
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// README's table: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP, whether the signal ends the
// run at once (`check`) or stops a loop that then exits cleanly (`nca`, between subjects).
TEST(Security, SignalsEndARunWithTheDocumentedCode) {
  const Scratch dir;
  {  // many subjects, so that the signal arrives while NCA runs
    std::ofstream table(dir / "many.csv");
    table << "ID,TIME,CONC\n";
    for (int id = 0; id < 150000; ++id)
      for (const char* row : {",0.5,8\n", ",1,7\n", ",2,5\n", ",4,3\n", ",8,1.5\n", ",12,0.8\n"})
        table << id << row;
  }
  const std::vector<std::string> check = {
      "check", kBad + "/claims/ok.yaml", "--draws", "100000000", "--threads", "1"};
  const std::vector<std::string> nca = {
      "nca",    dir / "many.csv", "--subject", "ID",  "--time",  "TIME",
      "--conc", "CONC",           "--dose",    "100", "--route", "bolus"};
  for (const auto& [signal_number, code] :
       std::vector<std::pair<int, int>>{{SIGINT, 130}, {SIGTERM, 143}, {SIGHUP, 129}}) {
    EXPECT_EQ(shell_code_after_signal(check, signal_number, 400), code) << "check, " << code;
    EXPECT_EQ(shell_code_after_signal(nca, signal_number, 1500), code) << "nca, " << code;
  }
}

}  // namespace
