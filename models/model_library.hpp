// The model library: models by name (the YAML files of models/library, compiled into the
// binary so that `onset` works from any directory) or by path to a model file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/model_file.hpp"
#include "pk/model.hpp"

namespace onset::models {

// A library name ("two_compartment_iv") or a path to a model file (".yaml"/".yml", or any
// existing file). Throws ModelFileError: for a bad file, with file:line:column; for an unknown
// name, listing the library.
std::unique_ptr<pk::Model> load_model(const std::string& name_or_path);

// The same, keeping the FileModel type (documentation, bounds).
std::unique_ptr<FileModel> load_file_model(const std::string& name_or_path);

// Names of the library models, sorted.
std::vector<std::string> library_model_names();

// The YAML text of a library model; empty if there is none by that name.
std::string library_model_text(const std::string& name);

}  // namespace onset::models
