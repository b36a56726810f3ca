// Model file -> FileModel: reads the YAML, checks names, units and definitions, and builds the
// flat representation (file_model.hpp). Every error carries the file, line and column of the
// offending YAML node, what was expected and what was found.
#include "models/model_file.hpp"

#include <muParser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "io/format.hpp"
#include "io/input_file.hpp"
#include "io/names.hpp"
#include "io/yaml.hpp"
#include "models/units.hpp"
#include "pk/text_input.hpp"

namespace onset::models {

ModelFileError::ModelFileError(std::string file, int line, int column, std::string expected,
                               std::string found)
    : FileError(std::move(file), line, column, "found " + found, std::move(expected)),
      found_(std::move(found)) {}

namespace {

// A name of the model's own (parameter, compartment, derived value, observable, covariate):
// letters, digits and '_', not starting with a digit, at most 64 bytes (muparser refuses names
// longer than 100; found by the model_file fuzz target).
bool is_identifier(const std::string& text) {
  if (text.empty() || text.size() > io::kMaxIdentifierBytes ||
      !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_'))
    return false;
  return std::all_of(text.begin(), text.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
  });
}

std::string join(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsScalar()) return "'" + io::excerpt(node.Scalar()) + "'";
  if (node.IsSequence()) return "a list";
  return "a map";
}

void scale(ValueRef& ref, double factor) {
  if (ref.kind == ValueRef::Kind::kConstant)
    ref.value *= factor;
  else
    ref.factor *= factor;
}

ValueRef constant(double value) {
  ValueRef ref;
  ref.value = value;
  return ref;
}

const Unit& hour_unit() {
  static const Unit hour = parse_unit("h");
  return hour;
}
const Unit& dimensionless_unit() {
  static const Unit one = parse_unit("1");
  return one;
}

enum class Category { kParameter, kDerived, kCovariate, kState, kTime };

struct CompartmentInfo {
  std::string name;
  Unit unit;
  YAML::Node node;
  std::optional<std::pair<ValueRef, Unit>> volume;
  std::optional<std::pair<ValueRef, Unit>> mass;
};

struct ObservableDraft {
  std::string name;
  YAML::Node node;
  Unit unit;  // declared (or natural) unit of the value
  bool compiled = false;
  bool compiling = false;
};

}  // namespace

class ModelFileCompiler {
 public:
  ModelFileCompiler(std::string source, FileModel& model) : source_(std::move(source)), m_(model) {}

  void compile(const std::string& text) {
    using pk::InputLimits;
    if (text.size() > InputLimits::kMaxFileBytes)
      throw ModelFileError(
          source_, 0, 0,
          "a model file of at most " + std::to_string(InputLimits::kMaxFileBytes >> 20) + " MB",
          std::to_string(text.size() >> 20) + " MB");
    if (const auto bad = pk::find_invalid_utf8(text))
      throw ModelFileError(source_, bad->line, bad->column, "UTF-8 text",
                           pk::describe_invalid_utf8(*bad));
    if (const auto long_line = pk::find_long_line(text))
      throw ModelFileError(
          source_, long_line->line, 1,
          "lines of at most " + std::to_string(InputLimits::kMaxLineBytes) + " bytes",
          "a longer line");
    YAML::Node root;
    if (const auto failure = io::yaml::parse_text(text, &root)) {
      if (failure->depth > 0)
        throw ModelFileError(source_, failure->mark.line + 1, failure->mark.column + 1,
                             "maps and lists nested at most " +
                                 std::to_string(InputLimits::kMaxNestingDepth) + " levels deep",
                             "nesting deeper than " + std::to_string(failure->depth) + " levels");
      throw ModelFileError(source_, failure->mark.line + 1, failure->mark.column + 1, "valid YAML",
                           failure->message);
    }
    if (const auto hit = io::yaml::check_size(root))
      throw ModelFileError(
          source_, hit->mark.line + 1, hit->mark.column + 1,
          "a model file of at most " + std::to_string(InputLimits::kMaxNestingDepth) +
              " nested levels and " + std::to_string(InputLimits::kMaxYamlNodes) + " nodes",
          hit->what);
    if (const auto duplicate = io::yaml::find_duplicate_key(root))
      throw ModelFileError(source_, duplicate->mark.line + 1, duplicate->mark.column + 1,
                           "each key once in a map",
                           "duplicate key '" + io::excerpt(duplicate->key) + "' (first at line " +
                               std::to_string(duplicate->first_line) + ", column " +
                               std::to_string(duplicate->first_column) + ")");
    if (!root.IsDefined() || root.IsNull())  // no node, hence no position: point at the start
      throw ModelFileError(source_, 1, 1,
                           "a YAML map with keys name, parameters, compartments, ...",
                           "an empty file (nothing but blank lines or comments)");
    if (!root.IsMap())
      fail(root, "a YAML map with keys name, parameters, compartments, ...", describe(root));
    check_keys(root, "the model file",
               {"name", "description", "equations", "covariates", "parameters", "derived",
                "compartments", "processes", "observables", "time_unit",
                // read by population fits (fits/population/population_spec.hpp), not here
                "population"});
    m_.name_ = required_string(root, "name", "the model");
    if (const std::string problem = io::identifier_problem(m_.name_); !problem.empty())
      fail(root["name"], std::string("a model name of ") + io::kIdentifierRule,
           "'" + io::excerpt(m_.name_) + "': " + problem);
    m_.documentation_.description = optional_string(root["description"]);
    m_.documentation_.equations = optional_string(root["equations"]);
    m_.documentation_.source = source_;
    if (root["time_unit"] && optional_string(root["time_unit"]) != "h")
      fail(root["time_unit"], "time_unit h (rates in any time unit are converted to hours)",
           describe(root["time_unit"]));
    read_parameters(root["parameters"]);
    read_covariates(root["covariates"]);
    read_derived_names(root["derived"]);
    read_compartment_names(root["compartments"], root);
    set_up_table();
    compile_derived(root["derived"]);
    compile_compartments();
    declare_observables(root["observables"]);
    compile_processes(root["processes"]);
    for (size_t o = 0; o < observables_.size(); ++o) compile_observable(static_cast<int>(o));
    finish();
  }

 private:
  // ------------------------------------------------------------------------ errors
  [[noreturn]] void fail(const YAML::Node& node, const std::string& expected,
                         const std::string& found) const {
    // A missing key has no position: point at the map being read.
    const YAML::Node& at = node.IsDefined() ? node : context_;
    const YAML::Mark mark = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
    const int line = mark.is_null() ? 0 : mark.line + 1;
    const int column = mark.is_null() ? 0 : mark.column + 1;
    throw ModelFileError(source_, line, column, expected, found);
  }
  [[noreturn]] void fail_at(const YAML::Node& node, int offset, const std::string& expected,
                            const std::string& found) const {
    const YAML::Mark mark = node.Mark();
    throw ModelFileError(source_, mark.line + 1, mark.column + 1 + std::max(offset, 0), expected,
                         found);
  }

