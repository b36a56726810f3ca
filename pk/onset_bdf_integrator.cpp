// onset_bdf: CVODE's variable-order, variable-step BDF method for models of any size, with
// forward sensitivities (CVODES's staggered direct method).
//
// Models of up to kOnsetBdfFixedMaxStates states run on kernels compiled for their exact size
// N, so every vector and matrix is a fixed-size Eigen object inside the integrator and every
// loop has a compile-time trip count. Larger models run the same code with N = Eigen::Dynamic:
// vectors and matrices sized once, at construction, and reused by every step and every run;
// the Newton iteration matrix M = I - gamma J is factored by dense LU with partial pivoting,
// by banded LU (SolverOptions::linear_solver = kBanded), or, for models that declare their
// Jacobian's sparsity (pk::JacobianPattern) from kOnsetBdfSparseMinStates states on, by KLU
// (SuiteSparse; symbolic analysis once, numeric refactorisation with the same pivot order,
// a fresh factorisation when the reciprocal condition estimate drops below uround^(2/3), as
// SUNDIALS' SUNLinSol_KLU does).
//
// The method is the one of SUNDIALS CVODE 6.x (Hindmarsh et al., ACM TOMS 31:363, 2005;
// Byrne and Hindmarsh, ACM TOMS 1:71, 1975; Jackson and Sacks-Davis, ACM TOMS 6:295, 1980):
//  - fixed-leading-coefficient BDF of orders 1-5 on a Nordsieck history array z (q+1 columns),
//    error weights 1/(rtol |y_i| + atol_i) and the WRMS norm;
//  - modified Newton iteration on M = I - gamma J with the LU factors reused across steps:
//    refactor when gamma changed by more than 30 %, every 20 steps, after a failure; a new
//    Jacobian every 51 steps or after a convergence failure; convergence-rate test with at most
//    3 iterations; solutions scaled by 2/(1 + gamma/gamma_setup) when gamma moved;
//  - local error test, step size and order selection from the estimates at q-1, q, q+1 with
//    CVODE's bias factors (6, 6, 10) and limits (first step x1e4, then x10; no change below
//    x1.5), initial step from CVODE's cvHin, never stepping past the end of the piece;
//  - output by interpolation of the Nordsieck polynomial (CVodeGetDky with k = 0);
//  - crossings located after every step on the interpolant by the Illinois variant of regula
//    falsi, as cvRootfind does (Hiebert and Shampine, SAND80-0180, 1980).
// The same heuristics give the same step counts as a CVODE program at the same tolerances;
// what differs is the data layout: no generic N_Vector calls, no dense-matrix objects.
//
// Sensitivities (set_sensitivities), as CVODES with CV_STAGGERED and errconS (Hindmarsh et
// al. 2005, section 3; Feehery, Tolsma and Barton, Appl. Numer. Math. 25:41, 1997): each
// sensitivity s_j has its own Nordsieck array, predicted and rescaled with the states'. Once
// the states' Newton iteration has converged and passed the error test, the sensitivity
// equations s' = J(t_n, y_n) s + df/dp_j (linear in s) are corrected by Newton iterations with
// the states' iteration matrix (a fresh one when they do not converge), then the largest of
// the states' and sensitivities' error norms takes the error test and chooses the next step
// and order. J is evaluated at the converged y_n of every step (the iteration matrix may be
// older; the sensitivity right-hand side may not).
//
// Everything is sized at construction (set_crossings() sizes the crossing buffers,
// set_sensitivities() the sensitivity arrays); advance() and restart() do not allocate, except
// to compose the message of a failure.
#include <klu.h>

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "io/format.hpp"
#include "pk/onset_bdf.hpp"

namespace onset::pk {

namespace {

// --- CVODE's algorithmic constants (cvode.c, cvode_ls.c, cvode_impl.h of SUNDIALS 6.x) ---
constexpr int kMaxOrder = 5;              // BDF_Q_MAX
constexpr double kUround = DBL_EPSILON;   // unit roundoff
constexpr double kFuzzFactor = 100.0;     // slack on time comparisons
constexpr double kHlbFactor = 100.0;      // cvHin: lower bound on h0 in units of roundoff
constexpr double kHubFactor = 0.1;        // cvHin: h0 at most a tenth of the output distance
constexpr double kHBias = 0.5;            // cvHin: bias on the estimate
constexpr int kHinIters = 4;              // cvHin: MAX_ITERS
constexpr double kNewtonCoef = 0.1;       // nlscoef (CORTES): Newton tolerance vs local error
constexpr double kEtaMaxFirst = 10000.0;  // growth limit after the first step
constexpr double kEtaMaxEarly = 10.0;     // ... during the first 10 steps
constexpr double kEtaMaxLater = 10.0;     // ... afterwards
constexpr double kEtaMaxFixed = 1.5;      // keep h when the proposed ratio is below this
constexpr double kEtaMinErrFail = 0.1;    // smallest ratio after an error-test failure
constexpr double kEtaMaxErrFail = 0.2;    // largest ratio after repeated error-test failures
constexpr double kEtaConvFail = 0.25;     // ratio after a convergence failure
constexpr double kAddon = 1e-6;
constexpr double kBias1 = 6.0, kBias2 = 6.0, kBias3 = 10.0;
constexpr long kSmallSteps = 10;              // SMALL_NST
constexpr int kMaxConvFails = 10;             // MXNCF: convergence failures per step
constexpr int kMaxErrFails = 7;               // MXNEF: error-test failures per step
constexpr int kErrFailsBeforeOrderCut = 3;    // MXNEF1
constexpr int kSmallErrFails = 2;             // SMALL_NEF
constexpr int kLongWait = 10;                 // LONG_WAIT
constexpr int kMaxNewtonIters = 3;            // NLS_MAXCOR
constexpr double kCrateDown = 0.3;            // CRDOWN
constexpr double kDivergence = 2.0;           // RDIV
constexpr long kStepsBetweenSetups = 20;      // MSBP
constexpr double kGammaChangeSetup = 0.3;     // DGMAX_LSETUP
constexpr long kStepsBetweenJacobians = 51;   // CVLS_MSBJ
constexpr double kGammaChangeJacobian = 0.2;  // CVLS_DGMAX
constexpr double kMinIncMult = 1000.0;        // finite-difference Jacobian increment floor
constexpr int kMaxStepsBelowRoundoff = 10;    // MXHNIL: steps with t + h == t before failing

// kKeepStepBound[k] = (1/kEtaMaxFixed - kAddon)^k: a proposed ratio 1/(x^(1/k) + kAddon) is
// below kEtaMaxFixed (so h is kept) exactly when x exceeds it; saves the pow() in that case.
constexpr std::array<double, kMaxOrder + 3> kKeepStepBound = [] {
  std::array<double, kMaxOrder + 3> bound{};
  double power = 1;
  for (auto& b : bound) {
    b = power;
    power *= 1 / kEtaMaxFixed - kAddon;
  }
  return bound;
}();
// 1/j, to keep divisions out of the coefficient updates.
constexpr std::array<double, kMaxOrder + 3> kInverse = [] {
  std::array<double, kMaxOrder + 3> inverse{};
  for (size_t j = 1; j < inverse.size(); ++j) inverse[j] = 1.0 / static_cast<double>(j);
  return inverse;
}();

// --- Nordsieck array updates, element by element ---
// The history array's columns z[0..q] are separate vectors of `length` doubles; CVODE updates
// them column by column (one pass over memory per pair of columns). These kernels take every
// column of an element (two elements at a time, in SSE2 registers) and do all of the element's
// arithmetic at once, in the same order per element as the column passes, so the results are
// the same bits; a compile-time order Q lets the compiler keep the q + 1 values in registers.
using Pair = Eigen::Array2d;
inline Pair load_pair(const double* p) { return Eigen::Map<const Pair>(p); }
inline void store_pair(double* p, const Pair& v) { Eigen::Map<Pair>{p} = v; }

// kSign = +1: z[j-1] += z[j] for k = 1..Q, j = Q..k (the prediction: z <- z P, P Pascal's
// upper triangle); kSign = -1: the same with -=, which undoes it.
template <int Q, int kSign, typename T>
inline void pascal_update(T* v) {
  for (int k = 1; k <= Q; ++k)
    for (int j = Q; j >= k; --j) {
      if constexpr (kSign > 0)
        v[j - 1] += v[j];
      else
        v[j - 1] -= v[j];
    }
}
// kLength > 0: length, known at compile time.
template <int Q, int kSign, int kLength>
void pascal_columns(double* const* columns, int dynamic_length) {
  const int length = kLength > 0 ? kLength : dynamic_length;
  // Local copies, so that the stores cannot be taken to move the pointers.
  std::array<double*, Q + 1> z;
  for (int j = 0; j <= Q; ++j) z[j] = columns[j];
  int i = 0;
  for (; i + 2 <= length; i += 2) {
    Pair v[Q + 1];
    for (int j = 0; j <= Q; ++j) v[j] = load_pair(z[j] + i);
    pascal_update<Q, kSign>(v);
    for (int j = 0; j <= Q; ++j) store_pair(z[j] + i, v[j]);
  }
  for (; i < length; ++i) {
    double v[Q + 1];
    for (int j = 0; j <= Q; ++j) v[j] = z[j][i];
    pascal_update<Q, kSign>(v);
    for (int j = 0; j <= Q; ++j) z[j][i] = v[j];
  }
}
template <int kSign, int kLength = 0>
void pascal_columns(double* const* z, int q, int length) {
  switch (q) {
    case 1:
      return pascal_columns<1, kSign, kLength>(z, length);
    case 2:
      return pascal_columns<2, kSign, kLength>(z, length);
    case 3:
      return pascal_columns<3, kSign, kLength>(z, length);
    case 4:
      return pascal_columns<4, kSign, kLength>(z, length);
    default:
      return pascal_columns<5, kSign, kLength>(z, length);
  }
}

// z[j] += l[j] * a for j = 0..Q (cvCompleteStep's history update).
template <int Q, int kLength>
void correct_columns(double* const* columns, const double* coefficients, const double* a,
                     int dynamic_length) {
  const int length = kLength > 0 ? kLength : dynamic_length;
  // Local copies, so that the stores cannot be taken to change the pointers or coefficients.
  std::array<double*, Q + 1> z;
  std::array<double, Q + 1> l;
  for (int j = 0; j <= Q; ++j) {
    z[j] = columns[j];
    l[j] = coefficients[j];
  }
  int i = 0;
  for (; i + 2 <= length; i += 2) {
    const Pair ai = load_pair(a + i);
    for (int j = 0; j <= Q; ++j) store_pair(z[j] + i, load_pair(z[j] + i) + l[j] * ai);
  }
  for (; i < length; ++i)
    for (int j = 0; j <= Q; ++j) z[j][i] += l[j] * a[i];
}
template <int kLength = 0>
void correct_columns(double* const* z, int q, const double* l, const double* a, int length) {
  switch (q) {
    case 1:
      return correct_columns<1, kLength>(z, l, a, length);
    case 2:
      return correct_columns<2, kLength>(z, l, a, length);
    case 3:
      return correct_columns<3, kLength>(z, l, a, length);
    case 4:
      return correct_columns<4, kLength>(z, l, a, length);
    default:
      return correct_columns<5, kLength>(z, l, a, length);
  }
}

// --- Element-wise passes, two elements at a time in SSE2 registers ---
// GCC does not vectorise these loops written with a bool reduction; the pairs do the same
// arithmetic per element (no reassociation), so the results are the same bits.

// x[i] += a[i], i < length.
inline void add_to(double* x, const double* a, int length) {
  int i = 0;
  for (; i + 2 <= length; i += 2) store_pair(x + i, load_pair(x + i) + load_pair(a + i));
  for (; i < length; ++i) x[i] += a[i];
}

// Whether every x[i] is finite: x * 0 is 0 for a finite x and NaN for inf or NaN, and a sum
// with a NaN term is NaN.
inline bool all_finite(const double* x, int length) {
  Pair acc = Pair::Zero();
  int i = 0;
  for (; i + 2 <= length; i += 2) acc += load_pair(x + i) * 0.0;
  double rest = 0;
  for (; i < length; ++i) rest += x[i] * 0.0;
  return acc[0] == 0 && acc[1] == 0 && rest == 0;
}

// ewt[i] = 1 / (rtol |y[i]| + atol[i]); whether every tolerance rtol |y[i]| + atol[i] is
// positive and finite (not: ewt unusable). The smallest tolerance is positive and none is inf
// or NaN (tolerance * 0 == 0) exactly when each is, element by element.
inline bool error_weights(const double* y, const double* atol, double rtol, double* ewt,
                          int length) {
  Pair smallest = Pair::Constant(DBL_MAX), nonfinite = Pair::Zero();
  int i = 0;
  for (; i + 2 <= length; i += 2) {
    const Pair tolerance = rtol * load_pair(y + i).abs() + load_pair(atol + i);
    smallest = smallest.min(tolerance);
    nonfinite += tolerance * 0.0;
    store_pair(ewt + i, 1.0 / tolerance);
  }
  double smallest_rest = DBL_MAX, nonfinite_rest = 0;
  for (; i < length; ++i) {
    const double tolerance = rtol * std::fabs(y[i]) + atol[i];
    smallest_rest = std::min(smallest_rest, tolerance);
    nonfinite_rest += tolerance * 0.0;
    ewt[i] = 1.0 / tolerance;
  }
  return smallest[0] > 0 && smallest[1] > 0 && smallest_rest > 0 && nonfinite[0] == 0 &&
         nonfinite[1] == 0 && nonfinite_rest == 0;
}

// Smallest reciprocal condition estimate accepted from a KLU refactorisation (uround^(2/3),
// as SUNLinSol_KLU); below it the matrix is factored afresh with new pivots.
const double kKluRcondFloor = std::pow(kUround, 2.0 / 3.0);

// Outcomes inside a step attempt (CVODE's DO_ERROR_TEST, PREDICT_AGAIN, ... and failures).
enum class Code {
  kSuccess,
  kDoErrorTest,
  kPredictAgain,
  kTryAgain,
  kConvRecoverable,  // Newton failed to converge (or the LU was singular)
  kRhsRecoverable,   // the right-hand side was not finite at a trial point
  kErrFailure,       // CV_ERR_FAILURE
  kConvFailure,      // CV_CONV_FAILURE
  kRepeatedRhs,      // CV_REPTD_RHSFUNC_ERR
};

// Why the Newton iteration is being set up (CVODE's convfail).
enum class ConvFail { kNone, kBadJacobian, kOther };
// What cvStep was told about the previous attempt (CVODE's nflag).
enum class Attempt { kFirst, kPrevConvFail, kPrevErrFail };
// How the iteration matrix is factored.
enum class LinearKind { kDense, kBanded, kSparse };

// Step k of partial pivoting: the largest |a(i, k)|, i >= k, becomes the pivot, recorded in
// pivots[k] and swapped into row k; false if column k is zero from row k on (singular).
template <typename Matrix, typename Pivots>
bool pivot_column(Matrix& a, Pivots& pivots, int n, int k) {
  int pivot = k;
  double largest = std::fabs(a(k, k));
  for (int i = k + 1; i < n; ++i)
    if (std::fabs(a(i, k)) > largest) {
      largest = std::fabs(a(i, k));
      pivot = i;
    }
  pivots[k] = pivot;
  if (!(largest > 0)) return false;
  if (pivot != k) a.row(k).swap(a.row(pivot));
  return true;
}

// LU factorisation with partial pivoting of the n x n column-major `a`, in place (LAPACK
// getrf); false if singular. kN > 0: n = kN, known at compile time.
template <int kN, typename Matrix, typename Pivots>
bool lu_factor(Matrix& a, Pivots& pivots, int dynamic_n) {
  const int n = kN > 0 ? kN : dynamic_n;
  for (int k = 0; k < n; ++k) {
    if (!pivot_column(a, pivots, n, k)) return false;
    const double inverse = 1 / a(k, k);
    for (int i = k + 1; i < n; ++i) a(i, k) *= inverse;
    for (int j = k + 1; j < n; ++j) {
      const double ukj = a(k, j);
      if (ukj != 0)
        for (int i = k + 1; i < n; ++i) a(i, j) -= a(i, k) * ukj;
    }
  }
  return true;
}

// Dense LU with partial pivoting as lu_factor, for a matrix with few nonzeros per column
// (the dynamic-size path, more than kOnsetBdfFixedMaxStates states): the update of column j
// by column k runs over the nonzero rows of column k's multipliers only, so the work is the
// sum over k of nnz(L col k) x nnz(U row k) instead of (n - k)^2. Skipping an exact zero
// multiplier changes no value (a - 0 * u = a), so the factors equal lu_factor's.
template <typename Matrix, typename Pivots>
bool lu_factor_sparse(Matrix& a, Pivots& pivots, int n, std::vector<int>& rows) {
  for (int k = 0; k < n; ++k) {
    if (!pivot_column(a, pivots, n, k)) return false;
    const double inverse = 1 / a(k, k);
    rows.clear();
    for (int i = k + 1; i < n; ++i)
      if (a(i, k) != 0) {
        a(i, k) *= inverse;
        rows.push_back(i);
      }
    if (rows.empty()) continue;
    for (int j = k + 1; j < n; ++j) {
      const double ukj = a(k, j);
      if (ukj != 0)
        for (int i : rows) a(i, j) -= a(i, k) * ukj;
    }
  }
  return true;
}

// The nonzeros of lu_factor's factors, column by column (L strictly below the diagonal, U
// strictly above it, and U's diagonal), so that a solve costs nnz(L) + nnz(U) instead of n^2.
// The arithmetic of lu_solve in the same order, less the terms with an exact zero factor:
// the same result.
class CompressedLu {
 public:
  void reserve(int n) {
    const auto size = static_cast<size_t>(n);
    l_start_.reserve(size + 1);
    u_start_.reserve(size + 1);
    diagonal_.reserve(size);
    pivots_.reserve(size);
    l_index_.reserve(size * size);
    l_value_.reserve(size * size);
    u_index_.reserve(size * size);
    u_value_.reserve(size * size);
  }

