// The part of a model one observable can see: the states it reads and, repeatedly, every state
// the derivative of a kept state reads (the Jacobian's structural pattern). The other states
// cannot change the observable at any time, whatever their values: the kept states' equations
// do not read them. Solving the kept states alone gives the same observable as solving the
// whole model (the same ODE for those states; only the error control no longer weighs states
// nothing reads), at the linear algebra cost of the smaller system.
//
// Used by `onset check`, which follows one observable per check: the case report's mechanism
// check reads AGO-loaded miRNA per Kupffer cell from the 36-state ev_cargo_cascade_human,
// which depends on 16 of them (plasma, the Kupffer cells, spleen and rest of the body that
// return vesicles to plasma, six cytosolic and six loaded miRNAs); target repression,
// phenotype, collagen, HGF and S phase come after the observable and never feed back.
//
// Sound only as far as the model's structure is right: a model must declare its Jacobian
// pattern (Model::jacobian_pattern) and what each observable reads
// (Model::observable_states). make() also checks the claim numerically before it trusts it:
// the kept derivatives and the observable must be bit-identical with the other states at
// two different values; a model that fails that check is solved whole.
//
// Evaluation: when the full model provides Model::restricted() (model files do: a FileModel of
// the processes that write a kept state and the derived values they read), the subsystem's
// prepare, derivatives, Jacobian and observable run that model directly: no other process or
// derived value is computed and nothing is scattered or gathered. Otherwise (hand-written
// models) each call evaluates the whole model at the kept states (the left-out ones 0) and
// gathers the kept rows. make() checks the restricted model against the whole one, bit for
// bit, before it uses it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pk/model.hpp"
#include "pk/regimen.hpp"

namespace onset::pk {

// The states observable `observable` of `model` depends on (ascending full-model indices);
// empty when the model does not declare its structure (then every state counts).
std::vector<int> observed_states(const Model& model, int observable);

class ObservedSubsystem final : public Model {
 public:
  // The subsystem of `observable`, or nullptr when it would be the whole model (no state can
  // be left out) or the model does not declare its structure, or the numerical check fails.
  static std::shared_ptr<const ObservedSubsystem> make(std::shared_ptr<const Model> full,
                                                       int observable);
  // As make(), and also when the observable sees every state: then the whole model with that
  // observable alone, where the model provides restricted() and has other observables (a model
  // file), so that outputs and crossings compute the one observable a caller follows instead
  // of all (the case report's bilirubin model has 11, 5 of them expressions). nullptr where
  // that gains nothing (one observable, or no restricted model to evaluate).
  static std::shared_ptr<const ObservedSubsystem> make_following(std::shared_ptr<const Model> full,
                                                                 int observable);

  const Model& full() const { return *full_; }
  // Index in the full model of kept state i; index here of full state j (-1: left out).
  int full_state(int i) const { return kept_[static_cast<size_t>(i)]; }
  int sub_state(int j) const { return sub_of_[static_cast<size_t>(j)]; }
  int full_observable() const { return observable_; }
  // Per-state values of the full model (a state vector, absolute tolerances) at the kept states.
  std::vector<double> kept_values(std::span<const double> full_values) const;
  // A regimen of the full model as one of this model: doses into left-out states are dropped
  // (they cannot reach the observable), the others renumbered; parameter changes and resets
  // stay.
  Regimen regimen(const Regimen& full) const;

  std::string_view name() const override { return full_->name(); }
  std::span<const StateInfo> states() const override { return states_; }
  std::span<const ParameterInfo> parameters() const override { return full_->parameters(); }
  // Whether the kept rows are evaluated by the full model's restricted() model (else by the
  // whole model, gathered).
  bool evaluates_restricted() const { return restricted_ != nullptr; }

  // The one observable followed.
  std::span<const ObservableInfo> observables() const override { return observables_; }
  void initial_state(std::span<const double> p, std::span<double> y0) const override;
  void rhs(double t, std::span<const double> y, std::span<const double> p,
           std::span<double> ydot) const override;
  bool has_jacobian() const override { return full_->has_jacobian(); }
  void jacobian(double t, std::span<const double> y, std::span<const double> p,
                std::span<double> jac) const override;
  const JacobianPattern* jacobian_pattern() const override { return &pattern_; }
  std::vector<int> observable_states(int o) const override;
  size_t workspace_size() const override;
  void prepare(std::span<const double> p, std::span<double> workspace) const override;
  void rhs_prepared(double t, std::span<const double> y, std::span<const double> p,
                    std::span<double> workspace, std::span<double> ydot) const override;
  void jacobian_prepared(double t, std::span<const double> y, std::span<const double> p,
                         std::span<double> workspace, std::span<double> jac) const override;
  void observe_prepared(double t, std::span<const double> y, std::span<const double> p,
                        std::span<double> workspace, std::span<double> out) const override;
  double observable_prepared(int o, double t, std::span<const double> y, std::span<const double> p,
                             std::span<double> workspace, std::span<double> scratch) const override;
  void jacobian_sparse_prepared(double t, std::span<const double> y, std::span<const double> p,
                                std::span<double> workspace,
                                std::span<double> values) const override;
  void observe(double t, std::span<const double> y, std::span<const double> p,
               std::span<double> out) const override;
  std::span<const std::string> covariates() const override { return full_->covariates(); }
  DoseModifiers dose_modifiers(int state, std::span<const double> p,
                               std::span<const double> covariates) const override {
    return full_->dose_modifiers(full_state(state), p, covariates);
  }
  std::string check_parameters(std::span<const double> p) const override {
    return full_->check_parameters(p);
  }
  bool linear_system(std::span<const double> p, std::span<double> a,
                     std::span<double> b) const override;

 private:
  ObservedSubsystem(std::shared_ptr<const Model> full, int observable, std::vector<int> kept);
  // make() (whole = false) and make_following() (whole = true).
  static std::shared_ptr<const ObservedSubsystem> make_kept(std::shared_ptr<const Model> full,
                                                            int observable, bool whole);

  // Workspace: the full model's, then a full state vector (left-out states 0), its derivative,
  // the full model's sparse Jacobian values and its observables.
  size_t y_at() const { return full_workspace_; }
  size_t ydot_at() const { return y_at() + static_cast<size_t>(full_->num_states()); }
  size_t values_at() const { return ydot_at() + static_cast<size_t>(full_->num_states()); }
  size_t observables_at() const { return values_at() + full_pattern_->nonzeros(); }
  int num_full() const { return full_->num_states(); }
  void scatter(std::span<const double> y, double* full_y) const;
  // The full model's sparse Jacobian at the kept state y (left-out states 0), in the workspace.
  const double* full_sparse_jacobian(double t, std::span<const double> y, std::span<const double> p,
                                     std::span<double> workspace) const;

  // The restricted model when it matches the kept structure and values (see make()).
  void use_restricted(std::shared_ptr<const Model> restricted);

  std::shared_ptr<const Model> full_;
  std::shared_ptr<const Model> restricted_;  // nullptr: the whole model, gathered
  int observable_ = 0;
  std::vector<int> kept_, sub_of_;
  std::vector<StateInfo> states_;
  std::vector<ObservableInfo> observables_;
  const JacobianPattern* full_pattern_ = nullptr;
  JacobianPattern pattern_;
  std::vector<int> pattern_source_;  // entry k of pattern_ is entry pattern_source_[k] of full's
  size_t full_workspace_ = 0;
};

}  // namespace onset::pk
