// onset claim new: asks (on a terminal) or takes options for a biomarker claim and writes a
// complete, commented claim file through io/output_file (check/claim_scaffold.hpp);
// onset claim lint FILE: every finding of check/claim_lint.hpp, exit 2 on errors.
#include "cli/claim_command.hpp"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "check/claim_lint.hpp"
#include "check/claim_scaffold.hpp"
#include "check/marker_catalogue.hpp"
#include "cli/commands.hpp"
#include "io/output_file.hpp"
#include "models/model_library.hpp"
#include "pk/user_error.hpp"

namespace onset::cli {

namespace {

struct NewArgs {
  std::string marker;
  std::string statement;
  std::string baseline;
  std::string threshold;
  std::string within;
  std::string out;
  std::string direction;
  std::string id;
  std::string title;
  std::string species = "human";
  std::string sex;
  std::string condition;
  std::string agent;
  std::string dose;
  std::string dose_into;
  std::string route;
  std::optional<double> duration_h;
  std::string source_authors;
  int source_year = 0;
  std::string source_journal;
  std::string source_doi;
  std::string source_url;
  bool force = false;
  bool interactive = false;
  bool no_input = false;
};

struct LintArgs {
  std::string file;
  bool strict = false;
};

// One question on stderr, one answer from stdin (empty: the default). End of input is bad
// input: nothing is written.
std::string ask(const std::string& question, const std::string& default_answer = {}) {
  std::cerr << question;
  if (!default_answer.empty()) std::cerr << " [" << default_answer << "]";
  std::cerr << ": " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer))
    throw BadInput("no answer to '" + question + "' (standard input ended); nothing written");
  while (!answer.empty() && (answer.back() == '\r' || answer.back() == ' ')) answer.pop_back();
  while (!answer.empty() && answer.front() == ' ') answer.erase(answer.begin());
  return answer.empty() ? default_answer : answer;
}

void ask_missing(NewArgs* a) {
  std::cerr << "onset claim new: a claim about a biomarker (check/README.md, \"Checking a new "
               "claim\").\nPress Enter to take the value in brackets.\n";
  while (a->marker.empty() || check::find_marker(a->marker) == nullptr) {
    if (!a->marker.empty()) std::cerr << "  '" << a->marker << "' is not one of them.\n";
    std::cerr << "Markers: " << check::marker_names() << "\n";
    a->marker = ask("Marker");
  }
  const check::MarkerEntry& m = *check::find_marker(a->marker);
  if (a->statement.empty()) {
    while (a->statement.empty()) a->statement = ask("The claim, verbatim from its source");
  }
  if (a->agent.empty()) a->agent = ask("The intervention (agent)", "not stated");
  if (a->sex.empty()) {
    const std::string sex = ask("Sex of the patients (male, female or Enter if not stated)", "-");
    a->sex = sex == "-" ? "" : sex;
  }
  if (a->baseline.empty()) {
    std::string unit;
    if (const auto model = models::load_file_model(m.model)) {
      const int index = model->parameter_index(m.baseline_parameter);
      if (index >= 0) unit = model->parameters()[static_cast<size_t>(index)].unit;
    }
    while (a->baseline.empty())
      a->baseline = ask(m.observable +
                        " before treatment, with its unit (a value or a range, e.g. "
                        "\"3-5 " +
                        unit + "\")");
  }
  if (a->direction.empty())
    a->direction =
        ask("Direction of the claimed change (falls or rises)", m.falls ? "falls" : "rises");
  if (a->threshold.empty())
    a->threshold =
        ask("Threshold (normal, half, 0.5x, 1.25x, prior:FAMILY/NAME or a value with "
            "its unit)",
            m.normal_prior.empty() ? "" : "normal");
  while (a->within.empty())
    a->within = ask("Claimed window from the start (e.g. \"6 h\", \"3 days\")");
  if (a->out.empty()) a->out = ask("Write the claim to", a->marker + "-claim.yaml");
}

int run_new(NewArgs a) {
  const bool interactive = a.interactive || (!a.no_input && isatty(STDIN_FILENO));
  try {
    if (interactive) ask_missing(&a);
    std::string missing;
    for (const auto& [name, value] :
         {std::pair<const char*, const std::string*>{"--marker", &a.marker},
          {"--statement", &a.statement},
          {"--baseline", &a.baseline},
          {"--threshold", &a.threshold},
          {"--within", &a.within},
          {"--out", &a.out}}) {
      if (value->empty()) missing += std::string(missing.empty() ? "" : ", ") + name;
    }
    if (!missing.empty())
      throw UserError({}, "missing " + missing,
                      "every answer as an option when standard input is not a terminal",
                      "give them, e.g. --marker creatinine --statement \"...\" --baseline "
                      "\"3-5 mg/dL\" --threshold normal --within \"6 h\" --out claim.yaml, "
                      "or run it on a terminal to be asked");
    if (a.out != "-") {
      io::check_output_target(a.out);
      std::error_code ignored;
      if (std::filesystem::exists(a.out, ignored) && !a.force)
        throw io::OutputError(a.out, "the file exists; `claim new` does not replace it",
                              "choose another --out, or give --force to replace it");
    }
    check::ScaffoldRequest request;
    request.marker = a.marker;
    request.statement = a.statement;
    request.id = a.id;
    request.title = a.title;
    request.species = a.species;
    request.sex = a.sex;
    request.condition = a.condition;
    request.agent = a.agent;
    request.dose = a.dose;
    request.dose_into = a.dose_into;
    request.route = a.route;
    request.duration_h = a.duration_h;
    request.source_authors = a.source_authors;
    request.source_year = a.source_year;
    request.source_journal = a.source_journal;
    request.source_doi = a.source_doi;
    request.source_url = a.source_url;
    if (!a.source_authors.empty() && a.source_year == 0)
      throw BadInput("--source-authors needs --source-year (the citation's year)");
    check::parse_baseline(a.baseline, "--baseline", &request);
    request.threshold = check::parse_threshold(a.threshold, "--threshold");
    request.within_h = check::parse_window_h(a.within, "--within");
    request.within_written = a.within;
    if (a.direction == "falls") request.falls = true;
    if (a.direction == "rises") request.falls = false;
    if (!a.direction.empty() && a.direction != "falls" && a.direction != "rises")
      throw BadInput("--direction: '" + a.direction + "' (expected falls or rises)");
    const std::string target = a.out == "-" ? "claim.yaml" : a.out;
    const std::string text = check::write_claim_scaffold(request, target);
    if (a.out == "-") {
      std::cout << text;
      return kExitSuccess;
    }
    io::write_file_atomically(a.out, text);
    std::cout << "wrote " << a.out << "\nnext: onset claim lint " << a.out << " && onset check "
              << a.out << "\n";
  } catch (const std::exception& error) {  // UserError
    return report_failure("onset claim new", error);
  }
  return kExitSuccess;
}