  template <typename Matrix, typename Pivots>
  void build(const Matrix& a, const Pivots& pivots, int n) {
    l_start_.clear();
    u_start_.clear();
    l_index_.clear();
    l_value_.clear();
    u_index_.clear();
    u_value_.clear();
    diagonal_.clear();
    pivots_.clear();
    for (int j = 0; j < n; ++j) {
      pivots_.push_back(pivots[j]);
      diagonal_.push_back(a(j, j));
      l_start_.push_back(static_cast<int>(l_index_.size()));
      for (int i = j + 1; i < n; ++i)
        if (a(i, j) != 0) {
          l_index_.push_back(i);
          l_value_.push_back(a(i, j));
        }
      u_start_.push_back(static_cast<int>(u_index_.size()));
      for (int i = 0; i < j; ++i)
        if (a(i, j) != 0) {
          u_index_.push_back(i);
          u_value_.push_back(a(i, j));
        }
    }
    l_start_.push_back(static_cast<int>(l_index_.size()));
    u_start_.push_back(static_cast<int>(u_index_.size()));
  }

  void solve(double* b) const {
    const int n = static_cast<int>(diagonal_.size());
    for (int k = 0; k < n; ++k) {
      const int p = pivots_[static_cast<size_t>(k)];
      if (p != k) std::swap(b[k], b[p]);
    }
    const int* l_index = l_index_.data();
    const double* l_value = l_value_.data();
    for (int j = 0; j < n; ++j) {
      const double bj = b[j];
      if (bj != 0)
        for (int e = l_start_[static_cast<size_t>(j)]; e < l_start_[static_cast<size_t>(j) + 1];
             ++e)
          b[l_index[e]] -= l_value[e] * bj;
    }
    const int* u_index = u_index_.data();
    const double* u_value = u_value_.data();
    for (int j = n - 1; j >= 0; --j) {
      b[j] /= diagonal_[static_cast<size_t>(j)];
      const double bj = b[j];
      if (bj != 0)
        for (int e = u_start_[static_cast<size_t>(j)]; e < u_start_[static_cast<size_t>(j) + 1];
             ++e)
          b[u_index[e]] -= u_value[e] * bj;
    }
  }

 private:
  std::vector<int> l_start_, u_start_, l_index_, u_index_, pivots_;
  std::vector<double> l_value_, u_value_, diagonal_;
};

// b <- A^-1 b from lu_factor's factors, with the arithmetic of SUNDIALS' denseGETRS (what
// CVODES's dense solver runs): no test for zero entries of b, so the column updates have no
// data-dependent branch and vectorise (sensitivity right-hand sides are often exactly zero in
// some states, which made such branches mispredict). A zero b_j subtracts a(i, j) * 0, which
// changes no value (at most the sign of a zero).
// With kN known, b is copied into a local array first: the compiler keeps it in registers
// (no store-to-load round trips through b, no checks that b and a overlap).
template <int kN, typename Matrix, typename Pivots>
void lu_solve(const Matrix& a, const Pivots& pivots, double* b_out, int dynamic_n) {
  const int n = kN > 0 ? kN : dynamic_n;
  std::array<double, (kN > 0 ? kN : 1)> local;
  double* b = b_out;
  if constexpr (kN > 0) {
    for (int k = 0; k < kN; ++k) local[static_cast<size_t>(k)] = b_out[k];
    b = local.data();
  }
  // (A 1 x 1 matrix has no row interchange.)
  if constexpr (kN != 1)
    for (int k = 0; k < n; ++k) {
      const int p = pivots[k];
      if (p != k) std::swap(b[k], b[p]);
    }
  for (int j = 0; j < n; ++j) {
    const double bj = b[j];
    for (int i = j + 1; i < n; ++i) b[i] -= a(i, j) * bj;
  }
  for (int j = n - 1; j >= 0; --j) {
    b[j] /= a(j, j);
    const double bj = b[j];
    for (int i = 0; i < j; ++i) b[i] -= a(i, j) * bj;
  }
  if constexpr (kN > 0)
    for (int k = 0; k < kN; ++k) b_out[k] = local[static_cast<size_t>(k)];
}

// Banded LU with partial pivoting (LAPACK gbtf2/gbtrs) of M = I - gamma J, for J with `lower`
// sub- and `upper` super-diagonals; the factors have lower + upper super-diagonals.
class BandLu {
 public:
  BandLu(int n, int lower, int upper)
      : n_(n),
        kl_(lower),
        ku_(upper),
        kv_(lower + upper),
        ldab_(2 * lower + upper + 1),
        ab_(static_cast<size_t>(ldab_) * static_cast<size_t>(n), 0.0),
        pivots_(static_cast<size_t>(n), 0) {}

  // J dense column-major n x n.
  bool factor(const double* jac, double gamma) {
    std::fill(ab_.begin(), ab_.end(), 0.0);
    for (int j = 0; j < n_; ++j)
      for (int i = std::max(0, j - ku_); i <= std::min(n_ - 1, j + kl_); ++i)
        at(i, j) = -gamma * jac[static_cast<size_t>(i) + static_cast<size_t>(n_) * j] +
                   (i == j ? 1.0 : 0.0);
    int ju = 0;
    for (int j = 0; j < n_; ++j) {
      const int km = std::min(kl_, n_ - 1 - j);
      int jp = 0;
      double largest = std::fabs(at(j, j));
      for (int i = 1; i <= km; ++i)
        if (std::fabs(at(j + i, j)) > largest) {
          largest = std::fabs(at(j + i, j));
          jp = i;
        }
      pivots_[static_cast<size_t>(j)] = j + jp;
      if (!(largest > 0)) return false;
      ju = std::max(ju, std::min(j + ku_ + jp, n_ - 1));
      if (jp != 0)
        for (int c = j; c <= ju; ++c) std::swap(at(j + jp, c), at(j, c));
      const double inverse = 1 / at(j, j);
      for (int i = 1; i <= km; ++i) at(j + i, j) *= inverse;
      for (int c = j + 1; c <= ju; ++c) {
        const double ujc = at(j, c);
        if (ujc != 0)
          for (int i = 1; i <= km; ++i) at(j + i, c) -= at(j + i, j) * ujc;
      }
    }
    return true;
  }

  void solve(double* b) const {
    for (int j = 0; j < n_ - 1; ++j) {
      const int lm = std::min(kl_, n_ - 1 - j);
      const int l = pivots_[static_cast<size_t>(j)];
      if (l != j) std::swap(b[l], b[j]);
      const double bj = b[j];
      if (bj != 0)
        for (int i = 1; i <= lm; ++i) b[j + i] -= at(j + i, j) * bj;
    }
    for (int j = n_ - 1; j >= 0; --j) {
      b[j] /= at(j, j);
      const double bj = b[j];
      if (bj != 0)
        for (int i = std::max(0, j - kv_); i < j; ++i) b[i] -= at(i, j) * bj;
    }
  }

 private:
  // Element (i, j) of the matrix in LAPACK band storage (row kv + i - j of column j).
  double& at(int i, int j) {
    return ab_[static_cast<size_t>(kv_ + i - j) + static_cast<size_t>(ldab_) * j];
  }
  double at(int i, int j) const {
    return ab_[static_cast<size_t>(kv_ + i - j) + static_cast<size_t>(ldab_) * j];
  }

  int n_, kl_, ku_, kv_, ldab_;
  std::vector<double> ab_;
  std::vector<int> pivots_;
};

// Dense LU with partial pivoting of M = I - gamma J for a model that declares its Jacobian's
// sparsity, as lu_factor_sparse computes it, refactored in O(nonzeros) (the dynamic-size dense
// path). The first factorisation, and any whose pivots differ from every analysis kept, runs
// lu_factor_sparse on the whole matrix; its row interchanges P and the pattern of J plus the
// diagonal give, by symbolic elimination, the pattern of the factors of P M (fill included) and
// the list of updates a(i, j) -= a(i, k) a(k, j) in lu_factor_sparse's order: an analysis. A
// refactorisation writes P M onto an analysis's pattern and replays its list, checking at each
// column that its pivot is the one partial pivoting would choose: strictly the largest entry of
// its column when rows were interchanged there, at least as large as any other when not (on a
// tie, partial pivoting keeps the row in place). When it is not, the analyses kept for other
// pivot sequences are tried, then the matrix is factored afresh (and analysed, unless its
// pivots are those of an analysis kept). Up to kMaxAnalyses are kept, so that a solve whose
// pivots alternate between a few sequences as gamma changes (the EV cascade: two) does not
// analyse again at every change. The factors are those of lu_factor_sparse, value for value
// (the same operations in the same order, less terms with an exact zero factor), at a cost of
// nnz(L) x nnz(U)-like work instead of n^2 scans; the solves run over the nonzeros.
class PatternLu {
 public:
  PatternLu(const JacobianPattern& pattern, int n)
      : n_(n), a_(static_cast<size_t>(n) * static_cast<size_t>(n), 0.0) {
    const auto size = static_cast<size_t>(n);
    structure_.assign(size * size, 0);
    for (int j = 0; j < n; ++j) {
      for (int e = pattern.column_start[static_cast<size_t>(j)];
           e < pattern.column_start[static_cast<size_t>(j) + 1]; ++e)
        structure_[at(pattern.rows[static_cast<size_t>(e)], j)] = 1;
      structure_[at(j, j)] = 1;
    }
    for (size_t e = 0; e < structure_.size(); ++e)
      if (structure_[e]) positions_.push_back(static_cast<int>(e));
    pivots_.assign(size, 0);
    rows_.reserve(size);
    diagonal_.assign(size, 0.0);
    filled_.assign(size * size, 0);
    in_m_.assign(size * size, 0);
    analyses_.reserve(kMaxAnalyses);
  }

