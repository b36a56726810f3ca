// `onset nca` of one subject with a very long profile (issue 14: 1e5-1e6 points took minutes,
// and the first Ctrl-C was ignored until the subject ended): the real binary analyses a
// million points correctly, and a signal during the run ends it with nothing written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "run_command.hpp"

namespace {

namespace fs = std::filesystem;

// C = 10 exp(-0.05 t) at `count` times from 1e-4 h on: lambda_z 0.05 /h.
fs::path write_profile(const fs::path& dir, std::size_t count) {
  fs::create_directories(dir);
  const fs::path file = dir / "long.csv";
  std::ofstream out(file);
  out << "ID,TIME,CONC\n";
  char line[96];
  for (std::size_t i = 0; i < count; ++i) {
    const double t = 1e-4 * static_cast<double>(i + 1);
    std::snprintf(line, sizeof line, "1,%.6f,%.15g\n", t, 10 * std::exp(-0.05 * t));
    out << line;
  }
  return file;
}

// One million-point file for the tests below, written once.
class NcaLongProfile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::path(ONSET_BINARY_DIR) / ("nca_long_" + std::to_string(::getpid()));
    file_ = write_profile(dir_, 1'000'000);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  inline static fs::path dir_;
  inline static fs::path file_;
};

TEST_F(NcaLongProfile, AMillionPointsThroughTheBinary) {
  const auto result = onset::testing::run_onset("nca " + file_.string() +
                                                " --subject ID --time TIME --conc CONC --dose 100"
                                                " --route bolus --format csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The profile is one exponential: every candidate ties, all points are used, LAMZ = 0.05.
  EXPECT_NE(result.out.find("1,,LAMZNPT,1000000,"), std::string::npos) << result.out;
  const auto at = result.out.find("1,,LAMZ,");
  ASSERT_NE(at, std::string::npos) << result.out;
  EXPECT_NEAR(std::stod(result.out.substr(at + 8)), 0.05, 1e-9);
}

// SIGTERM while the binary reads or analyses a 1e6-point subject: the run ends (by the signal,
// or with exit code 143 once inside the analysis), and no report is written.
TEST_F(NcaLongProfile, SignalDuringALongSubjectEndsTheRun) {
  const fs::path& file = file_;
  const fs::path report = dir_ / "report.csv";
  const std::string binary = std::string(ONSET_BINARY_DIR) + "/bin/onset";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execl(binary.c_str(), binary.c_str(), "nca", file.c_str(), "--subject", "ID", "--time",
            "TIME", "--conc", "CONC", "--dose", "100", "--route", "bolus", "--format", "csv",
            "--output", report.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::usleep(300 * 1000);
  ::kill(child, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    GTEST_SKIP() << "the run finished before the signal";
  }
  // Ended by the SIGTERM itself, or stopped cleanly with 128 + SIGTERM = 143; a crash or any
  // other exit code fails.
  EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) ||
              (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM))
      << "wait status " << status;
  EXPECT_FALSE(fs::exists(report));
}

}  // namespace
