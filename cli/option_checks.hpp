// The one place where the numeric options of every command are checked (issue 14): CLI11
// validators that run on an option's text before CLI11 converts it, so that "-1" never wraps
// into a huge unsigned seed, "nan" never becomes a tolerance, "010" is not read as octal and
// `--draws 1e12` is refused before any work starts. A failed check is a CLI11 ValidationError:
// "--OPTION: VALUE ...", exit code 2 (cli/main.cpp).
//
//   command->add_option("--rtol", args->rtol, "...")->transform(rtol_option());
//   command->add_option("--draws", args->draws, "...")
//       ->transform(count_option(1, pk::RunLimits::kMaxDraws, draws_limit));
//
// Attach them with transform(), not check(): CLI11's check() makes a validator read-only, and
// count_option rewrites "1e6" and "010" as the plain decimal CLI11 converts ("010" would
// otherwise be octal 8).
//
// Limits of a run (RunLimits in io/text_input.hpp) are named in the message with how to get
// under them; the same wording serves the checks made in a command once its inputs are read
// (grid points, doses after ADDL, memory): limit_message().
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "io/format.hpp"
#include "pk/text_input.hpp"

namespace onset::cli {

// Where a real option may lie: [lower, upper], an end excluded when marked open.
struct RealRange {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  bool lower_open = false;
  bool upper_open = false;
};
inline RealRange open_range(double lower, double upper) { return {lower, upper, true, true}; }
inline RealRange closed_range(double lower, double upper) { return {lower, upper, false, false}; }
inline RealRange at_least(double lower) { return {lower, std::numeric_limits<double>::infinity()}; }
inline RealRange above(double lower) {
  return {lower, std::numeric_limits<double>::infinity(), true, false};
}
inline RealRange any_finite() { return {}; }

using pk::limit_message;

// What a count option is limited by, for its message.
struct CountLimit {
  std::string what;      // "Monte Carlo draws per check"
  std::string constant;  // "kMaxDraws"
  std::string advice;    // how to get under it
};

namespace option_detail {

inline std::string describe(const RealRange& range) {
  const bool has_lower = std::isfinite(range.lower), has_upper = std::isfinite(range.upper);
  if (has_lower && has_upper)
    return std::string(range.lower_open ? "(" : "[") + format_number(range.lower) + ", " +
           format_number(range.upper) + (range.upper_open ? ")" : "]");
  if (has_lower) return std::string(range.lower_open ? "> " : ">= ") + format_number(range.lower);
  if (has_upper) return std::string(range.upper_open ? "< " : "<= ") + format_number(range.upper);
  return "any finite number";
}

// The whole number `text` means: plain decimal digits (exact up to 2^64 - 1), or a number
// such as 1e6 or 2.0 that is whole and below 2^53 (where doubles are exact). nullopt for
// anything else: a fraction, a sign other than a leading minus, hex, NaN, infinity.
inline std::optional<long double> whole_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const bool negative = text[0] == '-';
  const std::string digits = negative ? text.substr(1) : text;
  if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error == std::errc::result_out_of_range)
      return negative ? -std::numeric_limits<long double>::infinity()
                      : std::numeric_limits<long double>::infinity();
    if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return negative ? -static_cast<long double>(value) : static_cast<long double>(value);
  }
  if (digits.find_first_of("xXpP") != std::string::npos) return std::nullopt;      // hex
  if (text.find_first_of("0123456789") == std::string::npos) return std::nullopt;  // nan, inf
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::out_of_range&) {  // 1e400: a whole number, far beyond any limit
    return negative ? -std::numeric_limits<long double>::infinity()
                    : std::numeric_limits<long double>::infinity();
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size() || !std::isfinite(value) || std::floor(value) != value)
    return std::nullopt;
  return static_cast<long double>(value);
}

inline std::string integer_text(long double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0Lf", value);
  return buffer;
}

}  // namespace option_detail

// A finite real number in `range`.
inline CLI::Validator real_option(RealRange range) {
  const std::string description = option_detail::describe(range);
  return CLI::Validator(
      [range, description](std::string& text) -> std::string {
        const std::optional<double> value = pk::parse_finite_number(text);
        if (!value) return "expected a finite number (" + description + "), found '" + text + "'";
        const bool low = range.lower_open ? !(*value > range.lower) : !(*value >= range.lower);
        const bool high = range.upper_open ? !(*value < range.upper) : !(*value <= range.upper);
        if (low || high) return text + " is outside " + description;
        return {};
      },
      "REAL in " + description);
}

// A whole number in [min, max]; the text becomes plain decimal for CLI11's conversion. Above
// `max`, the message names the limit when one is given.
inline CLI::Validator count_option(std::int64_t min, std::int64_t max, CountLimit limit = {}) {
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [min, max, limit, range](std::string& text) -> std::string {
        const std::optional<long double> value = option_detail::whole_number(text);
        if (!value) return "expected a whole number in " + range + ", found '" + text + "'";
        if (*value < static_cast<long double>(min))
          return text + " is below " + std::to_string(min) + " (expected a whole number in " +
                 range + ")";
        if (*value > static_cast<long double>(max)) {
          if (limit.what.empty()) return text + " is outside " + range;
          return text + " is " + limit_message(limit.what, limit.constant, limit.advice);
        }
        text = option_detail::integer_text(*value);
        return {};
      },
      "INT in " + range);
}

// --threads of every command: 0 (every core) up to RunLimits::kMaxThreads.
inline CLI::Validator threads_option() {
  return count_option(0, pk::RunLimits::kMaxThreads,
                      {std::to_string(pk::RunLimits::kMaxThreads) + " worker threads",
                       "kMaxThreads", "use 0 for one thread per core"});
}

// --seed of every command: any whole number from 0 to 2^63 - 1.
inline CLI::Validator seed_option() { return count_option(0, INT64_MAX); }

// --rtol of every command: a relative tolerance in (0, 1).
inline CLI::Validator rtol_option() { return real_option(open_range(0, 1)); }

// --atol of every command: an absolute tolerance, >= 0.
inline CLI::Validator atol_option() { return real_option(at_least(0)); }

}  // namespace onset::cli
