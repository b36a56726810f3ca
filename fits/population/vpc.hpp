// Visual predictive check (VPC; Holford 2005, PAGE 14, abstract 738; Bergstrand, Hooker, Wallin
// and Karlsson 2011, AAPS J 13:143): per observable and time bin, the observed 5th, 50th and 95th
// percentiles of the DVs over the prediction intervals of the same percentiles across simulated
// replicates of the data set (fits/population/population_simulate.hpp). The model describes
// the data when the observed percentiles lie inside the simulated intervals.
//
// Binning (per observable): when its observations are taken at no more than `max_bins` distinct
// times, one bin per time (nominal sampling); otherwise bins of about equal numbers of
// observations between distinct times (ties never split). Percentiles are R's type 7 (linear
// interpolation between order statistics). A replicate's percentile in a bin is taken over the
// simulated DVs of that bin's observations; the interval is the (100 - interval)/2 and
// (100 + interval)/2 percentiles of those over the replicates, and its median.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "fits/population/population_simulate.hpp"

namespace onset::fits::population {

struct VpcOptions {
  std::vector<double> percentiles = {5, 50, 95};  // of the DVs in a bin (%)
  double interval = 95;  // prediction interval of each simulated percentile (%)
  int max_bins = 10;

  bool IsValid(std::string* why) const;
};

struct VpcBin {
  double lower = 0, upper = 0;  // times of its first and last observation
  double time = 0;              // median time of its observations (the plot's x)
  int count = 0;                // observations
  // Per percentile: observed, and the simulated interval (low, median, high).
  std::vector<double> observed, low, median, high;
};

struct VpcObservable {
  std::string observable;
  std::vector<VpcBin> bins;
  std::vector<double> times, values;  // the observations (the plot's points)
};

struct Vpc {
  std::vector<double> percentiles;
  double interval = 0;
  int replicates = 0;
  std::vector<VpcObservable> observables;
  // Observed percentiles outside their simulated interval, of all (bins x percentiles).
  int outside = 0, total = 0;
};

// R's quantile(type = 7) of `values` (sorted in place) at probability p in [0, 1]; NaN when empty.
double quantile_type7(std::vector<double>& values, double p);

Vpc compute_vpc(const PopulationSimulation& simulation, const VpcOptions& options);

// OBS, BIN, TIME, TLOW, THIGH, N, then per percentile P: OBS_P, SIM_P_LOW, SIM_P_MEDIAN,
// SIM_P_HIGH.
void write_vpc_csv(const Vpc& vpc, std::ostream& out);
std::string vpc_json_text(const Vpc& vpc);

}  // namespace onset::fits::population
