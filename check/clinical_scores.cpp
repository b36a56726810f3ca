#include "check/clinical_scores.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "io/format.hpp"

namespace onset::check {

namespace {

constexpr double kBilirubinWeight = 3.78;
constexpr double kInrWeight = 11.2;
constexpr double kCreatinineWeight = 9.57;
constexpr double kConstant = 6.43;
constexpr double kCreatinineCap = 4.0;
constexpr int kScoreCap = 40;
constexpr double kSodiumLow = 125;
constexpr double kSodiumHigh = 137;

void require_positive(double value, const char* what) {
  if (!std::isfinite(value) || value <= 0) {
    throw std::invalid_argument(std::string(what) + " must be a positive number, got " +
                                std::to_string(value));
  }
}

double floor1(double x) { return std::max(1.0, x); }
double creatinine_scored(double creatinine, bool dialysis) {
  return dialysis ? kCreatinineCap : std::min(kCreatinineCap, floor1(creatinine));
}

double round_tenth(double x) { return std::round(x * 10.0) / 10.0; }

// MELD-Na before rounding, from MELD(i) and sodium (UNOS 2016).
double meld_na_raw(double meld_initial, double sodium) {
  if (meld_initial <= 11) return meld_initial;
  const double na = std::clamp(sodium, kSodiumLow, kSodiumHigh);
  return meld_initial + 1.32 * (kSodiumHigh - na) - 0.033 * meld_initial * (kSodiumHigh - na);
}

int points(double value, double cut1, double cut2, bool higher_is_worse) {
  // Inclusive middle band [cut1, cut2] scores 2.
  if (higher_is_worse) return value < cut1 ? 1 : (value <= cut2 ? 2 : 3);
  return value > cut2 ? 1 : (value >= cut1 ? 2 : 3);
}

std::string num(double x) { return format_number(x, 4); }

}  // namespace

MeldResult meld(const MeldInputs& labs) {
  require_positive(labs.bilirubin_mg_dl, "bilirubin (mg/dL)");
  require_positive(labs.inr, "INR");
  require_positive(labs.creatinine_mg_dl, "creatinine (mg/dL)");
  MeldResult r;
  r.bilirubin_used = floor1(labs.bilirubin_mg_dl);
  r.inr_used = floor1(labs.inr);
  r.creatinine_used = creatinine_scored(labs.creatinine_mg_dl, labs.dialysis);
  r.raw = kBilirubinWeight * std::log(r.bilirubin_used) + kInrWeight * std::log(r.inr_used) +
          kCreatinineWeight * std::log(r.creatinine_used) + kConstant;
  r.initial = round_tenth(r.raw);
  r.score = std::min(kScoreCap, static_cast<int>(std::lround(r.initial)));
  return r;
}

MeldNaResult meld_na(const MeldInputs& labs) {
  if (!labs.sodium_mmol_l) throw std::invalid_argument("MELD-Na needs serum sodium (mmol/L)");
  require_positive(*labs.sodium_mmol_l, "sodium (mmol/L)");
  MeldNaResult r;
  r.meld = meld(labs);
  r.sodium_used = std::clamp(*labs.sodium_mmol_l, kSodiumLow, kSodiumHigh);
  r.sodium_applied = r.meld.initial > 11;
  r.raw = meld_na_raw(r.meld.initial, r.sodium_used);
  r.score = std::min(kScoreCap, static_cast<int>(std::lround(r.raw)));
  return r;
}

char class_letter(ChildPughClass c) {
  switch (c) {
    case ChildPughClass::kA:
      return 'A';
    case ChildPughClass::kB:
      return 'B';
    case ChildPughClass::kC:
      return 'C';
  }
  return '?';
}

ChildPughClass child_pugh_class(int score) {
  if (score <= 6) return ChildPughClass::kA;
  if (score <= 9) return ChildPughClass::kB;
  return ChildPughClass::kC;
}

ChildPughResult child_pugh(const ChildPughInputs& in) {
  ChildPughResult r;
  auto add = [&r](std::optional<int> p) {
    if (p) {
      r.score_min += *p;
      r.score_max += *p;
    } else {
      r.score_min += 1;
      r.score_max += 3;
      ++r.unknown_components;
    }
  };
  std::optional<int> bilirubin, albumin, inr, ascites, encephalopathy;
  if (in.bilirubin_mg_dl) {
    require_positive(*in.bilirubin_mg_dl, "bilirubin (mg/dL)");
    bilirubin = in.cholestatic ? points(*in.bilirubin_mg_dl, 4, 10, true)
                               : points(*in.bilirubin_mg_dl, 2, 3, true);
  }
  if (in.albumin_g_dl) {
    require_positive(*in.albumin_g_dl, "albumin (g/dL)");
    albumin = points(*in.albumin_g_dl, 2.8, 3.5, false);
  }
  if (in.inr) {
    require_positive(*in.inr, "INR");
    inr = points(*in.inr, 1.7, 2.3, true);
  }
  if (in.ascites) ascites = 1 + static_cast<int>(*in.ascites);
  if (in.encephalopathy) encephalopathy = 1 + static_cast<int>(*in.encephalopathy);
  add(bilirubin);
  add(albumin);
  add(inr);
  add(ascites);
  add(encephalopathy);
  r.class_min = child_pugh_class(r.score_min);
  r.class_max = child_pugh_class(r.score_max);
  return r;
}

BilirubinBounds bilirubin_bounds_from_meld(const MeldReverseQuery& q) {
  if (q.score_low > q.score_high || q.score_low < 6 || q.score_high > kScoreCap) {
    throw std::invalid_argument("MELD scores must satisfy 6 <= low <= high <= 40, got [" +
                                std::to_string(q.score_low) + ", " + std::to_string(q.score_high) +
                                "]");
  }
  auto check_range = [](const std::optional<LabRange>& r, const char* what) {
    if (r && (!(r->low > 0) || r->low > r->high)) {
      throw std::invalid_argument(std::string(what) + " range must satisfy 0 < low <= high");
    }
  };
  check_range(q.inr, "INR");
  check_range(q.creatinine_mg_dl, "creatinine");
  check_range(q.sodium_mmol_l, "sodium");
  if (q.is_meld_na && !q.sodium_mmol_l) {
    throw std::invalid_argument("reverse MELD-Na needs a sodium value or range");
  }

  BilirubinBounds b;
  // Range of MELD(i) (or MELD-Na before rounding) behind the reported integer score.
  const double reported_low = q.score_low - 0.5;
  const double reported_high =
      q.score_high >= kScoreCap ? std::numeric_limits<double>::infinity() : q.score_high + 0.5;

  // Unrounded MELD range. For MELD-Na, invert MELD-Na(MELD, Na), which is non-decreasing in
  // MELD and, below the cap, non-increasing in sodium: the smallest MELD comes with the lowest
  // sodium, the largest with the highest. Bisection copes with the step at MELD(i) = 11.
  double raw_low = reported_low;
  double raw_high = reported_high;
  if (q.is_meld_na) {
    const double na_low = q.sodium_mmol_l->low;
    const double na_high = q.sodium_mmol_l->high;
    auto smallest_meld_reaching = [](double target, double sodium) {
      double lo = 0, hi = 60;
      if (meld_na_raw(lo, sodium) >= target) return lo;
      for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (lo + hi);
        (meld_na_raw(mid, sodium) >= target ? hi : lo) = mid;
      }
      return hi;
    };
    raw_low = smallest_meld_reaching(reported_low, na_low);
    raw_high =
        std::isinf(reported_high) ? reported_high : smallest_meld_reaching(reported_high, na_high);
  }
  // MELD(i) is the raw score rounded to the tenth, so the raw score may lie 0.05 further out.
  raw_low -= 0.05;
  raw_high += 0.05;
  b.meld_raw_low = raw_low;
  b.meld_raw_high = raw_high;

