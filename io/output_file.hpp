// Every file onset writes, and its standard output, go through this module:
//
//  - A target is checked before any work starts (check_output_target) and again when written:
//    it must not be an input of the run (the same device and inode, through any name, hard or
//    symbolic link), a folder, a FIFO, a device or a socket, and its folder must exist. A
//    symbolic link is followed: the file it names is written, the link stays.
//  - The data go to a unique temporary file beside the target (mkstemp: ".NAME.tmpXXXXXX", so
//    concurrent runs never share one); every write, the flush and the close are checked (a full
//    disk, a file-size limit, an I/O error), and only a complete file is renamed over the
//    target. On any failure the temporary file is removed and the target is left as it was. A
//    signal while writing removes the temporary file too (io/interrupt.hpp).
//  - SIGXFSZ is ignored, so that a file-size limit (`ulimit -f`) is a failed write with a
//    message, not a process killed with a temporary file left behind.
//  - Standard output: prepare_standard_streams() (first thing in main) holds a closed descriptor
//    0, 1 or 2 with /dev/null opened read-only, so that no file onset opens later becomes its
//    standard output and writes to a closed standard output fail; finish_standard_output() (last
//    thing) flushes it and says why output was lost (a closed stdout, `> /dev/full`, a file-size
//    limit).
//
// A target that is refused or cannot be written is an OutputError: a UserError (exit code 2)
// naming the path and the reason.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "io/user_error.hpp"

namespace onset::io {

// An output that will not, or cannot, be written: "PATH: error: WHAT".
struct OutputError : UserError {
  OutputError(const std::string& path, std::string problem, std::string fix = {})
      : UserError(path, std::move(problem), {}, std::move(fix)) {}
};

// Throws OutputError when `path` may not be written: empty; the same file as one of `inputs`
// (empty names are skipped); an existing folder, FIFO, device or socket (after following
// symbolic links); or in a folder that does not exist. Returns the path that will be replaced
// (symbolic links followed). Call it before the work, so that a run is refused at once.
std::string check_output_target(const std::string& path,
                                const std::vector<std::string>& inputs = {});

// Checks the target (check_output_target), calls write(stream) on a new temporary file beside
// it, checks every write, the flush and the close, and renames the file over the target with
// the permissions a new file gets (0666 less the umask). Throws OutputError when it cannot or
// will not write, and std::runtime_error("interrupted ...") when a signal arrived inside an
// InterruptScope; the target is then untouched and no temporary file is left. An exception
// from `write` removes the temporary file and propagates.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           const std::vector<std::string>& inputs = {});

// The same for bytes already made (an HTML page, an image).
void write_file_atomically(const std::string& path, const std::string& bytes,
                           const std::vector<std::string>& inputs = {});

// First thing in main(): closed standard descriptors held by /dev/null (read-only), SIGXFSZ
// ignored.
void prepare_standard_streams();

// Last thing in main(): flushes std::cout and stdout. Returns "" when every byte written to
// standard output reached it, else why not ("standard output is closed", "No space left on
// device", "File too large").
std::string finish_standard_output();

}  // namespace onset::io
