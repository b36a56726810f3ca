// The one output module (io/output_file.hpp): which targets it refuses (an input by device and
// inode, a FIFO, a device, a folder, a missing folder), that a write it cannot finish (a
// file-size limit) is an error with nothing left behind, that two writes to one target use two
// temporary files, and that a closed or full standard output is reported.
#include "io/output_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/scratch.hpp"

namespace {

namespace fs = std::filesystem;
using onset::io::OutputError;
using onset::io::write_file_atomically;
using onset::testing_support::Scratch;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The files in `dir` other than `except` (a left-behind temporary file shows up here).
int other_files(const fs::path& dir, const std::string& except = {}) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) count += entry.path().filename() != except;
  return count;
}

std::string refusal(const std::string& target, const std::vector<std::string>& inputs = {}) {
  try {
    write_file_atomically(target, std::string("new\n"), inputs);
  } catch (const OutputError& error) {
    return error.what();
  }
  return "(written)";
}

TEST(OutputFile, WritesAFileAndLeavesNoTemporary) {
  const Scratch dir;
  write_file_atomically(dir / "out.csv", [](std::ostream& out) { out << "a,b\n1,2\n"; });
  EXPECT_EQ(read_all(dir / "out.csv"), "a,b\n1,2\n");
  EXPECT_EQ(other_files(dir.path(), "out.csv"), 0);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "out.csv").c_str(), &st), 0);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask) << "a new file gets 0666 less the umask, not 0600";
}

TEST(OutputFile, RefusesAnInputThroughAnyName) {
  const Scratch dir;
  const std::string input = dir / "data.csv";
  std::ofstream(input) << "ID,TIME\n1,0\n";
  fs::create_symlink(input, dir / "link.csv");
  fs::create_hard_link(input, dir / "hard.csv");
  for (const std::string name : {"data.csv", "link.csv", "hard.csv"})
    EXPECT_NE(refusal(dir / name, {input}).find("it is the input file"), std::string::npos) << name;
  EXPECT_EQ(read_all(input), "ID,TIME\n1,0\n");
  EXPECT_TRUE(fs::is_symlink(dir / "link.csv"));
}

TEST(OutputFile, FollowsASymbolicLinkToAnotherFile) {
  const Scratch dir;
  std::ofstream(dir / "real.csv") << "old\n";
  fs::create_symlink(dir / "real.csv", dir / "link.csv");
  write_file_atomically(dir / "link.csv", std::string("new\n"));
  EXPECT_TRUE(fs::is_symlink(dir / "link.csv")) << "the link stays, the file it names is replaced";
  EXPECT_EQ(read_all(dir / "real.csv"), "new\n");
}

TEST(OutputFile, RefusesAFifoAndLeavesItAFifo) {
  const Scratch dir;
  onset::testing_support::make_fifo(dir / "pipe");
  EXPECT_NE(refusal(dir / "pipe").find("it is a FIFO (named pipe)"), std::string::npos);
  EXPECT_TRUE(fs::is_fifo(dir / "pipe"));
  EXPECT_EQ(other_files(dir.path(), "pipe"), 0);
}

TEST(OutputFile, RefusesACharacterDeviceAndLeavesItADevice) {
  const Scratch dir;
  const std::string null_copy = dir / "null";  // a copy of /dev/null: (1, 3)
  const std::string why = onset::testing_support::make_character_device(null_copy, 1, 3);
  if (!why.empty()) GTEST_SKIP() << why;
  EXPECT_NE(refusal(null_copy).find("it is a device"), std::string::npos);
  EXPECT_TRUE(fs::is_character_file(null_copy)) << "the device node was renamed over";
  EXPECT_EQ(other_files(dir.path(), "null"), 0);
}

TEST(OutputFile, RefusesAFolderAndAMissingFolder) {
  const Scratch dir;
  fs::create_directory(dir / "sub");
  EXPECT_NE(refusal(dir / "sub").find("it is a folder"), std::string::npos);
  const std::string missing = refusal(dir / "no/such/out.csv");
  EXPECT_NE(missing.find("cannot write: the folder '" + (dir / "no/such") + "' does not exist"),
            std::string::npos)
      << missing;
  EXPECT_NE(refusal("").find("an empty output file name"), std::string::npos);
}