  // Factors I - gamma jac (jac dense, column-major n x n); false if singular.
  bool factor(const double* jac, double gamma) {
    if (current_ >= 0 && refactor(analyses_[static_cast<size_t>(current_)], jac, gamma)) {
      gather_factors();
      return true;
    }
    for (int k = 0; k < static_cast<int>(analyses_.size()); ++k)
      if (k != current_ && refactor(analyses_[static_cast<size_t>(k)], jac, gamma)) {
        current_ = k;
        gather_factors();
        return true;
      }
    std::fill(a_.begin(), a_.end(), 0.0);
    for (size_t e = 0; e < a_.size(); ++e) a_[e] = -gamma * jac[e];
    for (int i = 0; i < n_; ++i) a_[at(i, i)] += 1.0;
    Eigen::Map<Eigen::MatrixXd> a(a_.data(), n_, n_);
    current_ = -1;
    if (!lu_factor_sparse(a, pivots_, n_, rows_)) return false;
    for (int k = 0; k < static_cast<int>(analyses_.size()); ++k)
      if (analyses_[static_cast<size_t>(k)].pivots == pivots_) current_ = k;
    if (current_ < 0) {
      if (analyses_.size() < kMaxAnalyses) {
        current_ = static_cast<int>(analyses_.size());
        analyses_.emplace_back();
      } else {  // replace the oldest
        current_ = next_replaced_;
        next_replaced_ = (next_replaced_ + 1) % static_cast<int>(kMaxAnalyses);
      }
      analyse(analyses_[static_cast<size_t>(current_)]);
    }
    gather_factors();
    return true;
  }

  // The same arithmetic as lu_solve, in the same order, over the factors' nonzeros: the row
  // interchanges that move a row; L's entries column by column (one flat list: b_j is final
  // when column j is reached); U's columns from the last, where the divisions by the diagonal
  // of the columns without entries above it, which no other column's division waits for, run
  // as one pass over each run of such columns. Like lu_solve, no test for zero entries of b (a
  // zero b_j subtracts l(i, j) * 0: no value changes, at most the sign of a zero).
  void solve(double* b) const {
    const Analysis& an = analyses_[static_cast<size_t>(current_)];
    for (const auto& [k, p] : an.swaps) std::swap(b[k], b[p]);
    const int* l_row = an.l_row.data();
    const double* l_value = l_value_.data();
    for (const LColumn& c : an.l_columns) {  // b_j is final here: read once
      const double bj = b[c.column];
      for (int e = c.start; e < c.end; ++e) b[l_row[e]] -= l_value[e] * bj;
    }
    const int* u_row = an.u_row.data();
    const double* u_value = u_value_.data();
    const double* diagonal = diagonal_.data();
    // The columns with entries above the diagonal first (a chain: each division waits for the
    // updates of the columns after it), then the divisions of the others, which nothing reads
    // or updates in between (their rows are below every update and their columns update
    // nothing), so that the divider serves the chain first; the same divisions, the same bits.
    int high = n_;  // columns [column + 1, high) have no entries above the diagonal
    for (const UColumn& c : an.u_columns) {
      b[c.column] /= diagonal[c.column];
      const double bj = b[c.column];
      for (int e = c.start; e < c.end; ++e) b[u_row[e]] -= u_value[e] * bj;
    }
    for (const UColumn& c : an.u_columns) {
      for (int i = c.column + 1; i < high; ++i) b[i] /= diagonal[i];
      high = c.column;
    }
    for (int i = 0; i < high; ++i) b[i] /= diagonal[i];
  }

  // Positions (column-major) of J's pattern and the diagonal: all that factor() reads of jac.
  const std::vector<int>& positions() const { return positions_; }

 private:
  static constexpr size_t kMaxAnalyses = 4;

  struct Op {
    int target, l, u;  // a[target] -= a[l] * a[u] (indices into the column-major storage)
  };
  struct UColumn {
    int column, start, end;  // U's entries above the diagonal of `column`: [start, end)
  };
  struct LColumn {
    int column, start, end;  // L's entries below the diagonal of `column`: [start, end)
  };
  // The factors' pattern and update list for one sequence of row interchanges.
  struct Analysis {
    std::vector<int> pivots, iperm;
    std::vector<int> m_target, m_source, fill;  // P M onto the pattern; fill zeroed first
    std::vector<int> k_start, lower, op_start;  // per column k: positions of L's entries, ops
    std::vector<Op> ops;
    std::vector<int> l_row, l_at;            // L's entries, column by column, rows ascending
    std::vector<LColumn> l_columns;          // L's columns with entries, first first
    std::vector<int> u_row, u_at;            // U's entries above the diagonal, likewise
    std::vector<UColumn> u_columns;          // U's columns with such entries, last first
    std::vector<std::pair<int, int>> swaps;  // (k, pivots[k]) with pivots[k] != k
  };

  size_t at(int i, int j) const {
    return static_cast<size_t>(i) + static_cast<size_t>(n_) * static_cast<size_t>(j);
  }

  // The factors' values in the order the solves read them.
  void gather_factors() {
    const Analysis& an = analyses_[static_cast<size_t>(current_)];
    const double* a = a_.data();
    l_value_.resize(an.l_at.size());
    u_value_.resize(an.u_at.size());
    for (size_t e = 0; e < an.l_at.size(); ++e) l_value_[e] = a[an.l_at[e]];
    for (size_t e = 0; e < an.u_at.size(); ++e) u_value_[e] = a[an.u_at[e]];
    for (int j = 0; j < n_; ++j) diagonal_[static_cast<size_t>(j)] = a[at(j, j)];
  }

  // The pattern of the factors of P M and the update list, from the interchanges in pivots_.
  void analyse(Analysis& an) {
    an.pivots = pivots_;
    std::vector<int> perm(static_cast<size_t>(n_));
    for (int i = 0; i < n_; ++i) perm[static_cast<size_t>(i)] = i;
    for (int k = 0; k < n_; ++k)
      std::swap(perm[static_cast<size_t>(k)], perm[static_cast<size_t>(pivots_[k])]);
    an.iperm.assign(static_cast<size_t>(n_), 0);
    for (int r = 0; r < n_; ++r) an.iperm[static_cast<size_t>(perm[static_cast<size_t>(r)])] = r;
    // Pattern of P M, then symbolic elimination (fill) in place.
    std::vector<char>& filled = filled_;
    std::fill(filled.begin(), filled.end(), 0);
    an.m_target.clear();
    an.m_source.clear();
    for (int j = 0; j < n_; ++j)
      for (int i = 0; i < n_; ++i)
        if (structure_[at(i, j)]) {
          const int row = an.iperm[static_cast<size_t>(i)];
          filled[at(row, j)] = 1;
          an.m_target.push_back(static_cast<int>(at(row, j)));
          an.m_source.push_back(static_cast<int>(at(i, j)));
        }
    an.k_start.assign(1, 0);
    an.lower.clear();
    an.ops.clear();
    an.op_start.assign(1, 0);
    for (int k = 0; k < n_; ++k) {
      const auto first = an.lower.size();
      for (int i = k + 1; i < n_; ++i)
        if (filled[at(i, k)]) an.lower.push_back(static_cast<int>(at(i, k)));
      for (int j = k + 1; j < n_; ++j) {
        if (!filled[at(k, j)]) continue;
        for (size_t e = first; e < an.lower.size(); ++e) {
          const int i = an.lower[e] - static_cast<int>(at(0, k));  // row of L's entry
          filled[at(i, j)] = 1;
          an.ops.push_back({static_cast<int>(at(i, j)), an.lower[e], static_cast<int>(at(k, j))});
        }
      }
      an.k_start.push_back(static_cast<int>(an.lower.size()));
      an.op_start.push_back(static_cast<int>(an.ops.size()));
    }
    // Positions of the factors that are fill, not entries of P M: zeroed before each replay.
    an.fill.clear();
    std::fill(in_m_.begin(), in_m_.end(), 0);
    for (int t : an.m_target) in_m_[static_cast<size_t>(t)] = 1;
    for (size_t e = 0; e < filled.size(); ++e)
      if (filled[e] && !in_m_[e]) an.fill.push_back(static_cast<int>(e));
    // L's and U's entries, column by column, rows ascending.
    an.l_row.clear();
    an.l_at.clear();
    an.u_row.clear();
    an.u_at.clear();
    an.u_columns.clear();
    an.l_columns.clear();
    for (int j = 0; j < n_; ++j) {
      const int start = static_cast<int>(an.l_row.size());
      for (int i = j + 1; i < n_; ++i)
        if (filled[at(i, j)]) {
          an.l_row.push_back(i);
          an.l_at.push_back(static_cast<int>(at(i, j)));
        }
      const int end = static_cast<int>(an.l_row.size());
      if (end > start) an.l_columns.push_back({j, start, end});
    }
    for (int j = n_ - 1; j >= 0; --j) {
      const int start = static_cast<int>(an.u_row.size());
      for (int i = 0; i < j; ++i)
        if (filled[at(i, j)]) {
          an.u_row.push_back(i);
          an.u_at.push_back(static_cast<int>(at(i, j)));
        }
      const int end = static_cast<int>(an.u_row.size());
      if (end > start) an.u_columns.push_back({j, start, end});
    }
    an.swaps.clear();
    for (int k = 0; k < n_; ++k)
      if (pivots_[static_cast<size_t>(k)] != k)
        an.swaps.emplace_back(k, pivots_[static_cast<size_t>(k)]);
  }

  // Replays an analysis's update list on P (I - gamma jac); false when a pivot is not the one
  // partial pivoting would choose (or is zero).
  bool refactor(const Analysis& an, const double* jac, double gamma) {
    double* a = a_.data();
    for (int t : an.fill) a[t] = 0;
    for (size_t e = 0; e < an.m_target.size(); ++e)
      a[an.m_target[e]] = -gamma * jac[an.m_source[e]];
    for (int i = 0; i < n_; ++i) a[at(an.iperm[static_cast<size_t>(i)], i)] += 1.0;
    const Op* op = an.ops.data();
    const int* lower = an.lower.data();
    for (int k = 0; k < n_; ++k) {
      const double pivot = a[at(k, k)];
      const double largest = std::fabs(pivot);
      if (!(largest > 0)) return false;
      const int first = an.k_start[static_cast<size_t>(k)];
      const int last = an.k_start[static_cast<size_t>(k) + 1];
      if (an.pivots[static_cast<size_t>(k)] == k) {
        for (int e = first; e < last; ++e)
          if (std::fabs(a[lower[e]]) > largest) return false;
      } else {
        for (int e = first; e < last; ++e)
          if (std::fabs(a[lower[e]]) >= largest) return false;
      }
      const double inverse = 1 / pivot;
      for (int e = first; e < last; ++e) a[lower[e]] *= inverse;
      const Op* end = an.ops.data() + an.op_start[static_cast<size_t>(k) + 1];
      for (; op < end; ++op) {
        const double ukj = a[op->u];
        if (ukj != 0) a[op->target] -= a[op->l] * ukj;
      }
    }
    return true;
  }

  int n_;
  std::vector<double> a_;            // the factors of P M, column-major
  std::vector<char> structure_;      // pattern of M = I - gamma J (J's pattern plus the diagonal)
  std::vector<char> filled_, in_m_;  // scratch of analyse()
  std::vector<int> pivots_, rows_, positions_;
  std::vector<Analysis> analyses_;
  int current_ = -1;  // the analysis of the factors in a_ (-1: none)
  int next_replaced_ = 0;
  // For the solves: the factors' values, gathered after each factorisation.
  std::vector<double> l_value_, u_value_, diagonal_;
};

// KLU sparse LU of M = I - gamma J on the model's Jacobian pattern plus the diagonal.
class SparseLu {
 public:
  explicit SparseLu(const JacobianPattern& pattern) : n_(pattern.n) {
    // Pattern of M: J's entries and the diagonal, column by column, rows ascending.
    ap_.assign(static_cast<size_t>(n_) + 1, 0);
    from_model_.assign(pattern.nonzeros(), 0);
    diagonal_.assign(static_cast<size_t>(n_), 0);
    for (int j = 0; j < n_; ++j) {
      bool diagonal_done = false;
      for (int k = pattern.column_start[static_cast<size_t>(j)];
           k < pattern.column_start[static_cast<size_t>(j) + 1]; ++k) {
        const int row = pattern.rows[static_cast<size_t>(k)];
        if (!diagonal_done && row >= j) {
          if (row != j) {
            diagonal_[static_cast<size_t>(j)] = static_cast<int>(ai_.size());
            ai_.push_back(j);
          }
          diagonal_done = true;
        }
        if (row == j) diagonal_[static_cast<size_t>(j)] = static_cast<int>(ai_.size());
        from_model_[static_cast<size_t>(k)] = static_cast<int>(ai_.size());
        ai_.push_back(row);
      }
      if (!diagonal_done) {
        diagonal_[static_cast<size_t>(j)] = static_cast<int>(ai_.size());
        ai_.push_back(j);
      }
      ap_[static_cast<size_t>(j) + 1] = static_cast<int>(ai_.size());
    }
    ax_.assign(ai_.size(), 0.0);
    klu_defaults(&common_);
    symbolic_ = klu_analyze(n_, ap_.data(), ai_.data(), &common_);
    if (symbolic_ == nullptr)
      throw std::runtime_error("onset_bdf: KLU could not analyse the Jacobian's sparsity (status " +
                               std::to_string(common_.status) + ")");
  }
  ~SparseLu() {
    if (numeric_ != nullptr) klu_free_numeric(&numeric_, &common_);
    if (symbolic_ != nullptr) klu_free_symbolic(&symbolic_, &common_);
  }
  SparseLu(const SparseLu&) = delete;
  SparseLu& operator=(const SparseLu&) = delete;

