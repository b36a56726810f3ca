// A data set read as `onset fit` reads it: once, by io's CSV reader in its NONMEM dialect
// (fits takes the table and never opens a file).
#pragma once

#include <string>

#include "io/csv.hpp"

namespace onset::fits {

inline io::CsvTable data_table(const std::string& path) {
  return io::CsvTable::read_file(path, io::nonmem_dialect());
}

}  // namespace onset::fits
