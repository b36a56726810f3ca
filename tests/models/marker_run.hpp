// A library model with its default parameters, set by name, run on an output grid: the
// fixture of the biomarker tests (kidney_markers_test.cpp, inflammation_markers_test.cpp,
// cardiac_markers_test.cpp).
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
  // Tight tolerances: the tests compare with closed forms to 1e-3 or better.
  void run(std::vector<double> times) {
    pk::SimulationRequest request;
    request.output_times_h = std::move(times);
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