  // J's entries in the order of the model's pattern.
  bool factor(const double* jac_values, double gamma) {
    std::fill(ax_.begin(), ax_.end(), 0.0);
    for (size_t k = 0; k < from_model_.size(); ++k)
      ax_[static_cast<size_t>(from_model_[k])] = -gamma * jac_values[k];
    for (int j = 0; j < n_; ++j) ax_[static_cast<size_t>(diagonal_[static_cast<size_t>(j)])] += 1;
    if (numeric_ != nullptr) {
      if (klu_refactor(ap_.data(), ai_.data(), ax_.data(), symbolic_, numeric_, &common_) &&
          klu_rcond(symbolic_, numeric_, &common_) && common_.rcond >= kKluRcondFloor)
        return true;
      klu_free_numeric(&numeric_, &common_);
    }
    numeric_ = klu_factor(ap_.data(), ai_.data(), ax_.data(), symbolic_, &common_);
    return numeric_ != nullptr && common_.status == KLU_OK;
  }

  void solve(double* b) { klu_solve(symbolic_, numeric_, n_, 1, b, &common_); }

 private:
  int n_;
  std::vector<int> ap_, ai_, from_model_, diagonal_;
  std::vector<double> ax_;
  klu_common common_{};
  klu_symbolic* symbolic_ = nullptr;
  klu_numeric* numeric_ = nullptr;
};

template <int N>
class OnsetBdf final : public OnsetBdfIntegrator {
  static constexpr bool kFixed = N != Eigen::Dynamic;
  // The number of states as the state kernels take it: a compile-time constant when fixed.
  static constexpr int kLength = kFixed ? N : 0;
  using Vec = Eigen::Matrix<double, N, 1>;
  using Mat = Eigen::Matrix<double, N, N>;
  using SensMat = Eigen::Matrix<double, N, Eigen::Dynamic>;
  using Pivots = Eigen::Matrix<int, N, 1>;

 public:
  // pattern_lu: factor the dense iteration matrix by PatternLu on the model's Jacobian pattern
  // (the dynamic-size path always does when the model declares one).
  OnsetBdf(const Model& model, const SolverOptions& options, LinearKind kind, int lower, int upper,
           bool pattern_lu = !kFixed)
      : model_(model),
        prepared_(model),
        options_(options),
        n_(model.num_states()),
        kind_(kind),
        rtol_(options.rtol),
        use_model_jacobian_(options.use_model_jacobian && model.has_jacobian()),
        hmax_inv_(options.max_step_h > 0 ? 1.0 / options.max_step_h : 0.0) {
    atol_ = zero();
    for (int i = 0; i < n_; ++i) atol_[i] = options.atol_of(i);
    for (auto& column : zn_) column = zero();
    for (size_t j = 0; j < zn_.size(); ++j) history_[j] = zn_[j].data();
    ewt_ = zero();
    ewt_.setOnes();
    acor_ = y_ = ftemp_ = tempv_ = y_plus_ = f_plus_ = zero();
    bad_rhs_y_ = bad_rhs_ydot_ = failed_y_ = failed_err_ = zero();
    if constexpr (kFixed) {
      pivots_.setZero();
    } else {
      pivots_ = Pivots::Zero(n_);
    }
    switch (kind_) {
      case LinearKind::kDense:
        jac_ = zero_matrix();
        lu_ = zero_matrix();
        lu_.setIdentity();
        if constexpr (!kFixed) {
          lu_rows_.reserve(static_cast<size_t>(n_));
          compressed_lu_.reserve(n_);
        }
        if (const JacobianPattern* pattern = model.jacobian_pattern();
            pattern_lu && use_model_jacobian_ && pattern != nullptr && pattern->n == n_)
          pattern_lu_ = std::make_unique<PatternLu>(*pattern, n_);
        break;
      case LinearKind::kBanded:
        jac_ = zero_matrix();
        band_ = std::make_unique<BandLu>(n_, lower, upper);
        break;
      case LinearKind::kSparse:
        pattern_ = model.jacobian_pattern();
        jac_values_.assign(pattern_->nonzeros(), 0.0);
        sparse_ = std::make_unique<SparseLu>(*pattern_);
        break;
    }
    failure_.reserve(512);
  }

  void set_parameters(std::span<const double> params) override {
    prepared_.set_parameters(params);
    active_ = &prepared_;
    params_ = params;
    prepare_sensitivity_parameters();
  }

  void set_prepared(PreparedModel* prepared) override {
    active_ = prepared;
    params_ = prepared->parameters();
    prepare_sensitivity_parameters();
  }

  // The parameter vectors p +- h e_j of df/dp_j, prepared once per parameter vector.
  void prepare_sensitivity_parameters() {
    const std::span<const double> params = params_;
    if (ns_ == 0) return;
    for (int j = 0; j < ns_; ++j) {
      const auto js = static_cast<size_t>(j);
      const auto pj = static_cast<size_t>(wrt_[js]);
      const double h = kParameterStep * pbar_[js];
      p_plus_[js].assign(params.begin(), params.end());
      p_minus_[js].assign(params.begin(), params.end());
      p_plus_[js][pj] = params[pj] + h;
      p_minus_[js][pj] = params[pj] - h;
      prepared_plus_[js].set_parameters(p_plus_[js]);
      prepared_minus_[js].set_parameters(p_minus_[js]);
    }
  }

  void set_crossings(std::span<const CrossingQuery> queries) override {
    crossings_ = CrossingFunctions(model_, queries);
    const auto count = static_cast<size_t>(crossings_.size());
    g_lo_.assign(count, 0.0);
    g_hi_.assign(count, 0.0);
    g_mid_.assign(count, 0.0);
    root_hit_.assign(count, 0);
  }

  void set_sensitivities(std::span<const int> wrt, std::span<const double> pbar) override {
    const bool same = static_cast<int>(wrt.size()) == ns_ &&
                      std::equal(wrt.begin(), wrt.end(), wrt_.begin(), wrt_.end());
    if (!same) {  // allocate for this set of parameters (a new scale alone allocates nothing)
      ns_ = static_cast<int>(wrt.size());
      wrt_.assign(wrt.begin(), wrt.end());
      auto sens_zero = [&] { return SensMat::Zero(n_, ns_); };
      for (auto& column : zn_s_) column = sens_zero();
      ewt_s_ = acor_s_ = temp_s_ = y_s_ = f_s_ = fp_ = s_now_ = delta_s_ = atol_s_ = sens_zero();
      pbar_.assign(wrt.size(), 1.0);
      p_plus_.assign(static_cast<size_t>(ns_), {});
      p_minus_.assign(static_cast<size_t>(ns_), {});
      prepared_plus_.assign(static_cast<size_t>(ns_), PreparedModel(model_));
      prepared_minus_.assign(static_cast<size_t>(ns_), PreparedModel(model_));
      if (ns_ > 0) {
        if (kind_ == LinearKind::kSparse)
          jac_s_values_.assign(pattern_->nonzeros(), 0.0);
        else
          jac_s_ = zero_matrix();
      }
    }
    for (int j = 0; j < ns_; ++j) {
      const double scale = pbar[static_cast<size_t>(j)];
      pbar_[static_cast<size_t>(j)] = scale > 0 && std::isfinite(scale) ? scale : 1.0;
      for (int i = 0; i < n_; ++i) atol_s_(i, j) = atol_[i] / pbar_[static_cast<size_t>(j)];
    }
  }

  void set_sensitivity_values(std::span<const double> s) override {
    for (int j = 0; j < ns_; ++j)
      for (int i = 0; i < n_; ++i)
        s_now_(i, j) = s[static_cast<size_t>(j) * static_cast<size_t>(n_) + static_cast<size_t>(i)];
  }

  void sensitivities(std::span<double> s) const override {
    for (int j = 0; j < ns_; ++j)
      for (int i = 0; i < n_; ++i)
        s[static_cast<size_t>(j) * static_cast<size_t>(n_) + static_cast<size_t>(i)] = s_now_(i, j);
  }

  void restart(double t0, std::span<const double> y0, std::span<const double> input_rate,
               double t_stop) override {
    input_rate_ = input_rate;
    for (int i = 0; i < n_; ++i) zn_[0][i] = y0[static_cast<size_t>(i)];
    if (ns_ > 0) zn_s_[0] = s_now_;
    tn_ = t0;
    t_stop_ = t_stop;
    t_returned_ = t0;
    q_ = 1;
    big_l_ = 2;
    qwait_ = big_l_;
    qprime_ = 1;
    etamax_ = kEtaMaxFirst;
    hu_ = 0;
    h_ = hprime_ = hscale_ = eta_ = 1;
    nst_ = 0;
    nstlp_ = nstlj_ = 0;
    nscon_ = 0;
    tau_.fill(0);
    tq_.fill(0);
    l_.fill(0);
    coefficients_valid_ = false;
    saved_tq5_ = 0;
    crate_ = crate_s_ = 1;
    delp_ = 0;
    gamma_ = gammap_ = 0;
    gamrat_ = 1;
    jcur_ = false;
    started_ = true;
    initialized_ = false;
    rhs_failed_since_restart_ = false;
    steps_below_roundoff_ = 0;
    ++stats_.restarts;
  }

  AdvanceOutcome advance(double t_out, std::span<double> y, double* t,
                         std::span<char> crossed) override {
    for (char& c : crossed) c = 0;
    y_time_ = kNoTime;
    if (!started_) {
      failure_ = "onset_bdf: ILL_INPUT: advance() was called before restart()";
      return AdvanceOutcome::kFailure;
    }
    t_out = std::min(t_out, t_stop_);

    if (!initialized_) {
      const double tround = kUround * std::max(std::fabs(tn_), std::fabs(t_out));
      if (t_out < tn_ - 2 * tround) return ill_input_before(t_out, y, t);
      if (t_out - tn_ < 2 * tround) {  // nothing to integrate yet: y(t0)
        copy_out(zn_[0], y);
        if (ns_ > 0) s_now_ = zn_s_[0];
        *t = t_out;
        t_returned_ = t_out;
        return AdvanceOutcome::kReachedOutput;
      }
      if (!initialize(t_out)) return fail_at_tn(y, t);
    } else if (nst_ > 0) {
      const double troundoff = kFuzzFactor * kUround * (std::fabs(tn_) + std::fabs(h_));
      // Crossings in the part of the last step not yet searched (after a crossing or an
      // output inside the step).
      if (!crossings_.empty() && std::fabs(tn_ - t_returned_) > troundoff && check_crossings(t_out))
        return crossing_found(y, t, crossed);
      if (tn_ - t_out >= 0) {
        if (t_out < tn_ - hu_ - troundoff) return ill_input_before(t_out, y, t);
        return output_at(t_out, y, t);
      }
      if (std::fabs(tn_ - t_stop_) <= troundoff) return output_at(t_stop_, y, t);
      if (tn_ + hprime_ - t_stop_ > 0) {
        hprime_ = (t_stop_ - tn_) * (1 - 4 * kUround);
        eta_ = hprime_ / h_;
      }
    }

    long steps_here = 0;
    for (;;) {
      if (nst_ > 0 && !set_weights(zn_[0])) return fail_weights(y, t);
      if (nst_ > 0 && ns_ > 0) set_sensitivity_weights();
      if (steps_here >= options_.max_steps) {
        failure_ = "onset_bdf: TOO_MUCH_WORK at t = " + format_number(tn_) +
                   " h: more than max_steps = " + std::to_string(options_.max_steps) +
                   " internal steps on the way to t = " + format_number(t_out) +
                   " h (h = " + format_number(h_) + " h); the problem may be very stiff or " +
                   "the tolerances too tight";
        return fail_at_tn(y, t);
      }
      if (zn_[0].cwiseProduct(ewt_).squaredNorm() > n_ / (kUround * kUround)) {
        failure_ = "onset_bdf: TOO_MUCH_ACC at t = " + format_number(tn_) +
                   " h: the tolerances ask for more accuracy than double precision gives "
                   "(rtol = " +
                   format_number(rtol_) + "); raise rtol or atol";
        return fail_at_tn(y, t);
      }
      // A step too small to move t (CVODE warns about it) means the integration cannot go
      // on: typically the right-hand side is not finite just ahead, or the solution blows up.
      if (tn_ + h_ == tn_ && ++steps_below_roundoff_ > kMaxStepsBelowRoundoff) {
        if (rhs_failed_since_restart_)
          compose_rhs_failure("RHSFUNC_FAIL",
                              "just ahead, and the steps that avoid it fell below round-off");
        else
          compose_too_close_failure();
        return fail_at_tn(y, t);
      }
      const Code code = step();
      if (code != Code::kSuccess) {
        describe_step_failure(code);
        return fail_at_tn(y, t);
      }
      ++steps_here;
      const double troundoff = kFuzzFactor * kUround * (std::fabs(tn_) + std::fabs(h_));
      if (std::fabs(tn_ - t_stop_) <= troundoff) tn_ = t_stop_;
      if (!crossings_.empty() && check_crossings(t_out)) return crossing_found(y, t, crossed);
      if (tn_ - t_out >= 0) return output_at(t_out, y, t);
      if (std::fabs(tn_ - t_stop_) <= troundoff) return output_at(t_stop_, y, t);
      if (tn_ + hprime_ - t_stop_ > 0) {
        hprime_ = (t_stop_ - tn_) * (1 - 4 * kUround);
        eta_ = hprime_ / h_;
      }
    }
  }

