// The error for bad input files: carries where (file:line:column) and what, in words. Thrown
// by the CSV reader (io/csv.hpp) and by the readers of tables above it (NCA's nca::InputError,
// fits' fits::InputError are this class); NONMEM data sets have their own pk::DosingDataError.
#pragma once

#include <string>
#include <utility>

#include "io/user_error.hpp"

namespace onset::io {

// Thrown for input that cannot be read at all (bad CSV, missing column, non-numeric cell,
// unsorted times...). line and column are 1-based; 0 means "not applicable" and is left out of
// the message.
class InputError : public FileError {
 public:
  InputError(std::string file, int line, int column, std::string message)
      : FileError(std::move(file), line, column, std::move(message)) {}

  // The message without the location prefix.
  const std::string& message() const { return problem(); }
};

}  // namespace onset::io
