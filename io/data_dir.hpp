// Where onset's data/ folder (priors, species physiology, claims) is found at run time.
//
// Looked for in this order; the first existing directory that contains priors/ wins:
//   1. $ONSET_DATA_DIR, when set (read here, in io/, and nowhere else). If it is set but is
//      not such a directory, that is an error (onset::UserError naming it), never a silent
//      fallback.
//   2. <directory of the running executable>/../../data  (build/bin/onset -> <repo>/data)
//   3. <source tree>/data, the ONSET_SOURCE_DIR compiled into onset_io_data.
// Throws onset::UserError listing every place tried when none fits.
#pragma once

#include <filesystem>
#include <string>

namespace onset::io {

std::filesystem::path data_dir();

// data_dir() / "priors" / (family + ".yaml")
std::filesystem::path prior_file(const std::string& family);
// data_dir() / "species" / "physiology.yaml"
std::filesystem::path physiology_file();

}  // namespace onset::io
