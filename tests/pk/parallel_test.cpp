// Parallel loops and streaming quantiles give the same numbers for any number of threads.
#include "pk/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/reference_problems.hpp"
#include "pk/distributed.hpp"
#include "pk/quantile_sketch.hpp"
#include "pk/simulate.hpp"

namespace onset::pk {
namespace {

// B4 in small: B2 with its ten random parameters drawn per task, first time F falls to 0.9.
std::vector<double> monte_carlo_b2(int draws, int threads, uint64_t seed) {
  const models::EvCascadeB2 model;
  models::ReferenceCase reference = models::make_reference_case("B2");
  reference.request.output_times_h = {0.0, 672.0};
  reference.request.record_states = false;
  reference.request.stop_when_crossed = true;
  const auto base = model.default_parameters();
  const double omega = std::sqrt(std::log1p(0.3 * 0.3));
  std::vector<double> times(static_cast<size_t>(draws));
  struct Workspace {
    std::unique_ptr<Simulator> simulator;
    Trajectory trajectory;
  };
  parallel_for(
      times.size(), threads,
      [&] {
        return Workspace{std::make_unique<Simulator>(model, reference.options), {}};
      },
      [&](size_t task, Workspace& work) {
        auto rng = task_rng(seed, task);
        std::normal_distribution<double> normal(0.0, omega);
        auto params = base;
        for (int index : {1, 2, 3, 4, 5, 6, 10, 13, 14, 15})
          params[static_cast<size_t>(index)] *= std::exp(normal(rng));
        work.simulator->run(reference.regimen, params, reference.request, &work.trajectory);
        times[task] = work.trajectory.crossings[0].time_h.value_or(INFINITY);
      });
  return times;
}

TEST(ParallelFor, MonteCarloIsIdenticalForOneAndTwoThreads) {
  const auto one = monte_carlo_b2(200, 1, 7);
  const auto two = monte_carlo_b2(200, 2, 7);
  EXPECT_EQ(one, two);  // bit for bit
  const auto other_seed = monte_carlo_b2(200, 2, 8);
  EXPECT_NE(one, other_seed);
}

TEST(ParallelFor, RethrowsTheFirstTaskFailureAfterTheLoop) {
  std::vector<int> done(100, 0);
  EXPECT_THROW(parallel_for(
                   done.size(), 2, [] { return 0; },
                   [&](size_t i, int&) {
                     done[i] = 1;
                     if (i == 42) throw std::runtime_error("task 42");
                   }),
               std::runtime_error);
  EXPECT_EQ(std::accumulate(done.begin(), done.end(), 0), 100);
}

TEST(TaskRng, StreamsDependOnSeedAndTaskOnly) {
  auto a = task_rng(7, 3), b = task_rng(7, 3), c = task_rng(7, 4), d = task_rng(8, 3);
  const auto first = a();
  EXPECT_EQ(first, b());
  EXPECT_NE(first, c());
  EXPECT_NE(first, d());
}

TEST(QuantileSketch, ExactBelowCapacity) {
  QuantileSketch sketch(1000);
  for (uint64_t i = 0; i < 101; ++i) sketch.add(i, static_cast<double>(100 - i));
  EXPECT_TRUE(sketch.exact());
  EXPECT_EQ(sketch.quantile(0.5), 50.0);  // ceil(0.5 * 101) = 51st smallest
  EXPECT_EQ(sketch.quantile(0.05), 5.0);  // ceil(5.05) = 6th smallest
  EXPECT_EQ(sketch.quantile(1.0), 100.0);
}

TEST(QuantileSketch, SameAnswerWhateverTheOrderOrSplit) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> value(0.0, 1.0);
  std::vector<double> values(50000);
  for (double& v : values) v = value(rng);
  QuantileSketch forward(512), backward(512), left(512), right(512);
  for (size_t i = 0; i < values.size(); ++i) forward.add(i, values[i]);
  for (size_t i = values.size(); i-- > 0;) backward.add(i, values[i]);
  for (size_t i = 0; i < values.size(); ++i) (i % 3 ? left : right).add(i, values[i]);
  left.merge(right);
  for (double p : {0.05, 0.5, 0.95}) {
    EXPECT_EQ(forward.quantile(p), backward.quantile(p));
    EXPECT_EQ(forward.quantile(p), left.quantile(p));
  }
  EXPECT_EQ(left.count(), values.size());
  EXPECT_EQ(left.sample_size(), 512u);
}

TEST(QuantileSketch, ErrorWithinItsDocumentedBound) {
  // Lognormal(0, 1): the true median is 1, the 95th percentile exp(1.6449) = 5.1803.
  // With k = 4096 the rank error of the median is 0.0078 (1 sd); allow 4 sd in rank,
  // i.e. the median within the 46.9th-53.1th true percentiles.
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> value(0.0, 1.0);
  QuantileSketch sketch(4096);
  for (uint64_t i = 0; i < 200000; ++i) sketch.add(i, value(rng));
  const double median = sketch.quantile(0.5);
  EXPECT_GT(median, std::exp(-0.0785));  // z(0.469) = -0.0785
  EXPECT_LT(median, std::exp(0.0785));
  const double p95 = sketch.quantile(0.95);
  // rank sd sqrt(0.95 * 0.05 / 4096) = 0.0034: 4 sd -> between the 93.6th and 96.4th
  EXPECT_GT(p95, std::exp(1.5220));  // z(0.936)
  EXPECT_LT(p95, std::exp(1.7991));  // z(0.964)
}

TEST(QuantileSketch, PackedSketchesFromOtherRanksMergeToTheSameSample) {
  // What an MPI rank sends (write) and another adds (merge_from): three blocks of a stream,
  // merged through bytes, give the sample and quantiles of one sketch over the whole stream.
  std::mt19937_64 rng(5);
  std::exponential_distribution<double> value(1.0);
  std::vector<double> values(20000);
  for (double& v : values) v = value(rng);
  QuantileSketch whole(300, 9), block0(300, 9), block1(300, 9), block2(300, 9);
  for (size_t i = 0; i < values.size(); ++i) {
    whole.add(i, values[i]);
    (i < 7000 ? block0 : i < 13000 ? block1 : block2).add(i, values[i]);
  }
  ByteWriter out;
  block1.write(out);
  block2.write(out);
  ByteReader in(out.bytes());
  block0.merge_from(in);
  block0.merge_from(in);
  EXPECT_TRUE(in.done());
  EXPECT_EQ(block0.count(), values.size());
  EXPECT_EQ(block0.sample(), whole.sample());
  ASSERT_EQ(whole.sample().size(), 300u);
  for (const auto& [task, v] : whole.sample()) EXPECT_EQ(v, values[task]);
  for (double p : {0.05, 0.5, 0.95}) EXPECT_EQ(block0.quantile(p), whole.quantile(p));
}

TEST(ByteWriter, RoundTripsNumbersStringsAndVectorsBitForBit) {
  ByteWriter out;
  out.put(-0.1);
  out.put(std::numeric_limits<double>::quiet_NaN());
  out.put(42);
  out.put(std::string("subject 3: failed\n"));
  out.put(std::vector<double>{1e-300, -0.0, std::numeric_limits<double>::infinity()});
  ByteReader in(out.bytes());
  EXPECT_EQ(in.get<double>(), -0.1);
  EXPECT_TRUE(std::isnan(in.get<double>()));
  EXPECT_EQ(in.get<int>(), 42);
  EXPECT_EQ(in.get_string(), "subject 3: failed\n");
  const auto v = in.get_doubles();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], 1e-300);
  EXPECT_TRUE(std::signbit(v[1]));
  EXPECT_EQ(v[2], std::numeric_limits<double>::infinity());
  EXPECT_TRUE(in.done());
  EXPECT_THROW(in.get<double>(), std::runtime_error);  // past the end: refused, not read
}

}  // namespace
}  // namespace onset::pk
