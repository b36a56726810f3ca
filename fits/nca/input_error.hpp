// The error for bad input files: carries where (file:line:column) and what, in words.
#pragma once

#include <stdexcept>
#include <string>

namespace onset::fits {

// Thrown for input that cannot be read at all (missing column, non-numeric cell, unsorted
// times...). Problems that only affect one subject are not thrown: they become an exclusion
// reason in that subject's result.
class InputError : public std::runtime_error {
 public:
  // line and column are 1-based; 0 means "not applicable" and is left out of the message.
  InputError(std::string file, int line, int column, const std::string& message)
      : std::runtime_error(format(file, line, column, message)),
        file_(std::move(file)),
        line_(line),
        column_(column),
        message_(message) {}

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  // The message without the location prefix.
  const std::string& message() const { return message_; }

 private:
  static std::string format(const std::string& file, int line, int column,
                            const std::string& message);

  std::string file_;
  int line_;
  int column_;
  std::string message_;
};

}  // namespace onset::fits