  OnsetBdf(const OnsetBdf&) = delete;  // history_ points into this object's vectors
  OnsetBdf& operator=(const OnsetBdf&) = delete;

  SolverStats stats() const override { return stats_; }
  void reset_stats() override { stats_ = {}; }
  const std::string& failure() const override { return failure_; }

 private:
  // Relative step of the central differences df/dp_j (times pbar_j).
  static constexpr double kParameterStep = 1e-6;

  Vec zero() const {
    if constexpr (kFixed)
      return Vec::Zero();
    else
      return Vec::Zero(n_);
  }
  Mat zero_matrix() const {
    if constexpr (kFixed)
      return Mat::Zero();
    else
      return Mat::Zero(n_, n_);
  }

  // ------------------------------------------------------------------ small helpers
  // n_, as a compile-time constant when fixed.
  int size() const {
    if constexpr (kFixed)
      return N;
    else
      return n_;
  }
  std::array<double*, kMaxOrder + 1> sensitivity_history() {
    std::array<double*, kMaxOrder + 1> columns{};
    for (size_t j = 0; j < zn_s_.size(); ++j) columns[j] = zn_s_[j].data();
    return columns;
  }

  bool rhs(double t, const Vec& y, Vec& ydot) {
    ++stats_.rhs_evals;
    active_->rhs(t, std::span<const double>(y.data(), static_cast<size_t>(n_)),
                 std::span<double>(ydot.data(), static_cast<size_t>(n_)));
    const int inputs = static_cast<int>(std::min(input_rate_.size(), static_cast<size_t>(n_)));
    double* values = ydot.data();
    if (inputs == size())
      add_to(values, input_rate_.data(), size());
    else
      add_to(values, input_rate_.data(), inputs);
    const bool finite = all_finite(values, size());
    if (!finite) {
      rhs_failed_since_restart_ = true;
      bad_rhs_t_ = t;
      bad_rhs_y_ = y;
      bad_rhs_ydot_ = ydot;
    }
    return finite;
  }

  // Summed in index order, as N_VWrmsNorm_Serial does, so that step decisions round alike.
  template <typename V, typename W>
  double wrms_with(const V& v, const W& weights) const {
    double sum = 0;
    const int n = size();
    for (int i = 0; i < n; ++i) {
      const double scaled = v[i] * weights[i];
      sum += scaled * scaled;
    }
    return std::sqrt(sum / n);
  }
  double wrms(const Vec& v) const { return wrms_with(v, ewt_); }
  // CVODES's cvSensNorm: the largest WRMS norm over the sensitivities.
  double wrms_sensitivities(const SensMat& v) const {
    double largest = 0;
    for (int j = 0; j < ns_; ++j) largest = std::max(largest, wrms_with(v.col(j), ewt_s_.col(j)));
    return largest;
  }

  // ewt = 1 / (rtol |y| + atol); false (ewt unusable) if a tolerance is not positive and
  // finite.
  bool set_weights(const Vec& y) {
    return error_weights(y.data(), atol_.data(), rtol_, ewt_.data(), size());
  }
  void set_sensitivity_weights() {
    ewt_s_ = (rtol_ * zn_s_[0].cwiseAbs() + atol_s_).cwiseInverse();
  }

  static void copy_out(const Vec& v, std::span<double> y) {
    for (Eigen::Index i = 0; i < v.size(); ++i) y[static_cast<size_t>(i)] = v[i];
  }

  // y(t) from the Nordsieck polynomial of the last step (CVodeGetDky, k = 0).
  void interpolate(double t, Vec& out) const {
    const double s = (t - tn_) / h_;
    out = zn_[static_cast<size_t>(q_)];
    for (int j = q_ - 1; j >= 0; --j) out = zn_[static_cast<size_t>(j)] + s * out;
  }
  void interpolate_sensitivities(double t) {
    if (ns_ == 0) return;
    const double s = (t - tn_) / h_;
    s_now_ = zn_s_[static_cast<size_t>(q_)];
    for (int j = q_ - 1; j >= 0; --j) s_now_ = zn_s_[static_cast<size_t>(j)] + s * s_now_;
  }

  AdvanceOutcome output_at(double t_target, std::span<double> y, double* t) {
    // check_crossings() may just have interpolated to this very time.
    if (t_target != y_time_) interpolate(t_target, y_);
    interpolate_sensitivities(t_target);
    copy_out(y_, y);
    *t = t_target;
    t_returned_ = t_target;
    return AdvanceOutcome::kReachedOutput;
  }

  // ------------------------------------------------------------------ start of a piece
  bool initialize(double t_out) {
    if (!set_weights(zn_[0])) {
      compose_weight_failure(zn_[0]);
      return false;
    }
    if (!rhs(tn_, zn_[0], zn_[1])) {
      compose_rhs_failure("RHSFUNC_FAIL", "at the start of the piece");
      return false;
    }
    if (ns_ > 0) {
      set_sensitivity_weights();
      if (!sensitivity_rhs(tn_, zn_[0], zn_[1], zn_s_[0], zn_s_[1])) {
        compose_rhs_failure("RHSFUNC_FAIL", "at the start of the piece (sensitivities)");
        return false;
      }
    }
    double h = options_.initial_step_h;
    if (h <= 0 && !initial_step(t_out, &h)) return false;
    const double rh = std::fabs(h) * hmax_inv_;
    if (rh > 1) h /= rh;
    if (tn_ + h - t_stop_ > 0) h = (t_stop_ - tn_) * (1 - 4 * kUround);
    h_ = hscale_ = hprime_ = h;
    zn_[1] *= h;
    if (ns_ > 0) zn_s_[1] *= h;
    if (!crossings_.empty()) {
      t_lo_ = tn_;
      evaluate_crossings(tn_, zn_[0], g_lo_);
    }
    initialized_ = true;
    return true;
  }

  // cvHin: h0 with || h0^2 y'' / 2 || = 1 (WRMS), bounded by the output distance and y/y'.
  bool initial_step(double t_out, double* h0) {
    const double tdist = t_out - tn_;
    const double tround = kUround * std::max(std::fabs(tn_), std::fabs(t_out));
    const double hlb = kHlbFactor * tround;
    // Upper bound: allow at most a change of a tenth of |y0| (plus the tolerance) per step.
    tempv_ = kHubFactor * zn_[0].cwiseAbs() + ewt_.cwiseInverse();
    double hub_inv = zn_[1].cwiseAbs().cwiseQuotient(tempv_).maxCoeff();
    if (ns_ > 0) {
      const SensMat bound = kHubFactor * zn_s_[0].cwiseAbs() + ewt_s_.cwiseInverse();
      hub_inv = std::max(hub_inv, zn_s_[1].cwiseAbs().cwiseQuotient(bound).maxCoeff());
    }
    double hub = kHubFactor * tdist;
    if (hub * hub_inv > 1) hub = 1 / hub_inv;
    double hg = std::sqrt(hlb * hub);
    if (hub < hlb) {
      *h0 = hg;
      return true;
    }
    double hs = hg, hnew = hg, yddnrm = 0;
    for (int count1 = 1; count1 <= kHinIters; ++count1) {
      bool hg_ok = false;
      for (int count2 = 1; count2 <= kHinIters; ++count2) {
        y_ = zn_[0] + hg * zn_[1];
        if (rhs(tn_ + hg, y_, tempv_)) {
          tempv_ = (1 / hg) * tempv_ - (1 / hg) * zn_[1];
          yddnrm = wrms(tempv_);
          hg_ok = true;
          break;
        }
        hg *= 0.2;
      }
      if (!hg_ok) {
        if (count1 <= 2) {
          compose_rhs_failure("REPTD_RHSFUNC_ERR", "while choosing the first step");
          return false;
        }
        hnew = hs;
        break;
      }
      hs = hg;
      hnew = (yddnrm * hub * hub > 2) ? std::sqrt(2 / yddnrm) : std::sqrt(hg * hub);
      if (count1 == kHinIters) break;
      const double hrat = hnew / hg;
      if (hrat > 0.5 && hrat < 2) break;
      if (count1 > 1 && hrat > 2) {
        hnew = hg;
        break;
      }
      hg = hnew;
    }
    *h0 = std::clamp(kHBias * hnew, hlb, hub);
    return true;
  }

  // ------------------------------------------------------------------ one step (cvStep)
  Code step() {
    y_time_ = kNoTime;
    const double saved_t = tn_;
    int ncf = 0, nef = 0, ncf_s = 0, nef_s = 0;
    double dsm = 0;
    Attempt attempt = Attempt::kFirst;
    if (nst_ > 0 && hprime_ != h_) adjust_params();
    for (;;) {
      predict();
      set_coefficients();
      const Code nls_code = solve_nonlinear(attempt);
      const Code handled = handle_nonlinear(nls_code, saved_t, &ncf, &attempt);
      if (handled == Code::kPredictAgain) continue;
      if (handled != Code::kDoErrorTest) return handled;
      const Code error_code = error_test(saved_t, &nef, &dsm, &attempt);
      if (error_code == Code::kTryAgain) continue;
      if (error_code != Code::kSuccess) return error_code;
      if (ns_ > 0) {
        // Staggered corrector of the sensitivities at the converged states.
        const Code s_code = solve_sensitivities();
        const Code s_handled = handle_nonlinear(s_code, saved_t, &ncf_s, &attempt);
        if (s_handled == Code::kPredictAgain) continue;
        if (s_handled != Code::kDoErrorTest) return s_handled;
        acnrm_ = std::max(acnrm_, acnrm_s_);
        const Code s_error = error_test(saved_t, &nef_s, &dsm, &attempt);
        if (s_error == Code::kTryAgain) continue;
        if (s_error != Code::kSuccess) return s_error;
      }
      break;
    }
    complete_step();
    prepare_next_step(dsm);
    etamax_ = nst_ <= kSmallSteps ? kEtaMaxEarly : kEtaMaxLater;
    return Code::kSuccess;
  }

  void adjust_params() {
    if (qprime_ != q_) {
      adjust_order(qprime_ - q_);
      q_ = qprime_;
      big_l_ = q_ + 1;
      qwait_ = big_l_;
    }
    rescale();
  }

  void adjust_order(int deltaq) {
    if (q_ == 2 && deltaq != 1) return;
    if (deltaq == 1)
      increase_order();
    else
      decrease_order();
  }

  // New column z[q+1] from the saved correction; the others adjusted by the polynomial
  // x^2 (x + xi_1) ... (x + xi_{q-1}).
  void increase_order() {
    std::array<double, kMaxOrder + 2> l{};
    l[2] = 1;
    double alpha1 = 1, prod = 1, xiold = 1, alpha0 = -1, hsum = hscale_;
    for (int j = 1; j < q_; ++j) {
      hsum += tau_[static_cast<size_t>(j + 1)];
      const double xi = hsum / hscale_;
      prod *= xi;
      alpha0 -= 1.0 / (j + 1);
      alpha1 += 1.0 / xi;
      for (int i = j + 2; i >= 2; --i)
        l[static_cast<size_t>(i)] =
            l[static_cast<size_t>(i)] * xiold + l[static_cast<size_t>(i - 1)];
      xiold = xi;
    }
    const double a1 = (-alpha0 - alpha1) / prod;
    zn_[static_cast<size_t>(big_l_)] = a1 * zn_[kMaxOrder];
    for (int j = 2; j <= q_; ++j)
      zn_[static_cast<size_t>(j)] += l[static_cast<size_t>(j)] * zn_[static_cast<size_t>(big_l_)];
    if (ns_ > 0) {
      zn_s_[static_cast<size_t>(big_l_)] = a1 * zn_s_[kMaxOrder];
      for (int j = 2; j <= q_; ++j)
        zn_s_[static_cast<size_t>(j)] +=
            l[static_cast<size_t>(j)] * zn_s_[static_cast<size_t>(big_l_)];
    }
  }

  void decrease_order() {
    std::array<double, kMaxOrder + 2> l{};
    l[2] = 1;
    double hsum = 0;
    for (int j = 1; j <= q_ - 2; ++j) {
      hsum += tau_[static_cast<size_t>(j)];
      const double xi = hsum / hscale_;
      for (int i = j + 2; i >= 2; --i)
        l[static_cast<size_t>(i)] = l[static_cast<size_t>(i)] * xi + l[static_cast<size_t>(i - 1)];
    }
    for (int j = 2; j < q_; ++j)
      zn_[static_cast<size_t>(j)] -= l[static_cast<size_t>(j)] * zn_[static_cast<size_t>(q_)];
    if (ns_ > 0)
      for (int j = 2; j < q_; ++j)
        zn_s_[static_cast<size_t>(j)] -= l[static_cast<size_t>(j)] * zn_s_[static_cast<size_t>(q_)];
  }

