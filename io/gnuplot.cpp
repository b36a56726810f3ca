#include "io/gnuplot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>

#include "io/input_file.hpp"
#include "io/names.hpp"
#include "io/output_file.hpp"

extern char** environ;

namespace onset::io {

namespace {

namespace fs = std::filesystem;

// The length of the well-formed UTF-8 sequence starting at text[i]; 0 if there is none.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const std::size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                             : lead >= 0xE0 && lead <= 0xEF ? 3
                             : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                            : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
  return length;
}

std::string filtered(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      out += is_label_ascii(text[i]) ? text[i] : '?';
      ++i;
      continue;
    }
    const std::size_t length = utf8_length(text, i);
    if (length == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

// `text` between two `quote`s (appended rather than `"'" + ...`, which gcc 12 misreads as an
// overlapping copy).
std::string quoted(char quote, std::string_view text) {
  std::string out(1, quote);
  out += text;
  out += quote;
  return out;
}

// A private folder under $TMPDIR (else /tmp), removed with everything in it.
class PrivateFolder {
 public:
  PrivateFolder() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = (base != nullptr && *base != '\0' ? std::string(base) : "/tmp");
    pattern += "/onset-plot-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      throw GnuplotError("cannot make a temporary folder for gnuplot (" + pattern +
                         "): " + std::strerror(errno));
    path_ = pattern;
  }
  ~PrivateFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_whole(const fs::path& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  for (std::size_t done = 0; ok && done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  const int error_number = errno;
  if (fd >= 0 && ::close(fd) != 0) ok = false;
  if (!ok)
    throw GnuplotError("cannot write gnuplot's input " + path.string() + ": " +
                       std::strerror(error_number));
}

// Spawns `argv` (no shell) in `folder` (or here when empty) with stdin from /dev/null and stdout
// and stderr to `log` (relative to the folder; /dev/null when empty); returns the wait status,
// or -1 with *error_number set when it cannot be started.
int spawn_and_wait(const std::vector<std::string>& arguments, const fs::path& folder,
                   const std::string& log, int* error_number) {
  std::vector<char*> argv;
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!folder.empty()) posix_spawn_file_actions_addchdir_np(&actions, folder.c_str());
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.empty() ? "/dev/null" : log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // onset ignores SIGXFSZ (io/output_file.hpp); gnuplot gets the default back.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGXFSZ);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  pid_t child = 0;
  const int started = ::posix_spawnp(&child, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (started != 0) {
    *error_number = started;
    return -1;
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      *error_number = errno;
      return -1;
    }
  }
  return status;
}

std::string not_found(const std::string& program, int error_number) {
  return "gnuplot cannot be run ('" + program + "': " + std::strerror(error_number) +
         "): install Debian's gnuplot-nox (scripts/setup does) or set ONSET_GNUPLOT to its path";
}

}  // namespace

std::string gnuplot_text(std::string_view text) { return quoted('\'', filtered(text)); }

std::string gnuplot_data_label(std::string_view text) { return quoted('"', filtered(text)); }

std::string gnuplot_program() {
  const char* program = std::getenv("ONSET_GNUPLOT");
  return program != nullptr && *program != '\0' ? std::string(program) : std::string("gnuplot");
}

std::string gnuplot_problem() {
  const std::string program = gnuplot_program();
  int error_number = 0;
  const int status = spawn_and_wait({program, "--version"}, {}, {}, &error_number);
  if (status < 0) return not_found(program, error_number);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "gnuplot ('" + program +
           "') does not run ('--version' failed): install Debian's gnuplot-nox (scripts/setup "
           "does) or set ONSET_GNUPLOT to its path";
  return {};
}

std::string gnuplot_script_problem(std::string_view script) {
  // The words of onset's plot scripts (report_html.cpp, fit_plot.cpp); nothing that reads,
  // writes or runs anything.
  static const std::set<std::string, std::less<>> kWords = {
      "arrow",        "at",        "bmargin",     "border",     "boxes",       "boxwidth",
      "by",           "clustered", "data",        "dt",         "every",       "fc",
      "filledcurves", "fill",      "font",        "from",       "fs",          "gap",
      "graph",        "grid",      "histogram",   "histograms", "key",         "label",
      "layout",       "lc",        "left",        "lines",      "linespoints", "logscale",
      "lw",           "multiplot", "nohead",      "notitle",    "offset",      "outside",
      "plot",         "points",    "ps",          "pt",         "rgb",         "right",
      "rotate",       "set",       "solid",       "style",      "tc",          "title",
      "to",           "top",       "transparent", "unset",      "using",       "vertical",
      "with",         "x",         "xlabel",      "xrange",     "xtic",        "xtics",
      "xy",           "y",         "ylabel",      "yrange",     "ytics"};
  int line_number = 0;
  bool continued = false;
  std::size_t start = 0;
  while (start < script.size()) {
    std::size_t end = script.find('\n', start);
    if (end == std::string_view::npos) end = script.size();
    const std::string_view line = script.substr(start, end - start);
    start = end + 1;
    ++line_number;
    auto problem = [&](const std::string& what) {
      return "line " + std::to_string(line_number) + ": " + what + " in '" + excerpt(line) + "'";
    };
    const bool starts_command = line.starts_with("set ") || line.starts_with("unset ") ||
                                line.starts_with("plot ") || line.empty();
    if (!starts_command && !(continued && line.starts_with("  ")))
      return problem("not a set, unset or plot command");
    continued = !line.empty() && line.back() == '\\';
    const std::string_view body = continued ? line.substr(0, line.size() - 1) : line;
    for (std::size_t i = 0; i < body.size();) {
      const char ch = body[i];
      if (ch == '\'') {  // a string: label characters or '?', '' for a quote, closed here
        std::size_t j = i + 1;
        for (;; ++j) {
          if (j >= body.size()) return problem("a string that is not closed");
          if (body[j] == '\'') {
            if (j + 1 < body.size() && body[j + 1] == '\'') {
              ++j;
              continue;
            }
            break;
          }
          const auto byte = static_cast<unsigned char>(body[j]);
          if (byte < 0x80 && !is_label_ascii(body[j]) && body[j] != '?')
            return problem(quoted('\'', excerpt(std::string_view(&body[j], 1))) + " in a string");
        }
        i = j + 1;
      } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_') {
        std::size_t j = i;
        while (j < body.size() &&
               (std::isalnum(static_cast<unsigned char>(body[j])) || body[j] == '_'))
          ++j;
        const std::string_view word = body.substr(i, j - i);
        if (kWords.find(word) == kWords.end())
          return problem("the word '" + std::string(word) + "'");
        i = j;
      } else if (ch >= '0' && ch <= '9') {
        while (i < body.size() &&
               (std::isdigit(static_cast<unsigned char>(body[i])) || body[i] == '.' ||
                body[i] == 'e' || body[i] == 'E' ||
                ((body[i] == '-' || body[i] == '+') && (body[i - 1] == 'e' || body[i - 1] == 'E'))))
          ++i;
      } else if (std::string_view(" [](),:./*-+").find(ch) != std::string_view::npos) {
        ++i;
      } else {
        return problem(quoted('\'', excerpt(std::string_view(&body[i], 1))) + " outside a string");
      }
    }
  }
  return {};
}

