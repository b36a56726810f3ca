// The population model's features on data simulated here with known parameters (one
// compartment, IV bolus of 100 mg, closed form C = D/V exp(-CL/V t); seeded), fitted by FOCE-I:
// covariates in parameter expressions (power of weight, a categorical factor), a full OMEGA
// block, combined and log-scale error, a normal random effect. Each estimate must lie within
// 3.5 of its standard errors of the truth (for a consistent estimator with correct SEs a
// miss has probability 5e-4 per parameter). And: the same numbers for any thread count; FOCE
// equals FOCE-I under additive error; FO stops at a stationary point; bad models are refused
// with the reason.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <sstream>

#include "pk/user_error.hpp"
#include "tests/fits/population_support.hpp"

namespace onset::fits::population {
namespace {

struct Truth {
  double cl = 3, v = 30, cl_wt = 0.75, cl_sex = 1.3, v_wt = 1.0;
  double omega_cl = 0.09, omega_v = 0.04, omega_cl_v = 0.03;  // correlation 0.5
  double additive = 0.05, proportional = 0.1;
  bool log_scale = false;  // log y = log f + e (SD `additive`)
  bool normal_v = false;   // V = v + eta_V (SD sqrt(omega_v) in L)
};

// `subjects` subjects: WT uniform 50-100 kg, SEX 0/1 alternating, 8 samples each. `realized`:
// the sample covariance (divisor n) of the ETAs drawn: var CL, cov, var V.
std::string simulate(const Truth& t, int subjects, uint64_t seed,
                     std::array<double, 3>* realized = nullptr) {
  std::vector<double> drawn_cl, drawn_v;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> weight(50, 100);
  std::ostringstream csv;
  csv.precision(12);
  csv << "ID,TIME,EVID,AMT,DV,MDV,WT,SEX\n";
  const double l11 = std::sqrt(t.omega_cl), l21 = t.omega_cl_v / l11,
               l22 = std::sqrt(t.omega_v - l21 * l21);
  for (int i = 1; i <= subjects; ++i) {
    const double wt = weight(rng);
    const int sex = i % 2;
    const double z1 = normal(rng), z2 = normal(rng);
    const double eta_cl = l11 * z1, eta_v = l21 * z1 + l22 * z2;
    drawn_cl.push_back(eta_cl);
    drawn_v.push_back(eta_v);
    const double cl =
        t.cl * std::pow(wt / 70, t.cl_wt) * std::pow(t.cl_sex, sex) * std::exp(eta_cl);
    const double v = t.normal_v ? t.v * std::pow(wt / 70, t.v_wt) + eta_v
                                : t.v * std::pow(wt / 70, t.v_wt) * std::exp(eta_v);
    csv << i << ",0,1,100,.,1," << wt << "," << sex << "\n";
    for (double time : {0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0}) {
      const double f = 100 / v * std::exp(-cl / v * time);
      const double y =
          t.log_scale
              ? f * std::exp(t.additive * normal(rng))
              : f + std::sqrt(t.additive * t.additive + t.proportional * t.proportional * f * f) *
                        normal(rng);
      csv << i << "," << time << ",0,0," << y << ",0," << wt << "," << sex << "\n";
    }
  }
  if (realized) {
    const double n = static_cast<double>(subjects);
    double m1 = 0, m2 = 0;
    for (int i = 0; i < subjects; ++i) {
      m1 += drawn_cl[static_cast<size_t>(i)] / n;
      m2 += drawn_v[static_cast<size_t>(i)] / n;
    }
    *realized = {0, 0, 0};
    for (int i = 0; i < subjects; ++i) {
      const double a = drawn_cl[static_cast<size_t>(i)] - m1,
                   b = drawn_v[static_cast<size_t>(i)] - m2;
      (*realized)[0] += a * a / n;
      (*realized)[1] += a * b / n;
      (*realized)[2] += b * b / n;
    }
  }
  return testing::write_file("simulated.csv", csv.str());
}

PopulationSpec covariate_spec(const Truth& t) {
  PopulationSpec spec;
  spec.parameters = {
      "CL = tvCL * (WT/70)^dCLWT * dCLSEX^SEX * exp(eta_CL)",
      t.normal_v ? "V = tvV * (WT/70)^dVWT + eta_V" : "V = tvV * (WT/70)^dVWT * exp(eta_V)"};
  spec.thetas = {"tvCL=2:0:inf", "dCLWT=0.5", "dCLSEX=1:0:inf", "tvV=20:0:inf", "dVWT=0.8"};
  spec.etas = {"eta_CL=0.1", t.normal_v ? "eta_V=10" : "eta_V=0.1"};
  if (!t.normal_v) spec.omega_blocks = {"eta_CL,eta_V"};
  if (t.log_scale) {
    spec.error = ErrorKind::kLogNormal;
  } else {
    spec.error = ErrorKind::kCombined;
  }
  return spec;
}

void expect_within(const PopulationSummary& s, const std::string& label, double truth) {
  const PopulationEstimate& e = testing::estimate(s, label);
  std::cout << "  " << label << " " << e.name << ": " << e.estimate << " (truth " << truth
            << ", SE " << e.se << ")\n";
  ASSERT_TRUE(std::isfinite(e.se)) << label;
  EXPECT_LT(std::abs(e.estimate - truth), 3.5 * e.se) << label << " " << e.name;
}

PopulationSummary fit(const PopulationProblem& problem, Method method, int threads) {
  PopulationOptions options;
  options.method = method;
  options.threads = threads;
  PopulationSummary s;
  Solve(options, problem, &s);
  std::cout << method_name(method) << ": " << s.message << ", OFV " << s.objective << ", "
            << s.iterations << " iterations, " << s.wall_time_s << " s\n";
  return s;
}

TEST(PopulationModel, CovariatesBlockOmegaAndCombinedErrorRecoverTheTruth) {
  const Truth t;
  std::array<double, 3> realized{};
  const PopulationProblem problem = testing::make_problem(
      "one_compartment_iv", simulate(t, 80, 11, &realized), covariate_spec(t));
  const PopulationSummary s = fit(problem, Method::kFoceI, 2);
  ASSERT_EQ(s.status, PopulationStatus::kConverged) << s.message;
  ASSERT_TRUE(s.covariance_ok) << s.covariance_message;
  expect_within(s, "THETA(1)", t.cl);
  expect_within(s, "THETA(2)", t.cl_wt);
  expect_within(s, "THETA(3)", t.cl_sex);
  expect_within(s, "THETA(4)", t.v);
  expect_within(s, "THETA(5)", t.v_wt);
  // OMEGA against the covariance of the ETAs actually drawn (80 draws of OMEGA 0.09 / 0.03 /
  // 0.04 scatter by about 0.014 / 0.005 / 0.006 around it; the fit estimates what was drawn).
  expect_within(s, "OMEGA(1,1)", realized[0]);
  expect_within(s, "OMEGA(2,1)", realized[1]);
  expect_within(s, "OMEGA(2,2)", realized[2]);
  expect_within(s, "SIGMA(1,1)", t.additive * t.additive);
  expect_within(s, "SIGMA(2,2)", t.proportional * t.proportional);
  // The block's correlation is reported with its covariance.
  const PopulationEstimate& covariance = testing::estimate(s, "OMEGA(2,1)");
  EXPECT_NEAR(covariance.correlation,
              covariance.estimate / std::sqrt(testing::estimate(s, "OMEGA(1,1)").estimate *
                                              testing::estimate(s, "OMEGA(2,2)").estimate),
              1e-12);
  // Diagnostics: one row per observation, EBEs and individual parameters per subject.
  EXPECT_EQ(s.observations.size(), 640u);
  EXPECT_EQ(s.subjects.size(), 80u);
  double sum = 0, sum_squares = 0;
  for (const auto& row : s.observations) {
    EXPECT_TRUE(std::isfinite(row.cwres) && std::isfinite(row.iwres));
    EXPECT_NEAR(row.ires, row.dv - row.ipred, 1e-9 * std::abs(row.dv) + 1e-12);
    sum += row.cwres;
    sum_squares += row.cwres * row.cwres;
  }
  // The model is the one simulated, so CWRES are close to standard normal: over 640 values the
  // mean's SE is 0.04 and the SD's 0.03; allowed 0.15 and 0.15.
  const double mean = sum / 640, sd = std::sqrt(sum_squares / 640 - mean * mean);
  std::cout << "  CWRES mean " << mean << ", SD " << sd << "\n";
  EXPECT_LT(std::abs(mean), 0.15);
  EXPECT_NEAR(sd, 1.0, 0.15);
}

TEST(PopulationModel, LogScaleErrorAndNormalRandomEffectRecoverTheTruth) {
  Truth t;
  t.log_scale = true;
  t.additive = 0.15;
  t.normal_v = true;
  t.omega_v = 16;  // SD 4 L around 30 L
  t.omega_cl_v = 0;
  const PopulationProblem problem =
      testing::make_problem("one_compartment_iv", simulate(t, 80, 12), covariate_spec(t));
  const PopulationSummary s = fit(problem, Method::kFoceI, 2);
  ASSERT_EQ(s.status, PopulationStatus::kConverged) << s.message;
  expect_within(s, "THETA(1)", t.cl);
  expect_within(s, "THETA(4)", t.v);
  expect_within(s, "OMEGA(1,1)", t.omega_cl);
  expect_within(s, "OMEGA(2,2)", t.omega_v);
  expect_within(s, "SIGMA(1,1)", t.additive * t.additive);
}

TEST(PopulationModel, SameNumbersForAnyThreadCount) {
  const Truth t;
  const PopulationProblem problem =
      testing::make_problem("one_compartment_iv", simulate(t, 40, 13), covariate_spec(t));
  PopulationOptions options;
  options.max_iterations = 5;
  PopulationSummary one, three;
  options.threads = 1;
  Solve(options, problem, &one);
  options.threads = 3;
  Solve(options, problem, &three);
  EXPECT_EQ(one.objective, three.objective);
  ASSERT_EQ(one.estimates.size(), three.estimates.size());
  for (size_t k = 0; k < one.estimates.size(); ++k) {
    EXPECT_EQ(one.estimates[k].estimate, three.estimates[k].estimate);
    EXPECT_EQ(one.estimates[k].se, three.estimates[k].se);
  }
  for (size_t k = 0; k < one.observations.size(); ++k)
    EXPECT_EQ(one.observations[k].cwres, three.observations[k].cwres);
}

// With additive error there is no ETA-epsilon interaction: FOCE and FOCE-I are one objective,
// so their estimates agree to the convergence tolerance.
TEST(PopulationModel, FoceEqualsFoceIUnderAdditiveError) {
  PopulationSpec spec;
  spec.etas = {"KA=0.4", "CL=0.07", "V=0.02"};
  spec.start = {{"KA", 1.5}, {"CL", 2.8}, {"V", 32}};
  spec.error = ErrorKind::kAdditive;
  const PopulationProblem problem =
      testing::make_problem("one_compartment_oral", testing::theo_sd_records(), spec);
  const PopulationSummary focei = fit(problem, Method::kFoceI, 2);
  const PopulationSummary foce = fit(problem, Method::kFoce, 2);
  ASSERT_EQ(foce.status, PopulationStatus::kConverged) << foce.message;
  EXPECT_NEAR(foce.objective, focei.objective, 1e-4);
  for (size_t k = 0; k < foce.estimates.size(); ++k)
    EXPECT_NEAR(foce.estimates[k].estimate / focei.estimates[k].estimate, 1.0, 1e-3)
        << foce.estimates[k].name;
}

// FO has no EBE search; its estimate must be a minimum of the FO objective: moving any THETA
// by 1 % (the rest held) does not lower it.
TEST(PopulationModel, FoStopsAtAMinimumOfTheFoObjective) {
  PopulationSpec spec = testing::bauer402_spec();
  const std::string data = testing::bauer402_records();
  const PopulationProblem problem = testing::make_problem("two_compartment_iv", data, spec);
  const PopulationSummary fo = fit(problem, Method::kFo, 2);
  ASSERT_EQ(fo.status, PopulationStatus::kConverged) << fo.message;
  for (const std::string name : {"V1", "CL", "V2", "Q"}) {
    for (double factor : {0.99, 1.01}) {
      PopulationSpec moved;
      moved.etas = spec.etas;
      moved.error = spec.error;
      for (const auto& e : fo.estimates) {
        if (e.kind == PopulationEstimate::Kind::kTheta)
          moved.fixed[e.name.substr(2)] = e.estimate * (e.name == "tv" + name ? factor : 1.0);
        else if (e.kind == PopulationEstimate::Kind::kOmega)
          moved.fixed[e.name] = e.estimate;
        else
          moved.fixed["sigma_prop"] = e.sd;
      }
      PopulationOptions options;
      options.method = Method::kFo;
      PopulationSummary at;
      Solve(options, testing::make_problem("two_compartment_iv", data, moved), &at);
      EXPECT_GT(at.objective, fo.objective - 1e-6) << name << " x " << factor;
    }
  }
}

TEST(PopulationModel, ShorthandAndExplicitExpressionGiveTheSameObjective) {
  PopulationSpec shorthand;
  shorthand.etas = {"CL=0.1", "V=0.1"};
  shorthand.fixed = {{"CL", 3}, {"V", 30}, {"eta_CL", 0.1}, {"eta_V", 0.1}, {"sigma_prop", 0.1}};
  shorthand.error = ErrorKind::kProportional;
  PopulationSpec explicit_form;
  explicit_form.parameters = {"CL = TVCL * exp(ECL)", "V = TVV * exp(EV)"};
  explicit_form.thetas = {"TVCL=3", "TVV=30"};
  explicit_form.etas = {"ECL=0.1", "EV=0.1"};
  explicit_form.fixed = {{"TVCL", 3}, {"TVV", 30}, {"ECL", 0.1}, {"EV", 0.1}, {"sigma_prop", 0.1}};
  explicit_form.error = ErrorKind::kProportional;
  const std::string data = simulate(Truth{}, 10, 14);
  PopulationOptions options;
  PopulationSummary a, b;
  Solve(options, testing::make_problem("one_compartment_iv", data, shorthand), &a);
  Solve(options, testing::make_problem("one_compartment_iv", data, explicit_form), &b);
  EXPECT_EQ(a.status, PopulationStatus::kEvaluated) << a.message;
  EXPECT_NEAR(a.objective, b.objective, 1e-9 * std::abs(a.objective));
}

// ---------------------------------------------------------------- bad models
std::string message_of(const PopulationSpec& spec, const std::string& data) {
  try {
    const PopulationProblem problem = testing::make_problem("one_compartment_iv", data, spec);
    PopulationOptions options;
    options.max_iterations = 0;
    PopulationSummary s;
    Solve(options, problem, &s);
  } catch (const UserError& error) {
    return error.what();
  }
  return "";
}

TEST(PopulationModel, OmegaThatIsNotPositiveDefiniteIsRefused) {
  const std::string data = simulate(Truth{}, 4, 15);
  PopulationSpec spec;
  spec.etas = {"CL=0"};
  EXPECT_NE(message_of(spec, data).find("not positive definite"), std::string::npos)
      << message_of(spec, data);
  // A block whose covariance exceeds sqrt(OMEGA(1,1) OMEGA(2,2)).
  PopulationModel model;
  model.thetas = {{"tvCL", 3}, {"tvV", 30}};
  model.etas = {"a", "b"};
  model.omega = {{{0, 1}, {0.1, 0.2, 0.2, 0.1}, false, false}};
  model.parameters = {{"CL", "tvCL*exp(a)"}, {"V", "tvV*exp(b)"}};
  model.errors = {ResidualError{}};
  try {
    validate(model);
    ADD_FAILURE() << "accepted";
  } catch (const UserError& error) {
    EXPECT_NE(std::string(error.what()).find("not positive definite"), std::string::npos)
        << error.what();
  }
}

TEST(PopulationModel, RandomEffectOnAParameterTheModelDoesNotHaveIsRefused) {
  PopulationSpec spec;
  spec.etas = {"KA=0.1"};  // one_compartment_iv has CL and V
  const std::string message = message_of(spec, simulate(Truth{}, 4, 16));
  EXPECT_NE(message.find("'KA' is neither a parameter of the model"), std::string::npos) << message;
  EXPECT_NE(message.find("CL, V"), std::string::npos) << message;
  PopulationSpec by_expression;
  by_expression.parameters = {"KA = tvKA * exp(eta_KA)"};
  by_expression.thetas = {"tvKA=1"};
  by_expression.etas = {"eta_KA=0.1"};
  const std::string second = message_of(by_expression, simulate(Truth{}, 4, 16));
  EXPECT_NE(second.find("'KA' is not a parameter of the model"), std::string::npos) << second;
}

TEST(PopulationModel, CovariateMissingForASubjectIsRefusedWithItsCell) {
  std::string text =
      "ID,TIME,EVID,AMT,DV,MDV,WT\n1,0,1,100,.,1,70\n1,1,0,0,3.2,0,70\n"
      "2,0,1,100,.,1,.\n2,1,0,0,3.0,0,.\n";
  const std::string data = testing::write_file("missing_wt.csv", text);
  PopulationSpec spec;
  spec.parameters = {"CL = tvCL * (WT/70)^0.75 * exp(eta_CL)"};
  spec.thetas = {"tvCL=3"};
  spec.etas = {"eta_CL=0.1"};
  const std::string message = message_of(spec, data);
  EXPECT_NE(message.find("missing_wt.csv:4:15: error: covariate WT is missing for subject 2"),
            std::string::npos)
      << message;
  // A column that is not in the data set at all.
  spec.parameters = {"CL = tvCL * (AGE/40) * exp(eta_CL)"};
  const std::string absent = message_of(spec, data);
  EXPECT_NE(absent.find("'AGE' in the expression of CL"), std::string::npos) << absent;
  EXPECT_NE(absent.find("columns WT"), std::string::npos) << absent;
}

TEST(PopulationModel, UnknownStartNameIsRefused) {
  PopulationSpec spec;
  spec.etas = {"CL=0.1"};
  spec.start = {{"CLL", 3}};
  const std::string message = message_of(spec, simulate(Truth{}, 4, 17));
  EXPECT_NE(message.find("'CLL' is not a parameter of the population model"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace onset::fits::population

namespace onset::fits::population {
namespace {

TEST(PopulationModel, TimeLimitStopsTheSearchAndSaysSo) {
  const Truth t;
  const PopulationProblem problem =
      testing::make_problem("one_compartment_iv", simulate(t, 20, 18), covariate_spec(t));
  PopulationOptions options;
  options.time_limit_s = 1e-9;
  PopulationSummary s;
  Solve(options, problem, &s);
  EXPECT_EQ(s.status, PopulationStatus::kInterrupted);
  EXPECT_EQ(population_status_name(s.status), "stopped");
  EXPECT_NE(s.message.find("time limit"), std::string::npos) << s.message;
  // The best point reached is still reported (here the start: tvCL = 2).
  EXPECT_EQ(testing::estimate(s, "THETA(1)").estimate, 2.0);
}

}  // namespace
}  // namespace onset::fits::population