  void check_keys(const YAML::Node& map, const std::string& what,
                  const std::vector<std::string>& allowed) const {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        fail(it->first, "one of the keys of " + what + ": " + join(allowed),
             "unknown key '" + io::excerpt(key) + "'");
    }
  }

  std::string required_string(const YAML::Node& map, const std::string& key,
                              const std::string& what) const {
    const YAML::Node node = map[key];
    if (!node) fail(map, "key '" + key + "' in " + what, "no '" + key + "'");
    if (!node.IsScalar()) fail(node, "a text for '" + key + "' of " + what, describe(node));
    return node.Scalar();
  }
  std::string optional_string(const YAML::Node& node) const {
    if (!node || node.IsNull()) return {};
    if (!node.IsScalar()) fail(node, "a text", describe(node));
    return node.Scalar();
  }
  std::optional<double> number(const YAML::Node& node) const {
    if (!node.IsScalar()) return std::nullopt;
    const std::string& text = node.Scalar();
    if (text == "inf" || text == ".inf" || text == "+inf" || text == "Inf")
      return std::numeric_limits<double>::infinity();
    if (text == "-inf" || text == "-.inf" || text == "-Inf")
      return -std::numeric_limits<double>::infinity();
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') return std::nullopt;
    return value;
  }
  double required_number(const YAML::Node& node, const std::string& what) const {
    const auto value = number(node);
    if (!value) fail(node, "a number for " + what, describe(node));
    return *value;
  }
  Unit unit_of(const YAML::Node& node, const std::string& what) const {
    if (!node || node.IsNull())
      fail(node, "a unit for " + what + " (\"1\" if dimensionless)", "no unit");
    if (!node.IsScalar()) fail(node, "a unit for " + what, describe(node));
    try {
      return parse_unit(node.Scalar());
    } catch (const UnitError& error) {
      fail(node, "a unit for " + what + " such as mg, L, 1/h, mg/L, particles", error.problem());
    }
  }
  double convert_or_fail(const YAML::Node& node, const Unit& from, const Unit& to,
                         const std::string& from_where, const std::string& to_where) const {
    try {
      return conversion_factor(from, to, from_where, to_where);
    } catch (const UnitError& error) {
      fail(node, "units that convert into each other", error.problem());
    }
  }

  // ------------------------------------------------------------------ declarations
  void ensure_new_name(const YAML::Node& node, const std::string& name, const std::string& what) {
    if (!is_identifier(name))
      fail(node,
           "a name for " + what + " (at most 64 letters, digits, _; not starting with a digit)",
           "'" + io::excerpt(name) + "'");
    if (name == "t") fail(node, "a name other than 't' (the time, hours)", "'t'");
    const auto it = kinds_.find(name);
    if (it != kinds_.end())
      fail(node, "a name not used before for " + what, "'" + name + "', already " + it->second);
    kinds_[name] = what;
  }

  void read_parameters(const YAML::Node& node) {
    if (!node) return;
    if (!node.IsMap()) fail(node, "a map of parameters (NAME: {value, unit})", describe(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.Scalar();
      ensure_new_name(it->first, name, "a parameter");
      const YAML::Node spec = it->second;
      context_.reset(spec);
      pk::ParameterInfo info{name, "", 0};
      ParameterBounds bounds;
      Unit unit;
      if (spec.IsScalar()) {  // "5 L/h"
        const auto parsed = number_with_unit(spec.Scalar());
        if (!parsed)
          fail(spec,
               "a value with its unit for parameter '" + name +
                   "' (e.g. '5 L/h' "
                   "or {value: 5, unit: L/h})",
               describe(spec));
        if (!parsed->second)
          fail(spec, "a unit for parameter '" + name + "' (\"1\" if dimensionless)", "no unit");
        info.value = parsed->first;
        unit = *parsed->second;
      } else if (spec.IsMap()) {
        check_keys(spec, "parameter '" + name + "'",
                   {"value", "unit", "lower", "upper", "bounds", "description"});
        if (!spec["value"]) fail(spec, "a value for parameter '" + name + "'", "no value");
        info.value = required_number(spec["value"], "parameter '" + name + "'");
        if (!spec["unit"])
          fail(spec, "a unit for parameter '" + name + "' (\"1\" if dimensionless)", "no unit");
        unit = unit_of(spec["unit"], "parameter '" + name + "'");
        if (spec["lower"]) bounds.lower = required_number(spec["lower"], "a lower bound");
        if (spec["upper"]) bounds.upper = required_number(spec["upper"], "an upper bound");
        if (spec["bounds"]) {
          const YAML::Node b = spec["bounds"];
          if (!b.IsSequence() || b.size() != 2) fail(b, "bounds as [lower, upper]", describe(b));
          bounds.lower = required_number(b[0], "a lower bound");
          bounds.upper = required_number(b[1], "an upper bound");
        }
        if (!(bounds.lower <= bounds.upper))
          fail(spec, "lower <= upper for parameter '" + name + "'", "the reverse");
        if (info.value < bounds.lower || info.value > bounds.upper)
          fail(spec["value"], "a value within the bounds of parameter '" + name + "'",
               spec["value"].Scalar());
        m_.documentation_.parameter_notes.push_back(optional_string(spec["description"]));
      } else {
        fail(spec, "{value, unit} for parameter '" + name + "'", describe(spec));
      }
      if (spec.IsScalar()) m_.documentation_.parameter_notes.emplace_back();
      if (!std::isfinite(info.value))  // .inf is a bound, never a value
        fail(spec.IsMap() ? spec["value"] : spec, "a finite value for parameter '" + name + "'",
             describe(spec.IsMap() ? spec["value"] : spec));
      // A physical quantity (a unit with a dimension: rate, volume, clearance, mass, count,
      // time, concentration) is a magnitude: positive unless the file declares a lower bound
      // (`lower: -.inf` for a signed one). Fits estimate such parameters on log scale.
      const bool lower_declared = spec.IsMap() && (spec["lower"] || spec["bounds"]);
      if (!lower_declared && !unit.dimensionless() && info.value >= 0) bounds.lower = 0;
      info.unit = unit.text;
      parameter_units_.push_back(unit);
      parameter_index_[name] = static_cast<int>(m_.parameters_.size());
      parameter_nodes_.push_back(spec);
      m_.parameters_.push_back(info);
      m_.bounds_.push_back(bounds);
    }
  }

  void read_covariates(const YAML::Node& node) {
    if (!node) return;
    if (!node.IsSequence()) fail(node, "a list of data column names", describe(node));
    for (const auto& item : node) {
      const std::string name = item.Scalar();
      ensure_new_name(item, name, "a data column");
      m_.covariates_.push_back(name);
    }
  }

  void read_derived_names(const YAML::Node& node) {
    if (!node) return;
    if (!node.IsMap())
      fail(node, "a map of derived values (NAME: {expression, unit})", describe(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.Scalar();
      ensure_new_name(it->first, name, "a derived value");
      const YAML::Node spec = it->second;
      if (!spec.IsMap())
        fail(spec, "{expression, unit} for derived value '" + name + "'", describe(spec));
      check_keys(spec, "derived value '" + name + "'", {"expression", "unit", "description"});
      if (!spec["expression"])
        fail(spec, "an expression for derived value '" + name + "'", "no expression");
      if (!spec["unit"])
        fail(spec, "a unit for derived value '" + name + "' (\"1\" if dimensionless)", "no unit");
      derived_index_[name] = static_cast<int>(derived_names_.size());
      derived_names_.push_back(name);
      derived_units_.push_back(unit_of(spec["unit"], "derived value '" + name + "'"));
    }
  }

  void read_compartment_names(const YAML::Node& node, const YAML::Node& root) {
    if (!node || !node.IsMap() || node.size() == 0)
      fail(node ? node : root, "a map of compartments (NAME: {unit, volume, ...})", describe(node));
    if (node.size() > pk::InputLimits::kMaxStates)
      fail(node,
           "at most " + std::to_string(pk::InputLimits::kMaxStates) + " compartments (states)",
           std::to_string(node.size()));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.Scalar();
      ensure_new_name(it->first, name, "a compartment");
      CompartmentInfo info;
      info.name = name;
      info.node = it->second;
      if (info.node.IsScalar()) {
        info.unit = unit_of(info.node, "compartment '" + name + "'");
      } else if (info.node.IsMap()) {
        check_keys(info.node, "compartment '" + name + "'",
                   {"unit", "volume", "mass", "initial", "lag", "bioavailability", "rate",
                    "duration", "description"});
        if (!info.node["unit"])
          fail(info.node,
               "a unit for compartment '" + name +
                   "' (its amount: mg, particles, "
                   "\"1\" for a relative level)",
               "no unit");
        info.unit = unit_of(info.node["unit"], "compartment '" + name + "'");
      } else {
        fail(info.node, "a unit or {unit, volume, ...} for compartment '" + name + "'",
             describe(info.node));
      }
      state_index_[name] = static_cast<int>(compartments_.size());
      compartments_.push_back(info);
      m_.states_.push_back({name, info.unit.text});
    }
  }

  // ------------------------------------------------------------------- expressions
  void set_up_table() {
    ExpressionTable& table = m_.table_;
    table.num_params = static_cast<int>(m_.parameters_.size());
    table.num_derived = static_cast<int>(derived_names_.size());
    table.num_covariates = static_cast<int>(m_.covariates_.size());
    table.num_states = static_cast<int>(compartments_.size());
    for (const auto& p : m_.parameters_) table.names.push_back(p.name);
    for (const auto& d : derived_names_) table.names.push_back(d);
    for (const auto& c : m_.covariates_) table.names.push_back(c);
    for (const auto& s : compartments_) table.names.push_back(s.name);
    table.names.push_back("t");
    table.allocate_slots();
  }

  Category category_of_slot(int slot) const {
    const ExpressionTable& t = m_.table_;
    if (slot < t.num_params) return Category::kParameter;
    if (slot < t.num_params + t.num_derived) return Category::kDerived;
    if (slot < t.num_params + t.num_derived + t.num_covariates) return Category::kCovariate;
    if (slot < t.time_slot()) return Category::kState;
    return Category::kTime;
  }

  static std::string category_name(Category category) {
    switch (category) {
      case Category::kParameter:
        return "parameter";
      case Category::kDerived:
        return "derived value";
      case Category::kCovariate:
        return "data column";
      case Category::kState:
        return "compartment";
      case Category::kTime:
        return "the time t";
    }
    return "";
  }

  // Offset of `word` as a whole identifier in `text` (0 if not found).
  static size_t word_offset(const std::string& text, const std::string& word) {
    for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
      const auto is_name = [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
      };
      const bool starts = at == 0 || !is_name(text[at - 1]);
      const bool ends = at + word.size() == text.size() || !is_name(text[at + word.size()]);
      if (starts && ends) return at;
    }
    return 0;
  }

  // Parses `text` (from `node`) with muparser, allowing the variables of `allowed`. Returns
  // the expression index; the slots it reads go to *used.
  int compile_expression(const YAML::Node& node, const std::string& text,
                         const std::set<Category>& allowed, const std::string& what,
                         std::vector<int>* used) {
    ExpressionTable& table = m_.table_;
    auto parser = std::make_unique<mu::Parser>();
    std::vector<std::string> allowed_names;
    for (int slot = 0; slot <= table.time_slot(); ++slot) {
      if (!allowed.count(category_of_slot(slot))) continue;
      parser->DefineVar(table.names[static_cast<size_t>(slot)],
                        &table.slots[static_cast<size_t>(slot)]);
    }
    for (Category c : allowed) allowed_names.push_back(category_name(c) + "s");
    try {
      parser->SetExpr(text);
      // GetUsedVar also lists names that are not defined (as dummy variables): check them.
      const mu::varmap_type variables = parser->GetUsedVar();
      used->clear();
      for (const auto& [name, pointer] : variables) {
        const auto known = std::find(table.names.begin(), table.names.end(), name);
        const int slot = static_cast<int>(known - table.names.begin());
        const int offset = static_cast<int>(word_offset(text, name));
        if (known == table.names.end())
          fail_at(node, offset,
                  "a declared parameter, derived value, data column or "
                  "compartment in " +
                      what,
                  "'" + name + "', used but not declared");
        if (!allowed.count(category_of_slot(slot)))
          fail_at(node, offset, "only " + join(allowed_names, ", ") + " in " + what,
                  category_name(category_of_slot(slot)) + " '" + name + "'");
        used->push_back(slot);
      }
      std::sort(used->begin(), used->end());
    } catch (const mu::Parser::exception_type& error) {
      const std::string token = error.GetToken();
      const int offset = error.GetPos();
      if (error.GetCode() == mu::ecUNASSIGNABLE_TOKEN || error.GetCode() == mu::ecUNEXPECTED_VAR) {
        const auto known = std::find(table.names.begin(), table.names.end(), token);
        if (known != table.names.end()) {
          const Category c = category_of_slot(static_cast<int>(known - table.names.begin()));
          fail_at(node, offset, "only " + join(allowed_names, ", ") + " in " + what,
                  category_name(c) + " '" + token + "'");
        }
        fail_at(node, offset,
                "a declared parameter, derived value, data column or compartment "
                "in " +
                    what,
                "'" + token + "', used but not declared");
      }
      fail_at(node, offset, "a valid expression for " + what + " (muparser syntax)",
              error.GetMsg());
    }
    // The tape that evaluates it (muparser has checked names and syntax; the tape compiler
    // refuses what muparser would accept but a model must not do, such as assignments).
    try {
      table.tapes.push_back(
          ExpressionTape::compile(text, [&](const std::string& name, TapeVariable* variable) {
            const auto known = std::find(table.names.begin(), table.names.end(), name);
            if (known == table.names.end()) return false;
            *variable = table.variable(static_cast<int>(known - table.names.begin()));
            return true;
          }));
    } catch (const TapeError& error) {
      fail_at(node, static_cast<int>(error.offset()), std::string(error.what()) + " in " + what,
              "'" + text + "'");
    }
    table.parsers.push_back(std::move(parser));
    return static_cast<int>(table.parsers.size() - 1);
  }

  void compile_derived(const YAML::Node& node) {
    if (!node) return;
    std::vector<std::vector<int>> depends(derived_names_.size());
    std::vector<YAML::Node> nodes;
    int index = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++index) {
      const YAML::Node expression = it->second["expression"];
      nodes.push_back(expression);
      std::vector<int> used;
      const int e = compile_expression(
          expression, expression.Scalar(), {Category::kParameter, Category::kDerived},
          "derived value '" + derived_names_[static_cast<size_t>(index)] + "'", &used);
      m_.table_.derived_expression.push_back(e);
      const YAML::Mark mark = expression.Mark();
      derived_places_.push_back(source_ + ":" + std::to_string(mark.line + 1) + ":" +
                                std::to_string(mark.column + 1));
      derived_texts_.push_back(expression.Scalar());
      for (int slot : used)
        if (category_of_slot(slot) == Category::kDerived)
          depends[static_cast<size_t>(index)].push_back(slot - m_.table_.num_params);
    }
    // Order by dependencies; a cycle is an error naming it.
    std::vector<int> state(derived_names_.size(), 0);  // 0 new, 1 on the path, 2 done
    std::vector<int> path;
    std::function<void(int)> visit = [&](int d) {
      if (state[static_cast<size_t>(d)] == 2) return;
      if (state[static_cast<size_t>(d)] == 1) {
        std::vector<std::string> cycle;
        auto start = std::find(path.begin(), path.end(), d);
        for (auto it = start; it != path.end(); ++it)
          cycle.push_back(derived_names_[static_cast<size_t>(*it)]);
        cycle.push_back(derived_names_[static_cast<size_t>(d)]);
        fail(nodes[static_cast<size_t>(d)], "definitions without a cycle",
             "the cycle " + join(cycle, " -> "));
      }
      state[static_cast<size_t>(d)] = 1;
      path.push_back(d);
      for (int dependency : depends[static_cast<size_t>(d)]) visit(dependency);
      path.pop_back();
      state[static_cast<size_t>(d)] = 2;
      m_.table_.derived_order.push_back(d);
    };
    for (size_t d = 0; d < derived_names_.size(); ++d) visit(static_cast<int>(d));
    if (!derived_names_.empty()) m_.rhs_expressions_ = m_.uses_expressions_ = true;
  }

  // -------------------------------------------------------------------- values
  // "5", "5 L/h", "2.5e13 particles/h": the number and the unit (none if absent).
  std::optional<std::pair<double, std::optional<Unit>>> number_with_unit(
      const std::string& text) const {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str()) return std::nullopt;
    std::string rest(end);
    rest.erase(0, rest.find_first_not_of(" \t"));
    if (rest.empty()) return std::make_pair(value, std::optional<Unit>());
    try {
      return std::make_pair(value, std::optional<Unit>(parse_unit(rest)));
    } catch (const UnitError&) {
      return std::nullopt;
    }
  }

  // A value read by a rate law: a parameter, a derived value, or a number with its unit.
  std::pair<ValueRef, Unit> value_of(const YAML::Node& node, const std::string& what) const {
    if (!node || node.IsNull())
      fail(node, "a parameter, derived value or number with a unit for " + what, "nothing");
    if (!node.IsScalar())
      fail(node, "a parameter name or a number with a unit for " + what, describe(node));
    const std::string text = node.Scalar();
    if (const auto p = parameter_index_.find(text); p != parameter_index_.end()) {
      ValueRef ref;
      ref.kind = ValueRef::Kind::kParameter;
      ref.index = p->second;
      return {ref, parameter_units_[static_cast<size_t>(p->second)]};
    }
    if (const auto d = derived_index_.find(text); d != derived_index_.end()) {
      ValueRef ref;
      ref.kind = ValueRef::Kind::kDerived;
      ref.index = d->second;
      return {ref, derived_units_[static_cast<size_t>(d->second)]};
    }
    if (const auto parsed = number_with_unit(text)) {
      return {constant(parsed->first), parsed->second ? *parsed->second : dimensionless_unit()};
    }
    if (is_identifier(text)) {
      const auto kind = kinds_.find(text);
      if (kind != kinds_.end())
        fail(node, "a parameter or derived value for " + what, kind->second + " '" + text + "'");
      fail(node, "a declared parameter or derived value for " + what,
           "'" + text + "', used but not declared");
    }
    fail(node,
         "a parameter, a derived value or a number with a unit for " + what +
             " (declare an expression under 'derived:' with its unit)",
         "'" + io::excerpt(text) + "'");
  }

  // A value that must have a unit (a bare number is an error), converted into `want` if given.
  std::pair<ValueRef, Unit> value_with_unit(const YAML::Node& node, const std::string& what) const {
    auto [ref, unit] = value_of(node, what);
    if (ref.kind == ValueRef::Kind::kConstant && node.IsScalar() && number(node))
      fail(node,
           "a unit for " + what + " (write the number with its unit, e.g. '" + node.Scalar() +
               " 1/h')",
           "no unit");
    return {ref, unit};
  }

  // A dimensionless value (Hill coefficient, Emax, partition coefficient).
  ValueRef dimensionless_value(const YAML::Node& node, const std::string& what) const {
    auto [ref, unit] = value_of(node, what);
    scale(ref, convert_or_fail(node, unit, dimensionless_unit(), what, "a dimensionless value"));
    return ref;
  }

  double default_of(const ValueRef& ref) const {
    switch (ref.kind) {
      case ValueRef::Kind::kConstant:
        return ref.value;
      case ValueRef::Kind::kParameter:
        return m_.parameters_[static_cast<size_t>(ref.index)].value * ref.factor;
      case ValueRef::Kind::kDerived:
        return 1;  // unknown before a simulation
    }
    return 1;
  }

  // A compartment scalar: a number, a parameter, or an expression of `allowed`.
  ScalarDef scalar_of(const YAML::Node& spec, const std::set<Category>& allowed,
                      const std::string& what, const Unit* want) {
    YAML::Node node = spec;
    std::optional<Unit> unit;
    if (spec.IsMap()) {
      check_keys(spec, what, {"expression", "unit"});
      node.reset(spec["expression"]);
      if (!node) fail(spec, "an expression for " + what, "no expression");
      if (spec["unit"]) unit = unit_of(spec["unit"], what);
    }
    if (!node.IsScalar())
      fail(node, "a number, a parameter or an expression for " + what, describe(node));
    ScalarDef def;
    if (unit && want) def.factor = convert_or_fail(spec["unit"], *unit, *want, what, "its target");
    const std::string text = node.Scalar();
    if (const auto value = number(node)) {
      def.kind = ScalarDef::Kind::kConstant;
      def.value = *value * def.factor;
    } else if (const auto p = parameter_index_.find(text); p != parameter_index_.end()) {
      def.kind = ScalarDef::Kind::kParameter;
      def.index = p->second;
      if (want && !unit)
        def.factor = convert_or_fail(node, parameter_units_[static_cast<size_t>(p->second)], *want,
                                     "parameter '" + text + "'", what);
    } else {
      std::vector<int> used;
      def.kind = ScalarDef::Kind::kExpression;
      def.index = compile_expression(node, text, allowed, what, &used);
      m_.uses_expressions_ = true;
    }
    return def;
  }

  // ---------------------------------------------------------------- compartments
  void compile_compartments() {
    m_.initial_.resize(compartments_.size());
    m_.dose_defs_.resize(compartments_.size());
    for (size_t i = 0; i < compartments_.size(); ++i) {
      CompartmentInfo& c = compartments_[i];
      std::string note;
      if (!c.node.IsMap()) {
        m_.documentation_.state_notes.push_back(note);
        continue;
      }
      const std::string where = "compartment '" + c.name + "'";
      context_.reset(c.node);
      auto size_of = [&](const char* key, const Unit& want, const std::string& kind) {
        const YAML::Node node = c.node[key];
        auto [ref, unit] = value_with_unit(node, "the " + kind + " of " + where);
        convert_or_fail(node, unit, want, "the " + kind + " of " + where, "a " + kind);
        if (!(default_of(ref) > 0))
          fail(node, "a positive " + kind + " for " + where,
               "a " + kind + " of " + format_number(default_of(ref)) + " " + unit.text);
        note += std::string(note.empty() ? "" : ", ") + kind + " " + node.Scalar();
        return std::make_pair(ref, unit);
      };
      if (c.node["volume"]) c.volume = size_of("volume", parse_unit("L"), "volume");
      if (c.node["mass"]) c.mass = size_of("mass", parse_unit("g"), "mass");
      const std::set<Category> dose_scope{Category::kParameter, Category::kDerived,
                                          Category::kCovariate};
      if (c.node["initial"]) {
        m_.initial_[i] = scalar_of(c.node["initial"], {Category::kParameter, Category::kDerived},
                                   "the initial amount of " + where, &c.unit);
        note += std::string(note.empty() ? "" : ", ") + "initial " + text_of(c.node["initial"]);
      }
      const Unit per_hour = c.unit / hour_unit();
      CompartmentDoseDef& dose = m_.dose_defs_[i];
      auto modifier = [&](const char* key, const Unit* want, ScalarDef* def) {
        if (!c.node[key]) return;
        *def = scalar_of(c.node[key], dose_scope, std::string("the ") + key + " of " + where, want);
        note += std::string(note.empty() ? "" : ", ") + key + " " + text_of(c.node[key]);
      };
      modifier("lag", &hour_unit(), &dose.lag);
      modifier("bioavailability", &dimensionless_unit(), &dose.bioavailability);
      modifier("rate", &per_hour, &dose.rate);
      modifier("duration", &hour_unit(), &dose.duration);
      const std::string description = optional_string(c.node["description"]);
      if (!description.empty()) note = description + (note.empty() ? "" : " (" + note + ")");
      m_.documentation_.state_notes.push_back(note);
    }
  }

  std::string text_of(const YAML::Node& node) const {
    if (node.IsScalar()) return node.Scalar();
    if (node.IsMap() && node["expression"])
      return node["expression"].Scalar() +
             (node["unit"] ? " " + node["unit"].Scalar() : std::string());
    return "?";
  }

  int state_of(const YAML::Node& node, const std::string& what) const {
    if (!node || !node.IsScalar()) fail(node, "a compartment name for " + what, describe(node));
    const auto it = state_index_.find(node.Scalar());
    if (it == state_index_.end()) {
      std::vector<std::string> names;
      for (const auto& c : compartments_) names.push_back(c.name);
      fail(node, "a declared compartment for " + what + " (one of " + join(names) + ")",
           "unknown compartment '" + node.Scalar() + "'");
    }
    return it->second;
  }

  // ----------------------------------------------------------------- observables
  void declare_observables(const YAML::Node& node) {
    if (!node) return;
    if (!node.IsMap())
      fail(node, "a map of observables (NAME: {concentration: X, unit})", describe(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string name = it->first.Scalar();
      if (!is_identifier(name))
        fail(it->first, "an observable name (letters, digits, _)", "'" + name + "'");
      if (observable_index_.count(name))
        fail(it->first, "a new observable name", "'" + name + "' twice");
      observable_index_[name] = static_cast<int>(observables_.size());
      ObservableDraft draft;
      draft.name = name;
      draft.node = it->second;
      observables_.push_back(draft);
      m_.observables_.emplace_back();
      m_.observable_infos_.push_back({name, ""});
      m_.documentation_.observable_notes.emplace_back();
    }
    declared_observables_ = observables_.size();
  }

  // Linear terms over a list of compartments; returns the natural unit.
  Unit linear_terms(
      const YAML::Node& targets, const std::string& what,
      const std::function<std::pair<Unit, ObservableTerm>(int, const YAML::Node&)>& term_of,
      ObservableDef* def) {
    std::vector<YAML::Node> items;
    if (targets.IsSequence()) {
      for (const auto& item : targets) items.push_back(item);
    } else {
      items.push_back(targets);
    }
    if (items.empty()) fail(targets, "at least one compartment for " + what, "an empty list");
    def->first_term = static_cast<int>(m_.terms_.size());
    Unit natural;
    for (size_t k = 0; k < items.size(); ++k) {
      const int state = state_of(items[k], what);
      auto [unit, term] = term_of(state, items[k]);
      if (k == 0) {
        natural = unit;
      } else {
        term.constant *=
            convert_or_fail(items[k], unit, natural, "compartment '" + items[k].Scalar() + "'",
                            "compartment '" + items[0].Scalar() + "'");
      }
      m_.terms_.push_back(term);
    }
    def->num_terms = static_cast<int>(items.size());
    def->kind = ObservableKind::kLinear;
    return natural;
  }

  void compile_observable(int o) {
    ObservableDraft& draft = observables_[static_cast<size_t>(o)];
    if (draft.compiled) return;
    if (draft.compiling)
      fail(draft.node, "observables defined without a cycle",
           "'" + draft.name + "' defined through itself");
    draft.compiling = true;
    const YAML::Node node = draft.node;
    const YAML::Node saved_context = context_;
    context_.reset(node);
    const std::string where = "observable '" + draft.name + "'";
    ObservableDef& def = m_.observables_[static_cast<size_t>(o)];
    if (!node.IsMap())
      fail(node,
           "{concentration|amount|sum|percent_dose|percent_dose_per_gram|ratio|expression"
           ": ..., unit} for " +
               where,
           describe(node));
    check_keys(node, where,
               {"amount", "concentration", "sum", "percent_dose", "percent_dose_per_gram", "ratio",
                "expression", "unit", "per", "dose", "description"});
    const std::vector<std::string> kinds{"amount",       "concentration",         "sum",
                                         "percent_dose", "percent_dose_per_gram", "ratio",
                                         "expression"};
    std::string kind;
    for (const auto& k : kinds) {
      if (!node[k]) continue;
      if (!kind.empty()) fail(node[k], "one definition for " + where, "both " + kind + " and " + k);
      kind = k;
    }
    if (kind.empty()) fail(node, "one of " + join(kinds) + " for " + where, "none");
    const YAML::Node target = node[kind];
    Unit natural;
    std::string definition = kind + " " + text_list(target);
    auto dose_ref = [&](int state, const YAML::Node&) {
      if (!node["dose"])
        fail(node, "'dose: PARAMETER' (the dose, in the compartment's unit) for " + where,
             "no dose");
      auto [ref, unit] = value_with_unit(node["dose"], "the dose of " + where);
      const double factor =
          convert_or_fail(node["dose"], compartments_[static_cast<size_t>(state)].unit, unit,
                          "compartment '" + compartments_[static_cast<size_t>(state)].name + "'",
                          "the dose of " + where);
      return std::make_pair(ref, factor);
    };
    if (kind == "amount" || kind == "sum") {
      natural = linear_terms(
          target, where,
          [&](int state, const YAML::Node&) {
            ObservableTerm term;
            term.state = state;
            return std::make_pair(compartments_[static_cast<size_t>(state)].unit, term);
          },
          &def);
      if (node["per"]) {
        auto [ref, unit] = value_with_unit(node["per"], "'per' of " + where);
        for (int k = def.first_term; k < def.first_term + def.num_terms; ++k)
          m_.terms_[static_cast<size_t>(k)].div1 = ref;
        natural = natural / unit;
        definition += " per " + node["per"].Scalar();
      }
    } else if (kind == "concentration") {
      natural = linear_terms(
          target, where,
          [&](int state, const YAML::Node& item) {
            const CompartmentInfo& c = compartments_[static_cast<size_t>(state)];
            if (!c.volume)
              fail(item, "a compartment with a volume for the concentration of " + where,
                   "compartment '" + c.name + "' without a volume");
            ObservableTerm term;
            term.state = state;
            term.div1 = c.volume->first;
            return std::make_pair(c.unit / c.volume->second, term);
          },
          &def);
    } else if (kind == "percent_dose") {
      natural = linear_terms(
          target, where,
          [&](int state, const YAML::Node& item) {
            auto [ref, factor] = dose_ref(state, item);
            ObservableTerm term;
            term.state = state;
            term.constant = 100 * factor;
            term.div1 = ref;
            return std::make_pair(parse_unit("%ID"), term);
          },
          &def);
    } else if (kind == "percent_dose_per_gram") {
      natural = linear_terms(
          target, where,
          [&](int state, const YAML::Node& item) {
            const CompartmentInfo& c = compartments_[static_cast<size_t>(state)];
            if (!c.mass)
              fail(item, "a compartment with a mass for %ID/g of " + where,
                   "compartment '" + c.name + "' without a mass");
            auto [ref, factor] = dose_ref(state, item);
            ObservableTerm term;
            term.state = state;
            term.constant =
                100 * factor / convert_or_fail(item, c.mass->second, parse_unit("g"), "mass", "g");
            term.div1 = ref;
            term.div2 = c.mass->first;
            return std::make_pair(parse_unit("%ID/g"), term);
          },
          &def);
      if (def.num_terms != 1) fail(target, "one compartment for %ID/g of " + where, "a list");
    } else if (kind == "ratio") {
      if (!target.IsSequence() || target.size() != 2)
        fail(target, "[numerator, denominator] observables for " + where, describe(target));
      int parts[2];
      for (int k = 0; k < 2; ++k) {
        const auto it = observable_index_.find(target[k].Scalar());
        if (it == observable_index_.end())
          fail(target[k], "a declared observable in the ratio of " + where,
               "'" + target[k].Scalar() + "'");
        compile_observable(it->second);
        if (m_.observables_[static_cast<size_t>(it->second)].kind != ObservableKind::kLinear)
          fail(target[k],
               "an amount, concentration, sum or %ID observable in the ratio of " + where,
               "a ratio or expression observable '" + target[k].Scalar() + "'");
        parts[k] = it->second;
      }
      def.kind = ObservableKind::kRatio;
      def.numerator = parts[0];
      def.denominator = parts[1];
      natural = observables_[static_cast<size_t>(parts[0])].unit /
                observables_[static_cast<size_t>(parts[1])].unit;
    } else {  // expression
      if (!node["unit"])
        fail(node, "a unit for the expression of " + where + " (\"1\" if dimensionless)",
             "no unit");
      std::vector<int> used;
      def.kind = ObservableKind::kExpression;
      def.expression = compile_expression(
          target, target.Scalar(),
          {Category::kParameter, Category::kDerived, Category::kState, Category::kTime}, where,
          &used);
      for (int slot : used)
        if (category_of_slot(slot) == Category::kState)
          def.expression_states.push_back(slot - m_.table_.state_slot(0));
      m_.rhs_expressions_ = m_.uses_expressions_ = true;
      natural = unit_of(node["unit"], where);
    }
    draft.unit = natural;
    if (node["unit"] && kind != "expression") {
      const Unit declared = unit_of(node["unit"], where);
      def.factor = convert_or_fail(node["unit"], natural, declared, where + " as defined",
                                   "its declared unit");
      draft.unit = declared;
    }
    if (static_cast<size_t>(o) < declared_observables_) {
      m_.observable_infos_[static_cast<size_t>(o)].unit = draft.unit.text;
      const std::string description = optional_string(node["description"]);
      m_.documentation_.observable_notes[static_cast<size_t>(o)] =
          definition + (description.empty() ? "" : " - " + description);
    }
    draft.compiled = true;
    draft.compiling = false;
    context_.reset(saved_context);
  }

  std::string text_list(const YAML::Node& node) const {
    if (node.IsScalar()) return node.Scalar();
    if (node.IsSequence()) {
      std::vector<std::string> items;
      for (const auto& item : node) items.push_back(item.IsScalar() ? item.Scalar() : "?");
      std::string out(1, '[');
      out.append(join(items)).push_back(']');
      return out;
    }
    return "?";
  }

  // Observable index of `by` (an observable, else a compartment's amount, added as hidden).
  std::pair<int, Unit> driver_of(const YAML::Node& node, const std::string& what) {
    if (!node || !node.IsScalar())
      fail(node, "an observable or compartment for " + what, describe(node));
    const std::string name = node.Scalar();
    if (const auto it = observable_index_.find(name); it != observable_index_.end()) {
      compile_observable(it->second);
      return {it->second, observables_[static_cast<size_t>(it->second)].unit};
    }
    const int state = state_of(node, what);
    ObservableDef def;
    def.kind = ObservableKind::kLinear;
    def.first_term = static_cast<int>(m_.terms_.size());
    def.num_terms = 1;
    ObservableTerm term;
    term.state = state;
    m_.terms_.push_back(term);
    ObservableDraft draft;
    draft.name = name;
    draft.unit = compartments_[static_cast<size_t>(state)].unit;
    draft.compiled = true;
    observables_.push_back(draft);
    m_.observables_.push_back(def);
    return {static_cast<int>(m_.observables_.size() - 1), draft.unit};
  }

  // --------------------------------------------------------------------- processes
  Effect effect_of(const YAML::Node& node, const std::string& what) {
    Effect effect;
    if (!node) return effect;
    if (!node.IsMap()) fail(node, "{type: emax|imax|linear, by, ...} for " + what, describe(node));
    check_keys(node, what, {"type", "by", "emax", "imax", "ec50", "ic50", "hill", "slope"});
    const std::string type = required_string(node, "type", what);
    const auto [driver, driver_unit] = driver_of(node["by"], what);
    effect.driver = driver;
    const std::string driver_name = "'" + node["by"].Scalar() + "'";
    if (type == "emax" || type == "imax") {
      effect.kind = type == "emax" ? EffectKind::kEmax : EffectKind::kImax;
      const char* magnitude_key = type == "emax" ? "emax" : "imax";
      const char* potency_key = type == "emax" ? "ec50" : "ic50";
      if (!node[magnitude_key])
        fail(node, std::string("'") + magnitude_key + "' for " + what, "none");
      if (!node[potency_key]) fail(node, std::string("'") + potency_key + "' for " + what, "none");
      effect.magnitude =
          dimensionless_value(node[magnitude_key], std::string(magnitude_key) + " of " + what);
      auto [potency, potency_unit] =
          value_of(node[potency_key], std::string(potency_key) + " of " + what);
      effect.potency = potency;
      effect.driver_factor =
          convert_or_fail(node[potency_key], driver_unit, potency_unit, "driver " + driver_name,
                          std::string(potency_key) + " of " + what);
      if (node["hill"]) {
        effect.hill = dimensionless_value(node["hill"], "the Hill coefficient of " + what);
        effect.unit_hill = effect.hill.kind == ValueRef::Kind::kConstant && effect.hill.value == 1;
      }
    } else if (type == "linear") {
      effect.kind = EffectKind::kLinear;
      if (!node["slope"]) fail(node, "'slope' for " + what, "none");
      auto [slope, slope_unit] = value_of(node["slope"], "the slope of " + what);
      effect.magnitude = slope;
      effect.driver_factor =
          convert_or_fail(node["slope"], slope_unit * driver_unit, dimensionless_unit(),
                          "slope x driver " + driver_name, "a dimensionless effect");
    } else {
      fail(node["type"], "an effect type emax, imax or linear", "'" + type + "'");
    }
    return effect;
  }

  // Unit of a rate's amount: `from`'s, else `to`'s, else the substrate's.
  Unit base_unit(const Process& pr) const {
    const int state = pr.from >= 0 ? pr.from : pr.to >= 0 ? pr.to : pr.substrate;
    return compartments_[static_cast<size_t>(state)].unit;
  }

  // Folds into k the factor from k's unit times `per_k` into base/h. If that fails and the
  // substrate has a volume, uses the concentration form (x = A / V) when `allow_concentration`.
  void fit_rate(Process& pr, const YAML::Node& k_node, const Unit& k_unit, const Unit& times,
                bool allow_concentration, const std::string& what) {
    const Unit want = base_unit(pr) / hour_unit();
    const Unit as_amount = k_unit * times;
    if (as_amount.compatible_with(want)) {
      scale(pr.k, conversion_factor(as_amount, want));
      return;
    }
    if (allow_concentration && pr.substrate >= 0) {
      const CompartmentInfo& c = compartments_[static_cast<size_t>(pr.substrate)];
      if (c.volume) {
        const Unit as_concentration = k_unit * times / c.volume->second;
        if (as_concentration.compatible_with(want)) {
          scale(pr.k, conversion_factor(as_concentration, want));
          pr.volume = c.volume->first;
          pr.has_volume = true;
          return;
        }
      }
    }
    fail(k_node,
         "a rate in " + want.text + " for " + what +
             " (k in 1/time, or a clearance in "
             "volume/time with a compartment volume)",
         "'" + k_unit.text + "' (times " + times.text + " is " + as_amount.dimension_text() + ")");
  }

  void add_process(Process pr, const YAML::Node& node, const std::string& what,
                   const YAML::Node& yield_node) {
    if (pr.to >= 0) {
      Unit yield_unit = dimensionless_unit();
      if (yield_node && !yield_node.IsNull()) {
        auto [ref, unit] = value_of(yield_node, "the yield of " + what);
        pr.yield = ref;
        yield_unit = unit;
      }
      const Unit& to_unit = compartments_[static_cast<size_t>(pr.to)].unit;
      scale(pr.yield, convert_or_fail(
                          yield_node && !yield_node.IsNull() ? yield_node : node,
                          base_unit(pr) * yield_unit, to_unit, "the amount moved by " + what,
                          "compartment '" + compartments_[static_cast<size_t>(pr.to)].name + "'"));
    }
    pr.name = what;
    m_.processes_.push_back(std::move(pr));
  }

  void compile_processes(const YAML::Node& node) {
    if (!node) return;
    if (!node.IsSequence())
      fail(node, "a list of processes (- {type: first_order, ...})", describe(node));
    int number_in_list = 0;
    for (const auto& item : node) {
      const YAML::Node spec = item;
      ++number_in_list;
      if (!spec.IsMap()) fail(spec, "a process {type, from, to, ...}", describe(spec));
      context_.reset(spec);
      const std::string type = required_string(spec, "type", "a process");
      std::string what = "process " + std::to_string(number_in_list) + " (" + type + ")";
      if (spec["name"]) what = "process '" + spec["name"].Scalar() + "' (" + type + ")";
      const std::vector<std::string> common{"type",  "name",   "from",       "to",
                                            "yield", "effect", "description"};
      auto keys = [&](std::vector<std::string> extra) {
        extra.insert(extra.end(), common.begin(), common.end());
        check_keys(spec, what, extra);
      };
      m_.documentation_.process_notes.push_back(process_note(spec));
      Process pr;
      if (spec["from"]) pr.from = state_of(spec["from"], what);
      if (spec["to"]) pr.to = state_of(spec["to"], what);
      const YAML::Node yield = spec["yield"];
      auto need_from = [&]() {
        if (pr.from < 0) fail(spec, "'from: COMPARTMENT' for " + what, "no 'from'");
      };
      std::string note;
      if (type == "first_order") {
        keys({"k", "of"});
        pr.law = Law::kFirstOrder;
        pr.substrate = spec["of"] ? state_of(spec["of"], what) : pr.from;
        if (pr.substrate < 0)
          fail(spec, "'from' or 'of' (the compartment driving the rate) for " + what, "neither");
        auto [k, unit] = value_with_unit(spec["k"], "k of " + what);
        pr.k = k;
        fit_rate(pr, spec["k"], unit, compartments_[static_cast<size_t>(pr.substrate)].unit, true,
                 what);
      } else if (type == "zero_order") {
        keys({"rate"});
        pr.law = Law::kZeroOrder;
        if (pr.from < 0 && pr.to < 0) fail(spec, "'from' or 'to' for " + what, "neither");
        auto [k, unit] = value_with_unit(spec["rate"], "the rate of " + what);
        pr.k = k;
        fit_rate(pr, spec["rate"], unit, dimensionless_unit(), false, what);
      } else if (type == "michaelis_menten" || type == "hill") {
        keys({"vmax", "km", "k50", "hill", "of"});
        pr.law = Law::kSaturable;
        pr.substrate = spec["of"] ? state_of(spec["of"], what) : pr.from;
        if (pr.substrate < 0) fail(spec, "'from' or 'of' for " + what, "neither");
        auto [vmax, vmax_unit] = value_with_unit(spec["vmax"], "vmax of " + what);
        pr.k = vmax;
        fit_rate(pr, spec["vmax"], vmax_unit, dimensionless_unit(), false, what);
        const char* k_key = spec["km"] ? "km" : "k50";
        auto [km, km_unit] = value_with_unit(spec[k_key], std::string(k_key) + " of " + what);
        pr.km = km;
        const CompartmentInfo& c = compartments_[static_cast<size_t>(pr.substrate)];
        if (c.unit.compatible_with(km_unit)) {
          pr.x_factor = conversion_factor(c.unit, km_unit);
        } else if (c.volume && (c.unit / c.volume->second).compatible_with(km_unit)) {
          pr.x_factor = conversion_factor(c.unit / c.volume->second, km_unit);
          pr.volume = c.volume->first;
          pr.has_volume = true;
        } else {
          fail(spec[k_key],
               std::string(k_key) + " in the unit of the amount (" + c.unit.text +
                   ") or concentration" +
                   (c.volume ? " (" + (c.unit / c.volume->second).text + ")"
                             : std::string(" (no volume)")) +
                   " of compartment '" + c.name + "'",
               "'" + km_unit.text + "'");
        }
        if (type == "hill") {
          if (!spec["hill"]) fail(spec, "'hill' (the Hill coefficient) for " + what, "none");
          pr.hill = dimensionless_value(spec["hill"], "the Hill coefficient of " + what);
          pr.unit_hill = pr.hill.kind == ValueRef::Kind::kConstant && pr.hill.value == 1;
        }
      } else if (type == "flow") {
        keys({"q", "Q", "partition"});
        pr.law = Law::kFlow;
        need_from();
        if (pr.to < 0) fail(spec, "'to: COMPARTMENT' for " + what, "no 'to'");
        pr.substrate = pr.from;
        pr.second = pr.to;
        const CompartmentInfo& a = compartments_[static_cast<size_t>(pr.from)];
        const CompartmentInfo& b = compartments_[static_cast<size_t>(pr.to)];
        for (const CompartmentInfo* c : {&a, &b})
          if (!c->volume)
            fail(spec, "compartments with volumes for " + what,
                 "compartment '" + c->name + "' without a volume");
        const YAML::Node q_node = spec["Q"] ? spec["Q"] : spec["q"];
        auto [q, q_unit] = value_with_unit(q_node, "the flow Q of " + what);
        pr.k = q;
        const Unit times = a.unit / a.volume->second;
        scale(pr.k, convert_or_fail(q_node, q_unit * times, base_unit(pr) / hour_unit(),
                                    "Q x concentration in '" + a.name + "'", "amount/h"));
        pr.volume = a.volume->first;
        pr.volume2 = b.volume->first;
        pr.x_factor = convert_or_fail(spec, b.unit / b.volume->second, times,
                                      "concentration in '" + b.name + "'",
                                      "concentration in '" + a.name + "'");
        if (spec["partition"])
          pr.partition =
              dimensionless_value(spec["partition"], "the partition coefficient of " + what);
      } else if (type == "capacity_limited") {
        keys({"k", "capacity", "filled"});
        pr.law = Law::kCapacity;
        need_from();
        pr.substrate = pr.from;
        pr.second = spec["filled"] ? state_of(spec["filled"], what) : pr.to;
        if (pr.second < 0)
          fail(spec, "'to' or 'filled' (the compartment that fills) for " + what, "neither");
        auto [k, unit] = value_with_unit(spec["k"], "k of " + what);
        pr.k = k;
        fit_rate(pr, spec["k"], unit, compartments_[static_cast<size_t>(pr.substrate)].unit, true,
                 what);
        auto [cap, cap_unit] = value_with_unit(spec["capacity"], "the capacity of " + what);
        pr.km = cap;
        pr.x_factor = convert_or_fail(
            spec["capacity"], compartments_[static_cast<size_t>(pr.second)].unit, cap_unit,
            "compartment '" + compartments_[static_cast<size_t>(pr.second)].name + "'",
            "the capacity of " + what);
      } else if (type == "turnover") {
        keys({"compartment", "kin", "kout", "kin_effect", "kout_effect"});
        if (spec["from"] || spec["to"] || spec["effect"] || spec["yield"])
          fail(spec, "'compartment', 'kin', 'kout', 'kin_effect', 'kout_effect' for " + what,
               "from/to/effect/yield");
        const int state = state_of(spec["compartment"], what);
        Process in;
        in.law = Law::kZeroOrder;
        in.to = state;
        auto [kin, kin_unit] = value_with_unit(spec["kin"], "kin of " + what);
        in.k = kin;
        fit_rate(in, spec["kin"], kin_unit, dimensionless_unit(), false, what + " kin");
        in.effect = effect_of(spec["kin_effect"], "kin_effect of " + what);
        Process out;
        out.law = Law::kFirstOrder;
        out.from = out.substrate = state;
        auto [kout, kout_unit] = value_with_unit(spec["kout"], "kout of " + what);
        out.k = kout;
        fit_rate(out, spec["kout"], kout_unit, compartments_[static_cast<size_t>(state)].unit,
                 false, what + " kout");
        out.effect = effect_of(spec["kout_effect"], "kout_effect of " + what);
        add_process(in, spec, what + " kin", YAML::Node());
        add_process(out, spec, what + " kout", YAML::Node());
        continue;
      } else if (type == "transit") {
        keys({"ktr", "chain", "n", "prefix"});
        std::vector<int> chain;
        if (spec["chain"]) {
          if (!spec["chain"].IsSequence() || spec["chain"].size() == 0)
            fail(spec["chain"], "a list of compartments for the chain of " + what,
                 describe(spec["chain"]));
          if (pr.from >= 0) chain.push_back(pr.from);
          for (const auto& item : spec["chain"]) chain.push_back(state_of(item, what));
        } else {
          fail(spec,
               "'chain: [compartments]' for " + what +
                   " (declare the transit compartments; "
                   "their number is the n of the chain)",
               "no chain");
        }
        auto [ktr, ktr_unit] = value_with_unit(spec["ktr"], "ktr of " + what);
        for (size_t k = 0; k < chain.size(); ++k) {
          Process step;
          step.law = Law::kFirstOrder;
          step.from = step.substrate = chain[k];
          step.to = k + 1 < chain.size() ? chain[k + 1] : pr.to;
          step.k = ktr;
          fit_rate(step, spec["ktr"], ktr_unit, compartments_[static_cast<size_t>(chain[k])].unit,
                   false, what);
          add_process(step, spec, what + " step " + std::to_string(k + 1),
                      k + 1 < chain.size() ? YAML::Node() : yield);
        }
        continue;
      } else if (type == "expression") {
        keys({"rate", "unit"});
        pr.law = Law::kExpression;
        if (pr.from < 0 && pr.to < 0) fail(spec, "'from' or 'to' for " + what, "neither");
        if (!spec["rate"]) fail(spec, "'rate: EXPRESSION' for " + what, "no rate");
        if (!spec["unit"])
          fail(spec, "a unit for the rate of " + what + " (amount/time)", "no unit");
        const Unit unit = unit_of(spec["unit"], "the rate of " + what);
        pr.expression_factor = convert_or_fail(spec["unit"], unit, base_unit(pr) / hour_unit(),
                                               "the rate of " + what, "amount/h");
        std::vector<int> used;
        pr.expression = compile_expression(
            spec["rate"], spec["rate"].Scalar(),
            {Category::kParameter, Category::kDerived, Category::kState, Category::kTime}, what,
            &used);
        for (int slot : used)
          if (category_of_slot(slot) == Category::kState)
            pr.expression_states.push_back(slot - m_.table_.state_slot(0));
        m_.rhs_expressions_ = m_.uses_expressions_ = true;
      } else {
        fail(spec["type"],
             "a process type: first_order, zero_order, michaelis_menten, hill, "
             "flow, capacity_limited, turnover, transit, expression",
             "'" + type + "'");
      }
      pr.effect = effect_of(spec["effect"], "the effect on " + what);
      add_process(pr, spec, what, yield);
    }
  }

  // "absorption: first_order depot -> central, k KA" for `onset models show`.
  std::string process_note(const YAML::Node& spec) const {
    std::string note = spec["name"] ? spec["name"].Scalar() + ": " : std::string();
    note += spec["type"].Scalar();
    if (spec["from"] || spec["to"])
      note += " " + (spec["from"] ? spec["from"].Scalar() : std::string("(source)")) + " -> " +
              (spec["to"] ? spec["to"].Scalar() : std::string("(out)"));
    std::vector<std::string> details;
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (key == "type" || key == "name" || key == "from" || key == "to" || key == "description")
        continue;
      if (it->second.IsMap()) {
        std::vector<std::string> inner;
        for (auto jt = it->second.begin(); jt != it->second.end(); ++jt)
          inner.push_back(jt->first.Scalar() + " " + text_list(jt->second));
        details.push_back(key + " {" + join(inner) + "}");
      } else {
        details.push_back(key + " " + text_list(it->second));
      }
    }
    if (!details.empty()) note += ", " + join(details);
    return note;
  }

  // ------------------------------------------------------------------------ finish
  void finish() {
    // Sparsity of the Jacobian -> bandwidth (linearity: models/linear_structure.hpp, at
    // FileModel::build_plan).
    std::set<std::pair<int, int>> pattern;
    for (const Process& pr : m_.processes_) {
      std::vector<int> columns;
      if (pr.substrate >= 0) columns.push_back(pr.substrate);
      if (pr.second >= 0) columns.push_back(pr.second);
      for (int s : pr.expression_states) columns.push_back(s);
      if (pr.effect.kind != EffectKind::kNone) {
        add_driver_columns(pr.effect.driver, &columns);
      }
      for (int row : {pr.from, pr.to})
        if (row >= 0)
          for (int column : columns) pattern.insert({row, column});
    }
    int lower = 0, upper = 0;
    for (const auto& [row, column] : pattern) {
      lower = std::max(lower, row - column);
      upper = std::max(upper, column - row);
    }
    m_.bandwidth_ = {lower, upper};
    // Fold number divisors and unit factors of linear observables into their weights; a
    // term divided by at most one parameter becomes a SimpleTerm.
    using Kind = ValueRef::Kind;
    for (ObservableDef& def : m_.observables_) {
      if (def.kind != ObservableKind::kLinear) continue;
      bool simple = true;
      std::vector<SimpleTerm> simple_terms;
      for (int k = def.first_term; k < def.first_term + def.num_terms; ++k) {
        ObservableTerm& term = m_.terms_[static_cast<size_t>(k)];
        term.constant *= def.factor;
        if (term.div1.kind == Kind::kConstant && term.div2.kind == Kind::kConstant) {
          term.constant /= term.div1.value * term.div2.value;
          term.div1 = term.div2 = constant(1);
          term.constant_weight = true;
        }
        SimpleTerm st{term.state, -1, term.constant};
        for (const ValueRef* div : {&term.div1, &term.div2}) {
          if (div->kind == Kind::kConstant) {
            st.weight /= div->value;
          } else if (div->kind == Kind::kParameter && st.div_param < 0) {
            st.div_param = div->index;
            st.weight /= div->factor;
          } else {
            simple = false;
          }
        }
        simple_terms.push_back(st);
      }
      def.factor = 1;
      if (!simple) continue;
      def.simple = true;
      def.first_simple = static_cast<int>(m_.simple_terms_.size());
      m_.simple_terms_.insert(m_.simple_terms_.end(), simple_terms.begin(), simple_terms.end());
    }
    find_positive_derived();
  }

  // Derived values that divide amounts (a compartment's volume, an observable's divisor) must
  // be > 0; those that scale a first-order elimination or a flow (a clearance, a rate
  // constant, a flow) must be >= 0 (zero: that route is shut, a meaningful best case).
  // FileModel::check_parameters tests them for each parameter set.
  void find_positive_derived() {
    std::map<int, PositiveDerived> rules;
    auto add = [&](const ValueRef& ref, const std::string& role, bool zero_allowed) {
      if (ref.kind != ValueRef::Kind::kDerived) return;
      auto [it, added] = rules.try_emplace(ref.index);
      PositiveDerived& rule = it->second;
      if (!added && !rule.zero_allowed) return;  // already the strict kind
      const auto d = static_cast<size_t>(ref.index);
      rule = {ref.index,
              role,
              zero_allowed,
              derived_names_[d],
              derived_units_[d].text,
              derived_texts_[d],
              derived_places_[d]};
    };
    for (const Process& pr : m_.processes_) {
      if (pr.has_volume) add(pr.volume, "volume", false);
      if (pr.law == Law::kFlow) {
        add(pr.volume2, "volume", false);
        add(pr.k, "flow", true);
      }
      if (pr.law == Law::kFirstOrder)
        add(pr.k, pr.has_volume ? "clearance" : "rate constant", true);
    }
    for (const ObservableTerm& term : m_.terms_) {
      add(term.div1, "divisor", false);
      add(term.div2, "divisor", false);
    }
    for (auto& [index, rule] : rules) m_.positive_derived_.push_back(std::move(rule));
  }

  void add_driver_columns(int o, std::vector<int>* columns) const {
    const ObservableDef& def = m_.observables_[static_cast<size_t>(o)];
    if (def.kind == ObservableKind::kLinear) {
      for (int k = def.first_term; k < def.first_term + def.num_terms; ++k)
        columns->push_back(m_.terms_[static_cast<size_t>(k)].state);
    } else if (def.kind == ObservableKind::kRatio) {
      add_driver_columns(def.numerator, columns);
      add_driver_columns(def.denominator, columns);
    } else {
      columns->insert(columns->end(), def.expression_states.begin(), def.expression_states.end());
    }
  }

  std::string source_;
  FileModel& m_;
  YAML::Node context_;                        // the map being read, for errors about missing keys
  std::map<std::string, std::string> kinds_;  // name -> what it is
  std::map<std::string, int> parameter_index_, derived_index_, state_index_, observable_index_;
  std::vector<Unit> parameter_units_, derived_units_;
  std::vector<YAML::Node> parameter_nodes_;
  std::vector<std::string> derived_names_;
  std::vector<std::string> derived_places_;  // file:line:column of each derived expression
  std::vector<std::string> derived_texts_;   // each derived expression as written
  std::vector<CompartmentInfo> compartments_;
  std::vector<ObservableDraft> observables_;
  size_t declared_observables_ = 0;
};

std::unique_ptr<FileModel> compile_model_text(const std::string& text, const std::string& source) {
  auto model = std::make_unique<FileModel>();
  ModelFileCompiler(source, *model).compile(text);
  model->build_plan();
  return model;
}

std::unique_ptr<FileModel> read_model_file(const std::string& path) {
  std::string text;
  const std::string why = pk::read_text_file(path, &text);
  if (!why.empty()) throw ModelFileError(path, 0, 0, "a readable model file", "a file that " + why);
  return compile_model_text(text, path);
}

}  // namespace onset::models
