// What every reader of a user's text file (data set, NCA table, model file, prior or claim
// file) accepts: the size limits in one place, reading a whole file under a size limit, and
// finding the first byte that is not UTF-8 or the first line that is too long, so that each
// reader can reject them with its own error type and file:line:column.
//
// The limits are far above any real data set or model and far below what would exhaust memory
// or the stack; a file beyond one is rejected with a message that names the limit. The limits
// of a run (draws, threads, starts, replicates, grid points, doses, memory) are here too
// (RunLimits), so that every limit of onset is in this one file.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "io/input_file.hpp"  // IWYU pragma: export (read_text_file)

namespace onset::io {

struct InputLimits {
  static constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;  // one input file
  static constexpr std::size_t kMaxLineBytes = std::size_t{64} << 10;  // one line of a file
  static constexpr std::size_t kMaxRecords = 1'000'000;                // rows of a data set
  static constexpr std::size_t kMaxColumns = 10'000;                   // cells of a CSV row
  static constexpr std::size_t kMaxCells = 20'000'000;                 // cells of a CSV file
  static constexpr std::size_t kMaxNameBytes = 1024;     // a column name, ID, or model name
  static constexpr int kMaxNestingDepth = 32;            // YAML maps and lists inside each other
  static constexpr std::size_t kMaxYamlNodes = 200'000;  // nodes of a YAML file, aliases expanded
  static constexpr std::size_t kMaxStates = 2'000;       // states (compartments) of a model
};

// What one run may ask for, checked before any work starts (an option, or what the inputs
// imply), so that a typing slip (`--draws 1e12`, `ADDL=999999999`) is refused at once instead
// of running for hours or ending in std::bad_alloc. Each is far above what a real analysis
// needs; a refusal names the limit and how to get under it (cli/option_checks.hpp). To raise
// one, change it here and rebuild (the README lists them).
struct RunLimits {
  // Monte Carlo draws of one `onset check` (10,000 by default; 1e6 give P(within) to about
  // +-0.001). Memory does not grow with the draws (check/check.hpp); time does, linearly.
  static constexpr std::int64_t kMaxDraws = 100'000'000;
  // Worker threads of one process (--threads); 0 means every core.
  static constexpr std::int64_t kMaxThreads = 1024;
  // Extra starting points of one fit (--multistart); each is a full fit.
  static constexpr std::int64_t kMaxMultistart = 10'000;
  // Bootstrap replicates of one fit (--bootstrap; 200 by default, 1,000-2,000 for 95 %
  // percentile intervals (Efron and Tibshirani 1993, section 13.3)); each is a full fit.
  static constexpr std::int64_t kMaxBootstrap = 100'000;
  // Points of an output grid (`onset simulate --times`), per subject.
  static constexpr std::size_t kMaxGridPoints = 20'000'000;
  // Doses of one data set once ADDL is expanded (each record's 1 + ADDL); the dose engine
  // keeps a subject's pending doses in memory.
  static constexpr std::size_t kMaxDoses = 10'000'000;
  // Estimated memory of what one run keeps (output rows and their text, solver workspaces
  // per thread, onset times): the estimate is made before the run (memory_estimate_bytes).
  static constexpr std::size_t kMaxMemoryBytes = std::size_t{4} << 30;
};

// A limit of RunLimits as a message names it: what is limited, the constant, and how to get
// under it, e.g. limit_message("100000000 Monte Carlo draws per check", "kMaxDraws", "use fewer
// draws: 1e6 give P(within) to about +-0.001").
inline std::string limit_message(const std::string& limit, const std::string& constant,
                                 const std::string& advice) {
  return "more than the limit of " + limit + " (" + advice +
         "; the limit is RunLimits::" + constant +
         " in io/text_input.hpp: raise it there and rebuild to go beyond it)";
}

// Bytes kept for `values` output numbers: the double, its share of the row bookkeeping and
// its text (up to about 16 characters), with the text held once in a buffer before it is
// written (outputs are written whole or not at all).
inline double output_memory_bytes(double values) { return values * (8.0 + 8.0 + 16.0); }

// Bytes of a stiff solver's workspace for a model of `states` states: the dense Jacobian,
// its LU factors and the Newton matrix (3 n^2 doubles), unless `banded` (then a band of
// `band_width` diagonals each), plus the history arrays (about 20 vectors).
inline double solver_memory_bytes(double states, bool banded = false, double band_width = 0) {
  const double columns = banded ? band_width : states;
  return 8.0 * (3.0 * states * columns + 20.0 * states);
}

// "8.6 GB" style size, for the memory limit's messages.
inline std::string format_bytes(double bytes) {
  constexpr double kGb = 1024.0 * 1024.0 * 1024.0, kMb = 1024.0 * 1024.0;
  char text[32];
  if (bytes >= kGb)
    std::snprintf(text, sizeof text, "%.1f GB", bytes / kGb);
  else
    std::snprintf(text, sizeof text, "%.0f MB", bytes / kMb);
  return text;
}

// Empty when a run estimated to keep `bytes` (made of `breakdown`, in words) is within
// RunLimits::kMaxMemoryBytes; else the refusal, with `advice` on how to need less.
inline std::string check_memory_estimate(double bytes, const std::string& breakdown,
                                         const std::string& advice) {
  if (bytes <= static_cast<double>(RunLimits::kMaxMemoryBytes)) return {};
  return "the run would keep about " + format_bytes(bytes) + " (" + breakdown + "), " +
         limit_message(
             format_bytes(static_cast<double>(RunLimits::kMaxMemoryBytes)) + " of estimated memory",
             "kMaxMemoryBytes", advice);
}

// The number `text` is as a whole (std::stod syntax), if finite; nullopt for empty text, text
// with anything after the number, NaN, infinities, and values out of double's range.
inline std::optional<double> parse_finite_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// A position in a text: 1-based line and byte column, and the byte found there.
struct TextPosition {
  int line = 0;
  int column = 0;
  unsigned char byte = 0;
};

// The first byte of `text` that does not belong to a well-formed UTF-8 sequence (overlong
// forms, surrogates and code points above U+10FFFF are not well-formed); nullopt if none.
inline std::optional<TextPosition> find_invalid_utf8(std::string_view text) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte == '\n') {
        ++line;
        line_start = i + 1;
      }
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      if (byte == 0xE0) low = 0xA0;
      if (byte == 0xED) high = 0x9F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      if (byte == 0xF0) low = 0x90;
      if (byte == 0xF4) high = 0x8F;
    }
    bool ok = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      ok = k == 1 ? (next >= low && next <= high) : (next >= 0x80 && next <= 0xBF);
    }
    if (!ok) return TextPosition{line, static_cast<int>(i - line_start) + 1, byte};
    i += length;
  }
  return std::nullopt;
}

// The first line longer than `max_bytes` (its first byte past the limit); nullopt if none.
inline std::optional<TextPosition> find_long_line(
    std::string_view text, std::size_t max_bytes = InputLimits::kMaxLineBytes) {
  int line = 1;
  for (std::size_t start = 0; start < text.size(); ++line) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (end - start > max_bytes)
      return TextPosition{line, static_cast<int>(max_bytes) + 1,
                          static_cast<unsigned char>(text[start + max_bytes])};
    start = end + 1;
  }
  return std::nullopt;
}

// "byte 0xFF is not UTF-8 text: save the file as UTF-8 (or plain ASCII)".
inline std::string describe_invalid_utf8(const TextPosition& position) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text = "byte 0x";
  text += kHex[position.byte >> 4];
  text += kHex[position.byte & 0xF];
  text += " is not UTF-8 text: save the file as UTF-8 (or plain ASCII)";
  return text;
}

// "a line longer than 1048576 bytes: ...".
inline std::string describe_long_line() {
  return "a line longer than " + std::to_string(InputLimits::kMaxLineBytes) +
         " bytes, the limit for one line: is this a text file with line breaks?";
}

}  // namespace onset::io
