// Reading model files (YAML, format in models/README.md) into FileModel. Nothing in a file is
// compiled or executed: rate laws are typed, general expressions are parsed by muparser.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "models/file_model.hpp"
#include "pk/user_error.hpp"

namespace onset::models {

// A model file that cannot be used: where (file, 1-based line and column; 0 when the problem
// has no place, e.g. a file that cannot be read), what was expected and what was found.
// what() reads "file:line:column: error: found ... (expected ...)", or "file: error: ..."
// without a place.
class ModelFileError : public FileError {
 public:
  ModelFileError(std::string file, int line, int column, std::string expected, std::string found);

  const std::string& found() const { return found_; }

 private:
  std::string found_;
};

// Reads and compiles a model file. Throws ModelFileError (also when the file cannot be read).
std::unique_ptr<FileModel> read_model_file(const std::string& path);
// Compiles model text; `source` names it in errors (a path or "library:NAME").
std::unique_ptr<FileModel> compile_model_text(const std::string& text, const std::string& source);

}  // namespace onset::models