void check_plot_target(const std::string& path, const std::vector<std::string>& inputs) {
  check_output_target(path, inputs);
  if (const std::string problem = gnuplot_problem(); !problem.empty())
    throw OutputError(path, "cannot draw the plots: " + problem);
}

std::string run_gnuplot(const GnuplotJob& job) {
  if (const std::string problem = gnuplot_script_problem(job.script); !problem.empty())
    throw GnuplotError("refusing to run a gnuplot script that is not onset's own (" + problem +
                       ")");
  const PrivateFolder folder;
  for (const auto& [name, content] : job.data_files) {
    const bool plain = !name.empty() && name.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789_.") == std::string::npos;
    if (!plain || name == "plot.gp" || name == "plot.out" || name == "gnuplot.log")
      throw GnuplotError("a data file name of onset's own must be plain: '" + name + "'");
    write_whole(folder.path() / name, content);
  }
  write_whole(folder.path() / "plot.gp", "set terminal " + job.terminal +
                                             "\nset output 'plot.out'\n" + job.script +
                                             "\nunset output\n");
  const std::string program = gnuplot_program();
  int error_number = 0;
  const int status =
      spawn_and_wait({program, "plot.gp"}, folder.path(), "gnuplot.log", &error_number);
  if (status < 0) throw GnuplotError(not_found(program, error_number));
  std::string log, drawn;
  (void)read_text_file((folder.path() / "gnuplot.log").string(), &log, std::size_t{1} << 20);
  if (WIFSIGNALED(status))
    throw GnuplotError("gnuplot ('" + program + "') was ended by signal " +
                       std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw GnuplotError("gnuplot ('" + program + "') failed: " + log.substr(0, 2000));
  const std::string why =
      read_text_file((folder.path() / "plot.out").string(), &drawn, std::size_t{1} << 30);
  if (!why.empty() || drawn.empty())
    throw GnuplotError("gnuplot ('" + program + "') drew nothing: " + log.substr(0, 2000));
  return drawn;
}

}  // namespace onset::io
