// What onset opens as an input, and what of an input's text a message may show.
//
//  - Only regular files are read: a folder, a FIFO (named pipe), a device or a socket is refused
//    at once (the file is opened without blocking and checked before anything is read, so a FIFO
//    with no writer cannot hang the run), and so is a file above the size limit.
//  - A file that another file names (a claim's model files) must lie inside that file's folder:
//    a relative path without "..", which after following every symbolic link is still inside
//    the folder (resolve_inside_folder).
//  - A message shows at most a few characters of an input's text (excerpt): the start of the
//    offending value, on one line, with control characters escaped; never a whole file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace onset::io {

// Reads the whole regular file at `path` into *text. Returns "" on success, else why not in
// words, to follow the file's name ("cannot be opened for reading", "is a folder, not a file",
// "is a FIFO (named pipe), not a regular file", "is 300 MB, above the limit of 64 MB for one
// input file").
std::string read_text_file(const std::string& path, std::string* text, std::size_t max_bytes);

// Called with the path of every file read_text_file opens (every input of onset is read through
// it), so that a test can count how often a command opens its data file; empty: none (the
// default). Returns the observer it replaces. Thread-safe; the observer runs under a lock.
using InputObserver = std::function<void(const std::string& path)>;
InputObserver set_input_observer(InputObserver observer);

// The path of `relative` (as written in the file in `folder`) when it names a place inside
// `folder`; else throws nothing and returns "" with *why set: an absolute path, a ".."
// component, or a symbolic link (anywhere on the way) that leads outside the folder. The
// file itself need not exist (opening it says so later). The path returned is `folder` /
// `relative`, lexically normal (not the resolved one, so messages show what the user wrote).
std::filesystem::path resolve_inside_folder(const std::filesystem::path& folder,
                                            const std::string& relative, std::string* why);

// At most `max_bytes` bytes of `text` (cut at a character boundary, "..." added when cut), up to
// its first line break, with control characters written as \t or \xNN: what a message may
// quote of a value read from a file.
std::string excerpt(std::string_view text, std::size_t max_bytes = 40);

}  // namespace onset::io
