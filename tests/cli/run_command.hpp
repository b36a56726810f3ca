// Runs the real `onset` binary for command-line tests: stdout, stderr and the exit code.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace onset::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_all(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// `arguments` is appended to the binary's path as given (the caller quotes as needed).
inline CommandResult run_onset(const std::string& arguments) {
  static int counter = 0;
  const std::string stem = std::string(ONSET_BINARY_DIR) + "/onset_cli_test_" +
                           std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string command = std::string(ONSET_BINARY_DIR) + "/bin/onset " + arguments + " > " +
                              stem + ".out 2> " + stem + ".err";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_all(stem + ".out");
  result.err = read_all(stem + ".err");
  std::remove((stem + ".out").c_str());
  std::remove((stem + ".err").c_str());
  return result;
}

}  // namespace onset::testing
