// MELD (UNOS; Kamath 2001), MELD-Na (UNOS 2016; Kim 2008), Child-Pugh (Pugh 1973) and the
// reverse bounds on bilirubin. Expected values are computed by hand in the comments.
#include "check/clinical_scores.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace onset::check {
namespace {

MeldInputs lab_values(double bilirubin_mg_dl, double inr, double creatinine_mg_dl) {
  MeldInputs in;
  in.bilirubin_mg_dl = bilirubin_mg_dl;
  in.inr = inr;
  in.creatinine_mg_dl = creatinine_mg_dl;
  return in;
}

TEST(Meld, WorkedExample) {
  // bilirubin 10 mg/dL, INR 2.5, creatinine 1.5 mg/dL:
  //   3.78 ln 10  = 3.78 x 2.302585 =  8.703772
  //   11.2 ln 2.5 = 11.2 x 0.916291 = 10.262456
  //   9.57 ln 1.5 = 9.57 x 0.405465 =  3.880301
  //   + 6.43                        -> 29.276529 ; MELD(i) 29.3 ; MELD 29
  const MeldResult r = meld(lab_values(10, 2.5, 1.5));
  EXPECT_NEAR(r.raw, 29.276529, 1e-5);
  EXPECT_DOUBLE_EQ(r.initial, 29.3);
  EXPECT_EQ(r.score, 29);
}

TEST(Meld, CaseReportCombinationNear30) {
  // clinical_params.md F: 15 / 2.5 / 1.38 -> 30.0.
  //   3.78 ln 15 = 10.236430; 11.2 ln 2.5 = 10.262456; 9.57 ln 1.38 = 3.082339; + 6.43
  //   = 30.011225 -> 30
  EXPECT_NEAR(meld(lab_values(15, 2.5, 1.38)).raw, 30.011225, 1e-5);
  EXPECT_EQ(meld(lab_values(15, 2.5, 1.38)).score, 30);
}

TEST(Meld, FloorsCapAndDialysis) {
  // Labs below 1 count as 1: 6.43 -> 6.
  EXPECT_EQ(meld(lab_values(0.4, 0.9, 0.6)).score, 6);
  EXPECT_DOUBLE_EQ(meld(lab_values(0.4, 0.9, 0.6)).bilirubin_used, 1.0);
  // Creatinine is capped at 4.0 mg/dL.
  EXPECT_DOUBLE_EQ(meld(lab_values(10, 2.5, 7.0)).raw, meld(lab_values(10, 2.5, 4.0)).raw);
  // Dialysis twice in the prior week: creatinine set to 4.0 whatever was measured.
  MeldInputs dialysed = lab_values(10, 2.5, 1.0);
  dialysed.dialysis = true;
  EXPECT_DOUBLE_EQ(meld(dialysed).creatinine_used, 4.0);
  EXPECT_DOUBLE_EQ(meld(dialysed).raw, meld(lab_values(10, 2.5, 4.0)).raw);
  // Score capped at 40: 40 / 5 / 4 gives 13.944 + 18.026 + 13.267 + 6.43 = 51.67 -> 40.
  EXPECT_NEAR(meld(lab_values(40, 5, 4)).raw, 51.666505, 1e-5);
  EXPECT_EQ(meld(lab_values(40, 5, 4)).score, 40);
  EXPECT_THROW(meld(lab_values(-1, 2, 1)), std::invalid_argument);
}

TEST(MeldNa, Unos2016Formula) {
  MeldInputs labs = lab_values(10, 2.5, 1.5);
  labs.sodium_mmol_l = 130;
  // MELD(i) 29.3; 29.3 + 1.32 x 7 - 0.033 x 29.3 x 7 = 29.3 + 9.24 - 6.7683 = 31.7717 -> 32
  MeldNaResult r = meld_na(labs);
  EXPECT_NEAR(r.raw, 31.7717, 1e-9);
  EXPECT_EQ(r.score, 32);
  EXPECT_TRUE(r.sodium_applied);
  // Sodium 120 is clamped to 125: 29.3 + 15.84 - 11.6028 = 33.5372 -> 34
  labs.sodium_mmol_l = 120;
  r = meld_na(labs);
  EXPECT_DOUBLE_EQ(r.sodium_used, 125);
  EXPECT_NEAR(r.raw, 33.5372, 1e-9);
  EXPECT_EQ(r.score, 34);
  // Sodium 140 is clamped to 137: no change, 29.
  labs.sodium_mmol_l = 140;
  EXPECT_EQ(meld_na(labs).score, 29);
  // MELD(i) <= 11: sodium is not applied. 1 / 1 / 1.5 -> 6.43 + 3.8803 = 10.31 -> 10.3.
  MeldInputs mild = lab_values(1, 1, 1.5);
  mild.sodium_mmol_l = 125;
  EXPECT_FALSE(meld_na(mild).sodium_applied);
  EXPECT_EQ(meld_na(mild).score, 10);
  EXPECT_THROW(meld_na(lab_values(10, 2.5, 1.5)), std::invalid_argument);
}

TEST(ChildPugh, PointsAndClassBoundaries) {
  ChildPughInputs best{1.0, 4.0, 1.0, Ascites::kNone, Encephalopathy::kNone, false};
  EXPECT_EQ(child_pugh(best).score_min, 5);
  EXPECT_EQ(child_pugh(best).class_max, ChildPughClass::kA);
  // Bilirubin 2-3 mg/dL inclusive scores 2; above 3 scores 3.
  ChildPughInputs in = best;
  in.bilirubin_mg_dl = 2.0;
  EXPECT_EQ(child_pugh(in).score_min, 6);
  in.bilirubin_mg_dl = 3.0;
  EXPECT_EQ(child_pugh(in).score_min, 6);
  in.bilirubin_mg_dl = 3.01;
  EXPECT_EQ(child_pugh(in).score_min, 7);  // 7 -> class B
  EXPECT_EQ(child_pugh(in).class_min, ChildPughClass::kB);
  // Albumin 2.8-3.5 scores 2, below 2.8 scores 3.
  in = best;
  in.albumin_g_dl = 2.8;
  EXPECT_EQ(child_pugh(in).score_min, 6);
  in.albumin_g_dl = 2.79;
  EXPECT_EQ(child_pugh(in).score_min, 7);
  // Cholestatic cut-offs: bilirubin 3.5 scores 1 (< 4).
  in = best;
  in.bilirubin_mg_dl = 3.5;
  in.cholestatic = true;
  EXPECT_EQ(child_pugh(in).score_min, 5);
  EXPECT_EQ(child_pugh_class(9), ChildPughClass::kB);
  EXPECT_EQ(child_pugh_class(10), ChildPughClass::kC);
  EXPECT_EQ(class_letter(ChildPughClass::kC), 'C');
}

TEST(ChildPugh, CaseReportProfileIsClassCEvenWithUnknownLabs) {
  // The case report: deep jaundice (bilirubin > 3 mg/dL: 3 points), ascites (moderate: 3),
  // dulled consciousness (grade 1-2 encephalopathy: 2). Albumin and INR not reported: each
  // 1-3 points. Score 8 + [2, 6] = [10, 14] -> class C whatever the missing labs are.
  ChildPughInputs in;
  in.bilirubin_mg_dl = 15;
  in.ascites = Ascites::kModerateSevere;
  in.encephalopathy = Encephalopathy::kGrade1To2;
  const ChildPughResult r = child_pugh(in);
  EXPECT_EQ(r.unknown_components, 2);
  EXPECT_EQ(r.score_min, 10);
  EXPECT_EQ(r.score_max, 14);
  EXPECT_TRUE(r.certain_class());
  EXPECT_EQ(r.class_min, ChildPughClass::kC);
}

TEST(BilirubinUnits, MolarMass58466) {
  // 1 mg/dL = 10 mg/L / 584.66 g/mol = 0.0171039 mmol/L = 17.104 umol/L.
  EXPECT_NEAR(bilirubin_umol_per_l(1.0), 17.104, 5e-4);
  EXPECT_NEAR(bilirubin_umol_per_l(10.0), 171.04, 5e-3);
  EXPECT_NEAR(bilirubin_mg_per_dl(bilirubin_umol_per_l(3.7)), 3.7, 1e-12);
}

TEST(ReverseMeld, WorkedExampleBounds) {
  // MELD 29 with INR 2.5 and creatinine 1.5 known: MELD(i) in [28.5, 29.5], so the unrounded
  // score lies in [28.45, 29.55]; the others give 10.262456 + 3.880301 + 6.43 = 20.572757;
  // bilirubin in [exp(7.877243/3.78), exp(8.977243/3.78)] = [8.0357, 10.7493] mg/dL.
  MeldReverseQuery q;
  q.score_low = q.score_high = 29;
  q.inr = LabRange{2.5, 2.5};
  q.creatinine_mg_dl = LabRange{1.5, 1.5};
  const BilirubinBounds b = bilirubin_bounds_from_meld(q);
  ASSERT_TRUE(b.consistent);
  EXPECT_NEAR(b.low_mg_dl, 8.0357, 1e-3);
  EXPECT_NEAR(b.high_mg_dl, 10.7493, 1e-3);
  EXPECT_NEAR(b.low_umol_l(), 8.0357 * 17.1039, 0.02);
  EXPECT_LT(b.low_mg_dl, 10.0);
  EXPECT_GT(b.high_mg_dl, 10.0);
}

TEST(ReverseMeld, BoundsContainTheForwardValue) {
  for (double bili : {0.5, 1.2, 3.0, 10.0, 25.0, 60.0}) {
    for (double inr : {0.9, 1.5, 2.5, 4.0}) {
      for (double cr : {0.7, 1.5, 3.0, 5.0}) {
        for (double na : {120.0, 131.0, 140.0}) {
          SCOPED_TRACE(std::to_string(bili) + " " + std::to_string(inr) + " " + std::to_string(cr) +
                       " Na " + std::to_string(na));
          MeldInputs labs = lab_values(bili, inr, cr);
          labs.sodium_mmol_l = na;
          for (bool use_na : {false, true}) {
            MeldReverseQuery q;
            q.score_low = q.score_high = use_na ? meld_na(labs).score : meld(labs).score;
            q.is_meld_na = use_na;
            q.sodium_mmol_l = LabRange{na, na};
            // Partial knowledge: a range around the INR, creatinine unknown.
            q.inr = LabRange{inr * 0.9, inr * 1.1};
            const BilirubinBounds b = bilirubin_bounds_from_meld(q);
            ASSERT_TRUE(b.consistent) << b.explanation;
            if (bili <= 1) {
              EXPECT_TRUE(b.low_at_floor) << b.explanation;
            } else {
              EXPECT_LE(b.low_mg_dl, bili) << b.explanation;
            }
            if (!b.high_unbounded) {
              EXPECT_GE(b.high_mg_dl, std::max(bili, 1.0)) << b.explanation;
            }
          }
        }
      }
    }
  }
}

TEST(ReverseMeld, CapFloorAndInconsistency) {
  MeldReverseQuery q;
  q.score_low = q.score_high = 40;
  q.inr = LabRange{2, 2};
  q.creatinine_mg_dl = LabRange{1, 1};
  EXPECT_TRUE(bilirubin_bounds_from_meld(q).high_unbounded);
  // MELD 6 cannot coexist with INR 3 (11.2 ln 3 = 12.3 points on its own).
  q.score_low = q.score_high = 6;
  q.inr = LabRange{3, 3};
  EXPECT_FALSE(bilirubin_bounds_from_meld(q).consistent);
  // With nothing but the score known, a MELD of 30 allows any bilirubin from the floor up to
  // exp((30.55 - 6.43)/3.78) = exp(6.3810) = 591 mg/dL: the score alone says little.
  MeldReverseQuery loose;
  loose.score_low = loose.score_high = 30;
  const BilirubinBounds b = bilirubin_bounds_from_meld(loose);
  EXPECT_TRUE(b.low_at_floor);
  EXPECT_NEAR(b.high_mg_dl, std::exp((30.55 - 6.43) / 3.78), 1e-6);
  EXPECT_THROW(bilirubin_bounds_from_meld(MeldReverseQuery{}), std::invalid_argument);
}

}  // namespace
}  // namespace onset::check
