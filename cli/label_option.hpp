// --label NAME and --decay-corrected yes|no, as `onset simulate` and `onset fit` read them: the
// label comes from the shipped table data/tracers/labels.yaml (io::data_dir()), which an
// output must never replace.
#pragma once

#include <string>

#include "cli/commands.hpp"
#include "io/data_dir.hpp"
#include "models/tracer_labels.hpp"

namespace onset::cli {

inline std::string label_table_path() {
  return (io::data_dir() / "tracers" / "labels.yaml").string();
}

// --decay-corrected: "yes" (true) or "no" (false); anything else is BadInput.
inline bool decay_corrected_option(const std::string& text) {
  if (text != "yes" && text != "no")
    throw BadInput("--decay-corrected: expected yes or no; found '" + text + "'");
  return text == "yes";
}

// The label `name` (or an alias) of the table; BadInput naming the table, its labels and
// `also_accepted` (another value the command takes) when it has none of that name.
inline models::TracerLabel find_label(const std::string& name,
                                      const std::string& also_accepted = "") {
  const std::string path = label_table_path();
  const models::LabelTable table = models::read_label_table(path);
  const models::TracerLabel* label = table.find(name);
  if (!label)
    throw BadInput("--label: '" + name + "' is not a label of " + path + " (known: " +
                   table.names() + (also_accepted.empty() ? "" : ", or " + also_accepted) + ")");
  return *label;
}

}  // namespace onset::cli
