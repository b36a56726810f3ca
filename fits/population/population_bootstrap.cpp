#include "fits/population/population_bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

#include "fits/population/csv_text.hpp"
#include "fits/population/population_values.hpp"
#include "fits/population/vpc.hpp"
#include "io/format.hpp"
#include "pk/distributed.hpp"

namespace onset::fits::population {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr uint64_t kBootstrapStream = 0xB007'5B1E'0000'0000ull;
// Fewer converged replicates than this give no interval (as the pooled fits' bootstrap).
constexpr int kMinimumConverged = 10;
}  // namespace

bool BootstrapOptions::IsValid(std::string* why) const {
  auto fail = [&](const std::string& text) {
    if (why) *why = text;
    return false;
  };
  if (replicates < kMinimumConverged)
    return fail("at least " + std::to_string(kMinimumConverged) + " bootstrap replicates");
  if (!(confidence > 0 && confidence < 1)) return fail("confidence must be in (0, 1)");
  if (threads < 0) return fail("threads must be >= 0");
  std::string inner;
  if (method == Method::kSaem ? !saem.IsValid(&inner) : !fit.IsValid(&inner))
    return fail("replicate fits: " + inner);
  return true;
}

void bootstrap_subjects(const PopulationProblem& problem, const PopulationSummary& original,
                        const BootstrapOptions& options, BootstrapSummary* out) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("bootstrap options: " + why);
  BootstrapSummary& summary = *out;
  summary = BootstrapSummary{};
  summary.replicates = options.replicates;
  summary.seed = options.seed;
  summary.confidence = options.confidence;
  summary.method = std::string(method_name(options.method));
  for (const PopulationEstimate& e : original.estimates) {
    BootstrapParameter p;
    p.kind = e.kind;
    p.name = e.name;
    p.label = e.label;
    p.estimate = e.estimate;
    p.fixed = e.fixed;
    summary.parameters.push_back(p);
  }
  const size_t width = summary.parameters.size();
  // Every replicate starts at the original estimates.
  const PopulationModel start =
      with_point(problem.model, point_from_summary(problem.model, original));
  const size_t n = problem.data.subjects.size();
  const auto replicates = static_cast<size_t>(options.replicates);
  std::vector<std::vector<double>> draws(replicates, std::vector<double>(width, kNaN));
  std::vector<char> converged(replicates, 0);
  const uint64_t key = pk::splitmix64(options.seed ^ kBootstrapStream);
  pk::distributed_for(
      replicates, options.threads, [] { return 0; },
      [&](size_t b, int&) {
        if (options.cancelled && options.cancelled()) return;
        const pk::RankLocalScope local;
        std::mt19937_64 rng = pk::task_rng(key, b);
        std::uniform_int_distribution<size_t> pick(0, n - 1);
        PopulationProblem resampled;
        resampled.model = start;
        resampled.data = problem.data;
        resampled.data.subjects.clear();
        for (size_t k = 0; k < n; ++k)
          resampled.data.subjects.push_back(problem.data.subjects[pick(rng)]);
        PopulationSummary fit;
        try {
          if (options.method == Method::kSaem) {
            SaemOptions saem = options.saem;
            saem.threads = 1;
            saem.seed = pk::splitmix64(key ^ pk::splitmix64(b));
            saem.importance_samples = 0;
            saem.covariance = CovarianceMatrix::kNone;
            saem.diagnostics = false;
            SaemSummary result;
            Solve(saem, resampled, &result);
            fit = std::move(result.population);
          } else {
            PopulationOptions inner = options.fit;
            inner.method = options.method;
            inner.threads = 1;
            inner.covariance = CovarianceMatrix::kNone;
            inner.diagnostics = false;
            Solve(inner, resampled, &fit);
          }
        } catch (const std::exception&) {
          return;
        }
        converged[b] = fit.status == PopulationStatus::kConverged ? 1 : 0;
        for (size_t i = 0; i < width && i < fit.estimates.size(); ++i)
          draws[b][i] = fit.estimates[i].estimate;
      },
      [&](size_t b, pk::ByteWriter& writer) {
        writer.put(converged[b]);
        writer.put(draws[b]);
      },
      [&](size_t b, pk::ByteReader& reader) {
        converged[b] = reader.get<char>();
        draws[b] = reader.get_doubles();
      });
  if (options.cancelled && options.cancelled()) throw std::runtime_error("interrupted");

  summary.replicate_converged = converged;
  for (size_t b = 0; b < replicates; ++b)
    summary.draws.insert(summary.draws.end(), draws[b].begin(), draws[b].end());
  summary.converged = static_cast<int>(std::count(converged.begin(), converged.end(), 1));
  const double tail = (1 - options.confidence) / 2;
  for (size_t i = 0; i < width; ++i) {
    BootstrapParameter& p = summary.parameters[i];
    std::vector<double> values;
    for (size_t b = 0; b < replicates; ++b)
      if (converged[b] && std::isfinite(draws[b][i])) values.push_back(draws[b][i]);
    if (p.fixed || static_cast<int>(values.size()) < kMinimumConverged) {
      p.mean = p.median = p.se = p.bias = p.lower = p.upper = kNaN;
      continue;
    }
    double mean = 0;
    for (double v : values) mean += v;
    mean /= static_cast<double>(values.size());
    double sum = 0;
    for (double v : values) sum += (v - mean) * (v - mean);
    p.mean = mean;
    p.se = std::sqrt(sum / static_cast<double>(values.size() - 1));
    p.bias = mean - p.estimate;
    p.median = quantile_type7(values, 0.5);
    p.lower = quantile_type7(values, tail);
    p.upper = quantile_type7(values, 1 - tail);
  }
  if (summary.converged < kMinimumConverged)
    summary.notes.push_back("only " + std::to_string(summary.converged) +
                            " replicate(s) converged: no intervals");
  else if (summary.converged < options.replicates)
    summary.notes.push_back(std::to_string(options.replicates - summary.converged) +
                            " replicate(s) did not converge and were left out");
}

