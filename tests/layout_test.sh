#!/usr/bin/env bash
# The rooms of the tree (README.md, "Layout"; issue 15): every file format is read in io/, one
# number formatter, one YAML helper set, the environment read only in io/ and cli/, and no
# floor includes a room above it. Run by ctest as `layout`: tests/layout_test.sh SOURCE_DIR.
#
# Each rule is one line: a name, an extended regular expression (grep -E), the files it
# applies to (a find(1) -path pattern relative to the source tree; tests/ and bench/ are
# never searched), and the files where a match is allowed (space-separated; a folder ends in
# /), with the reason in the comment above it. A match outside the allowed files fails the
# test and prints every offending line.
set -u
root="${1:?usage: layout_test.sh SOURCE_DIR}"
cd "$root" || exit 2
failures=0

# rule NAME REGEX FILES ALLOWED...
rule() {
  local name="$1" regex="$2" files="$3"
  shift 3
  local hits
  hits=$(find . -path ./build -prune -o -path ./tests -prune -o -path ./bench -prune -o \
           -path './.git' -prune -o -type f -path "./$files" \( -name '*.cpp' -o -name '*.hpp' \) \
           -print | sort | while read -r file; do
      local rel="${file#./}" allowed=0
      for allow in "$@"; do
        if [[ "$allow" == */ ]]; then [[ "$rel" == "$allow"* ]] && allowed=1
        else [[ "$rel" == "$allow" ]] && allowed=1; fi
      done
      ((allowed)) || grep -nHE -- "$regex" "$rel"
    done)
  if [[ -n "$hits" ]]; then
    echo "FAIL $name:"
    echo "$hits" | sed 's/^/    /'
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

# --- the environment: only io/ (data_dir, gnuplot, environment.hpp) and cli/ read it; every
# other room takes the value as an argument (CheckOptions, pk::MpiLaunch).
rule "getenv only in io/ and cli/" '\bgetenv[[:space:]]*\(' '*' io/ cli/

# --- one number formatter (io/format.hpp): a printf %g conversion is a number formatter.
rule "no %g formatter outside io/format.hpp" 'printf[[:space:]]*\([^;]*"[^"]*%[-+ #0-9.*]*[gG]' '*' \
  io/format.hpp
# std::to_string with its trailing zeros cut is format_decimal.
rule "no trailing-zero trimmer outside io/format.hpp" "find_last_not_of\\('0'\\)" '*' io/format.hpp
# A stream's precision set for one number is a formatter too. Allowed: streams that write a
# whole block of numbers for a plot or a file (HTML report and fit plot data for gnuplot, the
# text of a generated model file, a CSV of fitted data, a cache signature), not a message.
rule "no ostream-precision formatter outside io/" '(\.precision|setprecision)[[:space:]]*\(' '*' \
  io/ check/report_html.cpp fits/fit_plot.cpp models/tracer_observation.cpp \
  fits/ev_biodistribution_problem.cpp fits/dosing_predictor.cpp

# --- one YAML helper set (io/yaml.hpp): the tree checks and typed getters are defined once.
rule "YAML helpers defined only in io/yaml" \
  '^[A-Za-z].*\b(parse_text|check_yaml_size|check_size|find_duplicate_key|require_keys|get_string|get_number|get_bool|as_number|parse_citation)[[:space:]]*\([^;]*$' \
  '*' io/yaml.hpp io/yaml.cpp io/priors.hpp io/priors.cpp
# Parsing YAML text: only io/yaml.cpp calls yaml-cpp's parser (yaml::load, or parse_text for
# a reader that words its own errors).
rule "YAML::Load only in io/yaml.cpp" 'YAML::Load[[:space:]]*\(' '*' io/yaml.cpp

# --- one CSV reader (io/csv.hpp): the table class is defined once, and a line is split at
# commas nowhere else (cli/fit_command.cpp splits a comma-separated option value, not a file).
rule "CsvTable defined only in io/csv.hpp" '^(class|struct)[[:space:]]+CsvTable\b' '*' io/csv.hpp
rule "no comma splitter outside io/csv.cpp" "getline[[:space:]]*\\([^)]*,[[:space:]]*','" '*' \
  io/csv.cpp cli/fit_command.cpp

# --- one unit system (io/units.hpp): the Unit type and its parser are defined once.
rule "Unit defined only in io/units.hpp" '^(class|struct)[[:space:]]+Unit\b' '*' io/units.hpp
rule "parse_unit defined only in io/units" '^[A-Za-z].*\bparse_unit[[:space:]]*\([^;]*$' '*' \
  io/units.hpp io/units.cpp

# --- fits takes the data as a table read once by io: it opens no file (the population spec
# reads the model file's own population: section, a model file, not data). Comment lines that
# name the reader are not calls.
rule "fits opens no data file" \
  '^[^/]*(CsvTable::read_file|read_dosing_file|read_text_file|std::ifstream|fopen[[:space:]]*\(|::open[[:space:]]*\()' \
  'fits/*' fits/population/population_spec.cpp

# --- floors: io <- pk <- models, nca <- fits, check <- cli (api, python, r on top). No room
# includes a room above it or beside it, so no room reaches another's reader.
rule "io includes only io" '#include "(pk|models|nca|fits|check|cli|api)/' 'io/*'
rule "nca includes only io and nca" '#include "(pk|models|fits|check|cli|api)/' 'nca/*'

rule "pk includes only io and pk" '#include "(models|nca|fits|check|cli|api)/' 'pk/*'
rule "models includes only io, pk and models" '#include "(nca|fits|check|cli|api)/' 'models/*'
rule "fits includes no nca, check, cli or api" '#include "(nca|check|cli|api)/' 'fits/*'
rule "check includes no nca, fits, cli or api" '#include "(nca|fits|cli|api)/' 'check/*'
rule "no reader in check/ (priors, physiology, data folder, YAML: io/)" \
  '#include "check/(priors|physiology|data_dir|yaml_support)\.hpp"' '*'

if ((failures)); then
  echo "$failures layout rule(s) broken"
  exit 1
fi
echo "every layout rule holds"
