// Runs the real `onset` binary for command-line tests: stdout, stderr and the exit code.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// Starts the real binary with `arguments` (its output to /dev/null), sends `signal_number`
// after `delay_ms` and returns the wait status (-1 when it cannot be started or waited for).
inline int run_signalled(const std::vector<std::string>& arguments, int signal_number,
                         int delay_ms) {
  const std::string binary = std::string(ONSET_BINARY_DIR) + "/bin/onset";
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  const pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::usleep(static_cast<useconds_t>(delay_ms) * 1000);
  ::kill(child, signal_number);
  int status = 0;
  if (::waitpid(child, &status, 0) != child) return -1;
  return status;
}

}  // namespace onset::testing
