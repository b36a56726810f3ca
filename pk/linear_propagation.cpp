#include "pk/linear_propagation.hpp"

#include <Eigen/Eigenvalues>
#include <cmath>

namespace onset::pk {

namespace {

using Complex = std::complex<double>;

// (e^{a t} - e^{b t}) / (a - b) for a != b (inverse_gap = 1 / (a - b)), accurate when a t and
// b t are close.
Complex divided_difference(Complex a, Complex b, Complex ea, Complex eb, Complex inverse_gap,
                           double t) {
  const Complex d = (a - b) * t;
  if (std::norm(d) < 1e-6) {
    // e^{b t} (e^d - 1) / d * t, the series of (e^d - 1) / d to d^4 (error below 1e-17).
    const Complex series = 1.0 + d * (0.5 + d * (1.0 / 6 + d * (1.0 / 24 + d / 120.0)));
    return eb * series * t;
  }
  return (ea - eb) * inverse_gap;
}

}  // namespace

bool LinearSensitivityPropagator::set(const Eigen::MatrixXd& a, const Eigen::VectorXd& c,
                                      const std::vector<Eigen::MatrixXd>& da,
                                      const std::vector<Eigen::VectorXd>& db, bool keep_state) {
  // The physical state, to carry over into the new coordinates.
  Eigen::VectorXd y;
  Eigen::MatrixXd s;
  const bool carry = keep_state && have_state_;
  have_state_ = false;
  if (carry) read(&y, &s);
  n_ = a.rows();
  m_ = n_ + 1;
  ns_ = static_cast<Eigen::Index>(da.size());
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(m_, m_);
  m.topLeftCorner(n_, n_) = a;
  m.topRightCorner(n_, 1) = c;
  const Eigen::EigenSolver<Eigen::MatrixXd> solver(m);
  if (solver.info() != Eigen::Success) return false;
  lambda_ = solver.eigenvalues();
  real_ = (lambda_.imag().array() == 0).all();
  v_ = solver.eigenvectors();
  const Eigen::PartialPivLU<Eigen::MatrixXcd> lu(v_);
  v_inverse_ = lu.inverse();
  const double condition =
      v_.cwiseAbs().colwise().sum().maxCoeff() * v_inverse_.cwiseAbs().colwise().sum().maxCoeff();
  if (!std::isfinite(condition) || condition > kMaxCondition) return false;
  b_.resize(static_cast<size_t>(ns_));
  for (Eigen::Index j = 0; j < ns_; ++j) {
    Eigen::MatrixXd dm = Eigen::MatrixXd::Zero(m_, m_);
    dm.topLeftCorner(n_, n_) = da[static_cast<size_t>(j)];
    dm.topRightCorner(n_, 1) = db[static_cast<size_t>(j)];
    b_[static_cast<size_t>(j)] = v_inverse_ * dm.cast<Complex>() * v_;
  }
  e_.resize(m_);
  phi_.resize(m_, m_);
  inverse_gap_.resize(m_, m_);
  for (Eigen::Index k = 0; k < m_; ++k)
    for (Eigen::Index l = 0; l < m_; ++l)
      inverse_gap_(k, l) = lambda_(k) == lambda_(l) ? Complex(0) : 1.0 / (lambda_(k) - lambda_(l));
  if (carry) start(y, s);
  return true;
}

void LinearSensitivityPropagator::start(const Eigen::VectorXd& y, const Eigen::MatrixXd& s) {
  Eigen::VectorXcd z(m_);
  z.head(n_) = y.cast<Complex>();
  z(n_) = 1.0;
  z_ = v_inverse_ * z;
  Eigen::MatrixXcd full = Eigen::MatrixXcd::Zero(m_, ns_);
  full.topRows(n_) = s.cast<Complex>();
  s_ = v_inverse_ * full;
  have_state_ = true;
}

void LinearSensitivityPropagator::advance(double dt) {
  if (dt <= 0) return;
  for (Eigen::Index k = 0; k < m_; ++k)
    e_(k) = real_ ? Complex(std::exp(lambda_(k).real() * dt), 0.0) : std::exp(lambda_(k) * dt);
  for (Eigen::Index k = 0; k < m_; ++k)
    for (Eigen::Index l = 0; l < m_; ++l)
      phi_(k, l) =
          k == l || lambda_(k) == lambda_(l)
              ? dt * e_(k)
              : divided_difference(lambda_(k), lambda_(l), e_(k), e_(l), inverse_gap_(k, l), dt);
  z_old_ = z_;
  z_ = e_.cwiseProduct(z_old_);
  for (Eigen::Index j = 0; j < ns_; ++j)
    s_.col(j) = e_.cwiseProduct(s_.col(j)) + b_[static_cast<size_t>(j)].cwiseProduct(phi_) * z_old_;
}

void LinearSensitivityPropagator::add(int index, double amount) {
  z_ += v_inverse_.col(index) * amount;
}

void LinearSensitivityPropagator::read(Eigen::VectorXd* y, Eigen::MatrixXd* s) const {
  *y = (v_.topRows(n_) * z_).real();
  *s = (v_.topRows(n_) * s_).real();
}

}  // namespace onset::pk