  void rescale() {
    double factor = eta_;
    for (int j = 1; j <= q_; ++j) {
      zn_[static_cast<size_t>(j)] *= factor;
      if (ns_ > 0) zn_s_[static_cast<size_t>(j)] *= factor;
      factor *= eta_;
    }
    h_ = hscale_ * eta_;
    hscale_ = h_;
    nscon_ = 0;
  }

  void predict() {
    tn_ += h_;
    if (tn_ - t_stop_ > 0) tn_ = t_stop_;
    pascal_columns<1, kLength>(history_.data(), q_, n_);
    if (ns_ > 0) pascal_columns<1>(sensitivity_history().data(), q_, n_ * ns_);
  }

  void restore(double saved_t) {
    tn_ = saved_t;
    pascal_columns<-1, kLength>(history_.data(), q_, n_);
    if (ns_ > 0) pascal_columns<-1>(sensitivity_history().data(), q_, n_ * ns_);
  }

  // cvSetBDF + cvSetTqBDF: the polynomial l and the test quantities tq for this step.
  void set_coefficients() {
    // The coefficients depend on q, h and the last q step sizes only: at a constant step
    // size and order (most steps) they are those of the previous step.
    bool same = coefficients_valid_ && q_ == coef_q_ && h_ == coef_h_;
    for (int j = 1; same && j <= q_; ++j)
      same = tau_[static_cast<size_t>(j)] == coef_tau_[static_cast<size_t>(j)];
    if (!same) {
      compute_coefficients();
      coefficients_valid_ = true;
      coef_q_ = q_;
      coef_h_ = h_;
      coef_tau_ = tau_;
    }
    gamma_ = h_ * rl1_;
    if (nst_ == 0) gammap_ = gamma_;
    gamrat_ = nst_ > 0 ? gamma_ / gammap_ : 1.0;
  }

  void compute_coefficients() {
    l_[0] = l_[1] = 1;
    for (int i = 2; i <= q_; ++i) l_[static_cast<size_t>(i)] = 0;
    double xi_inv = 1, xistar_inv = 1, alpha0 = -1, alpha0_hat = -1, hsum = h_;
    if (q_ > 1) {
      for (int j = 2; j < q_; ++j) {
        hsum += tau_[static_cast<size_t>(j - 1)];
        xi_inv = h_ / hsum;
        alpha0 -= kInverse[static_cast<size_t>(j)];
        for (int i = j; i >= 1; --i)
          l_[static_cast<size_t>(i)] += l_[static_cast<size_t>(i - 1)] * xi_inv;
      }
      alpha0 -= kInverse[static_cast<size_t>(q_)];
      xistar_inv = -l_[1] - alpha0;
      hsum += tau_[static_cast<size_t>(q_ - 1)];
      xi_inv = h_ / hsum;
      alpha0_hat = -l_[1] - xi_inv;
      for (int i = q_; i >= 1; --i)
        l_[static_cast<size_t>(i)] += l_[static_cast<size_t>(i - 1)] * xistar_inv;
    }
    const double a1 = 1 - alpha0_hat + alpha0;
    const double a2 = 1 + q_ * a1;
    tq_[2] = std::fabs(a1 / (alpha0 * a2));
    tq_[5] = std::fabs(a2 * xistar_inv / (l_[static_cast<size_t>(q_)] * xi_inv));
    // tq[1] and tq[3] (error estimates at orders q-1 and q+1) are only read when an order
    // change is considered (qwait == 1 here); computing them always keeps the cache simple.
    {
      if (q_ > 1) {
        const double c = xistar_inv / l_[static_cast<size_t>(q_)];
        const double a3 = alpha0 + kInverse[static_cast<size_t>(q_)];
        const double a4 = alpha0_hat + xi_inv;
        const double cpinv = (1 - a4 + a3) / a3;
        tq_[1] = std::fabs(c * cpinv);
      } else {
        tq_[1] = 1;
      }
      hsum += tau_[static_cast<size_t>(q_)];
      xi_inv = h_ / hsum;
      const double a5 = alpha0 - kInverse[static_cast<size_t>(q_ + 1)];
      const double a6 = alpha0_hat - xi_inv;
      const double cppinv = (1 - a6 + a5) / a2;
      tq_[3] = std::fabs(cppinv / (xi_inv * (q_ + 2) * a5));
    }
    tq_[4] = kNewtonCoef / tq_[2];
    rl1_ = 1 / l_[1];
  }

  // ------------------------------------------------------------------ Newton iteration
  // cvNls + SUNNonlinSol_Newton: solve for the correction acor to the prediction z[0].
  Code solve_nonlinear(Attempt attempt) {
    ConvFail convfail = (attempt == Attempt::kFirst || attempt == Attempt::kPrevErrFail)
                            ? ConvFail::kNone
                            : ConvFail::kOther;
    bool call_setup = attempt != Attempt::kFirst || nst_ == 0 ||
                      nst_ >= nstlp_ + kStepsBetweenSetups ||
                      std::fabs(gamrat_ - 1) > kGammaChangeSetup;
    acor_.setZero();
    Code code = Code::kSuccess;
    for (int retries = 0;; ++retries) {
      code = residual();
      if (code == Code::kSuccess && call_setup) code = setup_linear_system(convfail);
      if (code == Code::kSuccess) {
        for (int m = 0;;) {
          solve_linear_system(tempv_.data());  // tempv_ holds minus the residual
          acor_ += tempv_;
          const double del = wrms(tempv_);
          if (m > 0) crate_ = std::max(kCrateDown * crate_, del / delp_);
          // CVODE's test dcon = x / tq4 <= 1, x = del min(1, crate), without the division on
          // the iteration's critical path: for tq4 > 0 the rounded quotient is <= 1 exactly when
          // x <= tq4 (a double x > tq4 is at least tq4 + ulp(tq4), so x / tq4 exceeds
          // 1 + 2^-53 and rounds above 1); x = inf gives no quotient <= 1, nor does tq4 = 0.
          const double x = del * std::min(1.0, crate_);
          if (x <= tq_[4] && x != std::numeric_limits<double>::infinity() && tq_[4] > 0) {
            acnrm_ = m == 0 ? del : wrms(acor_);
            jcur_ = false;
            return Code::kSuccess;
          }
          if (m >= 1 && del > kDivergence * delp_) {
            code = Code::kConvRecoverable;
            break;
          }
          delp_ = del;
          if (++m >= kMaxNewtonIters) {
            code = Code::kConvRecoverable;
            break;
          }
          code = residual();
          if (code != Code::kSuccess) break;
        }
      }
      ++stats_.nonlinear_failures;
      // Retry with a fresh Jacobian unless it is fresh already (at most twice: the first
      // retry may only refactor when gamma moved a lot).
      if (!jcur_ && retries < 2) {
        call_setup = true;
        convfail = ConvFail::kBadJacobian;
        acor_.setZero();
        continue;
      }
      return code;
    }
  }

  // tempv = -(rl1 z[1] + acor - gamma f(t_n, z[0] + acor)), minus the residual (the same bits
  // as negating it: a rounded difference changes sign exactly); keeps y = z[0] + acor,
  // ftemp = f.
  Code residual() {
    y_ = zn_[0] + acor_;
    if (!rhs(tn_, y_, ftemp_)) return Code::kRhsRecoverable;
    tempv_ = gamma_ * ftemp_ - (rl1_ * zn_[1] + acor_);
    return Code::kSuccess;
  }

  // cvLsSetup: M = I - gamma J, with J re-evaluated when it may be stale; LU factors of M.
  Code setup_linear_system(ConvFail convfail) {
    const double dgamma = std::fabs(gamma_ / gammap_ - 1);
    const bool jbad = nst_ == 0 || nst_ >= nstlj_ + kStepsBetweenJacobians ||
                      (convfail == ConvFail::kBadJacobian && dgamma < kGammaChangeJacobian) ||
                      convfail == ConvFail::kOther;
    bool ok = true;
    if (jbad) {
      ++stats_.jacobian_evals;
      nstlj_ = nst_;
      jcur_ = true;
      ok = evaluate_jacobian();
    } else {
      jcur_ = false;
    }
    ++stats_.linear_setups;
    gamrat_ = 1;
    gammap_ = gamma_;
    crate_ = crate_s_ = 1;
    nstlp_ = nst_;
    if (!ok) return Code::kRhsRecoverable;
    return factor() ? Code::kSuccess : Code::kConvRecoverable;
  }

  // J at (t_n, y) with f(t_n, y) = ftemp: the model's, or by forward differences as CVODE's
  // cvLsDenseDQJac does.
  bool evaluate_jacobian() {
    if (kind_ == LinearKind::kSparse) {
      std::fill(jac_values_.begin(), jac_values_.end(), 0.0);
      active_->jacobian_sparse(tn_, std::span<const double>(y_.data(), static_cast<size_t>(n_)),
                               jac_values_);
      for (double v : jac_values_)
        if (!std::isfinite(v)) return false;
      return true;
    }
    // The pattern LU reads J's pattern (and the diagonal) only: zero and check those alone.
    if (pattern_lu_ && use_model_jacobian_) {
      double* jac = jac_.data();
      for (int e : pattern_lu_->positions()) jac[e] = 0;
      active_->jacobian(tn_, std::span<const double>(y_.data(), static_cast<size_t>(n_)),
                        std::span<double>(jac, static_cast<size_t>(n_) * n_));
      bool finite = true;
      for (int e : pattern_lu_->positions()) finite &= std::fabs(jac[e]) <= DBL_MAX;
      return finite;
    }
    return dense_jacobian(tn_, y_, ftemp_, jac_);
  }

  // The model's Jacobian at (t, y) into the dense `jac`; by forward differences (with f(t, y)
  // = f) for a model without one.
  bool dense_jacobian(double t, const Vec& y, const Vec& f, Mat& jac) {
    jac.setZero();
    if (use_model_jacobian_) {
      active_->jacobian(t, std::span<const double>(y.data(), static_cast<size_t>(n_)),
                        std::span<double>(jac.data(), static_cast<size_t>(n_) * n_));
      return jac.allFinite();
    }
    const double srur = std::sqrt(kUround);
    const double fnorm = wrms(f);
    const double min_inc = fnorm != 0 ? kMinIncMult * std::fabs(h_) * kUround * n_ * fnorm : 1.0;
    y_plus_ = y;
    for (int j = 0; j < n_; ++j) {
      const double saved = y_plus_[j];
      const double inc = std::max(srur * std::fabs(saved), min_inc / ewt_[j]);
      y_plus_[j] = saved + inc;
      if (!rhs(t, y_plus_, f_plus_)) return false;
      y_plus_[j] = saved;
      jac.col(j) = (f_plus_ - f) / inc;
    }
    return true;
  }

  // Factors M = I - gamma J; false if singular.
  bool factor() {
    switch (kind_) {
      case LinearKind::kDense:
        if (pattern_lu_) return pattern_lu_->factor(jac_.data(), gamma_);
        lu_ = -gamma_ * jac_;
        lu_.diagonal().array() += 1.0;
        if constexpr (kFixed) {
          return lu_factor<N>(lu_, pivots_, n_);
        } else {
          if (!lu_factor_sparse(lu_, pivots_, n_, lu_rows_)) return false;
          compressed_lu_.build(lu_, pivots_, n_);
          return true;
        }
      case LinearKind::kBanded:
        return band_->factor(jac_.data(), gamma_);
      case LinearKind::kSparse:
        return sparse_->factor(jac_values_.data(), gamma_);
    }
    return false;
  }

  // b <- M^-1 b, scaled as CVODE does when gamma moved since the factorisation.
  void solve_linear_system(double* b) {
    switch (kind_) {
      case LinearKind::kDense:
        if (pattern_lu_) {
          pattern_lu_->solve(b);
        } else if constexpr (kFixed) {
          lu_solve<N>(lu_, pivots_, b, n_);
        } else {
          compressed_lu_.solve(b);
        }
        break;
      case LinearKind::kBanded:
        band_->solve(b);
        break;
      case LinearKind::kSparse:
        sparse_->solve(b);
        break;
    }
    if (gamrat_ != 1) {
      const double scale = 2 / (1 + gamrat_);
      for (int i = 0; i < size(); ++i) b[i] *= scale;
    }
  }

  // ------------------------------------------------------------------ sensitivities
  // out = J(t, y) S + df/dp at (t, y) with f(t, y) = f; J and df/dp are kept (jac_s_, fp_)
  // for the corrector iterations at this (t, y).
  bool sensitivity_rhs(double t, const Vec& y, const Vec& f, const SensMat& s, SensMat& out) {
    if (!sensitivity_jacobian(t, y, f)) return false;
    out = fp_;
    add_jacobian_times(s, out);
    return out.allFinite();
  }

  // J(t, y) into jac_s_ (or jac_s_values_), and df/dp_j by central differences of the
  // right-hand side in p alone (the input rates do not depend on p).
  bool sensitivity_jacobian(double t, const Vec& y, const Vec& f) {
    const std::span<const double> y_span(y.data(), static_cast<size_t>(n_));
    if (kind_ == LinearKind::kSparse) {
      std::fill(jac_s_values_.begin(), jac_s_values_.end(), 0.0);
      active_->jacobian_sparse(t, y_span, jac_s_values_);
    } else if (!dense_jacobian(t, y, f, jac_s_)) {
      return false;
    }
    for (int j = 0; j < ns_; ++j) {
      const auto js = static_cast<size_t>(j);
      stats_.rhs_evals += 2;
      prepared_plus_[js].rhs(t, y_span, std::span<double>(f_plus_.data(), static_cast<size_t>(n_)));
      prepared_minus_[js].rhs(t, y_span, std::span<double>(tempv_.data(), static_cast<size_t>(n_)));
      const double h =
          p_plus_[js][static_cast<size_t>(wrt_[js])] - p_minus_[js][static_cast<size_t>(wrt_[js])];
      fp_.col(j) = (f_plus_ - tempv_) / h;
    }
    return true;
  }

