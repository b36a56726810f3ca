// Outputs under signals and over inputs (io/output_file.hpp, io/interrupt.hpp): a run
// interrupted while writing leaves neither the target nor the temporary file; inside an
// InterruptScope the first signal abandons the write cleanly; an output never replaces an input.
// Each signal test runs in a forked child, so the handler never touches the test process.
#include "io/interrupt.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/output_file.hpp"
#include "run_command.hpp"

namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir =
      fs::path(ONSET_BINARY_DIR) / ("interrupt_test_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

bool only_file_is(const fs::path& dir, const std::string& name) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename() != name) return false;
    ++count;
  }
  return count <= 1;
}

TEST(Interrupt, SignalWhileWritingLeavesNoFile) {
  const fs::path dir = scratch("plain");
  const fs::path target = dir / "out.csv";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    onset::io::write_file_atomically(target.string(), [](std::ostream& out) {
      out << "ID,TIME\n1,0\n";
      out.flush();
      std::raise(SIGINT);  // as Ctrl-C halfway through the output
      out << "1,1\n";
    });
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status;
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_empty(dir)) << "the temporary file was left behind";
  fs::remove_all(dir);
}

TEST(Interrupt, SignalInsideScopeAbandonsTheWrite) {
  const fs::path dir = scratch("scope");
  const fs::path target = dir / "out.csv";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const onset::io::InterruptScope interruptible;
    try {
      onset::io::write_file_atomically(target.string(), [](std::ostream& out) {
        out << "ID,TIME\n";
        std::raise(SIGINT);  // sets the flag only
        out << "1,0\n";
      });
    } catch (const std::runtime_error&) {
      ::_exit(onset::io::interrupt_requested() ? onset::io::kExitInterrupted : 3);
    }
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), onset::io::kExitInterrupted);
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_empty(dir)) << "the temporary file was left behind";
  fs::remove_all(dir);
}

TEST(Interrupt, OutputNeverReplacesAnInput) {
  const fs::path dir = scratch("input");
  const fs::path input = dir / "data.csv";
  std::ofstream(input) << "ID,TIME\n1,0\n";
  const fs::path link = dir / "link.csv";
  fs::create_symlink(input, link);
  const fs::path hard = dir / "hard.csv";
  fs::create_hard_link(input, hard);
  for (const fs::path& target : {input, link, hard}) {
    EXPECT_THROW(onset::io::write_file_atomically(
                     target.string(), [](std::ostream& out) { out << "x\n"; }, {input.string()}),
                 std::runtime_error)
        << target;
  }
  EXPECT_EQ(onset::testing::read_all(input.string()), "ID,TIME\n1,0\n");
  // Another file is written as before.
  onset::io::write_file_atomically((dir / "out.csv").string(),
                                   [](std::ostream& out) { out << "x\n"; }, {input.string()});
  EXPECT_EQ(onset::testing::read_all((dir / "out.csv").string()), "x\n");
  fs::remove_all(dir);
}

// The real binary, SIGINT after `delay_ms`: the wait status.
int run_interrupted(const std::vector<std::string>& arguments, int delay_ms) {
  return onset::testing::run_signalled(arguments, SIGINT, delay_ms);
}

// The real binary, killed by SIGINT during a long simulation: no output file, no temporary file.
TEST(Interrupt, SimulateInterruptedLeavesNoOutput) {
  const fs::path dir = scratch("simulate");
  std::ofstream(dir / "dose.csv") << "ID,TIME,AMT,DV\n1,0,100,.\n";
  const fs::path target = dir / "out.csv";
  const int status =
      run_interrupted({"simulate", "b2_ev_cascade", "--data", (dir / "dose.csv").string(),
                       "--times", "0:100000:0.01", "--out", target.string()},
                      300);
  ASSERT_NE(status, -1);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    GTEST_SKIP() << "the run finished before the signal";
  }
  // Ended by the SIGINT itself, or stopped cleanly with 130; a crash (SIGSEGV, SIGABRT) or
  // any other exit code fails.
  EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) ||
              (WIFEXITED(status) && WEXITSTATUS(status) == onset::io::kExitInterrupted))
      << "wait status " << status;
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(only_file_is(dir, "dose.csv")) << "a temporary file was left behind";
  fs::remove_all(dir);
}

// The real binary, killed by SIGINT during the Monte Carlo of `onset check --report`: no report
// and no temporary file (the report is written, atomically, only after the run).
TEST(Interrupt, CheckInterruptedLeavesNoReport) {
  const fs::path dir = scratch("check");
  const fs::path target = dir / "report.html";
  const std::string claim =
      std::string(ONSET_SOURCE_DIR) + "/tests/check/claims/one_compartment.yaml";
  const int status = run_interrupted(
      {"check", claim, "--draws", "2000000", "--threads", "1", "--report", target.string()}, 500);
  ASSERT_NE(status, -1);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    GTEST_SKIP() << "the run finished before the signal";
  }
  // Ended by the SIGINT itself, or stopped cleanly with 130; a crash (SIGSEGV, SIGABRT) or
  // any other exit code fails.
  EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) ||
              (WIFEXITED(status) && WEXITSTATUS(status) == onset::io::kExitInterrupted))
      << "wait status " << status;
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(fs::is_empty(dir)) << "a temporary file was left behind";
  fs::remove_all(dir);
}

}  // namespace
