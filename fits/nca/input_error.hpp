// The error for bad input files: carries where (file:line:column) and what, in words.
#pragma once

#include <stdexcept>
#include <string>

#include "pk/user_error.hpp"

namespace onset::fits {

// Thrown for input that cannot be read at all (missing column, non-numeric cell, unsorted
// times...). Problems that only affect one subject are not thrown: they become an exclusion
// reason in that subject's result.
class InputError : public UserError {
 public:
  // line and column are 1-based; 0 means "not applicable" and is left out of the message.
  InputError(std::string file, int line, int column, const std::string& message)
      : UserError(UserError::location(file, line, column), message),
        file_(std::move(file)),
        line_(line),
        column_(column) {}

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  // The message without the location prefix.
  const std::string& message() const { return problem(); }

 private:
  std::string file_;
  int line_;
  int column_;
};

}  // namespace onset::fits
