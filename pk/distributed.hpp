// Work split over MPI ranks (when onset is built with ONSET_WITH_MPI) and, inside each
// rank, over threads (pk/parallel.hpp), with results that do not depend on either count:
// task i always computes the same row (its random numbers come from task_rng(seed, i)),
// ranks take contiguous blocks of task indices, and every rank receives all results in index
// order (distributed_map: rows of numbers; distributed_for: any results, packed into bytes)
// or, for summaries of fixed size, the merged total (tree_reduce_bytes), so all ranks reach
// the same answer; only rank 0 prints.
// Without MPI, or under a plain (non-mpirun) start, the same code runs as one process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pk/parallel.hpp"

namespace onset::pk {

// How this process was started, as its environment says (read by the caller through
// io/environment.hpp: io::launched_by_mpi(), io::mpi_plugin_path()).
struct MpiLaunch {
  bool launched_by_mpi = false;  // started by mpirun / mpiexec / srun: MPI is initialised
  std::string plugin_path;       // onset's MPI library named by the user; "" to look for it
                                 // beside the program, then on the dynamic linker's path
};

// Starts and ends MPI for the process (one per process, in main). Harmless without MPI, and
// without a launcher (then the process runs as rank 0 of 1 and no MPI library is loaded).
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv, const MpiLaunch& launch);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// Whether this build has MPI; this process's rank and the number of ranks (0 and 1
// without MPI).
bool built_with_mpi();
int mpi_rank();
int mpi_size();

// Inside a RankLocalScope (per thread), distributed_map and distributed_for run every task in
// this process, with no MPI calls: for work nested in a loop that is already split over ranks
// or threads (per-subject fits run whole fits on worker threads, and MPI collectives must not
// be called from several threads at once or from one rank only).
inline int& rank_local_depth() {
  thread_local int depth = 0;
  return depth;
}
class RankLocalScope {
 public:
  RankLocalScope() { ++rank_local_depth(); }
  ~RankLocalScope() { --rank_local_depth(); }
  RankLocalScope(const RankLocalScope&) = delete;
  RankLocalScope& operator=(const RankLocalScope&) = delete;
};
// The rank and number of ranks a distributed loop started on this thread splits over.
inline int loop_rank() { return rank_local_depth() > 0 ? 0 : mpi_rank(); }
inline int loop_ranks() { return rank_local_depth() > 0 ? 1 : mpi_size(); }

// Gathers each rank's rows [begin, end) of a count x width row-major table to every rank,
// in index order, and returns the whole table.
std::vector<double> gather_rows(std::vector<double> local_rows, size_t count, size_t width);

// Gathers each rank's bytes to every rank: element r of the result is rank r's `local`.
std::vector<std::string> all_gather_bytes(std::string local);

// Reduces per-rank summaries of fixed size without gathering them all anywhere: along a
// binomial tree (ceil(log2 ranks) steps), each rank absorbs the packed summaries of its
// children (absorb(bytes), which must be associative and commutative, as sums and sketch
// merges are) and sends pack() of the result to its parent; rank 0 then broadcasts pack()
// of the total, and every other rank calls replace(bytes) with it. Memory per rank: two
// summaries, whatever the number of ranks. One process: nothing to do.
void tree_reduce_bytes(const std::function<std::string()>& pack,
                       const std::function<void(const std::string&)>& absorb,
                       const std::function<void(const std::string&)>& replace);

// Packs task results (numbers, strings, vectors of numbers) into bytes and back, bit for bit,
// to send them between ranks (all ranks run the same binary, so the same byte order).
class ByteWriter {
 public:
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void put(const T& value) {
    const auto* bytes = reinterpret_cast<const char*>(&value);
    bytes_.append(bytes, sizeof(T));
  }
  void put(const std::string& text) {
    put<uint64_t>(text.size());
    bytes_.append(text);
  }
  void put(const std::vector<double>& values) {
    put<uint64_t>(values.size());
    bytes_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  requires std::is_trivially_copyable_v<T> T get() {
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  std::string get_string() {
    const auto size = get<uint64_t>();
    return std::string(take(size), size);
  }
  std::vector<double> get_doubles() {
    const auto size = get<uint64_t>();
    std::vector<double> values(size);
    std::memcpy(values.data(), take(size * sizeof(double)), size * sizeof(double));
    return values;
  }
  bool done() const { return position_ == bytes_.size(); }

 private:
  const char* take(size_t size) {
    if (size > bytes_.size() - position_) throw std::runtime_error("ByteReader: truncated message");
    const char* at = bytes_.data() + position_;
    position_ += size;
    return at;
  }
  std::string_view bytes_;
  size_t position_ = 0;
};

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
  const auto [begin, end] = rank_block(count, loop_rank(), loop_ranks());
  std::vector<double> local((end - begin) * width);
  parallel_for(end - begin, threads, make_workspace, [&](size_t k, auto& workspace) {
    task(begin + k, workspace, std::span<double>(local).subspan(k * width, width));
  });
  if (loop_ranks() == 1) return local;
  return gather_rows(std::move(local), count, width);
}

// Calls task(i, workspace) for every task i in [0, count), like parallel_for, on `threads`
// threads per rank and all ranks; each task stores its result where the caller keeps it.
// Then every rank receives the results of the others: encode(i, ByteWriter&) packs task i's
// result on the rank that ran it, decode(i, ByteReader&) unpacks it on every other rank, so
// afterwards all ranks hold every result (bit for bit as computed). One process: just the
// loop.
template <typename MakeWorkspace, typename Task, typename Encode, typename Decode>
void distributed_for(size_t count, int threads, MakeWorkspace&& make_workspace, Task&& task,
                     Encode&& encode, Decode&& decode) {
  const int rank = loop_rank(), size = loop_ranks();
  const auto [begin, end] = rank_block(count, rank, size);
  parallel_for(end - begin, threads, make_workspace,
               [&](size_t k, auto& workspace) { task(begin + k, workspace); });
  if (size == 1) return;
  ByteWriter writer;
  for (size_t i = begin; i < end; ++i) encode(i, writer);
  const std::vector<std::string> all = all_gather_bytes(std::move(writer.bytes()));
  for (int r = 0; r < size; ++r) {
    if (r == rank) continue;
    const auto [first, last] = rank_block(count, r, size);
    ByteReader reader(all[static_cast<size_t>(r)]);
    for (size_t i = first; i < last; ++i) decode(i, reader);
    if (!reader.done()) throw std::runtime_error("distributed_for: message longer than its tasks");
  }
}

}  // namespace onset::pk
