// One error type for every failure that the user can fix: a bad data set, model file, prior or
// claim file, option value, or a problem with no solution as posed (no steady state). Each
// reader keeps its own class (DosingDataError, ModelFileError, InputError, PriorFileError,
// UnitError, ExpressionError, SteadyStateError), derived from this one, so that code can catch
// either the specific error or any UserError.
//
// A UserError says where (file:line:column, or a subject and row, or a time and state), what
// went wrong, what was expected, and how to fix it; what() reads, like a compiler's message,
//
//     FILE:LINE:COLUMN: error: WHAT (expected EXPECTED) fix: FIX
//
// with the parts that are not known left out. Without a place the message is "WHAT (expected
// ...) fix: ...": it is then a part of a message that names the place (a subject, a claim's
// check), or the command prints it after its own name ("onset simulate: WHAT").
//
// Kept in io/ (the bottom library: its input and output checks throw it); pk/user_error.hpp
// includes this file.
//
// The `onset` command reports a UserError on stderr, one message without a stack trace, and
// exits with code 2 (bad input); see cli/commands.hpp for every exit code.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace onset {

class UserError : public std::runtime_error {
 public:
  // where: a place from location(), a subject and row ("subject 3, row 12"), a time and state
  // ("t = 4.2 h, state 'central'"), or empty. problem: what went wrong. expected: what would
  // have been accepted (may be empty). fix: what the user can do about it (may be empty).
  UserError(std::string where, std::string problem, std::string expected = {}, std::string fix = {})
      : std::runtime_error(format(where, problem, expected, fix)),
        where_(std::move(where)),
        problem_(std::move(problem)),
        expected_(std::move(expected)),
        fix_(std::move(fix)) {}

  const std::string& where() const { return where_; }
  const std::string& problem() const { return problem_; }
  const std::string& expected() const { return expected_; }
  const std::string& fix() const { return fix_; }

  // "file:line:column" ("file:line" when column is 0, "file" when line is 0, "" when file is
  // empty and line is 0): the place in a text file, 1-based.
  static std::string location(const std::string& file, int line, int column) {
    std::string where = file;
    if (line > 0) {
      if (!where.empty()) where += ':';
      where += std::to_string(line);
      if (column > 0) where += ':' + std::to_string(column);
    }
    return where;
  }

  // The text of what(): "WHERE: error: PROBLEM (expected EXPECTED) fix: FIX", or without a
  // place "PROBLEM (expected EXPECTED) fix: FIX".
  static std::string format(const std::string& where, const std::string& problem,
                            const std::string& expected, const std::string& fix) {
    std::string text = where.empty() ? problem : where + ": error: " + problem;
    if (!expected.empty()) text += " (expected " + expected + ")";
    if (!fix.empty()) text += " fix: " + fix;
    return text;
  }

 private:
  std::string where_;
  std::string problem_;
  std::string expected_;
  std::string fix_;
};

// A UserError at a place in a text file (line and column 1-based; 0 = not applicable and left
// out of the message). The readers' error types (DosingDataError, InputError, PriorFileError,
// ModelFileError) are this with their own names.
class FileError : public UserError {
 public:
  FileError(std::string file, int line, int column, std::string problem, std::string expected = {},
            std::string fix = {})
      : UserError(location(file, line, column), std::move(problem), std::move(expected),
                  std::move(fix)),
        file_(std::move(file)),
        line_(line),
        column_(column) {}

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  std::string file_;
  int line_;
  int column_;
};

}  // namespace onset
