#include "fits/population/vpc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <stdexcept>

#include "fits/population/csv_text.hpp"
#include "io/format.hpp"

namespace onset::fits::population {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string percentile_name(double p) { return format_number(p, 6); }

// Bins of the observations `rows` (indices into the simulation's observations), sorted by time.
std::vector<std::vector<size_t>> make_bins(const PopulationSimulation& sim,
                                           std::vector<size_t> rows, int max_bins) {
  std::stable_sort(rows.begin(), rows.end(),
                   [&](size_t a, size_t b) { return sim.time[a] < sim.time[b]; });
  // Runs of equal times.
  std::vector<std::vector<size_t>> runs;
  for (size_t i : rows) {
    if (runs.empty() || sim.time[runs.back().front()] != sim.time[i]) runs.emplace_back();
    runs.back().push_back(i);
  }
  if (runs.size() <= static_cast<size_t>(max_bins)) return runs;
  // About equal counts: close a bin once it holds its share of the remaining observations.
  std::vector<std::vector<size_t>> bins;
  size_t remaining = rows.size();
  int bins_left = max_bins;
  std::vector<size_t> current;
  for (size_t r = 0; r < runs.size(); ++r) {
    current.insert(current.end(), runs[r].begin(), runs[r].end());
    const double share = static_cast<double>(remaining) / bins_left;
    const size_t runs_left = runs.size() - r - 1;
    // Close the bin at its share, or when each remaining run must get a bin of its own.
    if (bins_left > 1 && (static_cast<double>(current.size()) >= share ||
                          runs_left <= static_cast<size_t>(bins_left - 1))) {
      remaining -= current.size();
      --bins_left;
      bins.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) bins.push_back(std::move(current));
  return bins;
}

}  // namespace

bool VpcOptions::IsValid(std::string* why) const {
  auto fail = [&](const std::string& text) {
    if (why) *why = text;
    return false;
  };
  if (percentiles.empty()) return fail("at least one percentile");
  for (double p : percentiles)
    if (!(p > 0 && p < 100)) return fail("percentiles must be in (0, 100)");
  if (!(interval > 0 && interval < 100)) return fail("the interval must be in (0, 100) %");
  if (max_bins < 1) return fail("max_bins must be >= 1");
  return true;
}

double quantile_type7(std::vector<double>& values, double p) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double h = (static_cast<double>(values.size()) - 1) * p;
  const auto low = static_cast<size_t>(std::floor(h));
  const size_t high = std::min(low + 1, values.size() - 1);
  return values[low] + (h - static_cast<double>(low)) * (values[high] - values[low]);
}

Vpc compute_vpc(const PopulationSimulation& sim, const VpcOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw std::invalid_argument("VPC options: " + why);
  Vpc vpc;
  vpc.percentiles = options.percentiles;
  vpc.interval = options.interval;
  vpc.replicates = sim.replicates;
  const size_t m = sim.num_observations(), np = options.percentiles.size();
  const double tail = (100 - options.interval) / 200;
  for (size_t o = 0; o < sim.observables.size(); ++o) {
    VpcObservable observable;
    observable.observable = sim.observables[o];
    std::vector<size_t> rows;
    for (size_t i = 0; i < m; ++i)
      if (sim.block[i] == static_cast<int>(o) && std::isfinite(sim.observed[i])) rows.push_back(i);
    if (rows.empty()) continue;
    for (size_t i : rows) {
      observable.times.push_back(sim.time[i]);
      observable.values.push_back(sim.observed[i]);
    }
    for (const auto& members : make_bins(sim, rows, options.max_bins)) {
      VpcBin bin;
      bin.count = static_cast<int>(members.size());
      std::vector<double> times, observed;
      for (size_t i : members) {
        times.push_back(sim.time[i]);
        observed.push_back(sim.observed[i]);
      }
      bin.lower = *std::min_element(times.begin(), times.end());
      bin.upper = *std::max_element(times.begin(), times.end());
      bin.time = quantile_type7(times, 0.5);
      std::vector<std::vector<double>> simulated(np);
      std::vector<double> values;
      for (size_t r = 0; r < static_cast<size_t>(sim.replicates); ++r) {
        values.clear();
        for (size_t i : members)
          if (std::isfinite(sim.dv[r * m + i])) values.push_back(sim.dv[r * m + i]);
        if (values.empty()) continue;
        for (size_t k = 0; k < np; ++k)
          simulated[k].push_back(quantile_type7(values, options.percentiles[k] / 100));
      }
      for (size_t k = 0; k < np; ++k) {
        bin.observed.push_back(quantile_type7(observed, options.percentiles[k] / 100));
        bin.low.push_back(quantile_type7(simulated[k], tail));
        bin.median.push_back(quantile_type7(simulated[k], 0.5));
        bin.high.push_back(quantile_type7(simulated[k], 1 - tail));
        ++vpc.total;
        if (bin.observed[k] < bin.low[k] || bin.observed[k] > bin.high[k]) ++vpc.outside;
      }
      observable.bins.push_back(std::move(bin));
    }
    vpc.observables.push_back(std::move(observable));
  }
  return vpc;
}

void write_vpc_csv(const Vpc& vpc, std::ostream& out) {
  out << "OBS,BIN,TIME,TLOW,THIGH,N";
  for (double p : vpc.percentiles) {
    const std::string name = percentile_name(p);
    out << ",OBS_P" << name << ",SIM_P" << name << "_LOW,SIM_P" << name << "_MEDIAN,SIM_P" << name
        << "_HIGH";
  }
  out << "\n";
  for (const auto& observable : vpc.observables) {
    const std::string cell = csv_field(observable.observable);
    for (size_t b = 0; b < observable.bins.size(); ++b) {
      const VpcBin& bin = observable.bins[b];
      out << cell << "," << b + 1 << "," << csv_value(bin.time) << "," << csv_value(bin.lower)
          << "," << csv_value(bin.upper) << "," << bin.count;
      for (size_t k = 0; k < vpc.percentiles.size(); ++k)
        out << "," << csv_value(bin.observed[k]) << "," << csv_value(bin.low[k]) << ","
            << csv_value(bin.median[k]) << "," << csv_value(bin.high[k]);
      out << "\n";
    }
  }
}

std::string vpc_json_text(const Vpc& vpc) {
  auto number = [](double value) {
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  nlohmann::json out;
  out["percentiles"] = vpc.percentiles;
  out["interval_pct"] = vpc.interval;
  out["replicates"] = vpc.replicates;
  out["outside"] = vpc.outside;
  out["total"] = vpc.total;
  nlohmann::json observables = nlohmann::json::array();
  for (const auto& observable : vpc.observables) {
    nlohmann::json bins = nlohmann::json::array();
    for (const auto& bin : observable.bins) {
      nlohmann::json item = {{"time", number(bin.time)},
                             {"time_low", number(bin.lower)},
                             {"time_high", number(bin.upper)},
                             {"n", bin.count}};
      nlohmann::json percentiles = nlohmann::json::array();
      for (size_t k = 0; k < vpc.percentiles.size(); ++k)
        percentiles.push_back({{"percentile", vpc.percentiles[k]},
                               {"observed", number(bin.observed[k])},
                               {"simulated_low", number(bin.low[k])},
                               {"simulated_median", number(bin.median[k])},
                               {"simulated_high", number(bin.high[k])}});
      item["percentiles"] = percentiles;
      bins.push_back(item);
    }
    observables.push_back({{"observable", observable.observable}, {"bins", bins}});
  }
  out["observables"] = observables;
  return out.dump(2);
}

}  // namespace onset::fits::population
