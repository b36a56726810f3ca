// `onset fit` end to end: Theoph through a NONMEM-style file (JSON as the issue specifies),
// an algebraic model (--expr) with a plot, and bad input (exit 2, where and what).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/model_library.hpp"
#include "models/tracer_labels.hpp"
#include "models/tracer_observation.hpp"
#include "pk/simulate.hpp"
#include "tests/cli/run_command.hpp"

namespace {

using onset::testing::run_onset;

// Theoph (shared/data/theoph.csv) as NONMEM-style records, AMT = Dose (mg/kg) x Wt (mg):
// data/examples/theoph_nonmem.csv.
std::string theoph_nonmem() {
  return std::string(ONSET_SOURCE_DIR) + "/data/examples/theoph_nonmem.csv";
}

TEST(FitCommand, TheophJson) {
  const std::string data = theoph_nonmem();
  const auto result =
      run_onset("fit one_compartment_oral --data " + data +
                " --start KA=1.5 --start CL=3 --start V=30 --ci profile --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_TRUE(json["converged"].get<bool>());
  for (const char* key : {"objective", "aic", "bic", "sigma", "parameters", "correlation"})
    EXPECT_TRUE(json.contains(key)) << key;
  const auto& ka = json["parameters"][0];
  EXPECT_EQ(ka["name"], "KA");
  EXPECT_NEAR(ka["estimate"].get<double>(), 1.5531517814566, 1e-4);
  EXPECT_NEAR(ka["se"].get<double>(), 0.17459028733527, 1e-3);
  EXPECT_LT(ka["ci_low"].get<double>(), 1.5531);
  EXPECT_GT(ka["ci_high"].get<double>(), 1.5532);
  for (const char* key : {"name", "estimate", "se", "rse_pct", "ci_low", "ci_high"})
    EXPECT_TRUE(ka.contains(key)) << key;
}

// KA's 95 % profile bounds from R (tests/fits/reference/theoph_confint.R): columns
// `prefix`_low and `prefix`_high of theoph_confint.csv.
std::pair<double, double> r_profile_bounds_of_ka(const std::string& prefix) {
  std::ifstream file(std::string(ONSET_SOURCE_DIR) + "/tests/fits/reference/theoph_confint.csv");
  std::string header, line;
  std::getline(file, header);
  auto split = [](const std::string& text) {
    std::vector<std::string> cells;
    size_t start = 0;
    for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
      cells.push_back(text.substr(start, comma - start));
    cells.push_back(text.substr(start));
    return cells;
  };
  const auto columns = split(header);
  while (std::getline(file, line)) {
    const auto cells = split(line);
    if (cells[0] != "KA") continue;
    double low = NAN, high = NAN;
    for (size_t c = 1; c < columns.size(); ++c) {
      if (columns[c] == prefix + "_low") low = std::stod(cells[c]);
      if (columns[c] == prefix + "_high") high = std::stod(cells[c]);
    }
    return {low, high};
  }
  return {NAN, NAN};
}

TEST(FitCommand, CalibrationFlagSelectsTOrAsymptoticProfileIntervals) {
  // Default: t calibration (R's confint.nls for one observable, N - p = 129 df); --calibration
  // asymptotic: the chi-square(1) threshold. Both against R's bounds (1e-5, as
  // tests/fits/theoph_fit_test.cpp), and the JSON says which was used.
  const std::string data = theoph_nonmem();
  const std::string command = "fit one_compartment_oral --data " + data +
                              " --start KA=1.5 --start CL=3 --start V=30 --ci profile "
                              "--format json";
  for (const std::string calibration : {"", "t", "asymptotic"}) {
    const auto result =
        run_onset(command + (calibration.empty() ? "" : " --calibration " + calibration));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto json = nlohmann::json::parse(result.out);
    const auto& ka = json["parameters"][0];
    const bool asymptotic = calibration == "asymptotic";
    const auto [low, high] = r_profile_bounds_of_ka(asymptotic ? "profile_chisq" : "profile_t");
    ASSERT_TRUE(std::isfinite(low) && std::isfinite(high));
    EXPECT_NEAR(ka["ci_low"].get<double>(), low, 1e-5 * low) << calibration;
    EXPECT_NEAR(ka["ci_high"].get<double>(), high, 1e-5 * high) << calibration;
    const std::string method = json["ci_method"].get<std::string>();
    EXPECT_NE(method.find(asymptotic ? "asymptotic calibration" : "t calibration"),
              std::string::npos)
        << method;
    if (asymptotic) {
      EXPECT_TRUE(ka["ci_df"].is_null());
    } else {
      EXPECT_EQ(ka["ci_df"].get<double>(), 129.0);
    }
  }
  const auto bad = run_onset(command + " --calibration z");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(bad.out.empty());
  EXPECT_NE(bad.err.find("--calibration: expected t or asymptotic"), std::string::npos) << bad.err;
}

// Ten points of 10 exp(-1.2 t) + 2 exp(-0.1 t) with 1-2 % fixed noise.
std::string write_biexponential(const std::string& name) {
  const std::string data = std::string(ONSET_BINARY_DIR) + "/" + name;
  std::ofstream out(data);
  out << "t,C\n";
  const double noise[] = {0.01, -0.02, 0.015, -0.01, 0.005, 0.02, -0.015, 0.01, -0.005, 0.0};
  const double times[] = {0.1, 0.25, 0.5, 1, 2, 4, 6, 8, 12, 24};
  for (int i = 0; i < 10; ++i) {
    const double c = 10 * std::exp(-1.2 * times[i]) + 2 * std::exp(-0.1 * times[i]);
    out << times[i] << "," << c * (1 + noise[i]) << "\n";
  }
  return data;
}

TEST(FitCommand, SameSeedSameJsonOnOneAndTwoThreads) {
  // Multi-start, bootstrap replicates and profile sides run in parallel; each task's random
  // numbers come from (seed, task), so the JSON is byte-identical for any thread count.
  const std::string data = write_biexponential("fit_cli_threads.csv");
  const std::string base = "fit --expr \"A*exp(-alpha*t)+B*exp(-beta*t)\" --x t --y C --data " +
                           data +
                           " --start A=5 --start alpha=1 --start B=1 --start beta=0.05 "
                           "--error proportional --multistart 3 --format json ";
  const std::string bootstrap = base + "--ci bootstrap --bootstrap 40 --seed 7";
  const auto one = run_onset(bootstrap + " --threads 1");
  const auto two = run_onset(bootstrap + " --threads 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, two.out);
  const auto json = nlohmann::json::parse(one.out);
  const auto other = nlohmann::json::parse(run_onset(bootstrap + "8 --threads 2").out);  // seed 78
  EXPECT_NE(json["parameters"][0]["ci_low"], other["parameters"][0]["ci_low"]);
  EXPECT_LT(json["parameters"][0]["ci_low"].get<double>(),
            json["parameters"][0]["estimate"].get<double>());
  const auto profile_one = run_onset(base + "--ci profile --threads 1");
  const auto profile_two = run_onset(base + "--ci profile --threads 2");
  ASSERT_EQ(profile_one.exit_code, 0) << profile_one.err;
  EXPECT_EQ(profile_one.out, profile_two.out);
  std::remove(data.c_str());
}

TEST(FitCommand, ExpressionWithPlot) {
  const std::string data = write_biexponential("fit_cli_biexp.csv");
  const std::string plot = std::string(ONSET_BINARY_DIR) + "/fit_cli_biexp.svg";
  std::remove(plot.c_str());
  const auto result =
      run_onset("fit --expr \"A*exp(-alpha*t)+B*exp(-beta*t)\" --x t --y C --data " + data +
                " --start A=5 --start alpha=1 --start B=1 --start beta=0.05 "
                "--error proportional --plot " +
                plot);
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  EXPECT_NE(result.out.find("status: converged"), std::string::npos) << result.out;
  std::ifstream svg(plot);
  ASSERT_TRUE(svg) << "no plot written: " << result.err;
  std::string first;
  std::getline(svg, first);
  EXPECT_NE(first.find("<?xml"), std::string::npos);
  std::remove(plot.c_str());
  std::remove(data.c_str());
}

TEST(FitCommand, BadInputExitsTwoWithWhere) {
  const auto no_start = run_onset("fit --expr \"A*exp(-k*t)\" --x t --y C --data " +
                                  std::string(ONSET_SHARED_DIR) + "/data/theoph.csv");
  EXPECT_EQ(no_start.exit_code, 2);
  const auto bad_expression =
      run_onset("fit --expr \"A*exp(-k*Time\" --x Time --y conc --data " +
                std::string(ONSET_SHARED_DIR) + "/data/theoph.csv --start A=1 --start k=1");
  EXPECT_EQ(bad_expression.exit_code, 2);
  EXPECT_NE(bad_expression.err.find("column 14"), std::string::npos) << bad_expression.err;
  const auto bad_error = run_onset("fit one_compartment_oral --data x.csv --error cubic");
  EXPECT_EQ(bad_error.exit_code, 2);
}

// Tidy 111In tracer data (liver, spleen, lung x 8 times x 3 animals, destructive): predictions
// of the 111In observation model at the ev_pbpk_mouse defaults, with a fixed +/-5 % pattern.
std::string write_indium_tidy(const std::string& name) {
  const auto table =
      onset::models::read_label_table(std::string(ONSET_SOURCE_DIR) + "/data/tracers/labels.yaml");
  auto model = onset::models::load_tracer_model("ev_pbpk_mouse", *table.find("111In"), {});
  const std::vector<double> times = {0.083, 0.5, 2, 6, 24, 48, 72, 120};
  onset::pk::Regimen regimen;
  regimen.doses.push_back({0.0, model->state_index("plasma"), 1e10, 0});
  onset::pk::SimulationRequest request;
  request.output_times_h = times;
  const auto traj = onset::pk::simulate(*model, regimen, model->default_parameters(), request, {});
  const std::string path = std::string(ONSET_BINARY_DIR) + "/" + name;
  std::ofstream out(path);
  out.precision(10);
  out << "time,organ,value,unit,animal\n";
  int animal = 0, k = 0;
  for (size_t i = 0; i < times.size(); ++i)
    for (int a = 0; a < 3; ++a, ++animal)
      for (const char* organ : {"liver", "spleen", "lung"}) {
        const int o = model->observable_index(std::string(organ) + "_label_pct");
        out << times[i] << "," << organ << ","
            << traj.observable(i, static_cast<size_t>(o)) * (k++ % 2 == 0 ? 1.05 : 0.95) << ",%ID,m"
            << animal << "\n";
      }
  return path;
}

double estimate_of(const nlohmann::json& json, const std::string& name) {
  for (const auto& p : json["parameters"])
    if (p["name"] == name) return p["estimate"].get<double>();
  ADD_FAILURE() << "no parameter " << name;
  return NAN;
}

TEST(FitCommand, TracerDataNeedALabelAndFitTheLabelObservables) {
  const std::string data = write_indium_tidy("fit_cli_indium.csv");
  const std::string common =
      "fit ev_pbpk_mouse --data " + data +
      " --dose 1e10 --error proportional --start "
      "plasma_elimination_rate=5 --start fraction_to_liver=0.55 --format json";
  const auto missing = run_onset(common);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(missing.out.empty());
  EXPECT_NE(missing.err.find("--label 111In"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("none-intact"), std::string::npos) << missing.err;
  const auto unknown = run_onset(common + " --label 99Tc");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("111In"), std::string::npos) << unknown.err;
  const auto bad_flag = run_onset(common + " --label 111In --decay-corrected maybe");
  EXPECT_EQ(bad_flag.exit_code, 2);

  const auto label = run_onset(common + " --label 111In");
  ASSERT_EQ(label.exit_code, 0) << label.err << label.out;
  const auto json = nlohmann::json::parse(label.out);
  const double liver = estimate_of(json, "fraction_to_liver");
  EXPECT_NEAR(liver, 0.7, 0.035);  // the truth, within 5 % (the data's +/-5 % pattern)
  bool stated = false;
  for (const auto& note : json["notes"])
    stated = stated || note.get<std::string>().find("decay-corrected") != std::string::npos;
  EXPECT_TRUE(stated) << label.out;

  const auto intact = run_onset(common + " --label none-intact");
  ASSERT_NE(intact.exit_code, 2) << intact.err;
  const auto intact_json = nlohmann::json::parse(intact.out);
  // Intact vesicles cannot hold the residualised label: the liver share is biased.
  const double intact_liver = estimate_of(intact_json, "fraction_to_liver");
  EXPECT_GT(std::abs(intact_liver - 0.7), 0.1);
  std::printf("fraction_to_liver (truth 0.7): --label 111In %.4g, --label none-intact %.4g (%s)\n",
              liver, intact_liver, intact_json["status"].get<std::string>().c_str());

  const auto destructive = run_onset(common + " --label 111In --per-subject");
  EXPECT_EQ(destructive.exit_code, 2);
  EXPECT_NE(destructive.err.find("one time point"), std::string::npos) << destructive.err;
  std::remove(data.c_str());
}

TEST(FitCommand, PerSubjectTheophWithTwoStageSummary) {
  const std::string data = theoph_nonmem();
  const auto result = run_onset("fit one_compartment_oral --data " + data +
                                " --start KA=1.5 --start CL=3 --start V=30 --per-subject "
                                "--format json --threads 2");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["n_subjects"], 12);
  EXPECT_EQ(json["n_converged"], 12);
  EXPECT_EQ(json["subjects"][0]["id"], "1");
  EXPECT_NEAR(json["subjects"][0]["parameters"][1]["estimate"].get<double>(), 1.58590941513734,
              1e-4 * 1.5859);  // R nls, subject 1 CL
  const auto& cl = json["two_stage"]["parameters"][1];
  EXPECT_EQ(cl["name"], "CL");
  // R: tests/fits/reference/theoph_nls_two_stage.csv
  EXPECT_NEAR(cl["mean"].get<double>(), 2.86577995585831, 1e-4 * 2.866);
  EXPECT_NEAR(cl["cv_pct"].get<double>(), 25.1701398884244, 1e-4 * 25.17);
  EXPECT_NEAR(cl["geometric_mean"].get<double>(), 2.77547250868702, 1e-4 * 2.775);
  const auto text = run_onset("fit one_compartment_oral --data " + data +
                              " --start KA=1.5 --start CL=3 --start V=30 --per-subject");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("standard two-stage summary"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("not converged: 0"), std::string::npos) << text.out;
}

// Observations of one observable at 8 times from a library model's defaults (NONMEM-style, with
// OBS), multiplied by `scale` and a fixed +/-5 % pattern.
std::string write_scaled_observable(const std::string& name, const std::string& model_name,
                                    const std::string& observable, double dose, double scale) {
  auto model = onset::models::load_model(model_name);
  const std::vector<double> times = {0.1, 0.25, 0.5, 1, 2, 4, 8, 24};
  onset::pk::Regimen regimen;
  regimen.doses.push_back({0.0, 0, dose, 0});
  onset::pk::SimulationRequest request;
  request.output_times_h = times;
  auto parameters = model->default_parameters();
  parameters[static_cast<size_t>(model->parameter_index("dose_particles"))] = dose;
  const auto traj = onset::pk::simulate(*model, regimen, parameters, request, {});
  const int o = model->observable_index(observable);
  const std::string path = std::string(ONSET_BINARY_DIR) + "/" + name;
  std::ofstream out(path);
  out.precision(10);
  out << "ID,TIME,EVID,AMT,CMT,DV,MDV,OBS\n1,0,1," << dose << ",1,.,1,.\n";
  for (size_t i = 0; i < times.size(); ++i)
    out << "1," << times[i] << ",0,0,1,"
        << traj.observable(i, static_cast<size_t>(o)) * scale * (i % 2 == 0 ? 1.05 : 0.95) << ",0,"
        << observable << "\n";
  return path;
}

const nlohmann::json& parameter_of(const nlohmann::json& json, const std::string& name) {
  for (const auto& p : json["parameters"])
    if (p["name"] == name) return p;
  ADD_FAILURE() << "no parameter " << name;
  return json;
}

TEST(FitCommand, FractionsStayWithinTheBoundsTheModelDeclares) {
  // Liver %ID 2.5x what any liver share can give: without bounds the fit returned
  // fraction_to_liver = 1.27 (Wald interval -0.39 to 2.93; profile upper end 6.6). ev_pbpk_human
  // declares [0, 1]: the estimate stops at 1 and both interval kinds stay inside [0, 1].
  const std::string data =
      write_scaled_observable("fit_cli_fraction.csv", "ev_pbpk_human", "liver_pct", 1e13, 2.5);
  const std::string command = "fit ev_pbpk_human --data " + data +
                              " --error proportional --start fraction_to_liver=0.5 --format json";
  for (const char* ci : {"wald", "profile"}) {
    const auto result = run_onset(command + " --ci " + ci);
    ASSERT_NE(result.exit_code, 2) << result.err;
    const auto json = nlohmann::json::parse(result.out);
    const auto& liver = parameter_of(json, "fraction_to_liver");
    EXPECT_EQ(liver["bounds"][0].get<double>(), 0.0);
    EXPECT_EQ(liver["bounds"][1].get<double>(), 1.0);
    EXPECT_LE(liver["estimate"].get<double>(), 1.0) << ci;
    EXPECT_GT(liver["estimate"].get<double>(), 0.9) << ci;  // pressed against the bound
    EXPECT_LE(liver["ci_high"].get<double>(), 1.0) << ci;
    EXPECT_GE(liver["ci_low"].get<double>(), 0.0) << ci;
    EXPECT_LT(liver["ci_low"].get<double>(), liver["ci_high"].get<double>()) << ci;
  }
  // A start outside the bounds is bad input naming the parameter and its bounds.
  const auto outside = run_onset(command + " --start fraction_to_spleen=1.5");
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_TRUE(outside.out.empty());
  EXPECT_NE(outside.err.find("fraction_to_spleen = 1.5"), std::string::npos) << outside.err;
  EXPECT_NE(outside.err.find("[0, 1]"), std::string::npos) << outside.err;
  const auto negative_rate = run_onset(command + " --fix plasma_elimination_rate=-1");
  EXPECT_EQ(negative_rate.exit_code, 2);
  EXPECT_NE(negative_rate.err.find("plasma_elimination_rate"), std::string::npos)
      << negative_rate.err;
  EXPECT_NE(negative_rate.err.find("1/h"), std::string::npos) << negative_rate.err;
  std::remove(data.c_str());
}

TEST(FitCommand, RatesWithoutDeclaredBoundsArePositiveByUnitAndGetLogScaleIntervals) {
  // CL and V declare no bounds; their units (L/h, L) make them positive, so they are estimated
  // on log scale: the Wald interval is exp(log CL -/+ t SE_log), positive, and its ends
  // multiply to the estimate squared. (On the natural scale CL's interval was -0.67 to 2.31:
  // three points, 1 df, RSE 92 %.)
  const std::string model = std::string(ONSET_BINARY_DIR) + "/fit_cli_unbounded.yaml";
  {
    std::ofstream out(model);
    out << "name: onecpt_unbounded\nparameters:\n  CL: {value: 1, unit: L/h}\n"
           "  V: {value: 10, unit: L}\ncompartments:\n  central: {unit: mg, volume: V}\n"
           "processes:\n  - {name: elimination, type: first_order, from: central, k: CL}\n"
           "observables:\n  CP: {concentration: central, unit: mg/L}\n";
  }
  const std::string data = std::string(ONSET_BINARY_DIR) + "/fit_cli_unbounded.csv";
  {
    std::ofstream out(data);
    out << "ID,TIME,EVID,AMT,CMT,DV,MDV\n1,0,1,100,1,.,1\n1,1,0,0,1,9.0,0\n1,2,0,0,1,10.5,0\n"
           "1,4,0,0,1,7.0,0\n";
  }
  const auto result = run_onset("fit " + model + " --data " + data + " --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  for (const char* name : {"CL", "V"}) {
    const auto& p = parameter_of(json, name);
    EXPECT_EQ(p["bounds"][0].get<double>(), 0.0) << name;
    const double estimate = p["estimate"].get<double>();
    const double low = p["ci_low"].get<double>(), high = p["ci_high"].get<double>();
    EXPECT_GT(low, 0.0) << name;
    EXPECT_NEAR(low * high / (estimate * estimate), 1.0, 1e-9) << name;
  }
  EXPECT_GT(parameter_of(json, "CL")["rse_pct"].get<double>(), 50.0);  // wide: the point
  std::remove(model.c_str());
  std::remove(data.c_str());
}

TEST(FitCommand, NonIdentifiableParametersGetOpenIntervalsAndTheOthersFiniteOnes) {
  // y = A B exp(-k t): only the product A B is determined. The Jacobian has rank 2 of 3; A and
  // B are named, their profiles are flat (open on both sides: null in JSON), and k keeps its
  // intervals, which equal those of the identifiable form C exp(-k t) (the same model, p = 2).
  const std::string data = std::string(ONSET_BINARY_DIR) + "/fit_cli_product.csv";
  {
    std::ofstream out(data);
    out.precision(10);
    out << "t,y\n";
    const double noise[] = {0.02, -0.03, 0.01, 0.04, -0.02, -0.01, 0.03, -0.04, 0.0, 0.01};
    const double times[] = {0.5, 1, 1.5, 2, 3, 4, 6, 8, 10, 12};
    for (int i = 0; i < 10; ++i)
      out << times[i] << "," << 6 * std::exp(-0.3 * times[i]) + noise[i] << "\n";
  }
  const std::string product = "fit --expr \"A*B*exp(-k*t)\" --x t --y y --data " + data +
                              " --start A=2 --start B=2 --start k=0.5 ";
  const std::string reference = "fit --expr \"C*exp(-k*t)\" --x t --y y --data " + data +
                                " --start C=4 --start k=0.5 --format json ";
  for (const char* ci : {"wald", "profile"}) {
    const auto result = run_onset(product + "--format json --ci " + ci);
    EXPECT_EQ(result.exit_code, 1) << result.err;  // not converged: rank deficient
    const auto json = nlohmann::json::parse(result.out);
    const std::string message = json["message"];
    EXPECT_NE(message.find("the Jacobian is rank deficient"), std::string::npos) << message;
    EXPECT_NE(message.find("not identifiable from these data: A, B"), std::string::npos) << message;
    for (const char* name : {"A", "B"}) {
      const auto& p = parameter_of(json, name);
      EXPECT_FALSE(p["identifiable"].get<bool>()) << name;
      EXPECT_TRUE(p["se"].is_null()) << name;
      EXPECT_TRUE(p["ci_low"].is_null()) << name << " " << ci;
      EXPECT_TRUE(p["ci_high"].is_null()) << name << " " << ci;
      EXPECT_NE(p["ci_note"].get<std::string>().find("not identifiable from these data"),
                std::string::npos)
          << p["ci_note"];
    }
    const auto expected = run_onset(reference + "--ci " + ci);
    ASSERT_EQ(expected.exit_code, 0) << expected.err;
    const auto& k = parameter_of(json, "k");
    const auto expected_json = nlohmann::json::parse(expected.out);
    const auto& k_reference = parameter_of(expected_json, "k");
    EXPECT_TRUE(k["identifiable"].get<bool>());
    for (const char* key : {"estimate", "se", "ci_low", "ci_high", "ci_df"})
      EXPECT_NEAR(k[key].get<double>() / k_reference[key].get<double>(), 1.0, 1e-6)
          << key << " " << ci;
  }
  // Text output says it too, with the profile's range.
  const auto text = run_onset(product + "--ci profile");
  EXPECT_NE(text.out.find("not identifiable from these data above the estimate: -2 log L "
                          "changes by < "),
            std::string::npos)
      << text.out;
  std::remove(data.c_str());
}

TEST(FitCommand, HeldNoteNamesOnlyParametersWithoutAStart) {
  // Every parameter of one_compartment_oral given a start (ALAG's default is 0): nothing is
  // held, so no note may say so. With three starts the note names ALAG alone.
  const std::string data = theoph_nonmem();
  const std::string command = "fit one_compartment_oral --data " + data +
                              " --start KA=1.5 --start CL=3 --start V=30 --format json";
  const auto all = run_onset(command + " --start ALAG=0.1");
  ASSERT_NE(all.exit_code, 2) << all.err;
  const auto all_json = nlohmann::json::parse(all.out);
  for (const auto& note : all_json["notes"])
    EXPECT_EQ(note.get<std::string>().find("held"), std::string::npos) << note;
  const auto three = run_onset(command);
  ASSERT_EQ(three.exit_code, 0) << three.err;
  std::vector<std::string> held;
  const auto three_json = nlohmann::json::parse(three.out);
  for (const auto& note : three_json["notes"])
    if (note.get<std::string>().find("held") != std::string::npos) held.push_back(note);
  ASSERT_EQ(held.size(), 1u) << three.out;
  EXPECT_NE(held[0].find(": ALAG"), std::string::npos) << held[0];
  EXPECT_EQ(held[0].find("KA"), std::string::npos) << held[0];
}

}  // namespace