// A file-size limit (`ulimit -f`): the write fails with "File too large" instead of SIGXFSZ
// killing the process, and neither the target nor a temporary file is left. In a child, so the
// limit and the signal setting stay there.
TEST(OutputFile, FileSizeLimitIsAnErrorWithNothingLeft) {
  const Scratch dir;
  const std::string target = dir / "big.csv";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_file_atomically(target, std::string(1 << 20, 'x'));
    } catch (const OutputError& error) {
      const std::string what = error.what();
      ::_exit(what.find("File too large") != std::string::npos ? 0 : 4);
    }
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(other_files(dir.path()), 0) << "a target or temporary file was left";
}

// An old target survives a failed write untouched.
TEST(OutputFile, FailedWriteLeavesTheOldTarget) {
  const Scratch dir;
  std::ofstream(dir / "out.csv") << "old\n";
  EXPECT_THROW(write_file_atomically(dir / "out.csv",
                                     [](std::ostream& out) {
                                       out << "half";
                                       throw std::runtime_error("the command failed");
                                     }),
               std::runtime_error);
  EXPECT_EQ(read_all(dir / "out.csv"), "old\n");
  EXPECT_EQ(other_files(dir.path(), "out.csv"), 0);
}

// Two writes to one target at once (as two runs of `onset fit --plot same.svg`) each get their
// own temporary file: the one that finishes first is not truncated or renamed by the other.
TEST(OutputFile, ConcurrentWritesUseTheirOwnTemporaryFiles) {
  const Scratch dir;
  const std::string target = dir / "plot.svg";
  std::vector<std::string> temporaries_seen;
  write_file_atomically(target, [&](std::ostream& outer) {
    outer << "outer start\n";
    outer.flush();
    for (const auto& entry : fs::directory_iterator(dir.path()))
      temporaries_seen.push_back(entry.path().filename());
    write_file_atomically(target, [&](std::ostream& inner) {
      inner << "inner\n";
      for (const auto& entry : fs::directory_iterator(dir.path()))
        temporaries_seen.push_back(entry.path().filename());
    });
    outer << "outer end\n";
  });
  ASSERT_EQ(temporaries_seen.size(), 3u);  // outer's; outer's and inner's
  EXPECT_NE(temporaries_seen[1], temporaries_seen[2]);
  EXPECT_EQ(temporaries_seen[0].rfind(".plot.svg.tmp", 0), 0u) << temporaries_seen[0];
  EXPECT_EQ(read_all(target), "outer start\nouter end\n") << "the last rename wins, complete";
  EXPECT_EQ(other_files(dir.path(), "plot.svg"), 0);
}

// Standard output: a closed descriptor 1 and a full device are both reported by
// finish_standard_output. In children: their descriptor 1 is changed.
int child_status(const std::function<void()>& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return status;
}

TEST(StandardOutput, ClosedStandardOutputIsReported) {
  const int status = child_status([] {
    ::close(STDOUT_FILENO);
    onset::io::prepare_standard_streams();
    // A file opened now must not become descriptor 1.
    const int fd = ::open("/dev/null", O_RDONLY);
    if (fd == STDOUT_FILENO) ::_exit(5);
    std::cout << "lost\n";
    ::_exit(onset::io::finish_standard_output() == "standard output is closed" ? 0 : 6);
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(StandardOutput, FullDeviceIsReported) {
  const Scratch dir;
  const std::string full_copy = dir / "full";  // a copy of /dev/full: (1, 7)
  const std::string why = onset::testing_support::make_character_device(full_copy, 1, 7);
  if (!why.empty()) GTEST_SKIP() << why;
  const int status = child_status([&] {
    if (std::freopen(full_copy.c_str(), "w", stdout) == nullptr) ::_exit(5);
    onset::io::prepare_standard_streams();
    std::cout << std::string(100000, 'x') << "\n";
    ::_exit(onset::io::finish_standard_output() == "No space left on device" ? 0 : 6);
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(StandardOutput, GoodOutputIsNotReported) {
  const Scratch dir;
  const std::string file = dir / "out.txt";
  const int status = child_status([&] {
    if (std::freopen(file.c_str(), "w", stdout) == nullptr) ::_exit(5);
    onset::io::prepare_standard_streams();
    std::cout << "fine\n";
    std::printf("also fine\n");
    ::_exit(onset::io::finish_standard_output().empty() ? 0 : 6);
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_all(file), "fine\nalso fine\n");
}

}  // namespace
