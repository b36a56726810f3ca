// The rank/thread split gives every task the same row whatever the split.
#include "pk/distributed.hpp"

#include <gtest/gtest.h>

#include <random>

namespace onset::pk {
namespace {

TEST(RankBlocks, CoverEveryTaskOnceInOrder) {
  for (int size : {1, 2, 3, 7}) {
    size_t next = 0;
    for (int rank = 0; rank < size; ++rank) {
      const auto [begin, end] = rank_block(1000, rank, size);
      EXPECT_EQ(begin, next);
      next = end;
    }
    EXPECT_EQ(next, 1000u);
  }
}

TEST(DistributedMap, SameTableForOneAndTwoThreads) {
  auto run = [](int threads) {
    return distributed_map(
        500, 3, threads, [] { return 0; },
        [](size_t task, int&, std::span<double> row) {
          auto rng = task_rng(11, task);
          std::uniform_real_distribution<double> u;
          row[0] = static_cast<double>(task);
          row[1] = u(rng);
          row[2] = u(rng) + row[1];
        });
  };
  const auto one = run(1), two = run(2);
  ASSERT_EQ(one.size(), 1500u);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one[3 * 42], 42.0);
}

TEST(DistributedMap, ASingleProcessIsRankZeroOfOne) {
  EXPECT_EQ(mpi_rank(), 0);
  EXPECT_EQ(mpi_size(), 1);
}

}  // namespace
}  // namespace onset::pk
