// Clinical severity scores of chronic liver disease, forward and reverse.
//
// MELD (UNOS implementation of Kamath PS et al., Hepatology 2001;33:464-470,
// doi:10.1053/jhep.2001.22172):
//   MELD = 3.78 ln(bilirubin mg/dL) + 11.2 ln(INR) + 9.57 ln(creatinine mg/dL) + 6.43
//   Each lab below 1.0 is set to 1.0; creatinine is capped at 4.0 mg/dL; a patient dialysed
//   at least twice (or 24 h of CVVHD) in the prior week is given creatinine 4.0. The score
//   is rounded to the tenth (MELD(i)), then to an integer, and capped at 40.
// MELD-Na (UNOS/OPTN policy of January 2016, derived from Kim WR et al., N Engl J Med
//   2008;359:1018-1026, doi:10.1056/NEJMoa0801209):
//   if MELD(i) > 11: MELD-Na = MELD(i) + 1.32 (137 - Na) - 0.033 MELD(i) (137 - Na),
//   sodium clamped to [125, 137] mmol/L; otherwise MELD-Na = MELD(i). Rounded, capped at 40.
// Child-Pugh (Pugh RNH et al., Br J Surg 1973;60:646-649, doi:10.1002/bjs.1800600817; the
//   INR cut-offs are the modern substitute for prothrombin-time prolongation):
//   bilirubin < 2 / 2-3 / > 3 mg/dL (cholestatic disease: < 4 / 4-10 / > 10),
//   albumin > 3.5 / 2.8-3.5 / < 2.8 g/dL, INR < 1.7 / 1.7-2.3 / > 2.3,
//   ascites none / mild (or controlled) / moderate-severe (or refractory),
//   encephalopathy none / grade 1-2 / grade 3-4 -> 1 / 2 / 3 points each;
//   class A 5-6, B 7-9, C 10-15.
// Bilirubin units: molar mass 584.66 g/mol, so 1 mg/dL = 10 mg/L / 584.66 g/mol
// = 17.104 umol/L.
#pragma once

#include <optional>
#include <string>

namespace onset::check {

inline constexpr double kBilirubinMolarMassGPerMol = 584.66;
inline constexpr double kBilirubinUmolPerLPerMgPerDl = 1.0e4 / kBilirubinMolarMassGPerMol;

inline double bilirubin_umol_per_l(double mg_per_dl) {
  return mg_per_dl * kBilirubinUmolPerLPerMgPerDl;
}
inline double bilirubin_mg_per_dl(double umol_per_l) {
  return umol_per_l / kBilirubinUmolPerLPerMgPerDl;
}

struct MeldInputs {
  double bilirubin_mg_dl = 1;  // total serum bilirubin
  double inr = 1;
  double creatinine_mg_dl = 1;  // serum creatinine
  // At least two dialysis sessions, or 24 h of CVVHD, within the week before the test.
  bool dialysis = false;
  // Serum sodium, mmol/L; needed for MELD-Na only.
  std::optional<double> sodium_mmol_l;
};

struct MeldResult {
  double raw = 0;      // unrounded score from the labs as used
  double initial = 0;  // MELD(i): raw rounded to the tenth
  int score = 0;       // rounded to an integer, capped at 40
  double bilirubin_used = 0;
  double inr_used = 0;
  double creatinine_used = 0;
};

struct MeldNaResult {
  MeldResult meld;
  double sodium_used = 0;       // clamped to [125, 137]
  bool sodium_applied = false;  // false when MELD(i) <= 11
  double raw = 0;               // before rounding
  int score = 0;                // rounded, capped at 40
};

// Throws std::invalid_argument for a non-positive or non-finite lab value.
MeldResult meld(const MeldInputs& labs);
// Throws std::invalid_argument when sodium is missing.
MeldNaResult meld_na(const MeldInputs& labs);

enum class Ascites { kNone, kMild, kModerateSevere };
enum class Encephalopathy { kNone, kGrade1To2, kGrade3To4 };
enum class ChildPughClass { kA, kB, kC };
char class_letter(ChildPughClass c);
ChildPughClass child_pugh_class(int score);

// Any component may be unknown; the result is then the range of scores over its possible
// points (1-3), so a class can still be certain from partial data.
struct ChildPughInputs {
  std::optional<double> bilirubin_mg_dl;
  std::optional<double> albumin_g_dl;
  std::optional<double> inr;
  std::optional<Ascites> ascites;
  std::optional<Encephalopathy> encephalopathy;
  // Primary biliary cholangitis / sclerosing cholangitis bilirubin cut-offs (4 and 10 mg/dL).
  bool cholestatic = false;
};

struct ChildPughResult {
  int score_min = 0;
  int score_max = 0;
  ChildPughClass class_min = ChildPughClass::kA;
  ChildPughClass class_max = ChildPughClass::kA;
  int unknown_components = 0;
  bool certain_class() const { return class_min == class_max; }
};

ChildPughResult child_pugh(const ChildPughInputs& inputs);

struct LabRange {
  double low = 0;
  double high = 0;
};

// Reverse problem: which total bilirubin values are consistent with a reported MELD (or
// MELD-Na) score and whatever else is known?
struct MeldReverseQuery {
  // Reported integer scores; [score_low, score_high] inclusive (one score: both equal). Each
  // integer n stands for MELD(i) in [n - 0.5, n + 0.5], i.e. an unrounded score in
  // [n - 0.55, n + 0.55] (MELD(i) is rounded to the tenth first); 40 stands for >= 39.5.
  int score_low = 0;
  int score_high = 0;
  // True when the scores are MELD-Na; sodium must then be given (range allowed).
  bool is_meld_na = false;
  std::optional<LabRange> sodium_mmol_l;
  // Known labs as ranges (a point value: low = high). Unknown creatinine spans the whole
  // scored range [1, 4] mg/dL; unknown INR spans `unknown_inr`.
  std::optional<LabRange> inr;
  std::optional<LabRange> creatinine_mg_dl;
  bool dialysis = false;
  // Range assumed for an unknown INR. 1.0 is the MELD floor; 6.0 is an assumption (INR
  // above 6 is rare in cirrhosis without anticoagulants) -- widen it to be more cautious.
  LabRange unknown_inr{1.0, 6.0};
};

struct BilirubinBounds {
  bool consistent = true;  // false: no bilirubin fits the score with the other labs
  double low_mg_dl = 0;    // 0 when the floor (bilirubin <= 1 scores as 1) is reachable
  double high_mg_dl = 0;   // +infinity when the score is at the cap of 40
  bool low_at_floor = false;
  bool high_unbounded = false;
  double meld_raw_low = 0;  // unrounded MELD range implied by the query
  double meld_raw_high = 0;
  std::string explanation;  // the arithmetic in words
  double low_umol_l() const { return bilirubin_umol_per_l(low_mg_dl); }
  double high_umol_l() const { return bilirubin_umol_per_l(high_mg_dl); }
};

// Throws std::invalid_argument for an empty or malformed query.
BilirubinBounds bilirubin_bounds_from_meld(const MeldReverseQuery& query);

}  // namespace onset::check
