// `onset fit` on data as they are published or kept (issue 17): group means with SD and n,
// one error model shared by several organs, one value per organ, R's own Theoph layout
// through --map.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/run_command.hpp"

namespace {

using onset::testing::run_onset;

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = std::string(ONSET_BINARY_DIR) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const nlohmann::json& parameter_of(const nlohmann::json& json, const std::string& name) {
  for (const auto& p : json["parameters"])
    if (p["name"] == name) return p;
  ADD_FAILURE() << "no parameter " << name;
  return json;
}

// Morishita et al. 2015 (J Pharm Sci 104:705, abstract): 125I-labelled B16BL6 exosomes, %ID
// per organ at 4 h: liver 28, spleen 1.6, lung 7; no SD, no n. One value per organ.
std::string morishita() {
  return write_file("fit_cli_morishita.csv",
                    "time,organ,value,unit\n4,liver,28,%ID\n4,spleen,1.6,%ID\n4,lung,7,%ID\n");
}
const std::string kMorishitaFit =
    " --label 125I --dose 1e10 --start fraction_to_liver=0.5 --ci profile";

TEST(FitTracerData, OneValuePerOrganIsRefusedWithWhyAndWhatToDo) {
  // Each organ's residual SD from one value: the likelihood has no lower bound (the fit
  // drives that SD to 0; the interval was a point, [0.775, 0.775], before).
  const std::string data = morishita();
  const auto result = run_onset("fit ev_pbpk_mouse --data " + data + kMorishitaFit);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find("one observation of 'liver_label_pct'"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("--error-group"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("SD"), std::string::npos) << result.err;
}

TEST(FitTracerData, LogNormalErrorOnOneValuePerOrganIsAMessageNotABoostOverflow) {
  // This command stopped with "boost::math::students_t_quantile ... Overflow Error" (a t
  // quantile at a Satterthwaite df near 0: each organ's one value carries its whole variance).
  const std::string data = morishita();
  for (const char* error : {"lognormal", "proportional"}) {
    const auto result =
        run_onset("fit ev_pbpk_mouse --data " + data + kMorishitaFit + " --error " + error);
    EXPECT_EQ(result.exit_code, 2) << error;
    EXPECT_EQ(result.err.find("boost"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("Overflow"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("one observation of"), std::string::npos) << result.err;
  }
}

TEST(FitTracerData, SharedErrorModelGivesFiniteHonestIntervals) {
  // One proportional error model for the three organs (3 values, 1 parameter): the fit is
  // defined. The liver's 28 %ID pulls fraction_to_liver one way, the spleen's and lung's
  // shares (held at their defaults) constrain it little: the interval is wide and says so,
  // but it is an interval (finite low end, not a point), with a positive error SD.
  const std::string data = morishita();
  const auto result =
      run_onset("fit ev_pbpk_mouse --data " + data + kMorishitaFit +
                " --error proportional --error-group organs=liver,spleen,lung --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  const auto json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json["error_models"].size(), 1u);
  EXPECT_EQ(json["error_models"][0]["observable"], "organs");
  EXPECT_EQ(json["error_models"][0]["n"], 3);
  EXPECT_GT(json["error_models"][0]["sigma"].get<double>(), 0.1);  // not driven to 0
  const auto& liver = parameter_of(json, "fraction_to_liver");
  const double low = liver["ci_low"].get<double>(), high = liver["ci_high"].get<double>();
  EXPECT_LT(low, liver["estimate"].get<double>() * 0.5);  // wide: 3 values, one SD
  EXPECT_GT(low, 0);
  EXPECT_LE(high, 1);  // within the fraction's bounds
  EXPECT_GT(high - low, 0.1);
  std::printf("fraction_to_liver %.4g [%.4g, %.4g], shared proportional SD %.3g\n",
              liver["estimate"].get<double>(), low, high,
              json["error_models"][0]["sigma"].get<double>());
}

TEST(FitTracerData, MeansWithSdAndNFitAsTheirAnimalsWouldAndBadSummariesAreRefused) {
  // The same three organs as group means of n = 4 with SDs (SEM for the lung): each organ now
  // has 4 animals' worth of information about its SD, so per-organ error models are defined.
  const std::string data =
      write_file("fit_cli_summary.csv",
                 "time,organ,value,unit,sd,sem,n\n4,liver,28,%ID,4,,4\n4,spleen,1.6,%ID,0.3,,4\n"
                 "4,lung,7,%ID,,0.9,4\n");
  const auto result = run_onset("fit ev_pbpk_mouse --data " + data + kMorishitaFit +
                                " --error proportional --format json");
  ASSERT_NE(result.exit_code, 2) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  for (const auto& block : json["error_models"]) EXPECT_EQ(block["n"], 4);  // animals
  EXPECT_EQ(json["n_observations"], 3);
  const auto& liver = parameter_of(json, "fraction_to_liver");
  EXPECT_TRUE(std::isfinite(liver["ci_low"].get<double>()));
  EXPECT_LT(liver["ci_low"].get<double>(), liver["ci_high"].get<double>());
  bool noted = false;
  for (const auto& note : json["notes"])
    noted = noted || note.get<std::string>().find("summary data") != std::string::npos;
  EXPECT_TRUE(noted) << result.out;

  // An SD without n: the mean's variance is unknown.
  const std::string no_n =
      write_file("fit_cli_summary_no_n.csv", "time,organ,value,unit,sd\n4,liver,28,%ID,4\n");
  const auto refused = run_onset("fit ev_pbpk_mouse --data " + no_n + kMorishitaFit);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("without the number of animals"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(":2:"), std::string::npos) << refused.err;  // file:line
  // Summary data need an error model that describes a mean.
  const auto lognormal =
      run_onset("fit ev_pbpk_mouse --data " + data + kMorishitaFit + " --error lognormal");
  EXPECT_EQ(lognormal.exit_code, 2);
  EXPECT_NE(lognormal.err.find("log of a mean"), std::string::npos) << lognormal.err;
  // Bootstrap would need the SDs redrawn: refused, with the alternatives.
  const auto bootstrap = run_onset("fit ev_pbpk_mouse --data " + data +
                                   " --label 125I --dose 1e10 --start fraction_to_liver=0.5 "
                                   "--error proportional --ci bootstrap");
  EXPECT_EQ(bootstrap.exit_code, 2);
  EXPECT_NE(bootstrap.err.find("--ci profile"), std::string::npos) << bootstrap.err;
}

// R's own Theoph layout (Subject, Wt, Dose in mg/kg, Time, conc): through --map, with the dose
// per kg times Wt, equal to R's nls (tests/fits/reference/theoph_nls.csv, theoph_nls_per_subject
// .csv) at the tolerances of tests/cli/fit_command_test.cpp (pooled estimates 1e-4 absolute,
// SE 1e-3; per subject 1e-4 relative).
const std::string kTheophMap =
    " --map ID=Subject --map TIME=Time --map DV=conc --map DOSE=Dose --map WT=Wt --dose-per-kg"
    " --start KA=1.5 --start CL=3 --start V=30 --format json";

TEST(FitTracerData, TheophInRsLayoutThroughMapEqualsRsNls) {
  const std::string data = std::string(ONSET_SHARED_DIR) + "/data/theoph.csv";
  const auto pooled = run_onset("fit one_compartment_oral --data " + data + kTheophMap);
  ASSERT_EQ(pooled.exit_code, 0) << pooled.err;
  const auto json = nlohmann::json::parse(pooled.out);
  EXPECT_EQ(json["n_observations"], 132);
  const struct {
    const char* name;
    double estimate, se;
  } r_nls[] = {{"KA", 1.5531517814566, 0.17459028733527},
               {"CL", 2.61559779323079, 0.185670226557674},
               {"V", 32.8610014367025, 1.50168521910711}};
  for (const auto& r : r_nls) {
    const auto& p = parameter_of(json, r.name);
    EXPECT_NEAR(p["estimate"].get<double>(), r.estimate, 1e-4) << r.name;
    EXPECT_NEAR(p["se"].get<double>(), r.se, 1e-3) << r.name;
  }
  // R's residual standard error (n - p) and the ML sigma, each labelled.
  EXPECT_NEAR(json["sigma_n_minus_p"].get<double>(), 1.39131270922623, 1e-5);
  EXPECT_NEAR(json["sigma"].get<double>(), 1.39131270922623 * std::sqrt(129.0 / 132.0), 1e-5);

  const auto per_subject =
      run_onset("fit one_compartment_oral --data " + data + kTheophMap + " --per-subject");
  ASSERT_EQ(per_subject.exit_code, 0) << per_subject.err;
  const auto subjects = nlohmann::json::parse(per_subject.out);
  EXPECT_EQ(subjects["n_converged"], 12);
  // R nls per subject (theoph_nls_per_subject.csv), subjects 1 and 3; the IDs are R's.
  EXPECT_EQ(subjects["subjects"][0]["id"], "1");
  EXPECT_NEAR(subjects["subjects"][0]["parameters"][1]["estimate"].get<double>(), 1.58590941513734,
              1e-4 * 1.5859);
  EXPECT_NEAR(subjects["subjects"][2]["parameters"][0]["estimate"].get<double>(), 2.45356599840235,
              1e-4 * 2.4536);
  const auto& cl = subjects["two_stage"]["parameters"][1];
  EXPECT_NEAR(cl["mean"].get<double>(), 2.86577995585831, 1e-4 * 2.866);

  // Without --map: R's column names are not the roles; the message says how to name them.
  const auto unmapped =
      run_onset("fit one_compartment_oral --data " + data + " --start KA=1.5 --start CL=3");
  EXPECT_EQ(unmapped.exit_code, 2);
  EXPECT_NE(unmapped.err.find("--map TIME="), std::string::npos) << unmapped.err;
  // A role that does not exist, a column that does not exist.
  const auto bad_role =
      run_onset("fit one_compartment_oral --data " + data + " --map TEMPO=Time --start KA=1.5");
  EXPECT_EQ(bad_role.exit_code, 2);
  EXPECT_NE(bad_role.err.find("not a column role"), std::string::npos) << bad_role.err;
  const auto bad_column =
      run_onset("fit one_compartment_oral --data " + data + " --map TIME=Hours --start KA=1.5");
  EXPECT_EQ(bad_column.exit_code, 2);
  EXPECT_NE(bad_column.err.find("no column 'Hours'"), std::string::npos) << bad_column.err;
  // No dose anywhere: an error, not a fit to zeros.
  const std::string no_dose_data =
      write_file("fit_cli_no_dose.csv", "Time,conc\n0.5,3.1\n1,6.2\n2,7.9\n4,6.6\n");
  const auto no_dose = run_onset("fit one_compartment_oral --data " + no_dose_data +
                                 " --map DV=conc --start KA=1.5");
  EXPECT_EQ(no_dose.exit_code, 2);
  EXPECT_NE(no_dose.err.find("no dose"), std::string::npos) << no_dose.err;
}

}  // namespace