  // out += J s (J of the last sensitivity_jacobian()).
  void add_jacobian_times(const SensMat& s, SensMat& out) const {
    if (kind_ != LinearKind::kSparse) {
      out.noalias() += jac_s_ * s;
      return;
    }
    const JacobianPattern& p = *pattern_;
    for (int c = 0; c < n_; ++c)
      for (int k = p.column_start[static_cast<size_t>(c)];
           k < p.column_start[static_cast<size_t>(c) + 1]; ++k) {
        const double v = jac_s_values_[static_cast<size_t>(k)];
        const int row = p.rows[static_cast<size_t>(k)];
        for (int j = 0; j < ns_; ++j) out(row, j) += v * s(c, j);
      }
  }

  // cvStgrNls: Newton on the sensitivity corrections acor_s with the states' iteration matrix,
  // at the converged y_ (= z[0] + acor) with f = ftemp_.
  Code solve_sensitivities() {
    if (!sensitivity_jacobian(tn_, y_, ftemp_)) return Code::kRhsRecoverable;
    for (int retries = 0;; ++retries) {
      acor_s_.setZero();
      double delp = 0;
      for (int m = 0;;) {
        // residual = rl1 zS[1] + acorS - gamma (J (zS[0] + acorS) + df/dp); delta = -M^-1 res
        y_s_ = zn_s_[0] + acor_s_;
        f_s_ = fp_;
        add_jacobian_times(y_s_, f_s_);
        delta_s_ = gamma_ * f_s_ - rl1_ * zn_s_[1] - acor_s_;
        for (int j = 0; j < ns_; ++j) solve_linear_system(delta_s_.col(j).data());
        acor_s_ += delta_s_;
        const double del = wrms_sensitivities(delta_s_);
        if (m > 0) crate_s_ = std::max(kCrateDown * crate_s_, del / delp);
        const double dcon = del * std::min(1.0, crate_s_) / tq_[4];
        if (dcon <= 1) {
          acnrm_s_ = m == 0 ? del : wrms_sensitivities(acor_s_);
          if (!acor_s_.allFinite()) break;
          return Code::kSuccess;
        }
        if ((m >= 1 && del > kDivergence * delp) || ++m >= kMaxNewtonIters) break;
        delp = del;
      }
      ++stats_.nonlinear_failures;
      if (jcur_ || retries >= 1) return Code::kConvRecoverable;
      // A fresh iteration matrix at the converged state, then once more.
      const Code setup = setup_linear_system(ConvFail::kBadJacobian);
      if (setup != Code::kSuccess) return setup;
    }
  }

  // cvHandleNFlag: after a failed Newton solve, undo the prediction and cut h by 4.
  Code handle_nonlinear(Code code, double saved_t, int* ncf, Attempt* attempt) {
    if (code == Code::kSuccess) return Code::kDoErrorTest;
    restore(saved_t);
    ++*ncf;
    etamax_ = 1;
    if (*ncf == kMaxConvFails) {
      last_ncf_ = *ncf;
      return code == Code::kRhsRecoverable ? Code::kRepeatedRhs : Code::kConvFailure;
    }
    eta_ = kEtaConvFail;
    *attempt = Attempt::kPrevConvFail;
    rescale();
    return Code::kPredictAgain;
  }

  // cvDoErrorTest.
  Code error_test(double saved_t, int* nef, double* dsm, Attempt* attempt) {
    *dsm = acnrm_ * tq_[2];
    if (*dsm <= 1) return Code::kSuccess;
    ++*nef;
    ++stats_.error_test_failures;
    *attempt = Attempt::kPrevErrFail;
    // Keep the failed correction for the failure message before the history is restored.
    failed_y_ = zn_[0] + acor_;
    failed_err_ = tq_[2] * acor_;
    restore(saved_t);
    if (*nef == kMaxErrFails) {
      last_nef_ = *nef;
      return Code::kErrFailure;
    }
    etamax_ = 1;
    if (*nef <= kErrFailsBeforeOrderCut) {
      eta_ = 1 / (std::pow(kBias2 * *dsm, kInverse[static_cast<size_t>(big_l_)]) + kAddon);
      eta_ = std::max(kEtaMinErrFail, eta_);
      if (*nef >= kSmallErrFails) eta_ = std::min(eta_, kEtaMaxErrFail);
      rescale();
      return Code::kTryAgain;
    }
    if (q_ > 1) {  // after 3 failures: lower the order
      eta_ = kEtaMinErrFail;
      adjust_order(-1);
      big_l_ = q_;
      --q_;
      qwait_ = big_l_;
      rescale();
      return Code::kTryAgain;
    }
    // Already at order 1: restart the history from f(t_n, y_n).
    eta_ = kEtaMinErrFail;
    h_ *= eta_;
    hscale_ = h_;
    qwait_ = kLongWait;
    nscon_ = 0;
    if (!rhs(tn_, zn_[0], tempv_)) {
      last_ncf_ = 0;
      return Code::kRepeatedRhs;
    }
    zn_[1] = h_ * tempv_;
    if (ns_ > 0) {
      if (!sensitivity_rhs(tn_, zn_[0], tempv_, zn_s_[0], temp_s_)) {
        last_ncf_ = 0;
        return Code::kRepeatedRhs;
      }
      zn_s_[1] = h_ * temp_s_;
    }
    return Code::kTryAgain;
  }

  // cvCompleteStep: accept the step, update the history array.
  void complete_step() {
    ++nst_;
    ++stats_.steps;
    ++nscon_;
    hu_ = h_;
    for (int i = q_; i >= 2; --i) tau_[static_cast<size_t>(i)] = tau_[static_cast<size_t>(i - 1)];
    if (q_ == 1 && nst_ > 1) tau_[2] = tau_[1];
    tau_[1] = h_;
    correct_columns<kLength>(history_.data(), q_, l_.data(), acor_.data(), n_);
    if (ns_ > 0)
      correct_columns(sensitivity_history().data(), q_, l_.data(), acor_s_.data(), n_ * ns_);
    --qwait_;
    if (qwait_ == 1 && q_ != kMaxOrder) {
      zn_[kMaxOrder] = acor_;
      if (ns_ > 0) zn_s_[kMaxOrder] = acor_s_;
      saved_tq5_ = tq_[5];
    }
  }

  // cvPrepareNextStep: the next step size and order.
  void prepare_next_step(double dsm) {
    if (etamax_ == 1) {
      qwait_ = std::max(qwait_, 2);
      qprime_ = q_;
      hprime_ = h_;
      eta_ = 1;
      return;
    }
    // Each candidate ratio is 1 / ((bias * error)^(1/k) + addon); the pow() is only taken
    // for candidates that can change the step (ratio >= kEtaMaxFixed), the others count as 0.
    etaq_ = step_ratio(kBias2 * dsm, big_l_);
    if (qwait_ != 0) {
      qprime_ = q_;
      if (etaq_ == 0) {  // within the fixed-step band: keep h
        eta_ = 1;
        hprime_ = h_;
        return;
      }
      eta_ = etaq_;
      set_eta();
      return;
    }
    qwait_ = 2;
    etaqm1_ = 0;
    if (q_ > 1) {
      double ddn = wrms(zn_[static_cast<size_t>(q_)]);
      if (ns_ > 0) ddn = std::max(ddn, wrms_sensitivities(zn_s_[static_cast<size_t>(q_)]));
      ddn *= tq_[1];
      etaqm1_ = step_ratio(kBias1 * ddn, q_);
    }
    etaqp1_ = 0;
    if (q_ != kMaxOrder && saved_tq5_ != 0) {
      double ratio_power = 1;
      const double ratio = h_ / tau_[2];
      for (int i = 0; i < big_l_; ++i) ratio_power *= ratio;
      const double cquot = (tq_[5] / saved_tq5_) * ratio_power;
      tempv_ = acor_ - cquot * zn_[kMaxOrder];
      double dup = wrms(tempv_);
      if (ns_ > 0) {
        temp_s_ = acor_s_ - cquot * zn_s_[kMaxOrder];
        dup = std::max(dup, wrms_sensitivities(temp_s_));
      }
      dup *= tq_[3];
      etaqp1_ = step_ratio(kBias3 * dup, big_l_ + 1);
    }
    choose_eta();
    set_eta();
  }

  // 1 / (x^(1/k) + addon), or 0 when that is below kEtaMaxFixed (h would be kept anyway).
  static double step_ratio(double x, int k) {
    if (x > kKeepStepBound[static_cast<size_t>(k)]) return 0.0;
    return 1 / (std::pow(x, kInverse[static_cast<size_t>(k)]) + kAddon);
  }

  void choose_eta() {
    const double etam = std::max(etaqm1_, std::max(etaq_, etaqp1_));
    if (etam < kEtaMaxFixed) {
      eta_ = 1;
      qprime_ = q_;
      return;
    }
    if (etam == etaq_) {
      eta_ = etaq_;
      qprime_ = q_;
    } else if (etam == etaqm1_) {
      eta_ = etaqm1_;
      qprime_ = q_ - 1;
    } else {
      eta_ = etaqp1_;
      qprime_ = q_ + 1;
      zn_[kMaxOrder] = acor_;  // Delta_n for the order increase
      if (ns_ > 0) zn_s_[kMaxOrder] = acor_s_;
    }
  }

  void set_eta() {
    if (eta_ > 0 && eta_ < kEtaMaxFixed) {
      eta_ = 1;
      hprime_ = h_;
      return;
    }
    if (eta_ >= kEtaMaxFixed) {
      eta_ = std::min(eta_, etamax_);
      eta_ /= std::max(1.0, std::fabs(h_) * hmax_inv_ * eta_);
    }
    hprime_ = h_ * eta_;
    if (qprime_ < q_) nscon_ = 0;
  }

  // ------------------------------------------------------------------ crossings
  void evaluate_crossings(double t, const Vec& y, std::vector<double>& g) {
    ++stats_.root_evals;
    crossings_.evaluate(t, std::span<const double>(y.data(), static_cast<size_t>(n_)), *active_, g);
  }

  // cvRcheck3: searches (t_lo, min(t_n, t_out)] for crossings; on success y_ holds y(root).
  bool check_crossings(double t_out) {
    if (t_out - tn_ >= 0) {
      t_hi_ = tn_;
      y_ = zn_[0];
    } else {
      t_hi_ = t_out;
      interpolate(t_hi_, y_);
    }
    if (!(t_hi_ > t_lo_)) return false;
    evaluate_crossings(t_hi_, y_, g_hi_);
    const double ttol = (std::fabs(tn_) + std::fabs(h_)) * kUround * 100;
    const bool found = locate_crossing(ttol);
    t_lo_ = t_hi_;
    g_lo_.swap(g_hi_);  // g at the root (or at t_hi) starts the next search
    if (found)
      interpolate(t_lo_, y_);
    else
      y_time_ = t_lo_;  // y_ still holds y(t_hi)
    return found;
  }

  // cvRootfind with the query directions of CrossingFunctions::crosses: the Illinois
  // algorithm on the interpolant. On return t_hi_/g_hi_ are the right end of the final
  // bracket (where the function has crossed) and root_hit_ marks the functions crossing there.
  bool locate_crossing(double ttol) {
    const int count = crossings_.size();
    int imax = 0;
    double maxfrac = 0;
    bool zroot = false, sign_change = false;
    for (int k = 0; k < count; ++k) {
      const auto kk = static_cast<size_t>(k);
      if (!crossings_.crosses(k, g_lo_[kk], g_hi_[kk])) continue;
      if (g_hi_[kk] == 0) {
        zroot = true;
      } else {
        const double gfrac = std::fabs(g_hi_[kk] / (g_hi_[kk] - g_lo_[kk]));
        if (gfrac > maxfrac) {
          sign_change = true;
          maxfrac = gfrac;
          imax = k;
        }
      }
    }
    if (!sign_change && !zroot) return false;
    if (sign_change) {
      double alpha = 1;
      int side = 0, side_prev = -1;
      while (std::fabs(t_hi_ - t_lo_) > ttol) {
        alpha = side_prev == side ? (side == 2 ? alpha * 2 : alpha * 0.5) : 1.0;
        const auto im = static_cast<size_t>(imax);
        double tmid = t_hi_ - (t_hi_ - t_lo_) * g_hi_[im] / (g_hi_[im] - alpha * g_lo_[im]);
        if (std::fabs(tmid - t_lo_) < 0.5 * ttol) {
          const double fracint = std::fabs(t_hi_ - t_lo_) / ttol;
          tmid = t_lo_ + (fracint > 5 ? 0.1 : 0.5 / fracint) * (t_hi_ - t_lo_);
        }
        if (std::fabs(t_hi_ - tmid) < 0.5 * ttol) {
          const double fracint = std::fabs(t_hi_ - t_lo_) / ttol;
          tmid = t_hi_ - (fracint > 5 ? 0.1 : 0.5 / fracint) * (t_hi_ - t_lo_);
        }
        interpolate(tmid, y_);
        evaluate_crossings(tmid, y_, g_mid_);
        maxfrac = 0;
        zroot = sign_change = false;
        side_prev = side;
        for (int k = 0; k < count; ++k) {
          const auto kk = static_cast<size_t>(k);
          if (!crossings_.crosses(k, g_lo_[kk], g_mid_[kk])) continue;
          if (g_mid_[kk] == 0) {
            zroot = true;
          } else {
            const double gfrac = std::fabs(g_mid_[kk] / (g_mid_[kk] - g_lo_[kk]));
            if (gfrac > maxfrac) {
              sign_change = true;
              maxfrac = gfrac;
              imax = k;
            }
          }
        }
        if (sign_change || zroot) {  // the crossing is in (t_lo, tmid]
          t_hi_ = tmid;
          g_hi_.swap(g_mid_);
          side = 1;
          if (!sign_change) break;  // an exact zero at tmid
          continue;
        }
        t_lo_ = tmid;  // the crossing is in (tmid, t_hi]
        g_lo_.swap(g_mid_);
        side = 2;
      }
    }
    for (int k = 0; k < count; ++k) {
      const auto kk = static_cast<size_t>(k);
      root_hit_[kk] = crossings_.crosses(k, g_lo_[kk], g_hi_[kk]) ? 1 : 0;
    }
    return true;
  }

