// Work split over MPI ranks (when onset is built with ONSET_WITH_MPI) and, inside each
// rank, over threads (pk/parallel.hpp), with results that do not depend on either count:
// task i always computes the same row (its random numbers come from task_rng(seed, i)),
// ranks take contiguous blocks of task indices, and every rank receives all rows in index
// order (so all ranks reach the same summary; only rank 0 prints).
// Without MPI, or under a plain (non-mpirun) start, the same code runs as one process.
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "pk/parallel.hpp"

namespace onset::pk {

// Starts and ends MPI for the process (one per process, in main). Harmless without MPI.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// Whether this build has MPI; this process's rank and the number of ranks (0 and 1
// without MPI).
bool built_with_mpi();
int mpi_rank();
int mpi_size();

// Gathers each rank's rows [begin, end) of a count x width row-major table to every rank,
// in index order, and returns the whole table.
std::vector<double> gather_rows(std::vector<double> local_rows, size_t count, size_t width);

// The block of task indices [begin, end) that `rank` of `size` ranks computes.
inline std::pair<size_t, size_t> rank_block(size_t count, int rank, int size) {
  const auto r = static_cast<size_t>(rank), s = static_cast<size_t>(size);
  return {count * r / s, count * (r + 1) / s};
}

// Calls task(i, workspace, row) for every task i in [0, count), each filling its row of
// `width` numbers, on `threads` threads per rank and all ranks; returns the count x width
// table (on every rank).
template <typename MakeWorkspace, typename Task>
std::vector<double> distributed_map(size_t count, size_t width, int threads,
                                    MakeWorkspace&& make_workspace, Task&& task) {
  const auto [begin, end] = rank_block(count, mpi_rank(), mpi_size());
  std::vector<double> local((end - begin) * width);
  parallel_for(end - begin, threads, make_workspace, [&](size_t k, auto& workspace) {
    task(begin + k, workspace, std::span<double>(local).subspan(k * width, width));
  });
  return gather_rows(std::move(local), count, width);
}

}  // namespace onset::pk