  const LabRange inr = q.inr.value_or(q.unknown_inr);
  const LabRange creatinine = q.dialysis ? LabRange{kCreatinineCap, kCreatinineCap}
                                         : q.creatinine_mg_dl.value_or(LabRange{1.0, 4.0});
  // The other labs' largest and smallest contributions.
  const double others_max =
      kInrWeight * std::log(floor1(inr.high)) +
      kCreatinineWeight * std::log(creatinine_scored(creatinine.high, false)) + kConstant;
  const double others_min = kInrWeight * std::log(floor1(inr.low)) +
                            kCreatinineWeight * std::log(creatinine_scored(creatinine.low, false)) +
                            kConstant;

  const double ln_low = (raw_low - others_max) / kBilirubinWeight;
  const double ln_high = (raw_high - others_min) / kBilirubinWeight;
  std::ostringstream why;
  why << "MELD " << (q.is_meld_na ? "(from MELD-Na) " : "") << "unrounded in [" << num(raw_low)
      << ", " << num(raw_high) << "]; INR [" << num(inr.low) << ", " << num(inr.high)
      << "], creatinine [" << num(creatinine.low) << ", " << num(creatinine.high)
      << "] mg/dL contribute [" << num(others_min) << ", " << num(others_max)
      << "] points with the constant; bilirubin = exp((MELD - others) / 3.78)";
  if (ln_high < 0) {
    b.consistent = false;
    why << "; inconsistent: even bilirubin <= 1 mg/dL (scored as 1) gives more than "
        << num(raw_high);
    b.explanation = why.str();
    return b;
  }
  if (ln_low <= 0) {
    b.low_at_floor = true;
    b.low_mg_dl = 0;
  } else {
    b.low_mg_dl = std::exp(ln_low);
  }
  if (std::isinf(ln_high)) {
    b.high_unbounded = true;
    b.high_mg_dl = std::numeric_limits<double>::infinity();
  } else {
    b.high_mg_dl = std::exp(ln_high);
  }
  why << " -> [" << num(b.low_mg_dl) << ", " << num(b.high_mg_dl) << "] mg/dL";
  b.explanation = why.str();
  return b;
}

}  // namespace onset::check
