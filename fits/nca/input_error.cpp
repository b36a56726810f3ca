#include "fits/nca/input_error.hpp"

#include <sstream>

#include "pk/format.hpp"

namespace onset::fits {

std::string InputError::format(const std::string& file, int line, int column,
                               const std::string& message) {
  return format_location(file, line, column, message);
}

}  // namespace onset::fits
