// The evaluation plan's shaped paths (models/evaluation_plan.hpp): observe() of the declared
// set walks copies, single terms and unrolled sums, rhs() walks typed loops per rate law; they
// must give what the general paths and the equations give.
#include "models/evaluation_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "models/model_file.hpp"
#include "models/model_library.hpp"
#include "pk/observed_subsystem.hpp"

namespace onset::models {
namespace {

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

// observe() of the declared set (the shaped loops) against observable_prepared() one by one
// (the general path, a ratio or tape where needed): the same operations in the same order,
// so the same bits, for every observable of every library model at random states.
TEST(EvaluationPlan, ObserveOfTheDeclaredSetEqualsEachObservableAloneBitForBit) {
  std::mt19937_64 rng(19);
  std::uniform_real_distribution<double> factor(0.2, 3.0);
  int compared = 0;
  for (const std::string& name : library_model_names()) {
    const auto model = load_model(name);
    const std::vector<double> p = model->default_parameters();
    std::vector<double> w(model->workspace_size());
    model->prepare(p, w);
    const size_t n = static_cast<size_t>(model->num_states());
    const size_t m = static_cast<size_t>(model->num_observables());
    std::vector<double> y0(n), y(n), all(m), scratch(m);
    model->initial_state(p, y0);
    for (int draw = 0; draw < 5; ++draw) {
      for (size_t i = 0; i < n; ++i) y[i] = (y0[i] != 0 ? y0[i] : 1e3) * factor(rng);
      model->observe_prepared(3.0, y, p, w, all);
      for (size_t o = 0; o < m; ++o) {
        const double alone = model->observable_prepared(static_cast<int>(o), 3.0, y, p, w, scratch);
        EXPECT_TRUE(same_bits(all[o], alone))
            << name << " observable " << model->observables()[o].name << ": observe " << all[o]
            << ", alone " << alone;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 500);
}

// The plain observe() prepares only what observables read (their derived values and
// weights); it must give what observe_prepared() gives after the whole prepare(), bit for bit,
// for every library model at random parameters and states.
TEST(EvaluationPlan, PlainObserveGivesThePreparedValuesBitForBit) {
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> factor(0.2, 3.0);
  for (const std::string& name : library_model_names()) {
    const auto model = load_model(name);
    const size_t n = static_cast<size_t>(model->num_states());
    const size_t m = static_cast<size_t>(model->num_observables());
    std::vector<double> w(model->workspace_size()), y(n), plain(m), prepared(m);
    for (int draw = 0; draw < 3; ++draw) {
      std::vector<double> p = model->default_parameters();
      for (double& v : p) v *= factor(rng);
      for (double& v : y) v = 1e3 * factor(rng);
      model->prepare(p, w);
      model->observe_prepared(2.0, y, p, w, prepared);
      model->observe(2.0, y, p, plain);
      for (size_t o = 0; o < m; ++o)
        EXPECT_TRUE(same_bits(plain[o], prepared[o]))
            << name << " observable " << model->observables()[o].name;
    }
  }
}

// An expression observable's instructions that do not move with the states or the time are
// computed by prepare() (models/evaluation_plan.hpp): the ammonia model's encephalopathy drive
// (brain_effect - normal) / (encephalopathic - normal) from a workspace prepared for one
// parameter vector and then another is the value of a fresh workspace prepared for the second,
// bit for bit, and its equation's value to rounding; not the first's.
TEST(EvaluationPlan, ExpressionObservablesFollowTheParametersLastPrepared) {
  const auto model = load_model("ammonia");
  const int o = model->observable_index("encephalopathy_excess");
  ASSERT_GE(o, 0);
  const int normal = model->parameter_index("arterial_ammonia_normal");
  const int encephalopathic = model->parameter_index("arterial_ammonia_encephalopathy");
  ASSERT_GE(normal, 0);
  ASSERT_GE(encephalopathic, 0);
  const std::vector<double> p1 = model->default_parameters();
  std::vector<double> p2 = p1;
  p2[static_cast<size_t>(normal)] = 60;
  p2[static_cast<size_t>(encephalopathic)] = 180;
  std::vector<double> y(static_cast<size_t>(model->num_states()), 120.0);
  std::vector<double> reused(model->workspace_size()), fresh(model->workspace_size()),
      scratch(static_cast<size_t>(model->num_observables()));
  model->prepare(p1, reused);
  const double first = model->observable_prepared(o, 1.0, y, p1, reused, scratch);
  model->prepare(p2, reused);
  model->prepare(p2, fresh);
  const double again = model->observable_prepared(o, 1.0, y, p2, reused, scratch);
  const double expected = model->observable_prepared(o, 1.0, y, p2, fresh, scratch);
  EXPECT_TRUE(same_bits(again, expected)) << again << " vs " << expected;
  EXPECT_NEAR(again, (120.0 - 60) / (180.0 - 60), 1e-15);
  EXPECT_NEAR(first, (120.0 - 100) / (149.0 - 100), 1e-15);
}

// The cascade restricted to what AGO-loaded miRNA per Kupffer cell reads (16 of 36 states):
// it keeps exactly the processes that write one of those states (uptake from plasma into
// the lung, say, still empties plasma; repression, phenotype, collagen, HGF and S phase are
// gone, with the one expression rate), and refuses a set of states whose equations read a
// left-out state (the loaded miR-16 alone: its loading reads the cytosolic miR-16).
TEST(EvaluationPlan, RestrictedCascadeKeepsOnlyTheProcessesThatWriteItsStates) {
  const auto loaded = load_model("ev_cargo_cascade_human");
  const auto* model = dynamic_cast<const FileModel*>(loaded.get());
  ASSERT_NE(model, nullptr);
  const int o = model->observable_index("risc_copies_per_cell");
  const std::vector<int> kept = pk::observed_states(*model, o);
  ASSERT_EQ(kept.size(), 16u);
  const auto restricted = model->restricted(kept, o);
  ASSERT_NE(restricted, nullptr);
  const auto* file = dynamic_cast<const FileModel*>(restricted.get());
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->num_states(), 16);
  ASSERT_EQ(file->num_observables(), 1);
  EXPECT_EQ(file->observables()[0].name, "risc_copies_per_cell");
  auto is_kept = [&](int s) { return s >= 0 && std::binary_search(kept.begin(), kept.end(), s); };
  size_t writers = 0;
  for (const Process& pr : model->processes()) writers += is_kept(pr.from) || is_kept(pr.to);
  EXPECT_EQ(file->processes().size(), writers);
  // 38 of 60: the lysosomal and tissue degradation, escape, HGF, repression, phenotype,
  // collagen and S-phase processes write left-out states only.
  EXPECT_EQ(writers, 38u);
  EXPECT_EQ(model->processes().size(), 60u);
  for (const Process& pr : file->processes()) {
    EXPECT_NE(pr.law, Law::kExpression) << pr.name;
    EXPECT_EQ(pr.effect.kind, EffectKind::kNone) << pr.name;
  }
  const std::vector<int> alone{model->state_index("risc_mir16")};
  EXPECT_EQ(model->restricted(alone, o), nullptr);
  const std::vector<int> unordered{kept[1], kept[0]};
  EXPECT_EQ(model->restricted(unordered, o), nullptr);
}

// The capacity-limited loop (the cascade's Kupffer-cell and splenic uptake) against its
// equation, v = k P (1 - K / Cap) while K is below capacity and 0 at or above it, with a
// second process writing plasma (the rates then added in process order) and without.
TEST(EvaluationPlan, CapacityLimitedUptakeMatchesItsEquation) {
  for (const bool shared : {true, false}) {
    const std::string text = std::string(R"(name: capacity_kernel
parameters:
  K: {value: 0.8, unit: 1/h}
  CAP: {value: 5, unit: particles}
  KS: {value: 0.3, unit: 1/h}
  CAPS: {value: 2, unit: particles}
compartments:
  P: {unit: particles}
  KC: {unit: particles}
  SP: {unit: particles}
  Q: {unit: particles}
processes:
  - {name: uptake, type: capacity_limited, from: P, to: KC, k: K, capacity: CAP}
)") +
                             (shared ? "  - {name: spleen, type: capacity_limited, from: P, to: "
                                       "SP, k: KS, capacity: CAPS}\n"
                                     : "  - {name: spleen, type: capacity_limited, from: Q, to: "
                                       "SP, k: KS, capacity: CAPS}\n") +
                             R"(observables:
  P: {amount: P}
)";
    const auto model = compile_model_text(text, "capacity_kernel.yaml");
    const std::vector<double> p = model->default_parameters();
    for (const std::vector<double>& y :
         {std::vector<double>{10.0, 1.0, 0.5, 3.0}, std::vector<double>{4.0, 6.0, 1.0, 2.0},
          std::vector<double>{2.0, 5.0, 2.5, 1.0}}) {
      const double v1 = y[1] >= 5 ? 0.0 : 0.8 * y[0] * (1 - y[1] / 5);
      const double v2 = y[2] >= 2 ? 0.0 : 0.3 * y[shared ? 0 : 3] * (1 - y[2] / 2);
      const std::vector<double> want =
          shared ? std::vector<double>{-v1 - v2, v1, v2, 0} : std::vector<double>{-v1, v1, v2, -v2};
      std::vector<double> got(4);
      model->rhs(0.0, y, p, got);
      for (size_t i = 0; i < 4; ++i)
        EXPECT_NEAR(got[i], want[i], 1e-14 * (1 + std::fabs(v1) + std::fabs(v2)))
            << (shared ? "shared" : "distinct") << " state " << i << " at KC=" << y[1];
    }
  }
}

// The typed rate-law loops against the equations written out: Michaelis-Menten on a
// concentration, first-order with an Emax effect and with a linear effect of that
// concentration. With `shared`, states B and C are written by two processes each (the rates
// are added in process order); without, every state by one (added at once).
TEST(EvaluationPlan, TypedRateLawsMatchTheirEquations) {
  for (const bool shared : {true, false}) {
    const std::string text = std::string(R"(name: typed_kernels
parameters:
  V: {value: 2, unit: L}
  VM: {value: 3, unit: mg/h}
  KM: {value: 0.5, unit: mg/L}
  K1: {value: 0.2, unit: 1/h}
  K2: {value: 0.3, unit: 1/h}
  EMAX: {value: 2, unit: "1"}
  EC50: {value: 0.4, unit: mg/L}
  S: {value: 0.7, unit: L/mg}
compartments:
  A: {unit: mg, volume: V}
  B: {unit: mg}
  C: {unit: mg}
  D: {unit: mg}
processes:
  - {name: uptake, type: michaelis_menten, from: A, to: B, vmax: VM, km: KM}
)") +
                             (shared ? "  - {name: loss, type: first_order, from: B, to: C, k: K1, "
                                       "effect: {type: emax, by: Ca, emax: EMAX, ec50: EC50}}\n"
                                     : "  - {name: loss, type: first_order, from: C, k: K1, "
                                       "effect: {type: emax, by: Ca, emax: EMAX, ec50: EC50}}\n") +
                             (shared ? "  - {name: clear, type: first_order, from: C, k: K2, "
                                     : "  - {name: clear, type: first_order, from: D, k: K2, ") +
                             R"(effect: {type: linear, by: Ca, slope: S}}
observables:
  Ca: {concentration: A, unit: mg/L}
)";
    const auto model = compile_model_text(text, "typed_kernels.yaml");
    const std::vector<double> p = model->default_parameters();
    const double V = 2, VM = 3, KM = 0.5, K1 = 0.2, K2 = 0.3, EMAX = 2, EC50 = 0.4, S = 0.7;
    for (const std::vector<double>& y :
         {std::vector<double>{1.0, 2.0, 3.0, 4.0}, std::vector<double>{0.05, 7.0, 0.4, 0.1},
          std::vector<double>{9.0, 0.0, 1.0, 2.0}}) {
      const double x = y[0] / V;
      const double v1 = VM * x / (KM + x);
      const double v2 = K1 * y[shared ? 1 : 2] * (1 + EMAX * x / (EC50 + x));
      const double v3 = K2 * y[shared ? 2 : 3] * (1 + S * x);
      const std::vector<double> want = shared ? std::vector<double>{-v1, v1 - v2, v2 - v3, 0}
                                              : std::vector<double>{-v1, v1, -v2, -v3};
      std::vector<double> got(4);
      model->rhs(0.0, y, p, got);
      for (size_t i = 0; i < 4; ++i)
        EXPECT_NEAR(got[i], want[i], 1e-14 * (std::fabs(v1) + std::fabs(v2) + std::fabs(v3)))
            << (shared ? "shared" : "distinct") << " state " << i << " at A=" << y[0];
    }
  }
}

}  // namespace
}  // namespace onset::models
