// The part of a model one observable can see (pk/observed_subsystem.hpp): which states it keeps
// in the 36-state EV cargo cascade and why, that the kept states' equations really ignore the
// others in every library model (random values, not the structure the model declares), and
// that solving the kept states alone gives the whole model's observable.
#include "pk/observed_subsystem.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "models/model_library.hpp"
#include "pk/simulate.hpp"

namespace onset::pk {
namespace {

std::shared_ptr<const Model> library(const std::string& name) {
  return std::shared_ptr<const Model>(models::load_model(name));
}

std::set<std::string> state_names(const Model& model, const std::vector<int>& states) {
  std::set<std::string> names;
  for (int i : states) names.insert(model.states()[static_cast<size_t>(i)].name);
  return names;
}

// AGO-loaded miRNA per Kupffer cell reads the six RISC states; RISC loading reads the
// cytosolic miRNA, which is released from the Kupffer-cell endosomes, which take up vesicles
// from plasma; plasma receives vesicles back from the Kupffer cells and spleen (release) and
// from the rest of the body (return), and the spleen's and Kupffer cells' capacity-limited
// uptake reads their own contents. LSEC, hepatocytes, lung and kidney only take up (they
// return nothing), the degraded and escaped pools are sinks, and repression, phenotype,
// collagen, HGF and S phase come after the miRNA: 16 of 36 states.
TEST(ObservedSubsystem, CargoCascadeKeepsWhatReachesLoadedMirnaAndNothingDownstream) {
  const auto model = library("ev_cargo_cascade_human");
  ASSERT_EQ(model->num_states(), 36);
  const int o = model->observable_index("risc_copies_per_cell");
  ASSERT_GE(o, 0);
  const std::set<std::string> expected{
      "plasma",          "kupffer",           "spleen",           "rest",
      "cytosolic_mir16", "cytosolic_mir126",  "cytosolic_mir223", "cytosolic_mir21",
      "cytosolic_let7",  "cytosolic_mir199a", "risc_mir16",       "risc_mir126",
      "risc_mir223",     "risc_mir21",        "risc_let7",        "risc_mir199a"};
  EXPECT_EQ(state_names(*model, observed_states(*model, o)), expected);
  const auto sub = ObservedSubsystem::make(model, o);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->num_states(), 16);
  ASSERT_EQ(sub->num_observables(), 1);
  EXPECT_EQ(sub->observables()[0].name, "risc_copies_per_cell");
  // A dose into the lung (left out: it only takes up) cannot reach the miRNA and is dropped;
  // a dose into plasma is renumbered; parameter changes stay.
  const Regimen full{
      {{0, model->state_index("lung"), 1e12, 0}, {2, model->state_index("plasma"), 1e13, 1}},
      {},
      {{5, 0, 1.0}}};
  const Regimen kept = sub->regimen(full);
  ASSERT_EQ(kept.doses.size(), 1u);
  EXPECT_EQ(kept.doses[0].state, sub->sub_state(model->state_index("plasma")));
  EXPECT_EQ(kept.doses[0].time_h, 2);
  EXPECT_EQ(kept.doses[0].amount, 1e13);
  EXPECT_EQ(sub->sub_state(model->state_index("lung")), -1);
  ASSERT_EQ(kept.parameter_changes.size(), 1u);
  // Collagen reads the restorative macrophages, which read the target protein and the
  // vesicles internalised, ...: nearly everything upstream, but not the HGF branch.
  const int collagen = model->observable_index("collagen");
  if (collagen >= 0) {
    const std::set<std::string> names = state_names(*model, observed_states(*model, collagen));
    EXPECT_TRUE(names.count("collagen") && names.count("restorative") && names.count("plasma"));
    EXPECT_FALSE(names.count("hgf_protein") || names.count("s_phase"));
  }
}

// The structure each model file declares, tested against its equations: for every library
// model and observable with a subsystem, the kept derivatives and the observable at random
// kept states and parameters must not change when the left-out states take other random
// values (bit for bit: they must not be read at all).
TEST(ObservedSubsystem, KeptEquationsIgnoreLeftOutStatesInEveryLibraryModel) {
  std::mt19937_64 rng(20261205);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int subsystems = 0;
  for (const std::string& name : models::library_model_names()) {
    const auto model = library(name);
    const size_t n = static_cast<size_t>(model->num_states());
    for (int o = 0; o < model->num_observables(); ++o) {
      const auto sub = ObservedSubsystem::make(model, o);
      if (!sub) continue;
      ++subsystems;
      std::vector<double> p = model->default_parameters();
      for (double& v : p) v *= 0.5 + unit(rng);
      for (int trial = 0; trial < 3; ++trial) {
        std::vector<double> y(n), y2(n), f(n), f2(n);
        std::vector<double> obs(static_cast<size_t>(model->num_observables())), obs2(obs.size());
        for (size_t i = 0; i < n; ++i) {
          y[i] = 1e3 * unit(rng);
          y2[i] = sub->sub_state(static_cast<int>(i)) >= 0 ? y[i] : 1e6 * unit(rng);
        }
        const double t = 10 * unit(rng);
        model->rhs(t, y, p, f);
        model->rhs(t, y2, p, f2);
        model->observe(t, y, p, obs);
        model->observe(t, y2, p, obs2);
        for (int k = 0; k < sub->num_states(); ++k) {
          const size_t i = static_cast<size_t>(sub->full_state(k));
          EXPECT_EQ(std::memcmp(&f[i], &f2[i], sizeof(double)), 0)
              << name << " observable " << model->observables()[static_cast<size_t>(o)].name
              << ": d" << model->states()[i].name << "/dt reads a left-out state";
        }
        EXPECT_EQ(std::memcmp(&obs[static_cast<size_t>(o)], &obs2[static_cast<size_t>(o)],
                              sizeof(double)),
                  0)
            << name << " observable " << o;
        // The subsystem's own calls give the full model's kept values.
        const std::vector<double> ys = sub->kept_values(y);
        std::vector<double> fs(ys.size()), os(1);
        sub->rhs(t, ys, p, fs);
        sub->observe(t, ys, p, os);
        for (size_t k = 0; k < ys.size(); ++k)
          EXPECT_EQ(fs[k], f[static_cast<size_t>(sub->full_state(static_cast<int>(k)))]);
        EXPECT_EQ(os[0], obs[static_cast<size_t>(o)]);
      }
    }
  }
  // The EV cascades and PBPK models have observables that see only part of the model.
  EXPECT_GE(subsystems, 10);
}

// Model files evaluate the kept rows with their restricted model (FileModel::restricted: only
// the processes that write a kept state and the derived values they read). For every library
// model and observable with a subsystem, at random parameters and states: the prepared
// derivatives, the sparse and dense Jacobians, the observable (prepared and plain) and the
// initial state must be the whole model's kept values bit for bit (the same operations in the
// same order, only fewer of them).
TEST(ObservedSubsystem, RestrictedModelGivesTheWholeModelsKeptRowsBitForBitInEveryLibraryModel) {
  std::mt19937_64 rng(20261206);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  int subsystems = 0;
  for (const std::string& name : models::library_model_names()) {
    const auto model = library(name);
    const size_t n = static_cast<size_t>(model->num_states());
    const JacobianPattern* full_pattern = model->jacobian_pattern();
    ASSERT_NE(full_pattern, nullptr) << name;
    for (int o = 0; o < model->num_observables(); ++o) {
      const auto sub = ObservedSubsystem::make(model, o);
      if (!sub) continue;
      ++subsystems;
      const std::string where =
          name + " observable " + model->observables()[static_cast<size_t>(o)].name;
      ASSERT_TRUE(sub->evaluates_restricted()) << where;
      const size_t m = static_cast<size_t>(sub->num_states());
      const JacobianPattern* pattern = sub->jacobian_pattern();
      PreparedModel whole(*model), part(*sub);
      for (int trial = 0; trial < 3; ++trial) {
        std::vector<double> p = model->default_parameters();
        for (double& v : p) v *= 0.5 + unit(rng);
        std::vector<double> y(n), f(n), jac(n * n), values(full_pattern->nonzeros());
        for (double& v : y) v = 1e3 * unit(rng);
        const std::vector<double> ys = sub->kept_values(y);
        std::vector<double> fs(m), jacs(m * m), values_s(pattern->nonzeros()), scratch(1);
        const double t = 10 * unit(rng);
        whole.set_parameters(p);
        part.set_parameters(p);
        whole.rhs(t, y, f);
        part.rhs(t, ys, fs);
        whole.jacobian(t, y, jac);
        part.jacobian(t, ys, jacs);
        whole.jacobian_sparse(t, y, values);
        part.jacobian_sparse(t, ys, values_s);
        for (size_t r = 0; r < m; ++r) {
          const size_t i = static_cast<size_t>(sub->full_state(static_cast<int>(r)));
          EXPECT_TRUE(same(fs[r], f[i])) << where << ": d" << model->states()[i].name << "/dt";
          for (size_t c = 0; c < m; ++c) {
            const size_t j = static_cast<size_t>(sub->full_state(static_cast<int>(c)));
            EXPECT_TRUE(same(jacs[r + m * c], jac[i + n * j]))
                << where << ": J(" << model->states()[i].name << ", " << model->states()[j].name
                << ")";
          }
        }
        for (size_t c = 0; c < m; ++c) {
          const int j = sub->full_state(static_cast<int>(c));
          for (int k = pattern->column_start[c]; k < pattern->column_start[c + 1]; ++k) {
            const int i = sub->full_state(pattern->rows[static_cast<size_t>(k)]);
            const int* first = full_pattern->rows.data() + full_pattern->column_start[j];
            const int* last = full_pattern->rows.data() + full_pattern->column_start[j + 1];
            const int* at = std::lower_bound(first, last, i);
            ASSERT_TRUE(at != last && *at == i) << where;
            EXPECT_TRUE(same(values_s[static_cast<size_t>(k)],
                             values[static_cast<size_t>(at - full_pattern->rows.data())]))
                << where << ": sparse J(" << i << ", " << j << ")";
          }
        }
        std::vector<double> obs(static_cast<size_t>(model->num_observables())), os(1);
        EXPECT_TRUE(same(part.observable(0, t, ys, scratch), whole.observable(o, t, y, obs)))
            << where;
        model->observe(t, y, p, obs);
        sub->observe(t, ys, p, os);
        EXPECT_TRUE(same(os[0], obs[static_cast<size_t>(o)])) << where << " (plain observe)";
        std::vector<double> y0(n), y0s(m);
        model->initial_state(p, y0);
        sub->initial_state(p, y0s);
        for (size_t r = 0; r < m; ++r)
          EXPECT_TRUE(same(y0s[r], y0[static_cast<size_t>(sub->full_state(static_cast<int>(r)))]))
              << where << ": initial state " << r;
        EXPECT_EQ(sub->check_parameters(p), model->check_parameters(p)) << where;
      }
    }
  }
  EXPECT_GE(subsystems, 10);
}

// Solved alone, the kept states give the whole cascade's loaded miRNA per cell: 1e13
// particles over 1 h into plasma, 240 h, both at rtol 1e-8 (the two runs control their error
// on different state sets, so they agree to the tolerances, not bit for bit: 1e-6 relative
// to the peak, 100 x the rtol for the accumulated global error).
TEST(ObservedSubsystem, SolvingTheKeptStatesGivesTheWholeCascadesObservable) {
  const auto model = library("ev_cargo_cascade_human");
  const int o = model->observable_index("risc_copies_per_cell");
  const auto sub = ObservedSubsystem::make(model, o);
  ASSERT_NE(sub, nullptr);
  const int plasma = model->state_index("plasma");
  SimulationRequest request;
  for (double t = 0; t <= 240; t += 0.5) request.output_times_h.push_back(t);
  request.t_end_h = 240;
  request.record_states = false;
  SolverOptions options;
  options.rtol = 1e-8;
  options.atol = 1e-2;  // copies and particles: far below every peak (1e12 copies, 1e13 particles)
  const std::vector<double> p = model->default_parameters();
  Trajectory whole, part;
  const Regimen infusion{{{0, plasma, 1e13, 1}}, {}};
  Simulator(*model, options).run(infusion, p, request, &whole);
  Simulator(*sub, options).run(sub->regimen(infusion), p, request, &part);
  ASSERT_TRUE(whole.ok() && part.ok());
  ASSERT_EQ(whole.num_times(), part.num_times());
  double peak = 0;
  for (size_t k = 0; k < whole.num_times(); ++k)
    peak = std::max(peak, whole.observable(k, static_cast<size_t>(o)));
  ASSERT_GT(peak, 0);
  for (size_t k = 0; k < whole.num_times(); ++k)
    EXPECT_NEAR(part.observable(k, 0), whole.observable(k, static_cast<size_t>(o)), 1e-6 * peak)
        << "t = " << whole.times_h[k];
}

// A model whose observable sees everything (the plasma concentration of a one-compartment
// model), or that declares no structure (hand-written models), is solved whole.
TEST(ObservedSubsystem, NoSubsystemWhenTheObservableSeesEveryStateOrNoStructureIsDeclared) {
  const auto one = library("one_compartment_iv");
  for (int o = 0; o < one->num_observables(); ++o)
    EXPECT_EQ(ObservedSubsystem::make(one, o), nullptr);
  const auto b2 = library("b2_ev_cascade");
  EXPECT_EQ(ObservedSubsystem::make(b2, -1), nullptr);
  EXPECT_EQ(ObservedSubsystem::make(b2, b2->num_observables()), nullptr);
}

// Following an observable that sees every state (make_following): the bilirubin model's
// sclera pigment reads the whole model, so make() solves it whole, but the model has 11
// observables (5 of them expressions) and the check needs one: the subsystem keeps every state
// and that observable alone, evaluated by the model file's restricted model, and its solution
// (exact_linear, the pigment falling through half its level after the liver is repaired) is the
// whole model's, bit for bit. A model with one observable gains nothing and is not wrapped.
TEST(ObservedSubsystem, FollowingAnObservableThatSeesEveryStateKeepsItAloneBitForBit) {
  const auto model = library("bilirubin");
  const int o = model->observable_index("skin_bilirubin");
  ASSERT_GE(o, 0);
  ASSERT_GT(model->num_observables(), 1);
  EXPECT_EQ(ObservedSubsystem::make(model, o), nullptr);
  const auto sub = ObservedSubsystem::make_following(model, o);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->num_states(), model->num_states());
  ASSERT_EQ(sub->num_observables(), 1);
  EXPECT_EQ(sub->observables()[0].name, "skin_bilirubin");
  EXPECT_TRUE(sub->evaluates_restricted());

