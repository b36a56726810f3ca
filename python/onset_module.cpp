// The extension module onset._onset: the facade of api/onset_api.hpp for Python. The Python
// layer (python/onset/__init__.py) turns tables into pandas data frames; this file converts
// arrays, JSON and errors:
//   onset::UserError     -> onset.UserError (a ValueError) with .file, .line, .column, .problem
//   api::AnalysisError   -> onset.AnalysisError (a RuntimeError)
// Long calls (fit, nca, check) release the GIL; they touch no Python object meanwhile.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "api/onset_api.hpp"

namespace py = pybind11;
using onset::api::Column;
using onset::api::DataInput;

namespace {

// JSON (as the CLI writes it) to Python: objects to dicts (in order), arrays to lists.
py::object to_python(const nlohmann::ordered_json& json) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
      return py::none();
    case nlohmann::ordered_json::value_t::boolean:
      return py::bool_(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return py::int_(json.get<std::int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned:
      return py::int_(json.get<std::uint64_t>());
    case nlohmann::ordered_json::value_t::number_float:
      return py::float_(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return py::str(json.get_ref<const std::string&>());
    case nlohmann::ordered_json::value_t::array: {
      py::list list(json.size());
      size_t i = 0;
      for (const auto& item : json) list[i++] = to_python(item);
      return list;
    }
    case nlohmann::ordered_json::value_t::object: {
      py::dict dict;
      for (const auto& [key, value] : json.items()) dict[py::str(key)] = to_python(value);
      return dict;
    }
    default:
      return py::none();
  }
}

// A data set from Python: a path (str), or a list of (name, values) pairs made by the Python
// layer, values a float64 NumPy array (NaN: missing) or a list of str.
DataInput data_input(const py::object& data, const std::string& source) {
  DataInput input;
  input.source = source;
  if (py::isinstance<py::str>(data)) {
    input.path = data.cast<std::string>();
    return input;
  }
  for (const py::handle item : data.cast<py::list>()) {
    const auto pair = item.cast<py::tuple>();
    Column column;
    column.name = pair[0].cast<std::string>();
    if (py::isinstance<py::list>(pair[1])) {
      column.is_text = true;
      column.texts = pair[1].cast<std::vector<std::string>>();
    } else {
      const auto values =
          pair[1].cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
      column.numbers.assign(values.data(), values.data() + values.size());
    }
    input.columns.push_back(std::move(column));
  }
  return input;
}

py::dict simulate(const onset::api::Model& model, const py::object& doses,
                  const std::map<std::string, double>& params,
                  const py::array_t<double, py::array::c_style | py::array::forcecast>& times,
                  bool with_records, const std::string& backend, std::optional<double> rtol,
                  std::optional<double> atol) {
  onset::api::SimulateOptions options;
  options.params = params;
  options.times_h.assign(times.data(), times.data() + times.size());
  options.with_records = with_records;
  options.backend = backend;
  options.rtol = rtol;
  options.atol = atol;
  const onset::api::Simulation result =
      onset::api::simulate(model, data_input(doses, "table 'doses'"), options);
  const auto rows = static_cast<py::ssize_t>(result.rows());
  // ID: an object array holding one str per subject (shared by its rows).
  py::array ids(py::dtype("O"), py::array::ShapeContainer{rows});
  std::vector<py::str> names;
  for (const auto& id : result.subject_ids) names.emplace_back(id);
  auto** cells = static_cast<PyObject**>(ids.mutable_data());
  for (py::ssize_t k = 0; k < rows; ++k) {
    PyObject* name = names[static_cast<size_t>(result.subject[static_cast<size_t>(k)])].ptr();
    Py_INCREF(name);
    Py_XDECREF(cells[k]);
    cells[k] = name;
  }
  py::dict out;
  out["ID"] = std::move(ids);
  out["TIME"] = py::array_t<double>(rows, result.time_h.data());
  for (size_t j = 0; j < result.observable_names.size(); ++j)
    out[py::str(result.observable_names[j])] =
        py::array_t<double>(rows, result.values.data() + j * result.rows());
  py::dict units;
  units["TIME"] = "h";
  for (size_t j = 0; j < result.observable_names.size(); ++j)
    units[py::str(result.observable_names[j])] = result.observable_units[j];
  out["__units__"] = std::move(units);
  out["__backend__"] = py::make_tuple(result.backend_used, result.backend_reason);
  return out;
}

// NCA's options from a Python dict (api::read_nca_options reads them by name).
class DictOptions : public onset::api::NcaOptionSource {
 public:
  explicit DictOptions(const py::dict& dict) : dict_(dict) {}
  std::optional<std::string> text(const char* key) const override { return get<std::string>(key); }
  std::optional<double> number(const char* key) const override { return get<double>(key); }
  std::optional<int> whole_number(const char* key) const override { return get<int>(key); }
  std::optional<bool> flag(const char* key) const override { return get<bool>(key); }
  std::optional<std::vector<std::pair<double, double>>> pairs(const char* key) const override {
    return get<std::vector<std::pair<double, double>>>(key);
  }

 private:
  template <typename T>
  std::optional<T> get(const char* key) const {
    if (!dict_.contains(key) || dict_[key].is_none()) return std::nullopt;
    return dict_[key].cast<T>();
  }
  const py::dict& dict_;
};

}  // namespace

PYBIND11_MODULE(_onset, m) {
  m.doc() = "onset's libraries for Python (use the onset package, python/onset/__init__.py)";

  static py::exception<onset::UserError> user_error(m, "UserError", PyExc_ValueError);
  static py::exception<onset::api::AnalysisError> analysis_error(m, "AnalysisError",
                                                                 PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const onset::UserError& error) {
      py::object exception = py::reinterpret_borrow<py::object>(user_error.ptr())(error.what());
      const auto* file_error = dynamic_cast<const onset::FileError*>(&error);
      exception.attr("file") = file_error ? py::object(py::str(file_error->file())) : py::none();
      exception.attr("line") = file_error ? py::object(py::int_(file_error->line())) : py::none();
      exception.attr("column") =
          file_error ? py::object(py::int_(file_error->column())) : py::none();
      exception.attr("where") = error.where();
      exception.attr("problem") = error.problem();
      exception.attr("expected") = error.expected();
      exception.attr("fix") = error.fix();
      PyErr_SetObject(user_error.ptr(), exception.ptr());
    } catch (const onset::api::AnalysisError& error) {
      PyErr_SetString(analysis_error.ptr(), error.what());
    }
  });

  py::class_<onset::api::Model>(m, "Model")
      .def(py::init<const std::string&>(), py::arg("name_or_path"))
      .def_property_readonly("name", &onset::api::Model::name)
      .def_property_readonly("name_or_path", &onset::api::Model::name_or_path)
      .def_property_readonly("description", &onset::api::Model::description)
      .def_property_readonly("equations", &onset::api::Model::equations)
      .def_property_readonly("source", &onset::api::Model::source)
      .def_property_readonly("parameter_names", &onset::api::Model::parameter_names)
      .def_property_readonly("parameter_units", &onset::api::Model::parameter_units)
      .def_property_readonly("parameter_values", &onset::api::Model::parameter_values)
      .def_property_readonly("parameter_lower", &onset::api::Model::parameter_lower)
      .def_property_readonly("parameter_upper", &onset::api::Model::parameter_upper)
      .def_property_readonly("state_names", &onset::api::Model::state_names)
      .def_property_readonly("state_units", &onset::api::Model::state_units)
      .def_property_readonly("observable_names", &onset::api::Model::observable_names)
      .def_property_readonly("observable_units", &onset::api::Model::observable_units);

  m.def("models", &onset::api::library_models);
  m.def("simulate", &simulate, py::arg("model"), py::arg("doses"), py::arg("params"),
        py::arg("times"), py::arg("with_records"), py::arg("backend"), py::arg("rtol"),
        py::arg("atol"));

  m.def(
      "fit",
      [](const std::string& model, const py::object& data, const std::string& error,
         const std::map<std::string, std::string>& error_for,
         const std::map<std::string, double>& start, const std::map<std::string, double>& fix,
         const std::string& ci, const std::string& calibration, int multistart, int bootstrap,
         std::uint64_t seed, int threads) {
        onset::api::FitRequest request;
        request.model = model;
        request.data = data_input(data, "table 'data'");
        request.error = error;
        request.error_for = error_for;
        request.start = start;
        request.fix = fix;
        request.ci = ci;
        request.calibration = calibration;
        request.multistart = multistart;
        request.bootstrap = bootstrap;
        request.seed = seed;
        request.threads = threads;
        nlohmann::ordered_json result;
        {
          const py::gil_scoped_release unlocked;
          result = onset::api::fit(request);
        }
        return to_python(result);
      },
      py::arg("model"), py::arg("data"), py::arg("error"), py::arg("error_for"), py::arg("start"),
      py::arg("fix"), py::arg("ci"), py::arg("calibration"), py::arg("multistart"),
      py::arg("bootstrap"), py::arg("seed"), py::arg("threads"));

  m.def(
      "nca",
      [](const py::object& data, const py::dict& options) {
        onset::api::NcaRequest request;
        request.data = data_input(data, "table 'data'");
        onset::api::read_nca_options(DictOptions(options), &request);
        nlohmann::ordered_json result;
        {
          const py::gil_scoped_release unlocked;
          result = onset::api::nca(request);
        }
        return to_python(result);
      },
      py::arg("data"), py::arg("options"));

  m.def(
      "check",
      [](const std::string& claim, size_t draws, std::uint64_t seed, int threads,
         double unlikely_below, const std::string& report) {
        onset::api::CheckRequest request;
        request.claim = claim;
        request.draws = draws;
        request.seed = seed;
        request.threads = threads;
        request.unlikely_below = unlikely_below;
        request.report = report;
        nlohmann::ordered_json result;
        {
          const py::gil_scoped_release unlocked;
          result = onset::api::check(request);
        }
        return to_python(result);
      },
      py::arg("claim"), py::arg("draws"), py::arg("seed"), py::arg("threads"),
      py::arg("unlikely_below"), py::arg("report"));
}