  AdvanceOutcome crossing_found(std::span<double> y, double* t, std::span<char> crossed) {
    copy_out(y_, y);
    interpolate_sensitivities(t_lo_);
    *t = t_lo_;
    t_returned_ = t_lo_;
    const size_t count = std::min(crossed.size(), root_hit_.size());
    for (size_t k = 0; k < count; ++k) crossed[k] = root_hit_[k];
    return AdvanceOutcome::kCrossing;
  }

  // ------------------------------------------------------------------ failures
  AdvanceOutcome fail_at_tn(std::span<double> y, double* t) {
    copy_out(zn_[0], y);
    *t = tn_;
    return AdvanceOutcome::kFailure;
  }

  AdvanceOutcome ill_input_before(double t_out, std::span<double> y, double* t) {
    failure_ = "onset_bdf: ILL_INPUT: output time t = " + format_number(t_out) +
               " h lies before the integrator's current time " + format_number(tn_) + " h";
    return fail_at_tn(y, t);
  }

  AdvanceOutcome fail_weights(std::span<double> y, double* t) {
    compose_weight_failure(zn_[0]);
    return fail_at_tn(y, t);
  }

  std::vector<double> values_of(const Vec& v) const {
    return std::vector<double>(v.data(), v.data() + n_);
  }

  void compose_weight_failure(const Vec& y) {
    int worst = 0;
    for (int i = 0; i < n_; ++i)
      if (!(rtol_ * std::fabs(y[i]) + atol_[i] > 0) || !std::isfinite(y[i])) {
        worst = i;
        break;
      }
    const std::vector<double> values = values_of(y);
    const bool finite = std::isfinite(y[worst]);
    failure_ = "onset_bdf: " + std::string(finite ? "ILL_INPUT" : "ERR_FAILURE") +
               " at t = " + format_number(tn_) + " h: " +
               (finite ? "the error weight of a state is undefined (rtol |y| + atol = 0: set a "
                         "positive atol); "
                       : "a state is no longer a finite number; ") +
               describe_state(model_, values, worst);
  }

  void compose_too_close_failure() {
    const std::vector<double> values = values_of(zn_[0]);
    failure_ = "onset_bdf: TOO_CLOSE at t = " + format_number(tn_) +
               " h: the step size h = " + format_number(h_) +
               " h fell below the round-off of t; the solution may blow up here; largest " +
               describe_state(model_, values, worst_state(values, values, options_));
  }

  void compose_rhs_failure(const char* flag, const char* where) {
    int worst = 0;
    for (int i = 0; i < n_; ++i)
      if (!std::isfinite(bad_rhs_ydot_[i])) {
        worst = i;
        break;
      }
    const std::vector<double> values = values_of(bad_rhs_y_);
    failure_ = std::string("onset_bdf: ") + flag + " at t = " + format_number(bad_rhs_t_) +
               " h: the right-hand side is not finite " + where + " (d/dt of state '" +
               model_.states()[static_cast<size_t>(worst)].name +
               "' = " + format_number(bad_rhs_ydot_[worst]) + "); " +
               describe_state(model_, values, worst);
  }

  void describe_step_failure(Code code) {
    if (code == Code::kErrFailure) {
      const std::vector<double> y = values_of(failed_y_);
      const std::vector<double> err = values_of(failed_err_);
      const int worst = worst_state(y, err, options_);
      failure_ = "onset_bdf: ERR_FAILURE at t = " + format_number(tn_) +
                 " h: the local error test failed " + std::to_string(last_nef_) +
                 " times in one step; h = " + format_number(h_) + " h; worst " +
                 describe_state(model_, y, worst);
    } else if (code == Code::kConvFailure) {
      const std::vector<double> y = values_of(y_);
      const std::vector<double> corr = values_of(acor_);
      const int worst = worst_state(y, corr, options_);
      failure_ = "onset_bdf: CONV_FAILURE at t = " + format_number(tn_) +
                 " h: the Newton iteration failed to converge " + std::to_string(last_ncf_) +
                 " times in one step; h = " + format_number(h_) + " h; worst " +
                 describe_state(model_, y, worst);
    } else {
      compose_rhs_failure("REPTD_RHSFUNC_ERR",
                          "however small the step (tried repeatedly with smaller steps)");
    }
  }

  // ------------------------------------------------------------------ data
  const Model& model_;
  PreparedModel prepared_;              // this integrator's own (set_parameters)
  PreparedModel* active_ = &prepared_;  // what rhs, Jacobian and crossings evaluate
  SolverOptions options_;
  int n_;
  LinearKind kind_;
  double rtol_;
  Vec atol_;
  bool use_model_jacobian_;
  double hmax_inv_;
  std::span<const double> params_;
  std::span<const double> input_rate_;

  // Nordsieck array z[0..q] (z[kMaxOrder] also keeps the correction for an order increase).
  std::array<Vec, kMaxOrder + 1> zn_;
  std::array<double*, kMaxOrder + 1> history_{};  // zn_[j].data(), for the fused kernels
  Vec ewt_, acor_, y_, ftemp_, tempv_, y_plus_, f_plus_;
  // Iteration matrix: the dense Jacobian and its LU (dense, banded), or the Jacobian's
  // entries in the model's sparsity pattern (sparse).
  Mat jac_, lu_;
  Pivots pivots_;
  // Dynamic-size dense path: the nonzero rows of a column during the factorisation, and the
  // factors' nonzeros for the solves.
  std::vector<int> lu_rows_;
  CompressedLu compressed_lu_;
  std::unique_ptr<PatternLu> pattern_lu_;  // when the model declares its Jacobian's pattern
  std::unique_ptr<BandLu> band_;
  const JacobianPattern* pattern_ = nullptr;
  std::vector<double> jac_values_;
  std::unique_ptr<SparseLu> sparse_;

  double tn_ = 0, t_stop_ = 0, t_returned_ = 0;
  double h_ = 1, hprime_ = 1, hscale_ = 1, eta_ = 1, etamax_ = kEtaMaxFirst, hu_ = 0;
  double etaq_ = 0, etaqm1_ = 0, etaqp1_ = 0;
  int q_ = 1, qprime_ = 1, big_l_ = 2, qwait_ = 2;
  long nst_ = 0, nstlp_ = 0, nstlj_ = 0, nscon_ = 0;
  std::array<double, kMaxOrder + 2> tau_{}, tq_{}, l_{};
  double saved_tq5_ = 0, rl1_ = 1, gamma_ = 0, gammap_ = 0, gamrat_ = 1;
  double crate_ = 1, delp_ = 0, acnrm_ = 0;
  bool jcur_ = false, started_ = false, initialized_ = false;
  // Key of the coefficients in l_, tq_, rl1_ (see set_coefficients).
  bool coefficients_valid_ = false;
  int coef_q_ = 0;
  double coef_h_ = 0;
  std::array<double, kMaxOrder + 2> coef_tau_{};

  // Sensitivities (ns_ = 0: off): Nordsieck arrays of the n x ns sensitivity matrix, weights,
  // corrections, df/dp and J at the current step, the prepared models at p +- h e_j.
  int ns_ = 0;
  std::vector<int> wrt_;
  std::vector<double> pbar_;
  std::array<SensMat, kMaxOrder + 1> zn_s_;
  SensMat ewt_s_, atol_s_, acor_s_, temp_s_, y_s_, f_s_, fp_, s_now_, delta_s_;
  Mat jac_s_;
  std::vector<double> jac_s_values_;
  std::vector<std::vector<double>> p_plus_, p_minus_;
  std::vector<PreparedModel> prepared_plus_, prepared_minus_;
  double crate_s_ = 1, acnrm_s_ = 0;

  CrossingFunctions crossings_;
  std::vector<double> g_lo_, g_hi_, g_mid_;
  std::vector<char> root_hit_;
  double t_lo_ = 0, t_hi_ = 0;
  // The time y_ holds the interpolated state of (kNoTime: none), to skip a second
  // interpolation when an output follows a crossing search at the same time.
  static constexpr double kNoTime = -std::numeric_limits<double>::infinity();
  double y_time_ = kNoTime;

  // For failure messages.
  double bad_rhs_t_ = 0;
  Vec bad_rhs_y_, bad_rhs_ydot_, failed_y_, failed_err_;
  int last_nef_ = 0, last_ncf_ = 0;
  bool rhs_failed_since_restart_ = false;
  int steps_below_roundoff_ = 0;

  SolverStats stats_;
  std::string failure_;
};

// pattern_lu: the iteration matrix factored by PatternLu on the model's Jacobian pattern
// instead of the dense fixed-size lu_factor / lu_solve (the same factors, value for value).
template <int N>
std::unique_ptr<OnsetBdfIntegrator> make_fixed(int n, const Model& model,
                                               const SolverOptions& options, bool pattern_lu) {
  if constexpr (N > kOnsetBdfFixedMaxStates) {
    return nullptr;
  } else {
    if (n == N)
      return std::make_unique<OnsetBdf<N>>(model, options, LinearKind::kDense, -1, -1, pattern_lu);
    return make_fixed<N + 1>(n, model, options, pattern_lu);
  }
}

}  // namespace

std::unique_ptr<OnsetBdfIntegrator> make_onset_bdf(const Model& model,
                                                   const SolverOptions& options) {
  const int n = model.num_states();
  if (n < 1)
    throw std::invalid_argument("onset_bdf: model '" + std::string(model.name()) +
                                "' has no states");
  const bool analytic = options.use_model_jacobian && model.has_jacobian();
  if (options.linear_solver == LinearSolverKind::kBanded) {
    const Bandwidth band = model.bandwidth();
    const int lower = options.lower_bandwidth >= 0 ? options.lower_bandwidth : band.lower;
    const int upper = options.upper_bandwidth >= 0 ? options.upper_bandwidth : band.upper;
    if (lower < 0 || upper < 0)
      throw std::invalid_argument(
          "onset_bdf: a banded linear solver needs bandwidths: set lower_bandwidth and "
          "upper_bandwidth in the solver options, or declare them in model '" +
          std::string(model.name()) + "'");
    return std::make_unique<OnsetBdf<Eigen::Dynamic>>(
        model, options, LinearKind::kBanded, std::min(lower, n - 1), std::min(upper, n - 1));
  }
  const JacobianPattern* pattern = model.jacobian_pattern();
  const bool sparse_possible = analytic && pattern != nullptr && pattern->n == n;
  const bool sparse =
      sparse_possible &&
      (options.linear_solver == LinearSolverKind::kSparse ||
       (options.linear_solver == LinearSolverKind::kAuto && n >= kOnsetBdfSparseMinStates));
  if (options.linear_solver == LinearSolverKind::kSparse && !sparse_possible)
    throw std::invalid_argument(
        "onset_bdf: a sparse linear solver needs the Jacobian's sparsity "
        "and an analytic Jacobian; model '" +
        std::string(model.name()) + "' has " +
        (pattern == nullptr ? "no sparsity pattern" : "no analytic Jacobian"));
  if (sparse)
    return std::make_unique<OnsetBdf<Eigen::Dynamic>>(model, options, LinearKind::kSparse, -1, -1);
  // A sparse Jacobian (at most a quarter of its entries structurally non-zero) of 8 states or
  // more has its dense LU replay its pivots on the pattern (PatternLu): its solves touch the
  // non-zeros only, where the fixed-size kernels' lu_solve is dense (the 16 states of the
  // cascade's loaded-miRNA subsystem: 64 of 256 entries). From 8 states: the B4 claim's 9-state
  // subsystem (collagen F of B2) spent 629 instructions per fixed-size lu_solve<9> against 257
  // per pattern-LU solve of the whole 13-state model (callgrind, bench/README.md, "Issue 19,
  // fourth session"). Up to kOnsetBdfFixedMaxStates states the rest of the step stays on the
  // fixed-size kernels (until Dec 2026 such models went to the dynamic-size path whole); the
  // factors, and so every value, are the same on either path.
  const bool pattern_pays =
      sparse_possible && n >= 8 &&
      4 * pattern->nonzeros() <= static_cast<size_t>(n) * static_cast<size_t>(n);
  if (n <= kOnsetBdfFixedMaxStates)
    return make_fixed<1>(n, model, options,
                         pattern_pays && options.linear_solver == LinearSolverKind::kAuto);
  return std::make_unique<OnsetBdf<Eigen::Dynamic>>(model, options, LinearKind::kDense, -1, -1);
}

std::unique_ptr<Integrator> make_onset_bdf_integrator(const Model& model,
                                                      const SolverOptions& options) {
  return make_onset_bdf(model, options);
}

}  // namespace onset::pk