void print_text(const BootstrapSummary& b, std::ostream& out) {
  out << "bootstrap by subject (" << b.method << "): " << b.replicates << " replicates, "
      << b.converged << " converged, seed " << b.seed << "; percentile intervals ("
      << format_number(100 * b.confidence, 3) << " %)\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-26s %12s %12s %12s %12s %12s %12s\n", "parameter",
                "estimate", "median", "boot. SE", "bias", "lower", "upper");
  out << line;
  auto cell = [](double value) { return std::isfinite(value) ? format_number(value, 5) : "-"; };
  for (const auto& p : b.parameters) {
    if (p.fixed) continue;
    const std::string name =
        p.kind == PopulationEstimate::Kind::kTheta
            ? p.name
            : (p.kind == PopulationEstimate::Kind::kOmega ? "omega " : "sigma ") + p.name;
    std::snprintf(line, sizeof line, "  %-26s %12s %12s %12s %12s %12s %12s\n", name.c_str(),
                  cell(p.estimate).c_str(), cell(p.median).c_str(), cell(p.se).c_str(),
                  cell(p.bias).c_str(), cell(p.lower).c_str(), cell(p.upper).c_str());
    out << line;
  }
  for (const auto& note : b.notes) out << "  note: " << note << "\n";
}

std::string with_bootstrap_json(const std::string& fit_json, const BootstrapSummary& b) {
  nlohmann::json out = nlohmann::json::parse(fit_json);
  auto number = [](double value) {
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  nlohmann::json parameters = nlohmann::json::array();
  for (const auto& p : b.parameters)
    parameters.push_back({{"name", p.name},
                          {"label", p.label},
                          {"estimate", number(p.estimate)},
                          {"mean", number(p.mean)},
                          {"median", number(p.median)},
                          {"se", number(p.se)},
                          {"bias", number(p.bias)},
                          {"lower", number(p.lower)},
                          {"upper", number(p.upper)},
                          {"fixed", p.fixed}});
  out["bootstrap"] = {{"method", b.method},         {"replicates", b.replicates},
                      {"converged", b.converged},   {"seed", b.seed},
                      {"confidence", b.confidence}, {"interval", "percentile"},
                      {"parameters", parameters},   {"notes", b.notes}};
  return out.dump(2);
}

void write_bootstrap_csv(const BootstrapSummary& b, std::ostream& out) {
  out << "REPLICATE,CONVERGED";
  for (const auto& p : b.parameters) out << "," << csv_field(p.label);
  out << "\n";
  const size_t width = b.parameters.size();
  for (size_t r = 0; r < b.replicate_converged.size(); ++r) {
    out << r + 1 << "," << (b.replicate_converged[r] ? 1 : 0);
    for (size_t i = 0; i < width; ++i) out << "," << csv_value(b.draws[r * width + i], 17);
    out << "\n";
  }
}

}  // namespace onset::fits::population
