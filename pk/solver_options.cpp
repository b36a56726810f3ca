#include "pk/solver_options.hpp"

#include <array>
#include <cmath>
#include <utility>

namespace onset::pk {

namespace {
constexpr std::array<std::pair<Backend, std::string_view>, 7> kBackendNames{{
    {Backend::kAuto, "auto"},
    {Backend::kCvodesBdf, "cvodes_bdf"},
    {Backend::kCvodesAdams, "cvodes_adams"},
    {Backend::kOdeintDopri5, "odeint_dopri5"},
    {Backend::kOdeintRosenbrock4, "odeint_rosenbrock4"},
    {Backend::kExactLinear, "exact_linear"},
    {Backend::kOnsetBdf, "onset_bdf"},
}};
}  // namespace

std::string_view backend_name(Backend backend) {
  for (const auto& [value, name] : kBackendNames)
    if (value == backend) return name;
  return "unknown";
}

std::optional<Backend> parse_backend(std::string_view name) {
  for (const auto& [value, known] : kBackendNames)
    if (known == name) return value;
  return std::nullopt;
}

bool SolverOptions::IsValid(std::string* why) const {
  auto fail = [why](std::string message) {
    if (why) *why = std::move(message);
    return false;
  };
  if (!(rtol > 0) || !(rtol < 1)) return fail("rtol must be a number in (0, 1)");
  if (rtol < 1e-15)
    return fail("rtol = " + std::to_string(rtol) +
                " is below what double precision can deliver (about 1e-15); use rtol >= 1e-14");
  if (!(atol >= 0) || !std::isfinite(atol)) return fail("atol must be zero or positive");
  for (size_t i = 0; i < atol_per_state.size(); ++i)
    if (!(atol_per_state[i] >= 0) || !std::isfinite(atol_per_state[i]))
      return fail("atol_per_state[" + std::to_string(i) + "] must be zero or positive");
  if (max_steps <= 0) return fail("max_steps must be positive");
  if (!(max_step_h >= 0)) return fail("max_step_h must be zero (no limit) or positive");
  if (!(initial_step_h >= 0)) return fail("initial_step_h must be zero (automatic) or positive");
  if (exact_root_subdivisions < 1) return fail("exact_root_subdivisions must be at least 1");
  return true;
}

}  // namespace onset::pk
