// libFuzzer target: the model-file reader (models/model_file.hpp, YAML from a string), then
// one evaluation of what was compiled (initial state, right-hand side, Jacobian, observables)
// at the default parameters. Bad input must end in ModelFileError.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "models/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<onset::models::FileModel> model;
  try {
    model = onset::models::compile_model_text(text, "fuzz.yaml");
  } catch (const onset::models::ModelFileError&) {
    return 0;
  }
  const std::vector<double> p = model->default_parameters();
  const size_t n = model->states().size();
  std::vector<double> y(n), ydot(n), jacobian(n * n), observed(model->observables().size());
  model->initial_state(p, y);
  for (double& value : y) value += 1;
  model->rhs(0.5, y, p, ydot);
  model->jacobian(0.5, y, p, jacobian);
  model->observe(0.5, y, p, observed);
  return 0;
}
