// A library model with its default parameters, set by name, run on an output grid: the
// fixture of the biomarker tests (kidney_markers_test.cpp, inflammation_markers_test.cpp,
// cardiac_markers_test.cpp, metabolism_markers_test.cpp, blood_markers_test.cpp,
// liver_markers_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "models/model_library.hpp"
#include "pk/simulate.hpp"

namespace onset::models::marker_test {

struct MarkerRun {
  std::unique_ptr<pk::Model> model;
  std::vector<double> params;
  pk::Regimen regimen;
  pk::Trajectory traj;
  std::vector<double> times;         // the output times of the last run
  bool outputs_before_doses = true;  // false: an output at a dose time shows the dose
  explicit MarkerRun(const std::string& name)
      : model(load_model(name)), params(model->default_parameters()) {}
  int p(const std::string& name) const {
    const int i = model->parameter_index(name);
    EXPECT_GE(i, 0) << name;
    return i;
  }
  double get(const std::string& name) const { return params[static_cast<size_t>(p(name))]; }
  void set(const std::string& name, double v) { params[static_cast<size_t>(p(name))] = v; }
  void change_at(double t, const std::string& name, double v) {
    regimen.parameter_changes.push_back({t, p(name), v});
  }
  // A dose in the receiving compartment's unit (bolus when duration_h is 0).
  void dose(const std::string& compartment, double amount, double t_h = 0, double duration_h = 0) {
    const int s = model->state_index(compartment);
    ASSERT_GE(s, 0) << compartment;
    regimen.doses.push_back({t_h, s, amount, duration_h});
  }
  // Tight tolerances: the tests compare with closed forms to 1e-3 or better.
  void run(std::vector<double> output_times) {
    times = output_times;
    pk::SimulationRequest request;
    request.output_times_h = std::move(output_times);
    request.outputs_before_doses = outputs_before_doses;
    pk::SolverOptions options;
    options.rtol = 1e-10;
    options.atol = 1e-10;
    traj = pk::simulate(*model, regimen, params, request, options);
    ASSERT_TRUE(traj.ok()) << traj.message;
  }
  double obs(const std::string& name, size_t i) const {
    const int o = model->observable_index(name);
    EXPECT_GE(o, 0) << name;
    return traj.observable(i, static_cast<size_t>(o));
  }
  // First output time (h) at which `name` is at or below `level`; -1 if none.
  double first_time_at_or_below(const std::string& name, double level) const {
    for (size_t i = 0; i < times.size(); ++i)
      if (obs(name, i) <= level) return times[i];
    return -1;
  }
};

// 0, step, 2 step, ... up to stop (inclusive).
inline std::vector<double> grid(double stop, double step) {
  std::vector<double> t;
  for (int k = 0; k * step <= stop + 1e-9; ++k) t.push_back(k * step);
  return t;
}

// Half-life of the excess of `observable` over `floor` between output rows 0 and 1, dt apart.
inline double excess_half_life(const MarkerRun& r, const std::string& observable, double floor,
                               double dt) {
  return dt * std::log(2.0) /
         std::log((r.obs(observable, 0) - floor) / (r.obs(observable, 1) - floor));
}

}  // namespace onset::models::marker_test
