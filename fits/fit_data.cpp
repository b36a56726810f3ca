#include "fits/fit_data.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <memory>
#include <set>

#include "fits/dosing_predictor.hpp"
#include "fits/expression.hpp"
#include "fits/expression_predictor.hpp"
#include "fits/input_error.hpp"
#include "io/format.hpp"
#include "io/input_file.hpp"
#include "models/model_library.hpp"
#include "models/tracer_observation.hpp"
#include "pk/text_input.hpp"

namespace onset::fits {

namespace {

using io::CsvCell;
using io::CsvTable;
using io::trimmed;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The finite number `text` (a cell at file:line:column) is; else InputError saying `what`.
double number_in(const std::string& text, const std::string& file, int line, int column,
                 const std::string& what) {
  const std::optional<double> value = pk::parse_finite_number(text);
  if (!value)
    throw InputError(file, line, column,
                     "expected a finite number (" + what + "); found '" + io::excerpt(text) + "'");
  return *value;
}

double cell_number(const CsvTable& table, size_t row, size_t column, const std::string& what) {
  const CsvCell& cell = table.cell(row, column);
  return number_in(std::string(trimmed(cell.text)), table.source_name(), cell.line, cell.column,
                   what);
}

constexpr const char* kRoles[] = {"ID",  "TIME", "DV",   "OBS",  "UNIT", "BLQ",  "N",
                                  "SD",  "SEM",  "DOSE", "WT",   "AMT",  "EVID", "CMT",
                                  "MDV", "RATE", "II",   "ADDL", "SS"};

// The column playing `role`: the mapped one, else the first of `names` present.
std::optional<size_t> role_column(const CsvTable& table, const std::string& role,
                                  std::initializer_list<const char*> names) {
  if (auto index = table.find_column(role)) return index;
  for (const char* name : names)
    if (auto index = table.find_column(name)) return index;
  return std::nullopt;
}

// Renames the header cells by --map (COLUMN -> ROLE); the cells keep their lines and columns,
// so messages keep the file's places.
void apply_column_map(CsvTable* table, const std::map<std::string, std::string>& map) {
  const std::string& path = table->source_name();
  std::vector<std::string> names;
  for (const auto& cell : table->header()) names.push_back(cell.text);
  std::vector<std::pair<size_t, std::string>> renames;
  for (const auto& [role, column] : map) {
    if (std::find(std::begin(kRoles), std::end(kRoles), role) == std::end(kRoles))
      throw InputError("--map", 0, 0,
                       "'" + role + "' is not a column role; known: " + column_roles());
    const auto index = table->find_column(column);
    if (!index) {
      std::string known;
      for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
      throw InputError(path, table->header_line(), 1,
                       "--map " + role + "=" + column + ": no column '" + io::excerpt(column) +
                           "' (columns: " + known + ")");
    }
    for (size_t c = 0; c < names.size(); ++c)
      if (c != *index && lower(names[c]) == lower(role) && !map.count(names[c]))
        throw InputError(path, table->header()[c].line, table->header()[c].column,
                         "--map " + role + "=" + column + ": the data already have a column '" +
                             names[c] + "'; map it to another role or rename it");
    renames.emplace_back(*index, role);
  }
  // Renamed once every mapping is found in the header as the file has it.
  for (auto& [index, role] : renames) table->rename_column(index, std::move(role));
}

// An ID of an observation table as the records keep it: itself when plain, else its position.
std::string id_text(const std::string& id, size_t position) {
  const bool plain = !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
  return plain ? id : std::to_string(position + 1);
}

// The model's observable for a name in the data. `suffix` is the unit's part of tidy tracer
// data ("pct" for %ID, "pct_per_g" for %ID/g; empty otherwise): ORGAN_label_SUFFIX with a
// label, else ORGAN_SUFFIX or ORGAN; without a suffix the name itself, or NAME_label_pct with a
// label. InputError at file:line:column naming the first candidate when none is an
// observable.
std::string resolve_observable(const pk::Model& model, bool with_label, const std::string& name,
                               const std::string& suffix, const std::string& file, int line,
                               int column) {
  std::vector<std::string> candidates = {name};
  if (!suffix.empty())
    candidates = with_label ? std::vector<std::string>{name + "_label_" + suffix}
                            : std::vector<std::string>{name + "_" + suffix, name};
  else if (with_label)
    candidates = {name, name + "_label_pct"};
  for (const auto& candidate : candidates)
    if (model.observable_index(candidate) >= 0) return candidate;
  std::string known;
  for (const auto& o : model.observables()) known += (known.empty() ? "" : ", ") + o.name;
  throw InputError(file, line, column,
                   "'" + candidates.front() + "' is not an observable of " +
                       std::string(model.name()) + " (known: " + known + ")");
}

// Extra columns of the records of an observation table, in this order.
constexpr const char* kTableExtras[] = {"OBS", "BLQ", "N", "SD"};

// An observation table (no AMT column: ID, TIME, DV, OBS/organ, UNIT, BLQ, N, SD, SEM, DOSE,
// WT) as dosing records, read straight from the table: one dose per subject at time 0, then
// the subject's observations by time; extra columns OBS (the model's observable, resolved
// here), BLQ, N and SD (SEM x sqrt(n)) as text ("." when not given). Each record keeps the line
// of its row (a dose record, that of the subject's first row by time).
pk::DosingData observation_table_to_dosing(const CsvTable& table, double dose, int dose_cmt,
                                           bool dose_per_kg, const pk::Model& model,
                                           bool with_label) {
  const std::string path = table.source_name();
  const auto time = role_column(table, "TIME", {"time"});
  const auto dv = role_column(table, "DV", {"value"});
  if (!time || !dv) {
    std::string known;
    for (const auto& cell : table.header()) known += (known.empty() ? "" : ", ") + cell.text;
    throw InputError(path, table.header_line(), 1,
                     std::string("no ") + (!time ? "time" : "value") +
                         " column: an observation table needs TIME (or time) and DV (or value); "
                         "name yours with --map TIME=COLUMN --map DV=COLUMN (columns: " +
                         known + ")");
  }
  const auto organ = role_column(table, "OBS", {"OBSERVABLE", "DVID", "organ"});
  const auto unit = role_column(table, "UNIT", {"unit"});
  const auto animal = role_column(table, "ID", {"animal", "subject"});
  const auto blq = role_column(table, "BLQ", {"blq"});
  const auto count = role_column(table, "N", {"n"});
  const auto sd = role_column(table, "SD", {"sd"});
  const auto sem = role_column(table, "SEM", {"sem"});
  const auto dose_column = role_column(table, "DOSE", {});
  const auto weight = role_column(table, "WT", {});
  if (dose_per_kg && !weight)
    throw InputError(path, table.header_line(), 1,
                     "a dose per kg needs the body weight: name the column with --map WT=COLUMN "
                     "(kg)");
  if (!dose_column && !(dose > 0))
    throw InputError(path, 0, 0,
                     "no dose: the data have no dose records (AMT) and no DOSE column; give the "
                     "dose per subject with --dose AMOUNT (time 0, --dose-cmt) or name a column "
                     "with --map DOSE=COLUMN");
  std::vector<std::string> order;
  std::map<std::string, std::vector<size_t>> rows;
  for (size_t r = 0; r < table.row_count(); ++r) {
    const std::string id = animal ? std::string(trimmed(table.cell(r, *animal).text)) : "1";
    if (!rows.count(id)) order.push_back(id);
    rows[id].push_back(r);
  }

  pk::DosingData data;
  data.source = path;
  data.header_line = table.header_line();
  for (const char* name : kTableExtras) {
    data.covariate_names.push_back(name);
    data.covariate_header_columns.push_back(0);
  }
  data.first_bad_covariate_cell.assign(std::size(kTableExtras), {0, 0});
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // One record with its extra cells (as a covariate: "." is 0, other text NaN, as NONMEM data).
  auto add = [&](pk::DosingRecord record, const std::array<std::string, 4>& extras,
                 const std::array<int, 4>& columns) {
    for (size_t k = 0; k < extras.size(); ++k) {
      const std::string& text = extras[k];
      const std::optional<double> value =
          text == "." ? std::optional<double>(0.0) : pk::parse_finite_number(text);
      if (!value && data.first_bad_covariate_cell[k][0] == 0)
        data.first_bad_covariate_cell[k] = {record.line, columns[k]};
      data.covariates.push_back(value.value_or(kNaN));
      data.extra_text.push_back(text);
      data.extra_columns.push_back(columns[k]);
    }
    data.records.push_back(std::move(record));
  };

  for (size_t a = 0; a < order.size(); ++a) {
    auto& list = rows[order[a]];
    std::stable_sort(list.begin(), list.end(), [&](size_t x, size_t y) {
      return cell_number(table, x, *time, "time") < cell_number(table, y, *time, "time");
    });
    double amount = dose;
    if (dose_column) {
      amount = cell_number(table, list.front(), *dose_column, "dose");
      for (size_t r : list)
        if (cell_number(table, r, *dose_column, "dose") != amount)
          throw InputError(path, table.cell(r, *dose_column).line,
                           table.cell(r, *dose_column).column,
                           "the dose changes within subject " + order[a] +
                               " (one dose per subject at time 0 in an observation table)");
    }
    if (dose_per_kg) {
      const double kg = cell_number(table, list.front(), *weight, "body weight, kg");
      if (!(kg > 0))
        throw InputError(path, table.cell(list.front(), *weight).line,
                         table.cell(list.front(), *weight).column, "body weight must be > 0");
      amount *= kg;
    }
    if (!(amount > 0))
      throw InputError(path, dose_column ? table.cell(list.front(), *dose_column).line : 0, 0,
                       "the dose of subject " + order[a] + " must be > 0");
    const std::string id = id_text(order[a], a);
    pk::DosingRecord given;
    given.line = table.row_line(list.front());
    given.id = id;
    given.time_h = 0;
    given.evid = 1;
    given.amount = amount;
    given.cmt = dose_cmt;
    given.dv = kNaN;
    given.mdv = 1;
    add(given, {".", "0", ".", "."}, {0, 0, 0, 0});
    for (size_t r : list) {
      std::string name = ".";
      int organ_column = 0;
      if (organ) {
        const CsvCell& cell = table.cell(r, *organ);
        organ_column = cell.column;
        name = std::string(trimmed(cell.text));
        std::string suffix;
        if (unit) {
          const std::string u = lower(std::string(trimmed(table.cell(r, *unit).text)));
          if (u == "%id/g")
            suffix = "pct_per_g";
          else if (u == "%id" || u == "%id/organ")
            suffix = "pct";
        }
        if (!name.empty() && name != ".")
          name = resolve_observable(model, with_label, name, suffix, path, cell.line, cell.column);
      }
      const CsvCell& value_cell = table.cell(r, *dv);
      const std::string value(trimmed(value_cell.text));
      const bool missing = value.empty() || value == ".";
      const bool is_blq = blq && std::string(trimmed(table.cell(r, *blq).text)) == "1";
      // Summary data: n, and the SD (or SEM x sqrt(n)) of the animals.
      std::string n_text = ".", sd_text = ".";
      int n_column = 0, sd_column = 0;
      auto given_cell = [&](std::optional<size_t> column) {
        if (!column) return false;
        const std::string text(trimmed(table.cell(r, *column).text));
        return !text.empty() && text != ".";
      };
      double n = 1;
      if (given_cell(count)) {
        n = cell_number(table, r, *count, "number of animals");
        n_column = table.cell(r, *count).column;
        if (!(n >= 1) || n != std::floor(n))
          throw InputError(
              path, table.cell(r, *count).line, table.cell(r, *count).column,
              "the number of animals must be a whole number >= 1; found " + format_number(n));
        n_text = format_number(n, 17);
      }
      if (given_cell(sd) || given_cell(sem)) {
        const auto column = given_cell(sd) ? *sd : *sem;
        sd_column = table.cell(r, column).column;
        const double spread =
            cell_number(table, r, column, given_cell(sd) ? "SD of the animals" : "SEM of the mean");
        if (!(spread >= 0))
          throw InputError(path, table.cell(r, column).line, table.cell(r, column).column,
                           "an SD or SEM must be >= 0");
        if (!given_cell(count))
          throw InputError(path, table.cell(r, column).line, table.cell(r, column).column,
                           std::string("an ") + (given_cell(sd) ? "SD" : "SEM") +
                               " without the number of animals: give n (column n, or --map "
                               "N=COLUMN) so that the mean's variance (SD^2/n) is known");
        sd_text = format_number(given_cell(sd) ? spread : spread * std::sqrt(n), 17);
      }
      pk::DosingRecord observation;
      observation.line = table.row_line(r);
      observation.id = id;
      observation.time_h = cell_number(table, r, *time, "time");
      observation.cmt = dose_cmt;
      observation.dv =
          missing ? kNaN : number_in(value, path, value_cell.line, value_cell.column, "DV");
      observation.mdv = missing ? 1 : 0;
      observation.column[static_cast<size_t>(pk::DosingField::kTime)] = table.cell(r, *time).column;
      observation.column[static_cast<size_t>(pk::DosingField::kDv)] = value_cell.column;
      add(observation, {name, is_blq ? "1" : "0", n_text, sd_text},
          {organ_column, blq ? table.cell(r, *blq).column : 0, n_column, sd_column});
    }
  }
  return data;
}

}  // namespace

std::string column_roles() {
  std::string roles;
  for (const char* role : kRoles) roles += (roles.empty() ? "" : ", ") + std::string(role);
  return roles;
}

bool is_tidy_tracer_table(const CsvTable& table) {
  return table.find_column("organ") && table.find_column("value") && table.find_column("time") &&
         !table.find_column("AMT");
}

LoadedProblem load_model_problem(const std::string& model_name, const CsvTable& data_table,
                                 const ModelDataOptions& options) {
  LoadedProblem loaded;
  using Observe = ModelDataOptions::Observe;
  const std::string& data_path = data_table.source_name();
  // The data with --map applied; no AMT column: an observation table (tidy tracer data, R's
  // layout), read into records with one dose per subject at time 0.
  CsvTable source = data_table;
  if (!options.column_map.empty()) apply_column_map(&source, options.column_map);
  const bool table_form = !source.find_column("AMT");
  bool tidy = table_form && source.find_column("organ").has_value();
  if (const auto unit = role_column(source, "UNIT", {"unit"}); table_form && unit)
    for (size_t r = 0; r < source.row_count() && !tidy; ++r)
      tidy = trimmed(source.cell(r, *unit).text).starts_with("%");
  if (tidy && options.observe == Observe::kUnset)
    throw InputError(
        data_path, 0, 0,
        "tidy tracer data need to say what was measured: give the label, e.g. --label 111In, "
        "--label 125I or --label DiR (a counter or imager reads the label, not the vesicle: "
        "label released after degradation and residualised label count too, and fitting "
        "intact-vesicle kinetics to label data is the classic error). To fit intact-vesicle "
        "observables anyway, say so: --label none-intact");
  const bool with_label = options.observe == Observe::kLabel && options.label.has_value();
  std::shared_ptr<models::FileModel> file_model =
      with_label ? models::load_tracer_model(model_name, *options.label,
                                             {.decay_corrected = options.decay_corrected})
                 : models::load_file_model(model_name);
  std::shared_ptr<const pk::Model> model = file_model;
  if (with_label) {
    const models::TracerLabel& label = *options.label;
    std::string note = "observation model: label " + label.name + " (" +
                       models::label_kind_name(label.kind) + ", " +
                       models::label_fate_name(label.fate) + "); ";
    if (label.half_life_h > 0)
      note += options.decay_corrected
                  ? "data decay-corrected (no decay factor; --decay-corrected no if not)"
                  : "data NOT decay-corrected: predictions x exp(-ln 2 t / " +
                        format_number(label.half_life_h, 6) + " h)";
    else
      note += "no physical decay";
    loaded.notes.push_back(note);
  } else if (options.observe == Observe::kIntact) {
    loaded.notes.push_back(
        "observing intact vesicles (asked for): label released or residualised after "
        "degradation is not in the predictions");
  }
  std::shared_ptr<pk::DosingData> data;
  if (table_form) {
    data = std::make_shared<pk::DosingData>(observation_table_to_dosing(
        source, options.tidy_dose, options.tidy_dose_cmt, options.dose_per_kg, *model, with_label));
    const bool dose_column = role_column(source, "DOSE", {}).has_value();
    loaded.notes.push_back(
        std::string(tidy ? "tidy tracer data" : "observation table") + " converted: one dose " +
        (dose_column ? std::string("(column DOSE)") : "of " + format_number(options.tidy_dose)) +
        (options.dose_per_kg ? " per kg x WT" : "") + " into compartment " +
        std::to_string(options.tidy_dose_cmt) + " per subject at time 0");
  } else {
    data = std::make_shared<pk::DosingData>(pk::dosing_data_from_table(source));
  }
  // Observable names, BLQ flags and summary columns: the records' extra columns.
  if (with_label && options.label->half_life_h > 0 && !options.decay_corrected) {
    // The decay factor counts from t = 0: every dose must be given then.
    for (const auto& record : data->records)
      if (record.is_dose() && record.time_h != 0)
        throw InputError(data_path, record.line, 0,
                         "doses at time 0 for data that are not decay-corrected (the decay "
                         "factor counts from t = 0); found a dose at t = " +
                             format_number(record.time_h) + " h");
  }
  // An extra column of the records by name (case-insensitive, as NONMEM's names).
  auto extra_column = [&](const std::string& name) -> std::optional<size_t> {
    const int index = data->covariate_index(name);
    if (index < 0) return std::nullopt;
    return static_cast<size_t>(index);
  };
  std::optional<size_t> observable_column;
  if (!options.observable_column.empty()) {
    observable_column = extra_column(options.observable_column);
    if (!observable_column) {
      std::string available;
      for (const auto& name : data->covariate_names)
        available += (available.empty() ? "'" : ", '") + name + "'";
      throw InputError(data_path, data->header_line, 0,
                       "no column '" + options.observable_column +
                           "' for the observable names; the extra columns are " + available);
    }
  } else {
    for (const char* name : {"OBS", "OBSERVABLE", "DVID"})
      if ((observable_column = extra_column(name))) break;
  }
  const auto blq_column =
      options.blq_column.empty() ? std::nullopt : extra_column(options.blq_column);
  const std::string default_observable = options.default_observable.empty()
                                             ? model->observables()[0].name
                                             : options.default_observable;
  // The number in extra column `column` of record `r` (a cell of the data), or InputError.
  auto extra_number = [&](size_t r, size_t column, const std::string& what) {
    return number_in(data->text(r, column), data_path, data->records[r].line,
                     data->cell_column(r, column), what);
  };
  auto extra_error = [&](size_t r, size_t column, const std::string& message) {
    return InputError(data_path, data->records[r].line, data->cell_column(r, column), message);
  };

  std::vector<FittedObservation> observations;
  std::map<std::string, int> block_of;
  std::set<std::string> used_members;
  int blq_count = 0;
  // Summary columns only where rows can be means of animals (not in population data sets,
  // where N or SD may be an ordinary NONMEM item of one subject's record).
  const auto summary_column = [&](const char* role) {
    return options.summary_columns ? extra_column(role) : std::optional<size_t>();
  };
  const auto count_column = summary_column("N");
  const auto sd_column = summary_column("SD");
  const auto sem_column = summary_column("SEM");
  bool any_summary = false, any_sd = false;
  for (size_t r = 0; r < data->records.size(); ++r) {
    const auto& record = data->records[r];
    if (record.evid != 0 || record.mdv != 0 || std::isnan(record.dv)) continue;
    std::string name = default_observable;
    if (observable_column) {
      name = data->text(r, *observable_column);
      if (name.empty() || name == ".")
        name = default_observable;
      else
        name = resolve_observable(*model, with_label, name, "", data_path, record.line,
                                  data->cell_column(r, *observable_column));
    }
    if (blq_column && data->text(r, *blq_column) == "1") {
      ++blq_count;
      continue;
    }
    const int observable = model->observable_index(name);
    if (observable < 0)
      throw InputError(data_path, 0, 0, "'" + name + "' is not an observable of the model");
    // The error model: the observable's own, or its group's (--error-group).
    std::string block_name = name;
    for (const auto& [group, members] : options.error_groups)
      for (const auto& member : members)
        if (member == name || member + "_pct" == name || member + "_label_pct" == name ||
            member + "_pct_per_g" == name || member + "_label_pct_per_g" == name) {
          block_name = group;
          used_members.insert(group + "\n" + member);
        }
    if (!block_of.count(block_name)) {
      block_of[block_name] = static_cast<int>(loaded.problem.blocks.size());
      auto e = options.error_by_observable.find(block_name);
      if (e == options.error_by_observable.end()) e = options.error_by_observable.find(name);
      loaded.problem.blocks.push_back(
          {block_name, e != options.error_by_observable.end() ? e->second : options.error, 0});
    }
    // Summary data: a mean of n animals, with their SD when reported.
    double animals = 1, within = std::numeric_limits<double>::quiet_NaN();
    {
      auto given = [&](std::optional<size_t> column) {
        if (!column) return std::string();
        const std::string& cell = data->text(r, *column);
        return cell == "." ? std::string() : cell;
      };
      if (const std::string n_text = given(count_column); !n_text.empty()) {
        animals = extra_number(r, *count_column, "number of animals");
        if (!(animals >= 1) || animals != std::floor(animals))
          throw extra_error(r, *count_column, "the number of animals must be a whole number >= 1");
      }
      const bool has_sd = !given(sd_column).empty(), has_sem = !given(sem_column).empty();
      if (has_sd || has_sem) {
        const size_t column = has_sd ? *sd_column : *sem_column;
        if (given(count_column).empty())
          throw extra_error(r, column, "an SD or SEM without the number of animals (column N)");
        const double spread = extra_number(r, column, "SD or SEM");
        if (!(spread >= 0)) throw extra_error(r, column, "an SD or SEM must be >= 0");
        const double sd_value = has_sd ? spread : spread * std::sqrt(animals);
        within = (animals - 1) * sd_value * sd_value;
        any_sd = true;
      }
      if (animals != 1) any_summary = true;
    }
    loaded.problem.animals.push_back(animals);
    loaded.problem.within_ss.push_back(within);
    observations.push_back({static_cast<int>(r), observable});
    loaded.observation_records.push_back(static_cast<int>(r));
    loaded.problem.y.push_back(record.dv);
    loaded.problem.block.push_back(block_of[block_name]);
    loaded.problem.x.push_back(record.time_h);
    loaded.problem.group.push_back(record.id);
    loaded.problem.observable.push_back(name);
    loaded.problem.unit.push_back(model->observables()[static_cast<size_t>(observable)].unit);
  }
  if (observations.empty())
    throw InputError(data_path, 0, 0, "no observations (EVID 0, MDV 0, DV given)");
  for (const auto& [group, members] : options.error_groups)
    for (const auto& member : members)
      if (!used_members.count(group + "\n" + member))
        throw InputError("--error-group", 0, 0,
                         group + ": '" + member + "' is not an observable of the data");
  if (!any_summary) loaded.problem.animals.clear();
  if (!any_sd) loaded.problem.within_ss.clear();
  if (any_summary)
    loaded.notes.push_back(
        std::string("summary data: each value is a mean of N animals, variance the error "
                    "model's / N") +
        (any_sd ? "; with its SD, the likelihood of the animals themselves (mean and SD are "
                  "sufficient for normal errors; fits/README.md)"
                : ""));
  // One observation of an error model: its SD has no estimate and the likelihood no bound
  // (the fit drives that SD to 0 and the intervals to a point).
  {
    std::vector<double> counts(loaded.problem.blocks.size(), 0.0);
    for (size_t i = 0; i < loaded.problem.y.size(); ++i)
      counts[static_cast<size_t>(loaded.problem.block[i])] +=
          loaded.problem.within_ss.empty() || std::isnan(loaded.problem.within_ss[i])
              ? 1.0
              : loaded.problem.animals[i];
    for (size_t k = 0; k < counts.size(); ++k)
      if (counts[k] < 2)
        throw InputError(
            data_path, 0, 0,
            "one observation of '" + loaded.problem.blocks[k].name +
                "': its residual SD cannot be estimated from one value (the likelihood has no "
                "lower bound: the fit would drive that SD to 0 and every interval to a point). "
                "Share one error model over several observables (--error-group "
                "NAME=OBS1,OBS2,...), or give the SD and number of animals of each mean "
                "(columns SD or SEM, and N)");
  }
  if (blq_count > 0)
    loaded.notes.push_back(std::to_string(blq_count) +
                           " observation(s) below the quantification limit excluded (M1)");
  loaded.problem.predictor = std::make_shared<DosingPredictor>(model, data, observations);
  loaded.dosing_data = data;
  loaded.subset_predictor = [model, data, observations](std::span<const size_t> rows) {
    std::vector<FittedObservation> subset;
    for (size_t row : rows) subset.push_back(observations[row]);
    return std::make_shared<DosingPredictor>(model, data, std::move(subset));
  };
  const auto bounds = file_model->parameter_bounds();
  std::string held_without_start;  // with explicit starts: the parameters not named
  for (size_t i = 0; i < model->parameters().size(); ++i) {
    const auto& info = model->parameters()[i];
    FitParameter parameter;
    parameter.name = info.name;
    parameter.unit = info.unit;
    parameter.start = info.value;
    if (i < bounds.size()) {
      parameter.lower = bounds[i].lower;
      parameter.upper = bounds[i].upper;
    }
    if (auto it = options.fixed.find(info.name); it != options.fixed.end()) {
      parameter.start = it->second;
      parameter.fixed = true;
    } else if (auto s = options.start.find(info.name); s != options.start.end()) {
      // NaN: --estimate NAME, from the model's value.
      if (!std::isnan(s->second)) parameter.start = s->second;
    } else if (!options.start.empty()) {
      // With explicit starts, only the parameters named are estimated.
      parameter.fixed = true;
      held_without_start += (held_without_start.empty() ? "" : ", ") + info.name;
    } else if (info.value == 0) {
      parameter.fixed = true;
      loaded.notes.push_back(info.name + " held at its default 0 (give --start " + info.name +
                             "=VALUE to estimate it)");
    }
    // A start or fixed value outside the model's bounds (a fraction above 1, a negative
    // rate) is bad input, not something for the optimiser to walk back from.
    const bool given = options.fixed.count(info.name) || options.start.count(info.name);
    if (given && (parameter.start < parameter.lower || parameter.start > parameter.upper))
      throw InputError(options.fixed.count(info.name) ? "--fix" : "--start", 0, 0,
                       info.name + " = " + format_number(parameter.start) +
                           " is outside the bounds " + std::string(model->name()) +
                           " declares for it, [" + format_number(parameter.lower) + ", " +
                           format_number(parameter.upper) + "]" +
                           (info.unit == "1" ? "" : " " + info.unit));
    // Bounded below by 0 (a fraction, or positive by its unit): log scale, so Wald intervals
    // stay positive; an upper bound goes to Ceres as log(upper) (fits/README.md).
    parameter.log_scale = !parameter.fixed && parameter.start > 0 && parameter.lower >= 0;
    loaded.problem.parameters.push_back(parameter);
  }
  if (!options.start.empty()) {
    for (const auto& [name, value] : options.start)
      if (model->parameter_index(name) < 0)
        throw InputError("--start", 0, 0,
                         "'" + name + "' is not a parameter of " + std::string(model->name()));
    // Only when some parameter is actually held (every one named: no note).
    if (!held_without_start.empty())
      loaded.notes.push_back("held at their values (no --start): " + held_without_start);
  }
  for (const auto& [name, value] : options.fixed)
    if (model->parameter_index(name) < 0)
      throw InputError("--fix", 0, 0,
                       "'" + name + "' is not a parameter of " + std::string(model->name()));
  loaded.problem.x_name = "time (h)";
  loaded.problem.curve_from = 0;  // the dose time of the observation tables; records from 0 too
  return loaded;
}

LoadedProblem load_expression_problem(const std::string& text, const std::string& x_column,
                                      const std::string& y_column, const CsvTable& table,
                                      ErrorKind error, const std::map<std::string, double>& start,
                                      const std::map<std::string, double>& fixed) {
  LoadedProblem loaded;
  const std::string& data_path = table.source_name();
  const size_t x = table.require_column(x_column, "x (independent variable)");
  const size_t y = table.require_column(y_column, "y (response)");
  Expression expression = Expression::parse(text, {x_column});
  std::vector<long double> xs;
  for (size_t r = 0; r < table.row_count(); ++r) {
    const std::string y_text(trimmed(table.cell(r, y).text));
    if (y_text.empty() || y_text == ".") continue;
    cell_number(table, r, x, x_column);
    const double y_value = cell_number(table, r, y, y_column);
    // Extended precision from the text (see FitProblem::y_low).
    const long double x_long =
        std::strtold(std::string(trimmed(table.cell(r, x).text)).c_str(), nullptr);
    const long double y_long = std::strtold(y_text.c_str(), nullptr);
    xs.push_back(x_long);
    loaded.problem.y.push_back(y_value);
    loaded.problem.y_low.push_back(static_cast<double>(y_long - static_cast<long double>(y_value)));
    loaded.problem.x.push_back(static_cast<double>(x_long));
  }
  if (xs.empty()) throw InputError(data_path, 0, 0, "no rows with a " + y_column + " value");
  loaded.problem.block.assign(xs.size(), 0);
  loaded.problem.blocks.push_back({y_column, error, 0});
  loaded.problem.x_name = x_column;
  for (const auto& name : expression.parameters()) {
    FitParameter parameter;
    parameter.name = name;
    if (auto it = fixed.find(name); it != fixed.end()) {
      parameter.start = it->second;
      parameter.fixed = true;
    } else if (auto s = start.find(name); s != start.end()) {
      parameter.start = s->second;
    } else {
      throw InputError("--start", 0, 0,
                       "parameter '" + name + "' of the expression needs a start (--start " + name +
                           "=VALUE) or a value (--fix)");
    }
    loaded.problem.parameters.push_back(parameter);
  }
  for (const auto& [name, value] : start)
    if (std::find(expression.parameters().begin(), expression.parameters().end(), name) ==
        expression.parameters().end())
      throw InputError("--start", 0, 0, "'" + name + "' does not appear in the expression");
  loaded.problem.predictor =
      std::make_shared<ExpressionPredictor>(std::move(expression), std::move(xs));
  return loaded;
}

}  // namespace onset::fits
