// Exact propagation of a linear time-invariant system and its parameter sensitivities between
// events by one eigendecomposition per input level, instead of one matrix exponential of the
// augmented (state + sensitivity) generator per interval.
//
// System: y' = A y + c (c = b + the infusion inputs), s_j' = A s_j + dA_j y + db_j. With
// z = [y; 1] and M = [[A, c], [0, 0]], z(t) = e^{M t} z(0) and, for S_j = [s_j; 0],
// S_j(t) = e^{M t} S_j(0) + L_j(t) z(0), where L_j(t) = int_0^t e^{M (t - u)} dM_j e^{M u} du is
// the Frechet derivative of the exponential (dM_j = [[dA_j, db_j], [0, 0]]). For M = V diag(lambda)
// V^-1, L_j(t) = V ((V^-1 dM_j V) o Phi(t)) V^-1 with Phi_kl = (e^{lambda_k t} - e^{lambda_l t}) /
// (lambda_k - lambda_l) and Phi_kk = t e^{lambda_k t} (Daleckii and Krein 1965; Higham 2008,
// Functions of Matrices, SIAM, thm 3.11). The state is kept in eigen-coordinates, so an interval
// costs O(m^2 (1 + ns)) complex operations for m = n + 1.
//
// The decomposition is refused (set() returns false, and the caller uses matrix exponentials)
// when V is ill-conditioned (near-defective M: repeated eigenvalues, e.g. an absorption rate
// equal to the elimination rate, or a singular A fed by a constant input), since the accuracy
// of the result degrades with cond(V).
#pragma once

#include <Eigen/Dense>
#include <complex>
#include <vector>

namespace onset::pk {

class LinearSensitivityPropagator {
 public:
  // Condition number of V above which set() refuses: rounding of 1e-16 grows to about 1e-11.
  static constexpr double kMaxCondition = 1e5;

  // Sets the system (A n x n, c, and per sensitivity parameter dA_j, db_j) and decomposes M.
  // keep_state: carry the current state over (converted to the new eigen-coordinates), after
  // an input change; else start() must follow. False when M's eigenvectors are too
  // ill-conditioned; the state is then undefined and the caller must not use this object for
  // the run.
  bool set(const Eigen::MatrixXd& a, const Eigen::VectorXd& c,
           const std::vector<Eigen::MatrixXd>& da, const std::vector<Eigen::VectorXd>& db,
           bool keep_state);
  // Starts from y and sensitivities s (n x ns, column j = d y / d p_j).
  void start(const Eigen::VectorXd& y, const Eigen::MatrixXd& s);
  // Advances the state and sensitivities by dt >= 0.
  void advance(double dt);
  // Adds `amount` to state `index` (a bolus; the sensitivities are unchanged).
  void add(int index, double amount);
  // The current state (n) and sensitivities (n x ns).
  void read(Eigen::VectorXd* y, Eigen::MatrixXd* s) const;

 private:
  Eigen::Index n_ = 0, m_ = 0, ns_ = 0;
  Eigen::VectorXcd lambda_;
  Eigen::MatrixXcd v_, v_inverse_;
  std::vector<Eigen::MatrixXcd> b_;  // V^-1 dM_j V
  Eigen::VectorXcd z_;               // V^-1 [y; 1]
  Eigen::MatrixXcd s_;               // V^-1 [s_j; 0], column j
  bool have_state_ = false;
  bool real_ = false;  // every eigenvalue real (exp without the trigonometric part)
  // 1 / (lambda_k - lambda_l) (0 on the diagonal), set once per decomposition.
  Eigen::MatrixXcd inverse_gap_;
  // Work space.
  Eigen::VectorXcd e_, z_old_;
  Eigen::MatrixXcd phi_;
};

}  // namespace onset::pk
