// The one mapping from an exception to an exit code (cli/exit_codes.hpp), shared by every
// command: before it, `onset fit` answered 2 and `onset check` 1 for the same exception.
#include "cli/exit_codes.hpp"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "io/gnuplot.hpp"
#include "io/user_error.hpp"
#include "pk/solver_error.hpp"

namespace onset::cli {
namespace {

TEST(ExitCodes, BadInputOfEveryKindIsTwo) {
  EXPECT_EQ(exit_code_for(UserError("x.csv:3:5", "AMT must not be negative")), kExitBadInput);
  EXPECT_EQ(exit_code_for(FileError("m.yaml", 4, 14, "found '.nan'")), kExitBadInput);
  EXPECT_EQ(exit_code_for(io::GnuplotError("gnuplot is not installed")), kExitBadInput);
  EXPECT_EQ(exit_code_for(std::invalid_argument("too many grid points")), kExitBadInput);
  EXPECT_EQ(exit_code_for(std::out_of_range("no physiology for species 'dog'")), kExitBadInput);
}

TEST(ExitCodes, SolverFailureAndExhaustedMemoryAreAnalysisFailures) {
  EXPECT_EQ(exit_code_for(pk::SolverError("cvodes: CVodeInit failed with CV_MEM_FAIL")),
            kExitAnalysisFailed);
  EXPECT_EQ(exit_code_for(std::bad_alloc()), kExitAnalysisFailed);
}

TEST(ExitCodes, AnyOtherExceptionIsAnInternalError) {
  EXPECT_EQ(exit_code_for(std::runtime_error("unexpected")), kExitInternalError);
  EXPECT_EQ(exit_code_for(std::logic_error("model 'x' has no analytic Jacobian")),
            kExitInternalError);
}

TEST(ExitCodes, ReportSaysTheCommandAndMarksABugAsOne) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(report_failure("onset fit", std::runtime_error("boom")), kExitInternalError);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "onset fit: internal error (a bug in onset, please report it): boom\n");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(report_failure("onset check", UserError("c.yaml:3:1", "bad")), kExitBadInput);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "onset check: c.yaml:3:1: error: bad\n");
}

}  // namespace
}  // namespace onset::cli
