#include "cli/output_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "cli/interrupt.hpp"

namespace onset::cli {

namespace {

// True when both paths exist and are the same file.
bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  for (const auto& input : inputs)
    if (!input.empty() && same_file(path, input))
      throw std::runtime_error("will not write '" + path + "': it is the input file '" + input +
                               "'; choose another output file");
  const fs::path target(path);
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string hidden_name = ".";
  hidden_name += target.filename().string();
  hidden_name += ".tmp";
  hidden_name += std::to_string(::getpid());
  const fs::path temporary = folder / hidden_name;
  const TemporaryFileGuard remove_on_signal(temporary.string());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
    try {
      write(out);
    } catch (...) {
      out.close();
      std::remove(temporary.c_str());
      throw;
    }
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      throw std::runtime_error("cannot write '" + path + "': the disk refused the data");
    }
  }
  if (interrupt_requested()) {
    std::remove(temporary.c_str());
    throw std::runtime_error("interrupted; '" + path + "' not written");
  }
  std::error_code error;
  fs::rename(temporary, target, error);
  if (error) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot write '" + path + "': " + error.message());
  }
}

}  // namespace onset::cli
