// Embarrassingly parallel loops with answers that do not depend on the number of threads:
// every task writes its result by index, draws its random numbers from a stream keyed by
// (seed, task index), and uses a workspace owned by the worker that runs it (created once
// per worker, reused across that worker's tasks, never shared, so no locks).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <random>
#include <vector>

namespace onset::pk {

// Number of workers for a request of `threads` (0: every core).
inline int resolve_threads(int threads) {
  return threads > 0 ? threads : std::max(1, omp_get_max_threads());
}

// Calls task(i, workspace) for i = 0..count-1 on `threads` workers (0: all cores).
// make_workspace() builds one workspace per worker. When tasks throw, the exception of the
// lowest task index is rethrown after the loop (the other tasks still run), whichever thread
// ran it: the same error for any thread count. `max_chunk`: the most tasks a worker takes at a
// time (1 for few long tasks, such as one fit per subject).
template <typename MakeWorkspace, typename Task>
void parallel_for(size_t count, int threads, MakeWorkspace&& make_workspace, Task&& task,
                  int max_chunk = 16) {
  const int workers = resolve_threads(threads);
  // Chunks of up to max_chunk tasks, but small enough that every worker gets some: a dozen
  // slow tasks (profile-likelihood sides, a multi-start) must not all land on one worker.
  const long chunk = std::clamp(static_cast<long>(count) / (8L * workers), 1L,
                                std::max(1L, static_cast<long>(max_chunk)));
  std::exception_ptr failure;
  long failed_task = static_cast<long>(count);
#pragma omp parallel num_threads(workers)
  {
    auto workspace = make_workspace();
#pragma omp for schedule(dynamic, chunk)
    for (long i = 0; i < static_cast<long>(count); ++i) {
      try {
        task(static_cast<size_t>(i), workspace);
      } catch (...) {
#pragma omp critical(onset_parallel_failure)
        if (i < failed_task) {
          failed_task = i;
          failure = std::current_exception();
        }
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

// SplitMix64 (Steele, Lea and Flood 2014): a well-mixed 64-bit hash, used to derive
// independent streams and sampling keys from (seed, task).
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The random stream of task `task` under `seed`: the same numbers whichever worker runs it.
inline std::mt19937_64 task_rng(uint64_t seed, uint64_t task) {
  std::seed_seq sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                         static_cast<uint32_t>(task), static_cast<uint32_t>(task >> 32),
                         static_cast<uint32_t>(splitmix64(seed ^ splitmix64(task)))};
  return std::mt19937_64(sequence);
}

}  // namespace onset::pk