  std::vector<double> p = model->default_parameters();
  p[static_cast<size_t>(model->parameter_index("hepatic_function"))] = 1;
  // The pigment falling through half its initial level.
  std::vector<double> y0(static_cast<size_t>(model->num_states())),
      observed(static_cast<size_t>(model->num_observables()));
  model->initial_state(p, y0);
  model->observe(0, y0, p, observed);
  const double half = 0.5 * observed[static_cast<size_t>(o)];
  ASSERT_GT(half, 0);
  SimulationRequest request;
  request.output_times_h = output_grid(0, 2000, 20);
  SimulationRequest followed = request;
  request.crossings.push_back({o, half, Direction::kFalling});
  followed.crossings.push_back({0, half, Direction::kFalling});
  const Trajectory whole = simulate(*model, {}, p, request);
  const Trajectory part = simulate(*sub, sub->regimen({}), p, followed);
  ASSERT_TRUE(whole.ok() && part.ok()) << whole.message << part.message;
  EXPECT_EQ(part.backend_used, whole.backend_used);
  ASSERT_EQ(part.num_times(), whole.num_times());
  for (size_t k = 0; k < whole.num_times(); ++k)
    EXPECT_EQ(part.observable(k, 0), whole.observable(k, static_cast<size_t>(o)))
        << "t = " << whole.times_h[k];
  ASSERT_TRUE(whole.crossings[0].time_h.has_value());
  ASSERT_TRUE(part.crossings[0].time_h.has_value());
  EXPECT_EQ(*part.crossings[0].time_h, *whole.crossings[0].time_h);

  const auto one_observable = library("one_compartment_iv");
  ASSERT_EQ(one_observable->num_observables(), 1);
  EXPECT_EQ(ObservedSubsystem::make_following(one_observable, 0), nullptr);
}

}  // namespace
}  // namespace onset::pk
