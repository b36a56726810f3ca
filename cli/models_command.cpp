// `onset models`: lists the model library, one line per model.
// `onset models show NAME|FILE`: prints a model's equations, compartments, parameters with
// units and bounds, processes and observables (--format json for machine-readable output).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "io/data_dir.hpp"
#include "io/priors.hpp"
#include "models/model_library.hpp"

namespace onset::cli {

namespace {

struct ModelsArgs {
  std::string name;
  std::string format = "text";
};

std::string bounds_text(const models::ParameterBounds& bounds) {
  if (std::isinf(bounds.lower) && std::isinf(bounds.upper)) return "";
  std::ostringstream out;
  out << "[" << bounds.lower << ", " << bounds.upper << "]";
  return out.str();
}

// The prior of each model parameter, from every prior file in data/priors, matched by
// parameter name and by the species the model name ends with (ev_pbpk_mouse -> mouse;
// no suffix: the first entry of any species).
struct ParameterPrior {
  std::string family;
  io::Prior prior;
};

std::vector<std::optional<ParameterPrior>> priors_for(const pk::Model& model) {
  std::vector<std::optional<ParameterPrior>> found(model.parameters().size());
  const std::string name(model.name());
  std::string species = "any";
  for (const char* candidate : {"mouse", "rat", "monkey", "human"})
    if (name.size() > std::string(candidate).size() + 1 &&
        name.ends_with(std::string("_") + candidate))
      species = candidate;
  std::vector<io::PriorSet> sets;
  try {
    const auto folder = io::data_dir() / "priors";
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) sets.push_back(io::PriorSet::load(file));
  } catch (const std::exception&) {
    return found;  // no data folder: the model is shown without priors
  }
  // The model's own family first (bilirubin.yaml for `bilirubin`, ev_pbpk.yaml for
  // `ev_pbpk_mouse`), then the others.
  std::stable_partition(sets.begin(), sets.end(),
                        [&](const io::PriorSet& set) { return name.starts_with(set.family()); });
  for (size_t i = 0; i < found.size(); ++i)
    for (const auto& set : sets) {
      const std::string& parameter = model.parameters()[i].name;
      const io::Prior* prior = set.find(parameter, species);
      if (!prior && species == "any") {  // a model for no particular species: any entry
        const auto all = set.find_all(parameter);
        if (!all.empty()) prior = all.front();
      }
      if (prior) {
        found[i] = ParameterPrior{set.family(), *prior};
        break;
      }
    }
  return found;
}

std::string prior_source(const io::Prior& prior) {
  if (!prior.citation.empty()) return prior.citation.text();
  return "assumption: " + prior.assumption;
}

int list(const ModelsArgs& args) {
  nlohmann::json json = nlohmann::json::array();
  for (const auto& name : models::library_model_names()) {
    const auto model = models::load_file_model(name);
    const std::string& description = model->documentation().description;
    if (args.format == "json")
      json.push_back({{"name", name}, {"description", description}});
    else
      std::cout << std::left << std::setw(26) << name << " " << description << "\n";
  }
  if (args.format == "json") std::cout << json.dump(2) << "\n";
  return kExitSuccess;
}

int show(const ModelsArgs& args) {
  std::unique_ptr<models::FileModel> model;
  try {
    model = models::load_file_model(args.name);
  } catch (const std::exception& error) {  // ModelFileError
    return report_failure("onset models show", error);
  }
  const auto& doc = model->documentation();
  const auto params = model->parameters();
  const auto bounds = model->parameter_bounds();
  const auto priors = priors_for(*model);
  if (args.format == "json") {
    nlohmann::json json;
    json["name"] = model->name();
    json["source"] = doc.source;
    json["description"] = doc.description;
    json["equations"] = doc.equations;
    for (size_t i = 0; i < model->states().size(); ++i)
      json["compartments"].push_back({{"name", model->states()[i].name},
                                      {"unit", model->states()[i].unit},
                                      {"notes", doc.state_notes[i]}});
    for (size_t i = 0; i < params.size(); ++i) {
      nlohmann::json p{{"name", params[i].name},
                       {"value", params[i].value},
                       {"unit", params[i].unit},
                       {"description", doc.parameter_notes[i]}};
      if (!std::isinf(bounds[i].lower)) p["lower"] = bounds[i].lower;
      if (!std::isinf(bounds[i].upper)) p["upper"] = bounds[i].upper;
      if (const auto& found = priors[i]) {
        const auto& prior = found->prior;
        p["prior"] = {{"file", "data/priors/" + found->family + ".yaml"},
                      {"central", prior.central},
                      {"low", prior.low},
                      {"high", prior.high},
                      {"unit", prior.unit},
                      {"distribution", prior.distribution},
                      {"species", prior.species},
                      {"source", prior_source(prior)}};
      }
      json["parameters"].push_back(p);
    }
    for (size_t i = 0; i < model->observables().size(); ++i)
      json["observables"].push_back({{"name", model->observables()[i].name},
                                     {"unit", model->observables()[i].unit},
                                     {"definition", doc.observable_notes[i]}});
    for (const auto& covariate : model->covariates()) json["data_columns"].push_back(covariate);
    json["processes"] = doc.process_notes;
    std::cout << json.dump(2) << "\n";
    return kExitSuccess;
  }
  std::cout << model->name() << " - " << doc.description << "\n(" << doc.source << ")\n\n";
  if (!doc.equations.empty()) {
    std::cout << "Equations:\n";
    std::istringstream lines(doc.equations);
    for (std::string line; std::getline(lines, line);) std::cout << "  " << line << "\n";
    std::cout << "\n";
  }
  std::cout << "Compartments (states):\n";
  for (size_t i = 0; i < model->states().size(); ++i)
    std::cout << "  " << std::left << std::setw(3) << i + 1 << std::setw(16)
              << model->states()[i].name << std::setw(12) << model->states()[i].unit
              << doc.state_notes[i] << "\n";
  std::cout << "\nParameters:\n";
  for (size_t i = 0; i < params.size(); ++i)
    std::cout << "  " << std::left << std::setw(10) << params[i].name << std::right << std::setw(12)
              << params[i].value << "  " << std::left << std::setw(16) << params[i].unit
              << std::setw(14) << bounds_text(bounds[i]) << doc.parameter_notes[i] << "\n";
  if (!model->covariates().empty()) {
    std::cout << "\nData columns read:";
    for (const auto& covariate : model->covariates()) std::cout << " " << covariate;
    std::cout << "\n";
  }
  if (std::any_of(priors.begin(), priors.end(), [](const auto& p) { return p.has_value(); })) {
    std::cout << "\nPriors (data/priors):\n";
    for (size_t i = 0; i < params.size(); ++i) {
      if (!priors[i]) continue;
      const auto& prior = priors[i]->prior;
      std::cout << "  " << std::left << std::setw(30) << params[i].name << " " << prior.central
                << " [" << prior.low << ", " << prior.high << "] " << prior.unit << ", "
                << prior.distribution << ", " << prior.species << " (" << priors[i]->family
                << ".yaml)\n      " << prior_source(prior) << "\n";
    }
  }
  std::cout << "\nProcesses:\n";
  for (const auto& process : doc.process_notes) std::cout << "  " << process << "\n";
  std::cout << "\nObservables:\n";
  for (size_t i = 0; i < model->observables().size(); ++i)
    std::cout << "  " << std::left << std::setw(18) << model->observables()[i].name << std::setw(16)
              << model->observables()[i].unit << doc.observable_notes[i] << "\n";
  return kExitSuccess;
}

}  // namespace

void register_models_command(CLI::App& app) {
  auto args = std::make_shared<ModelsArgs>();
  CLI::App* models_cmd = app.add_subcommand(
      "models", "List the model library; `onset models show NAME` prints a model");
  models_cmd->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  CLI::App* show_cmd = models_cmd->add_subcommand(
      "show", "Print a model's equations, compartments, parameters (units, bounds), observables");
  show_cmd->add_option("name", args->name, "Library model name or path to a model file")
      ->required();
  show_cmd->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  show_cmd->callback([args]() {
    const int code = show(*args);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });
  models_cmd->callback([args, models_cmd]() {
    if (models_cmd->got_subcommand("show")) return;
    const int code = list(*args);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });
}

}  // namespace onset::cli
