// The input and run limits and the text checks moved to io/ (io/text_input.hpp), the bottom
// library that reads every file; this header keeps pk's names for them.
#pragma once

#include <cstddef>
#include <string>

#include "io/text_input.hpp"  // IWYU pragma: export

namespace onset::pk {

using io::check_memory_estimate;
using io::describe_invalid_utf8;
using io::describe_long_line;
using io::find_invalid_utf8;
using io::find_long_line;
using io::format_bytes;
using io::InputLimits;
using io::limit_message;
using io::output_memory_bytes;
using io::parse_finite_number;
using io::RunLimits;
using io::solver_memory_bytes;
using io::TextPosition;

// io::read_text_file with the limit of one input file (InputLimits::kMaxFileBytes).
inline std::string read_text_file(const std::string& path, std::string* text,
                                  std::size_t max_bytes = InputLimits::kMaxFileBytes) {
  return io::read_text_file(path, text, max_bytes);
}

}  // namespace onset::pk
