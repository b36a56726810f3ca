// The R package's native side: the facade of api/onset_api.hpp (libonset_api.so) for R, with
// Rcpp for the conversions. Every entry point returns either its result or, for an error, a
// list of class "onset_failure" (kind, message, file, line, column, ...) that R/onset.R turns
// into an R condition: no R error is raised from C++, so no C++ frame is ever jumped over.
#include <Rcpp.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/onset_api.hpp"

using onset::api::Column;
using onset::api::DataInput;

namespace {

// ---- errors --------------------------------------------------------------------------------

SEXP failure(const std::string& kind, const std::string& message,
             const onset::UserError* user = nullptr) {
  Rcpp::List out = Rcpp::List::create(Rcpp::Named("kind") = kind, Rcpp::Named("message") = message);
  if (user) {
    const auto* file_error = dynamic_cast<const onset::FileError*>(user);
    out["file"] = file_error ? Rcpp::wrap(file_error->file()) : R_NilValue;
    out["line"] = file_error ? Rcpp::wrap(file_error->line()) : R_NilValue;
    out["column"] = file_error ? Rcpp::wrap(file_error->column()) : R_NilValue;
    out["where"] = user->where();
    out["problem"] = user->problem();
    out["expected"] = user->expected();
    out["fix"] = user->fix();
  }
  out.attr("class") = "onset_failure";
  return out;
}

// Runs f() and returns its SEXP, or an "onset_failure" list for any exception.
template <typename F>
SEXP guarded(F&& f) {
  try {
    return f();
  } catch (const onset::UserError& error) {
    return failure("user", error.what(), &error);
  } catch (const onset::api::AnalysisError& error) {
    return failure("analysis", error.what());
  } catch (const Rcpp::not_compatible& error) {
    return failure("argument", error.what());
  } catch (const std::exception& error) {
    return failure("internal", error.what());
  }
}

// ---- conversions ---------------------------------------------------------------------------

// JSON to R as jsonlite::fromJSON(simplifyVector = FALSE) reads it: objects are named lists,
// arrays lists, null NULL, whole numbers that fit an int integers, other numbers doubles.
SEXP from_json(const nlohmann::ordered_json& json) {
  using value_t = nlohmann::ordered_json::value_t;
  switch (json.type()) {
    case value_t::boolean:
      return Rcpp::wrap(json.get<bool>());
    case value_t::number_integer:
    case value_t::number_unsigned: {
      const double value = json.get<double>();
      if (std::abs(value) <= 2147483647.0)
        return Rcpp::wrap(static_cast<int>(json.get<std::int64_t>()));
      return Rcpp::wrap(value);
    }
    case value_t::number_float:
      return Rcpp::wrap(json.get<double>());
    case value_t::string:
      return Rcpp::wrap(json.get_ref<const std::string&>());
    case value_t::array: {
      Rcpp::List list(json.size());
      R_xlen_t i = 0;
      for (const auto& item : json) list[i++] = from_json(item);
      return list;
    }
    case value_t::object: {
      Rcpp::List list(json.size());
      Rcpp::CharacterVector names(json.size());
      R_xlen_t i = 0;
      for (const auto& [key, value] : json.items()) {
        names[i] = key;
        list[i++] = from_json(value);
      }
      list.attr("names") = names;
      return list;
    }
    default:
      return R_NilValue;
  }
}

// A data set from R: a path (one string), or a data frame / list of columns (numeric,
// integer, logical: numbers with NA as a missing cell; character or factor: text).
DataInput data_input(SEXP data, const std::string& source) {
  DataInput input;
  input.source = source;
  if (TYPEOF(data) == STRSXP && Rf_xlength(data) == 1) {
    input.path = Rcpp::as<std::string>(data);
    return input;
  }
  if (TYPEOF(data) != VECSXP)
    throw onset::UserError({}, source + ": expected a data frame, a list of columns or a path");
  const Rcpp::List list(data);
  const Rcpp::CharacterVector names = list.names();
  for (R_xlen_t c = 0; c < list.size(); ++c) {
    Column column;
    column.name = Rcpp::as<std::string>(names[c]);
    SEXP values = list[c];
    const R_xlen_t n = Rf_xlength(values);
    if (Rf_isFactor(values)) {
      column.is_text = true;
      const Rcpp::CharacterVector levels = Rf_getAttrib(values, R_LevelsSymbol);
      const int* codes = INTEGER(values);
      for (R_xlen_t i = 0; i < n; ++i)
        column.texts.push_back(
            codes[i] == NA_INTEGER ? std::string() : Rcpp::as<std::string>(levels[codes[i] - 1]));
    } else if (TYPEOF(values) == STRSXP) {
      column.is_text = true;
      for (R_xlen_t i = 0; i < n; ++i)
        column.texts.push_back(STRING_ELT(values, i) == NA_STRING
                                   ? std::string()
                                   : std::string(CHAR(STRING_ELT(values, i))));
    } else if (TYPEOF(values) == REALSXP) {
      column.numbers.assign(REAL(values), REAL(values) + n);
      for (double& value : column.numbers)
        if (ISNA(value)) value = NAN;
    } else if (TYPEOF(values) == INTSXP || TYPEOF(values) == LGLSXP) {
      const int* ints = TYPEOF(values) == INTSXP ? INTEGER(values) : LOGICAL(values);
      column.numbers.resize(static_cast<size_t>(n));
      for (R_xlen_t i = 0; i < n; ++i)
        column.numbers[static_cast<size_t>(i)] = ints[i] == NA_INTEGER ? NAN : ints[i];
    } else {
      throw onset::UserError({}, source + ", column " + column.name +
                                     ": expected numbers or text, found an R " +
                                     Rf_type2char(TYPEOF(values)));
    }
    input.columns.push_back(std::move(column));
  }
  return input;
}

template <typename Value>
std::map<std::string, Value> named_values(SEXP values) {
  std::map<std::string, Value> out;
  if (Rf_isNull(values)) return out;
  const Rcpp::List list(Rf_isNewList(values) ? values : Rf_coerceVector(values, VECSXP));
  if (list.size() == 0) return out;
  const Rcpp::CharacterVector names = list.names();
  for (R_xlen_t i = 0; i < list.size(); ++i) {
    const std::string name = Rcpp::as<std::string>(names[i]);
    if (name.empty()) throw onset::UserError({}, "every value needs a name (NAME = VALUE)");
    out[name] = Rcpp::as<Value>(list[i]);
  }
  return out;
}

onset::api::Model& model_of(SEXP pointer) {
  if (TYPEOF(pointer) != EXTPTRSXP || R_ExternalPtrAddr(pointer) == nullptr)
    throw onset::UserError({},
                           "the model is not loaded (a model saved and restored in another "
                           "session must be loaded again with onset_model())");
  return *static_cast<onset::api::Model*>(R_ExternalPtrAddr(pointer));
}

void finalize_model(SEXP pointer) {
  delete static_cast<onset::api::Model*>(R_ExternalPtrAddr(pointer));
  R_ClearExternalPtr(pointer);
}

std::optional<double> optional_number(SEXP value) {
  if (Rf_isNull(value)) return std::nullopt;
  return Rcpp::as<double>(value);
}

// NCA's options from an R named list (api::read_nca_options reads them by name); onset_nca()
// in R/onset.R gives every key, NULL where the user gave none.
class ListOptions : public onset::api::NcaOptionSource {
 public:
  explicit ListOptions(const Rcpp::List& list) : list_(list) {}
  std::optional<std::string> text(const char* key) const override { return get<std::string>(key); }
  std::optional<double> number(const char* key) const override { return get<double>(key); }
  std::optional<int> whole_number(const char* key) const override { return get<int>(key); }
  std::optional<bool> flag(const char* key) const override { return get<bool>(key); }
  // A list of c(START, END) pairs.
  std::optional<std::vector<std::pair<double, double>>> pairs(const char* key) const override {
    if (!list_.containsElementNamed(key) || Rf_isNull(list_[key])) return std::nullopt;
    const Rcpp::List items(list_[key]);
    std::vector<std::pair<double, double>> out;
    for (R_xlen_t i = 0; i < items.size(); ++i) {
      const auto pair = Rcpp::as<std::vector<double>>(items[i]);
      if (pair.size() != 2)
        throw onset::UserError({}, std::string(key) + ": expected pairs c(START, END)");
      out.emplace_back(pair[0], pair[1]);
    }
    return out;
  }

