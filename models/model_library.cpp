#include "models/model_library.hpp"

#include <algorithm>
#include <filesystem>

#include "models/library_texts.hpp"

namespace onset::models {

namespace {
bool looks_like_path(const std::string& text) {
  if (text.find('/') != std::string::npos) return true;
  const auto ends_with = [&](const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".yaml") || ends_with(".yml");
}
}  // namespace

std::string library_model_text(const std::string& name) {
  for (const LibraryText& entry : library_texts())
    if (entry.name == name) return std::string(entry.text);
  return {};
}

std::vector<std::string> library_model_names() {
  std::vector<std::string> names;
  for (const LibraryText& entry : library_texts()) names.emplace_back(entry.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<FileModel> load_file_model(const std::string& name_or_path) {
  if (!looks_like_path(name_or_path)) {
    const std::string text = library_model_text(name_or_path);
    if (!text.empty()) return compile_model_text(text, "library:" + name_or_path + ".yaml");
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(name_or_path, ignored)) {
      std::string names;
      for (const auto& name : library_model_names()) names += (names.empty() ? "" : ", ") + name;
      throw ModelFileError(name_or_path, 0, 0,
                           "a library model (" + names + ") or a path to a .yaml model file",
                           "'" + name_or_path + "'");
    }
  }
  return read_model_file(name_or_path);
}

std::unique_ptr<pk::Model> load_model(const std::string& name_or_path) {
  return load_file_model(name_or_path);
}

}  // namespace onset::models
