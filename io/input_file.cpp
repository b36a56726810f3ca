#include "io/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <utility>

namespace onset::io {

namespace {

namespace fs = std::filesystem;

// Closes a descriptor when it goes out of scope.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

bool inside(const fs::path& folder, const fs::path& path) {
  auto f = folder.begin();
  auto p = path.begin();
  for (; f != folder.end(); ++f, ++p) {
    if (f->empty()) continue;  // a trailing separator
    if (p == path.end() || *f != *p) return false;
  }
  return true;
}

std::mutex observer_mutex;
InputObserver observer;  // guarded by observer_mutex

void notify_observer(const std::string& path) {
  const std::lock_guard<std::mutex> lock(observer_mutex);
  if (observer) observer(path);
}

}  // namespace

InputObserver set_input_observer(InputObserver next) {
  const std::lock_guard<std::mutex> lock(observer_mutex);
  std::swap(observer, next);
  return next;
}

std::string read_text_file(const std::string& path, std::string* text, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO without a writer returns at once (it would block otherwise);
  // the file is then refused by its type before anything is read.
  Descriptor file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (file.fd < 0) return "cannot be opened for reading";
  notify_observer(path);
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return "cannot be read";
  if (S_ISDIR(st.st_mode)) return "is a folder, not a file";
  if (S_ISFIFO(st.st_mode)) return "is a FIFO (named pipe), not a regular file";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "is a device, not a regular file";
  if (S_ISSOCK(st.st_mode)) return "is a socket, not a regular file";
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > max_bytes)
    return "is " + std::to_string(size >> 20) + " MB, above the limit of " +
           std::to_string(max_bytes >> 20) + " MB for one input file";
  text->assign(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::read(file.fd, text->data() + done, size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // an error, or the file shrank while being read
    done += static_cast<std::size_t>(got);
  }
  if (done != size) return "cannot be read completely";
  return {};
}

fs::path resolve_inside_folder(const fs::path& folder, const std::string& relative,
                               std::string* why) {
  const fs::path given(relative);
  if (relative.empty()) {
    *why = "an empty path";
    return {};
  }
  if (given.is_absolute()) {
    *why = "an absolute path";
    return {};
  }
  for (const auto& part : given) {
    if (part == "..") {
      *why = "a path with '..'";
      return {};
    }
  }
  const fs::path joined = (folder / given).lexically_normal();
  // Every symbolic link on the way resolved (the part that exists), then compared with the
  // folder resolved the same way.
  std::error_code error;
  const fs::path real_folder = fs::weakly_canonical(folder.empty() ? fs::path(".") : folder, error);
  if (error) {
    *why = "its folder cannot be resolved (" + error.message() + ")";
    return {};
  }
  const fs::path real = fs::weakly_canonical(joined, error);
  if (error) {
    *why = "it cannot be resolved (" + error.message() + ")";
    return {};
  }
  if (!inside(real_folder, real)) {
    *why = "a symbolic link that leads outside the folder (to " + real.string() + ")";
    return {};
  }
  return joined;
}

std::string excerpt(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const std::size_t line_end = text.find_first_of("\r\n");
  const bool more_lines = line_end != std::string_view::npos && line_end + 1 < text.size();
  std::string_view line = text.substr(0, line_end);
  bool cut = more_lines;
  if (line.size() > max_bytes) {
    std::size_t end = max_bytes;
    // Not inside a UTF-8 sequence: back up over continuation bytes.
    while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
    line = line.substr(0, end);
    cut = true;
  }
  std::string out;
  out.reserve(line.size() + 3);
  for (const char ch : line) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += ch;
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace onset::io
