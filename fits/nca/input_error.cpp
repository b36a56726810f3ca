#include "fits/nca/input_error.hpp"

#include <sstream>

namespace onset::fits {

std::string InputError::format(const std::string& file, int line, int column,
                               const std::string& message) {
  std::ostringstream where;
  where << file;
  if (line > 0) where << ':' << line;
  if (line > 0 && column > 0) where << ':' << column;
  if (where.tellp() > 0) where << ": ";
  where << message;
  return where.str();
}

}  // namespace onset::fits
