// An ODE (or closed-form) model over NONMEM-style dosing records: each fitted observation is
// one observable of the model at one observation record of the data set. Derivatives from
// onset_bdf's forward sensitivities (pk/sensitivity.hpp; CVODES's when the solver options ask
// for backend cvodes_bdf) when the doses do not depend on the
// estimated parameters and the records are plain doses (bolus, infusion, ADDL) and
// observations; otherwise (SS, resets, modelled rates, a lag or F that is estimated) central
// finite differences through the dosing engine, and gradient_method() says so.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fits/fit_problem.hpp"
#include "pk/dosing_records.hpp"
#include "pk/dosing_simulate.hpp"
#include "pk/model.hpp"
#include "pk/sensitivity.hpp"

namespace onset::fits {

struct FittedObservation {
  int record = 0;      // index into DosingData::records
  int observable = 0;  // index into the model's observables
};

class DosingPredictor final : public Predictor {
 public:
  DosingPredictor(std::shared_ptr<const pk::Model> model,
                  std::shared_ptr<const pk::DosingData> data,
                  std::vector<FittedObservation> observations,
                  pk::SolverOptions solver = fitting_solver_options());

  // Tighter than simulation defaults (rtol 1e-10, atol 1e-12 times the largest dose): the
  // objective must be smooth in the parameters to well below the statistical precision for
  // the convergence test.
  static pk::SolverOptions fitting_solver_options() {
    pk::SolverOptions options;
    options.rtol = 1e-10;
    options.atol = 1e-12;
    return options;
  }
  // Relaxed accuracy (profile-likelihood inner fits): the sensitivity solves at 100x looser
  // rtol and atol. Measured on the mouse design (tests/fits/fit_profile_test.cpp): every
  // profile bound moves by under 1e-7 relative, the CPU time of a profile drops by about 40 %.
  static constexpr double kRelaxedToleranceFactor = 100;
  void set_relaxed_accuracy(bool relaxed) override { relaxed_ = relaxed; }

  const std::vector<std::string>& parameter_names() const override { return names_; }
  size_t num_observations() const override { return observations_.size(); }
  bool predict(std::span<const double> params, std::span<const int> wrt, std::span<double> f,
               std::span<double> jacobian, std::string* why) override;
  std::string gradient_method() const override;
  // The observation's subject simulated alone with observation records at `x` added after the
  // records at or before each time (covariates carried forward), same solver options.
  bool predict_curve(std::span<const double> params, size_t observation, std::span<const double> x,
                     std::span<double> f, std::string* why) override;
  std::unique_ptr<Predictor> clone() const override {
    return std::make_unique<DosingPredictor>(model_, data_, observations_, given_solver_);
  }

  // Why the sensitivity path cannot be used for these estimated parameters ("" if it can).
  std::string sensitivity_obstacle(std::span<const double> params, std::span<const int> wrt) const;

 private:
  bool predict_sensitivities(std::span<const double> params, std::span<const int> wrt,
                             std::span<double> f, std::span<double> jacobian, std::string* why);
  bool predict_dosing(std::span<const double> params, std::span<double> f, std::string* why);

  std::shared_ptr<const pk::Model> model_;
  std::shared_ptr<const pk::DosingData> data_;
  std::vector<FittedObservation> observations_;
  pk::SolverOptions given_solver_, solver_;
  std::vector<std::string> names_;
  std::vector<std::array<size_t, 2>> subjects_;
  std::vector<int> output_row_of_record_;  // per record: its output row in its subject, or -1
  std::unique_ptr<pk::SensitivitySimulator> sensitivity_, relaxed_sensitivity_;
  bool relaxed_ = false;
  std::unique_ptr<pk::DosingSimulator> dosing_;
  pk::DosingResult dosing_result_;
  // The events of each group of subjects dosed alike, rebuilt only when the dose modifiers
  // (lag, F) change (build_plans).
  struct EventPlan {
    std::string label;  // first subject's ID, for messages
    std::vector<pk::SensitivityEvent> events;
    std::vector<int> output_record;
    double t_start = 0;
  };
  bool build_plans(std::span<const double> params, std::string* why);
  std::vector<EventPlan> plans_;
  std::vector<double> plan_key_, key_work_;
  std::vector<pk::DoseModifiers> modifiers_work_;
  bool plans_valid_ = false;
  std::vector<std::vector<size_t>> fitted_of_record_;  // per record: its fitted observations
  std::string obstacle_;
  std::vector<int> obstacle_wrt_;
  bool obstacle_known_ = false;
  std::vector<double> obs_, sens_, covariates_, f_plus_, f_minus_, p_work_;
  mutable std::string last_method_;
};

}  // namespace onset::fits
