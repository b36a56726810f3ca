// Output files are written atomically: to a temporary file beside the target, then renamed,
// so a failed or interrupted run never leaves a partial file, and never over an input.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

namespace onset::cli {

// Calls write(stream) on a temporary file in the target's folder and renames it to `path`.
// Throws std::runtime_error (with the path and the system's reason) when it cannot.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace onset::cli
