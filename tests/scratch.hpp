// A scratch folder of the running test case, and the special files the io and cli tests need: a
// FIFO (mkfifo) and character devices made with mknod in that folder, copies of /dev/null (1, 3),
// /dev/zero (1, 5) and /dev/full (1, 7), never the machine's own nodes.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace onset::testing_support {

// An empty folder in the build tree that belongs to the running test case; removed by the
// destructor.
class Scratch {
 public:
  Scratch() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name)
      if (c == '/') c = '_';
    path_ = std::filesystem::path(ONSET_BINARY_DIR) /
            ("scratch_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Makes a character device node (major, minor) at `path`; "" on success, else why not (for
// GTEST_SKIP: mknod needs root or CAP_MKNOD, and some containers forbid it).
inline std::string make_character_device(const std::string& path, unsigned major, unsigned minor) {
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(major, minor)) == 0) return {};
  return "mknod is not permitted here (" + std::string(std::strerror(errno)) +
         "): a character device cannot be made to test with";
}

inline void make_fifo(const std::string& path) {
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
}

}  // namespace onset::testing_support