int run_lint(const LintArgs& a) {
  std::vector<check::LintFinding> findings;
  try {
    findings = check::lint_claim_file(a.file);
  } catch (const std::exception& error) {  // UserError
    return report_failure("onset claim lint", error);
  }
  size_t errors = 0, warnings = 0;
  for (auto& f : findings) {
    if (a.strict) f.error = true;
    (f.error ? errors : warnings) += 1;
    std::cout << f.text() << "\n";
  }
  std::cout << a.file << ": " << errors << (errors == 1 ? " error, " : " errors, ") << warnings
            << (warnings == 1 ? " warning" : " warnings")
            << (a.strict && errors > 0 ? " (--strict: warnings count as errors)" : "") << "\n";
  return errors > 0 ? kExitBadInput : kExitSuccess;
}

}  // namespace

void register_claim_command(CLI::App& app) {
  CLI::App* claim = app.add_subcommand(
      "claim", "Write a new claim file for a biomarker (new) or check one for mistakes (lint)");
  claim->require_subcommand(1);

  auto n = std::make_shared<NewArgs>();
  CLI::App* make = claim->add_subcommand(
      "new",
      "Write a complete, commented claim file for a library biomarker; asks on a terminal, "
      "or takes every answer as an option");
  make->add_option("--marker,--model", n->marker, "biomarker model: " + check::marker_names());
  make->add_option("--statement", n->statement, "the claim, verbatim from its source");
  make->add_option("--baseline", n->baseline,
                   "the level before treatment with its unit: \"3.5 mg/dL\" or \"3-5 mg/dL\"");
  make->add_option("--threshold", n->threshold,
                   "normal (upper reference limit), half, 0.5x / 1.25x (of the value at t = 0), "
                   "prior:FAMILY/NAME, or a value with its unit (\"1.2 mg/dL\")");
  make->add_option("--within", n->within,
                   "claimed window from the start of the intervention, with its unit: \"6 h\", "
                   "\"3 days\"");
  make->add_option("--out", n->out, "claim file to write (- for standard output)");
  make->add_option("--direction", n->direction, "falls or rises (default: the marker's usual)")
      ->check(CLI::IsMember({"falls", "rises"}));
  make->add_option("--id", n->id, "claim id (default: MARKER-THRESHOLD-WINDOW)");
  make->add_option("--title", n->title, "title (default: made from the threshold and window)");
  make->add_option("--species", n->species, "species of the subject (the priors are human)")
      ->capture_default_str();
  make->add_option("--sex", n->sex, "male or female: chooses sex-specific priors")
      ->check(CLI::IsMember({"male", "female"}));
  make->add_option("--condition", n->condition, "the subject's condition, in words");
  make->add_option("--agent", n->agent, "the intervention");
  make->add_option("--dose", n->dose, "the intervention's dose with its unit (\"50 g\")");
  make->add_option("--dose-into", n->dose_into,
                   "the model compartment that receives --dose (e.g. blood_hb for a transfusion)");
  make->add_option("--route", n->route, "route of the intervention (iv_infusion, oral, ...)");
  make->add_option("--duration", n->duration_h, "duration of the intervention, hours");
  make->add_option("--source-authors", n->source_authors, "authors of the claim's source");
  make->add_option("--source-year", n->source_year, "year of the source");
  make->add_option("--source-journal", n->source_journal, "journal (or outlet) of the source");
  make->add_option("--source-doi", n->source_doi, "DOI of the source");
  make->add_option("--source-url", n->source_url, "URL of the source");
  make->add_flag("--force", n->force, "replace --out if it exists");
  make->add_flag("--interactive", n->interactive,
                 "ask for what is missing even when standard input is not a terminal");
  make->add_flag("--no-input", n->no_input, "never ask, even on a terminal");
  make->callback([n] {
    const int code = run_new(*n);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });

  auto l = std::make_shared<LintArgs>();
  CLI::App* lint = claim->add_subcommand(
      "lint",
      "List what is missing or suspicious in a claim file (file:line:column, expected, fix)");
  lint->add_option("file", l->file, "claim file (YAML)")->required();
  lint->add_flag("--strict", l->strict, "count warnings as errors (exit 2)");
  lint->callback([l] {
    const int code = run_lint(*l);
    if (code != kExitSuccess) throw CLI::RuntimeError(code);
  });
}

}  // namespace onset::cli
