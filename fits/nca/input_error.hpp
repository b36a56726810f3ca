// The error for bad input files: carries where (file:line:column) and what, in words.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "pk/user_error.hpp"

namespace onset::fits {

// Thrown for input that cannot be read at all (missing column, non-numeric cell, unsorted
// times...). Problems that only affect one subject are not thrown: they become an exclusion
// reason in that subject's result.
class InputError : public FileError {
 public:
  // line and column are 1-based; 0 means "not applicable" and is left out of the message.
  InputError(std::string file, int line, int column, std::string message)
      : FileError(std::move(file), line, column, std::move(message)) {}

  // The message without the location prefix.
  const std::string& message() const { return problem(); }
};

}  // namespace onset::fits
