// What onset opens as an input (io/input_file.hpp): regular files only, a FIFO refused at once
// (not a hang), a file named by another confined to that file's folder, and messages that
// quote a few characters of a value, never a file.
#include "io/input_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/scratch.hpp"

namespace {

namespace fs = std::filesystem;
using onset::io::excerpt;
using onset::io::read_text_file;
using onset::io::resolve_inside_folder;
using onset::testing_support::Scratch;

constexpr std::size_t kLimit = 1 << 20;

TEST(InputFile, ReadsARegularFile) {
  const Scratch dir;
  std::ofstream(dir / "a.csv") << "ID,TIME\n1,0\n";
  std::string text;
  EXPECT_EQ(read_text_file(dir / "a.csv", &text, kLimit), "");
  EXPECT_EQ(text, "ID,TIME\n1,0\n");
}

// A FIFO with no writer would block open(2) forever: it is refused at once.
TEST(InputFile, RefusesAFifoWithoutWaitingForAWriter) {
  const Scratch dir;
  onset::testing_support::make_fifo(dir / "pipe");
  std::string text;
  EXPECT_EQ(read_text_file(dir / "pipe", &text, kLimit),
            "is a FIFO (named pipe), not a regular file");
}

TEST(InputFile, RefusesADeviceAFolderAndAMissingFile) {
  const Scratch dir;
  std::string text;
  EXPECT_EQ(read_text_file(dir.path().string(), &text, kLimit), "is a folder, not a file");
  EXPECT_EQ(read_text_file(dir / "none.csv", &text, kLimit), "cannot be opened for reading");
  const std::string zero_copy = dir / "zero";  // a copy of /dev/zero: (1, 5), endless
  const std::string why = onset::testing_support::make_character_device(zero_copy, 1, 5);
  if (!why.empty()) GTEST_SKIP() << why;
  EXPECT_EQ(read_text_file(zero_copy, &text, kLimit), "is a device, not a regular file");
}

TEST(InputFile, RefusesAFileAboveTheLimit) {
  const Scratch dir;
  std::ofstream(dir / "big.csv") << std::string(3 << 20, 'x');
  std::string text;
  EXPECT_EQ(read_text_file(dir / "big.csv", &text, 1 << 20),
            "is 3 MB, above the limit of 1 MB for one input file");
}

TEST(InputFile, ModelPathsStayInsideTheClaimsFolder) {
  const Scratch dir;
  fs::create_directories(dir.path() / "claims/models");
  std::ofstream(dir / "claims/models/m.yaml") << "name: m\n";
  std::ofstream(dir / "secret.yaml") << "name: secret\n";
  const fs::path claims = dir.path() / "claims";
  std::string why;
  EXPECT_EQ(resolve_inside_folder(claims, "models/m.yaml", &why), claims / "models/m.yaml");
  EXPECT_EQ(resolve_inside_folder(claims, "./models/../models/m.yaml", &why), fs::path())
      << "'..' is refused even when it stays inside";
  EXPECT_EQ(why, "a path with '..'");
  EXPECT_EQ(resolve_inside_folder(claims, "../secret.yaml", &why), fs::path());
  EXPECT_EQ(resolve_inside_folder(claims, "../../../../etc/passwd", &why), fs::path());
  EXPECT_EQ(resolve_inside_folder(claims, dir / "secret.yaml", &why), fs::path());
  EXPECT_EQ(why, "an absolute path");
  // A file that does not exist yet is inside (opening it says it is missing).
  EXPECT_EQ(resolve_inside_folder(claims, "models/none.yaml", &why), claims / "models/none.yaml");
  // Symbolic links: to a file outside, and a folder link that leads outside, are refused; a
  // link that stays inside is followed.
  fs::create_symlink(dir / "secret.yaml", claims / "models/evil.yaml");
  fs::create_symlink(dir.path(), claims / "up");
  fs::create_symlink(claims / "models/m.yaml", claims / "alias.yaml");
  EXPECT_EQ(resolve_inside_folder(claims, "models/evil.yaml", &why), fs::path());
  EXPECT_NE(why.find("a symbolic link that leads outside the folder"), std::string::npos) << why;
  EXPECT_EQ(resolve_inside_folder(claims, "up/secret.yaml", &why), fs::path());
  EXPECT_EQ(resolve_inside_folder(claims, "alias.yaml", &why), claims / "alias.yaml");
  // A claim folder that is itself reached through a link is compared resolved.
  fs::create_symlink(claims, dir.path() / "claims-link");
  EXPECT_EQ(resolve_inside_folder(dir.path() / "claims-link", "models/m.yaml", &why),
            dir.path() / "claims-link/models/m.yaml");
}

TEST(InputFile, ExcerptShowsAFewCharactersOfOneLine) {
  EXPECT_EQ(excerpt("short"), "short");
  EXPECT_EQ(excerpt("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1"),
            "root:x:0:0:root:/root:/bin/bash...");
  EXPECT_EQ(excerpt(std::string(100, 'a')), std::string(40, 'a') + "...");
  EXPECT_EQ(excerpt("a\tb\x01"
                    "c"),
            "a\\tb\\x01c");
  // Cut at a character boundary: 39 ASCII bytes, then a two-byte µ that would straddle 40.
  EXPECT_EQ(excerpt(std::string(39, 'a') + "\xC2\xB5" + "zzz"), std::string(39, 'a') + "...");
  EXPECT_EQ(excerpt("one line\n"), "one line");
}

}  // namespace
