// Ctrl-C (SIGINT), SIGTERM and SIGHUP during a run of `onset`: an interrupted run leaves no
// partial output and never touches an input, and ends as a shell reports a process ended by
// that signal: 128 + the signal's number (130 SIGINT, 143 SIGTERM, 129 SIGHUP).
//
// Outside an InterruptScope a signal ends the process at once, as it would without onset's
// handler, after removing the temporary file of an output being written (io/output_file.hpp
// writes to a temporary file and renames it, so a target file is either complete or absent).
//
// A command with a long loop that can stop cleanly holds an InterruptScope around it and
// checks interrupt_requested() at each iteration: today `onset nca` (between subjects),
// `onset fit --population` (SAEM iterations, bootstrap replicates) and `onset simulate
// --replicates` (replicates). The first signal then only sets the flag: the loop stops, the
// command writes nothing, says "interrupted" on stderr and returns interrupt_exit_code()
// (128 + the signal's number). A second signal ends the process at once. The other commands
// (`onset check`, an individual `onset fit`, `onset simulate` without replicates) hold no scope:
// a signal ends them at once, which leaves no partial output either, since every output is
// written to a temporary file and renamed only when complete. For example (`onset nca`):
//
//     const io::InterruptScope interruptible;
//     for (...) {
//       if (io::interrupt_requested()) return io::report_interrupted("onset nca");
//       ...
//     }
//
// (An OpenMP loop cannot break: skip the remaining iterations' work when the flag is set and
// check it once after the loop.) The handler is process-wide; this header keeps its state in
// inline variables because a signal handler cannot reach anything else.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

namespace onset::io {

// 128 + SIGINT, as a shell reports a process ended by Ctrl-C; SIGTERM gives 143, SIGHUP 129
// (interrupt_exit_code()).
inline constexpr int kExitInterrupted = 130;

namespace interrupt_detail {

inline volatile std::sig_atomic_t requested_signal = 0;  // first signal seen in a scope
inline volatile std::sig_atomic_t scope_depth = 0;       // open InterruptScopes
inline volatile std::sig_atomic_t has_temporary = 0;     // temporary_path names a file
inline char temporary_path[4096];                        // output being written, to remove

inline void on_signal(int signal_number) {
  if (scope_depth > 0 && requested_signal == 0) {
    requested_signal = signal_number;  // the loop stops and removes its own temporary file
    return;
  }
  if (has_temporary) ::unlink(temporary_path);  // async-signal-safe
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);  // delivered when the handler returns: ends the process
}

inline void install_handlers() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction previous {};
      // Keep an inherited "ignore" (nohup, background jobs): only a default action is replaced.
      if (::sigaction(signal_number, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN)
        continue;
      ::sigaction(signal_number, &action, nullptr);
    }
    return true;
  }();
  (void)installed;
}

}  // namespace interrupt_detail

// True once SIGINT/SIGTERM/SIGHUP arrived while an InterruptScope was open.
inline bool interrupt_requested() { return interrupt_detail::requested_signal != 0; }

// While one is alive, the first signal sets interrupt_requested() instead of ending the process.
class InterruptScope {
 public:
  InterruptScope() {
    interrupt_detail::install_handlers();
    interrupt_detail::scope_depth = interrupt_detail::scope_depth + 1;
  }
  ~InterruptScope() { interrupt_detail::scope_depth = interrupt_detail::scope_depth - 1; }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// The exit code of a run stopped by the signal that arrived in a scope: 128 + its number, as
// a shell reports a process that the signal ended (130 for SIGINT, 143 SIGTERM, 129 SIGHUP).
inline int interrupt_exit_code() {
  const int signal_number = interrupt_detail::requested_signal;
  return signal_number > 0 ? 128 + signal_number : kExitInterrupted;
}

// "<command>: interrupted; no output written" on stderr; returns interrupt_exit_code().
inline int report_interrupted(const std::string& command) {
  std::cerr << command << ": interrupted; no output written\n";
  return interrupt_exit_code();
}

// The temporary file an atomic write is filling (io/output_file.cpp): removed if a signal ends
// the process before the rename. Paths longer than the buffer are not registered. A write
// inside another (nested guards) registers its own file and gives the outer one back after.
class TemporaryFileGuard {
 public:
  explicit TemporaryFileGuard(const std::string& path) {
    interrupt_detail::install_handlers();
    if (interrupt_detail::has_temporary) outer_ = interrupt_detail::temporary_path;
    set(path);
  }
  ~TemporaryFileGuard() { set(outer_); }
  TemporaryFileGuard(const TemporaryFileGuard&) = delete;
  TemporaryFileGuard& operator=(const TemporaryFileGuard&) = delete;

 private:
  static void set(const std::string& path) {
    interrupt_detail::has_temporary = 0;  // the handler never reads a half-copied path
    if (path.empty() || path.size() >= sizeof interrupt_detail::temporary_path) return;
    std::memcpy(interrupt_detail::temporary_path, path.c_str(), path.size() + 1);
    interrupt_detail::has_temporary = 1;
  }

  std::string outer_;  // the file of an enclosing write, or ""
};

}  // namespace onset::io
