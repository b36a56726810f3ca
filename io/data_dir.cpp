#include "io/data_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "io/user_error.hpp"

namespace onset::io {

namespace {

bool is_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_directory(dir / "priors", ec);
}

}  // namespace

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("ONSET_DATA_DIR"); env != nullptr && *env != '\0') {
    const std::filesystem::path dir(env);
    if (!is_data_dir(dir)) {
      throw UserError("ONSET_DATA_DIR=" + dir.string(),
                      "not an onset data directory (it has no priors/ folder)",
                      "the data/ folder of the onset source tree",
                      "point ONSET_DATA_DIR at that folder, or unset it");
    }
    return dir;
  }
  std::vector<std::filesystem::path> tried;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path candidate =
        (exe.parent_path() / ".." / ".." / "data").lexically_normal();
    if (is_data_dir(candidate)) return candidate;
    tried.push_back(candidate);
  }
#ifdef ONSET_SOURCE_DIR
  const std::filesystem::path source = std::filesystem::path(ONSET_SOURCE_DIR) / "data";
  if (is_data_dir(source)) return source;
  tried.push_back(source);
#endif
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t.string();
  throw UserError({}, "onset data directory not found (tried " + list + ")",
                  "a data/ folder with priors/ in it",
                  "set ONSET_DATA_DIR to the data/ folder of the onset source tree");
}

std::filesystem::path prior_file(const std::string& family) {
  return data_dir() / "priors" / (family + ".yaml");
}

std::filesystem::path physiology_file() { return data_dir() / "species" / "physiology.yaml"; }

}  // namespace onset::io
