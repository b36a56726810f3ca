// Output files are written atomically: to a temporary file beside the target, then renamed,
// so a failed or interrupted run never leaves a partial file, and never over an input.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace onset::cli {

// Calls write(stream) on a temporary file in the target's folder and renames it to `path`.
// Refuses when `path` is the same file as one of `inputs` (compared by device and inode, so
// also through another name or a link), before writing anything. A signal during the write
// removes the temporary file (cli/interrupt.hpp); inside an InterruptScope the write is
// abandoned at the rename. Throws std::runtime_error (with the path and the reason) when it
// cannot, or will not, write; the target is then untouched.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           const std::vector<std::string>& inputs = {});

}  // namespace onset::cli
