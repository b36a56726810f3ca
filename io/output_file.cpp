#include "io/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <ostream>
#include <stdexcept>
#include <streambuf>

#include "io/interrupt.hpp"

namespace onset::io {

namespace {

namespace fs = std::filesystem;

// Set by prepare_standard_streams when descriptor 1 was closed at start.
bool standard_output_was_closed = false;

void ignore_file_size_signal() {
  // A write beyond `ulimit -f` then fails with EFBIG instead of ending the process.
  static const bool ignored = [] {
    std::signal(SIGXFSZ, SIG_IGN);
    return true;
  }();
  (void)ignored;
}

std::string reason(int error_number) { return std::strerror(error_number); }

// What kind of file `mode` is, for a refusal: "" for a regular file.
std::string not_a_regular_file(mode_t mode) {
  if (S_ISREG(mode)) return {};
  if (S_ISDIR(mode)) return "it is a folder";
  if (S_ISFIFO(mode)) return "it is a FIFO (named pipe)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "it is a device";
  if (S_ISSOCK(mode)) return "it is a socket";
  return "it is not a regular file";
}

// A stream buffer over a file descriptor that keeps the first error of write(2).
class DescriptorBuffer : public std::streambuf {
 public:
  explicit DescriptorBuffer(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* data = pbase();
    size_t left = static_cast<size_t>(pptr() - pbase());
    while (left > 0 && error_ == 0) {
      const ssize_t written = ::write(fd_, data, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
      } else if (written == 0) {
        error_ = EIO;
      } else {
        data += written;
        left -= static_cast<size_t>(written);
      }
    }
    setp(buffer_, buffer_ + sizeof buffer_);
    return error_ == 0;
  }

  int fd_;
  int error_ = 0;
  char buffer_[1 << 16];
};

// The permissions of a new file: 0666 less the process's umask.
mode_t new_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return static_cast<mode_t>(0666 & ~mask);
}

}  // namespace

std::string check_output_target(const std::string& path, const std::vector<std::string>& inputs) {
  if (path.empty()) throw OutputError(path, "an empty output file name");
  std::error_code error;
  // Symbolic links are followed (to the file they name, which is what gets replaced).
  fs::path target = fs::absolute(fs::path(path), error);
  if (!error) target = fs::weakly_canonical(target, error);
  if (error) target = fs::absolute(fs::path(path));
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    const std::string kind = not_a_regular_file(st.st_mode);
    if (!kind.empty())
      throw OutputError(path, "will not write here: " + kind,
                        "name a regular file (a new one, or one to replace)");
    for (const auto& input : inputs) {
      struct stat in {};
      if (input.empty() || ::stat(input.c_str(), &in) != 0) continue;
      if (in.st_dev == st.st_dev && in.st_ino == st.st_ino)
        throw OutputError(path, "will not write here: it is the input file '" + input + "'",
                          "choose another output file");
    }
  } else if (errno != ENOENT) {
    throw OutputError(path, "cannot write: " + reason(errno));
  }
  const fs::path folder = target.parent_path();
  if (::stat(folder.c_str(), &st) != 0)
    throw OutputError(path, "cannot write: the folder '" + folder.string() + "' does not exist",
                      "create the folder first, or write somewhere else");
  if (!S_ISDIR(st.st_mode))
    throw OutputError(path, "cannot write: '" + folder.string() + "' is not a folder");
  return target.string();
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           const std::vector<std::string>& inputs) {
  ignore_file_size_signal();
  const fs::path target = check_output_target(path, inputs);
  // ".NAME.tmpXXXXXX" beside the target (the name cut so that the whole stays within NAME_MAX).
  std::string stem = target.filename().string().substr(0, 200);
  std::string temporary = (target.parent_path() / ("." + stem + ".tmpXXXXXX")).string();
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0)
    throw OutputError(path, "cannot write: cannot create a temporary file in '" +
                                target.parent_path().string() + "': " + reason(errno));
  const TemporaryFileGuard remove_on_signal(temporary);
  auto discard = [&] { ::unlink(temporary.c_str()); };
  int error_number = 0;
  {
    DescriptorBuffer buffer(fd);
    std::ostream out(&buffer);
    try {
      write(out);
    } catch (...) {
      ::close(fd);
      discard();
      throw;
    }
    out.flush();
    error_number = buffer.error();
    if (error_number == 0 && !out) error_number = EIO;
  }
  if (error_number == 0 && ::fchmod(fd, new_file_mode()) != 0) error_number = errno;
  if (::close(fd) != 0 && error_number == 0) error_number = errno;
  if (error_number != 0) {
    discard();
    throw OutputError(path, "cannot write: " + reason(error_number) + "; nothing written");
  }
  if (interrupt_requested()) {
    discard();
    throw std::runtime_error("interrupted; '" + path + "' not written");
  }
  // The target may have changed since the first check (another process): check again.
  try {
    check_output_target(path, inputs);
  } catch (...) {
    discard();
    throw;
  }
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    const int rename_error = errno;
    discard();
    throw OutputError(path, "cannot write: " + reason(rename_error));
  }
}

void write_file_atomically(const std::string& path, const std::string& bytes,
                           const std::vector<std::string>& inputs) {
  write_file_atomically(
      path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<long>(bytes.size())); },
      inputs);
}

void prepare_standard_streams() {
  for (const int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // The lowest free descriptor is `fd` itself (the ones below are open by now).
    const int held = ::open("/dev/null", O_RDONLY);
    if (held >= 0 && held != fd) {
      ::dup2(held, fd);
      ::close(held);
    }
    if (fd == STDOUT_FILENO) standard_output_was_closed = true;
  }
  ignore_file_size_signal();
}

std::string finish_standard_output() {
  errno = 0;
  std::cout.flush();  // through stdout's buffer (cout is synchronised with stdio)
  int error_number = errno;
  const bool stream_failed = !std::cout;
  errno = 0;
  const bool flush_failed = std::fflush(stdout) != 0;
  if (error_number == 0) error_number = errno;
  if (!stream_failed && !flush_failed && !std::ferror(stdout)) return {};
  if (error_number == 0) {
    // The write that failed was earlier (its errno is gone, and stdio dropped the buffer):
    // one more byte to the descriptor, which has lost data already, says why.
    if (::write(STDOUT_FILENO, "\n", 1) < 0) error_number = errno;
  }
  if (standard_output_was_closed || error_number == EBADF) return "standard output is closed";
  return error_number != 0 ? reason(error_number) : "a write failed";
}

}  // namespace onset::io