 private:
  template <typename T>
  std::optional<T> get(const char* key) const {
    if (!list_.containsElementNamed(key) || Rf_isNull(list_[key])) return std::nullopt;
    return Rcpp::as<T>(list_[key]);
  }
  const Rcpp::List& list_;
};

}  // namespace

extern "C" {

SEXP onset_r_models() {
  return guarded([] { return Rcpp::wrap(onset::api::library_models()); });
}

SEXP onset_r_model_load(SEXP name_or_path) {
  return guarded([&]() -> SEXP {
    auto model = std::make_unique<onset::api::Model>(Rcpp::as<std::string>(name_or_path));
    SEXP pointer = PROTECT(R_MakeExternalPtr(model.release(), R_NilValue, R_NilValue));
    R_RegisterCFinalizerEx(pointer, finalize_model, TRUE);
    UNPROTECT(1);
    return pointer;
  });
}

SEXP onset_r_model_info(SEXP pointer) {
  return guarded([&]() -> SEXP {
    const onset::api::Model& model = model_of(pointer);
    Rcpp::DataFrame parameters = Rcpp::DataFrame::create(
        Rcpp::Named("name") = model.parameter_names(),
        Rcpp::Named("value") = model.parameter_values(),
        Rcpp::Named("unit") = model.parameter_units(),
        Rcpp::Named("lower") = model.parameter_lower(),
        Rcpp::Named("upper") = model.parameter_upper(), Rcpp::Named("stringsAsFactors") = false);
    Rcpp::DataFrame states = Rcpp::DataFrame::create(Rcpp::Named("name") = model.state_names(),
                                                     Rcpp::Named("unit") = model.state_units(),
                                                     Rcpp::Named("stringsAsFactors") = false);
    Rcpp::DataFrame observables = Rcpp::DataFrame::create(
        Rcpp::Named("name") = model.observable_names(),
        Rcpp::Named("unit") = model.observable_units(), Rcpp::Named("stringsAsFactors") = false);
    return Rcpp::List::create(
        Rcpp::Named("name") = model.name(), Rcpp::Named("name_or_path") = model.name_or_path(),
        Rcpp::Named("source") = model.source(), Rcpp::Named("description") = model.description(),
        Rcpp::Named("equations") = model.equations(), Rcpp::Named("parameters") = parameters,
        Rcpp::Named("states") = states, Rcpp::Named("observables") = observables);
  });
}

// A data frame: ID (character), TIME (h), one column per observable; attributes "units"
// (named character) and "backend_used" / "backend_reason".
SEXP onset_r_simulate(SEXP pointer, SEXP doses, SEXP params, SEXP times, SEXP with_records,
                      SEXP backend, SEXP rtol, SEXP atol) {
  return guarded([&]() -> SEXP {
    onset::api::SimulateOptions options;
    options.params = named_values<double>(params);
    if (!Rf_isNull(times)) {
      if (TYPEOF(times) == REALSXP) {
        options.times_h.assign(REAL(times), REAL(times) + Rf_xlength(times));
      } else {
        options.times_h = Rcpp::as<std::vector<double>>(times);
      }
    }
    options.with_records = Rcpp::as<bool>(with_records);
    options.backend = Rcpp::as<std::string>(backend);
    options.rtol = optional_number(rtol);
    options.atol = optional_number(atol);
    const onset::api::Simulation result =
        onset::api::simulate(model_of(pointer), data_input(doses, "data frame 'doses'"), options);
    const auto rows = static_cast<R_xlen_t>(result.rows());
    const size_t n_obs = result.observable_names.size();
    Rcpp::List frame(2 + n_obs);
    Rcpp::CharacterVector names(2 + n_obs);
    // One CHARSXP per subject, shared by its rows.
    Rcpp::CharacterVector subject_ids = Rcpp::wrap(result.subject_ids);
    Rcpp::CharacterVector ids(rows);
    for (R_xlen_t k = 0; k < rows; ++k)
      SET_STRING_ELT(ids, k, STRING_ELT(subject_ids, result.subject[static_cast<size_t>(k)]));
    frame[0] = ids;
    names[0] = "ID";
    frame[1] = Rcpp::NumericVector(result.time_h.begin(), result.time_h.end());
    names[1] = "TIME";
    Rcpp::CharacterVector units(1 + n_obs);
    Rcpp::CharacterVector unit_names(1 + n_obs);
    units[0] = "h";
    unit_names[0] = "TIME";
    for (size_t j = 0; j < n_obs; ++j) {
      const double* begin = result.values.data() + j * result.rows();
      frame[static_cast<R_xlen_t>(2 + j)] = Rcpp::NumericVector(begin, begin + rows);
      names[static_cast<R_xlen_t>(2 + j)] = result.observable_names[j];
      units[static_cast<R_xlen_t>(1 + j)] = result.observable_units[j];
      unit_names[static_cast<R_xlen_t>(1 + j)] = result.observable_names[j];
    }
    units.attr("names") = unit_names;
    frame.attr("names") = names;
    frame.attr("row.names") = Rcpp::IntegerVector::create(NA_INTEGER, -static_cast<int>(rows));
    frame.attr("class") = Rcpp::CharacterVector::create("onset_simulation", "data.frame");
    frame.attr("units") = units;
    frame.attr("backend_used") = result.backend_used;
    frame.attr("backend_reason") = result.backend_reason;
    return frame;
  });
}

SEXP onset_r_fit(SEXP model, SEXP data, SEXP error, SEXP error_for, SEXP start, SEXP fix, SEXP ci,
                 SEXP calibration, SEXP multistart, SEXP bootstrap, SEXP seed, SEXP threads) {
  return guarded([&]() -> SEXP {
    onset::api::FitRequest request;
    request.model = Rcpp::as<std::string>(model);
    request.data = data_input(data, "data frame 'data'");
    request.error = Rcpp::as<std::string>(error);
    request.error_for = named_values<std::string>(error_for);
    request.start = named_values<double>(start);
    request.fix = named_values<double>(fix);
    request.ci = Rcpp::as<std::string>(ci);
    request.calibration = Rcpp::as<std::string>(calibration);
    request.multistart = Rcpp::as<int>(multistart);
    request.bootstrap = Rcpp::as<int>(bootstrap);
    const double seed_value = Rcpp::as<double>(seed);
    if (!(seed_value >= 0 && seed_value == std::floor(seed_value) && seed_value < 9.007e15))
      throw onset::UserError({}, "seed: expected a whole number >= 0");
    request.seed = static_cast<std::uint64_t>(seed_value);
    request.threads = Rcpp::as<int>(threads);
    return from_json(onset::api::fit(request));
  });
}

SEXP onset_r_nca(SEXP data, SEXP options) {
  return guarded([&]() -> SEXP {
    const Rcpp::List list(options);
    onset::api::NcaRequest request;
    request.data = data_input(data, "data frame 'data'");
    onset::api::read_nca_options(ListOptions(list), &request);
    return from_json(onset::api::nca(request));
  });
}

SEXP onset_r_check(SEXP claim, SEXP draws, SEXP seed, SEXP threads, SEXP unlikely_below,
                   SEXP report) {
  return guarded([&]() -> SEXP {
    onset::api::CheckRequest request;
    request.claim = Rcpp::as<std::string>(claim);
    const double draws_value = Rcpp::as<double>(draws);
    const double seed_value = Rcpp::as<double>(seed);
    if (!(draws_value >= 1 && draws_value == std::floor(draws_value) && draws_value < 9.007e15))
      throw onset::UserError({}, "draws: expected a whole number >= 1");
    if (!(seed_value >= 0 && seed_value == std::floor(seed_value) && seed_value < 9.007e15))
      throw onset::UserError({}, "seed: expected a whole number >= 0");
    request.draws = static_cast<size_t>(draws_value);
    request.seed = static_cast<std::uint64_t>(seed_value);
    request.threads = Rcpp::as<int>(threads);
    request.unlikely_below = Rcpp::as<double>(unlikely_below);
    request.report = Rf_isNull(report) ? std::string() : Rcpp::as<std::string>(report);
    return from_json(onset::api::check(request));
  });
}

static const R_CallMethodDef kCallMethods[] = {
    {"onset_r_models", (DL_FUNC)&onset_r_models, 0},
    {"onset_r_model_load", (DL_FUNC)&onset_r_model_load, 1},
    {"onset_r_model_info", (DL_FUNC)&onset_r_model_info, 1},
    {"onset_r_simulate", (DL_FUNC)&onset_r_simulate, 8},
    {"onset_r_fit", (DL_FUNC)&onset_r_fit, 12},
    {"onset_r_nca", (DL_FUNC)&onset_r_nca, 2},
    {"onset_r_check", (DL_FUNC)&onset_r_check, 6},
    {nullptr, nullptr, 0}};

void R_init_onset(DllInfo* info) {
  R_registerRoutines(info, nullptr, kCallMethods, nullptr, nullptr);
  R_useDynamicSymbols(info, FALSE);
}

}  // extern "C"
