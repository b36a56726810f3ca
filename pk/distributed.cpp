#include "pk/distributed.hpp"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#ifdef ONSET_WITH_MPI
#include <mpi.h>
#endif

namespace onset::pk {

#ifdef ONSET_WITH_MPI

namespace {
// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx).
// MPI_Init costs about 0.3 s with Open MPI; a plain start skips it and runs as one process.
bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(variable) != nullptr) return true;
  return false;
}
}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  if (!launched_by_mpi()) return;
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) MPI_Init(argc, argv);
}

MpiSession::~MpiSession() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) MPI_Finalize();
}

bool built_with_mpi() { return true; }

namespace {
bool mpi_running() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  return initialised && !finalised;
}
}  // namespace

int mpi_rank() {
  int rank = 0;
  if (mpi_running()) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int mpi_size() {
  int size = 1;
  if (mpi_running()) MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

std::vector<double> gather_rows(std::vector<double> local_rows, size_t count, size_t width) {
  const int size = mpi_size();
  if (size == 1) return local_rows;
  std::vector<int> counts(static_cast<size_t>(size)), offsets(static_cast<size_t>(size));
  for (int r = 0; r < size; ++r) {
    const auto [begin, end] = rank_block(count, r, size);
    if ((end - begin) * width > static_cast<size_t>(INT32_MAX))
      throw std::runtime_error("gather_rows: block too large for one MPI message");
    counts[static_cast<size_t>(r)] = static_cast<int>((end - begin) * width);
    offsets[static_cast<size_t>(r)] = static_cast<int>(begin * width);
  }
  std::vector<double> all(count * width);
  const int status =
      MPI_Allgatherv(local_rows.data(), static_cast<int>(local_rows.size()), MPI_DOUBLE, all.data(),
                     counts.data(), offsets.data(), MPI_DOUBLE, MPI_COMM_WORLD);
  if (status != MPI_SUCCESS)
    throw std::runtime_error("MPI_Allgatherv failed with code " + std::to_string(status));
  return all;
}

std::vector<std::string> all_gather_bytes(std::string local) {
  const int size = mpi_size();
  if (size == 1) return {std::move(local)};
  if (local.size() > static_cast<size_t>(INT32_MAX))
    throw std::runtime_error("all_gather_bytes: message too large for one MPI message");
  const int mine = static_cast<int>(local.size());
  std::vector<int> counts(static_cast<size_t>(size)), offsets(static_cast<size_t>(size));
  int status = MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  if (status != MPI_SUCCESS)
    throw std::runtime_error("MPI_Allgather failed with code " + std::to_string(status));
  size_t total = 0;
  for (int r = 0; r < size; ++r) {
    if (total > static_cast<size_t>(INT32_MAX))
      throw std::runtime_error("all_gather_bytes: total too large for one MPI message");
    offsets[static_cast<size_t>(r)] = static_cast<int>(total);
    total += static_cast<size_t>(counts[static_cast<size_t>(r)]);
  }
  std::string all(total, '\0');
  status = MPI_Allgatherv(local.data(), mine, MPI_CHAR, all.data(), counts.data(), offsets.data(),
                          MPI_CHAR, MPI_COMM_WORLD);
  if (status != MPI_SUCCESS)
    throw std::runtime_error("MPI_Allgatherv failed with code " + std::to_string(status));
  std::vector<std::string> parts;
  for (int r = 0; r < size; ++r)
    parts.push_back(all.substr(static_cast<size_t>(offsets[static_cast<size_t>(r)]),
                               static_cast<size_t>(counts[static_cast<size_t>(r)])));
  return parts;
}

namespace {
void check_status(int status, const char* what) {
  if (status != MPI_SUCCESS)
    throw std::runtime_error(std::string(what) + " failed with code " + std::to_string(status));
}
int message_size(size_t size) {
  if (size > static_cast<size_t>(INT32_MAX))
    throw std::runtime_error("summary too large for one MPI message");
  return static_cast<int>(size);
}
}  // namespace

void tree_reduce_bytes(const std::function<std::string()>& pack,
                       const std::function<void(const std::string&)>& absorb,
                       const std::function<void(const std::string&)>& replace) {
  const int size = mpi_size(), rank = mpi_rank();
  if (size == 1) return;
  constexpr int kTag = 0x5EED;
  for (int step = 1; step < size; step <<= 1) {
    if (rank & step) {  // send to the parent, done
      const std::string bytes = pack();
      check_status(MPI_Send(bytes.data(), message_size(bytes.size()), MPI_CHAR, rank - step, kTag,
                            MPI_COMM_WORLD),
                   "MPI_Send");
      break;
    }
    if (rank + step < size) {  // receive a child's summary
      MPI_Status status;
      check_status(MPI_Probe(rank + step, kTag, MPI_COMM_WORLD, &status), "MPI_Probe");
      int count = 0;
      MPI_Get_count(&status, MPI_CHAR, &count);
      std::string bytes(static_cast<size_t>(count), '\0');
      check_status(MPI_Recv(bytes.data(), count, MPI_CHAR, rank + step, kTag, MPI_COMM_WORLD,
                            MPI_STATUS_IGNORE),
                   "MPI_Recv");
      absorb(bytes);
    }
  }
  std::string total = rank == 0 ? pack() : std::string();
  uint64_t length = total.size();
  check_status(MPI_Bcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
  total.resize(length);
  check_status(MPI_Bcast(total.data(), message_size(length), MPI_CHAR, 0, MPI_COMM_WORLD),
               "MPI_Bcast");
  if (rank != 0) replace(total);
}

#else

MpiSession::MpiSession(int*, char***) {}
MpiSession::~MpiSession() = default;
bool built_with_mpi() { return false; }
int mpi_rank() { return 0; }
int mpi_size() { return 1; }
std::vector<double> gather_rows(std::vector<double> local_rows, size_t, size_t) {
  return local_rows;
}
std::vector<std::string> all_gather_bytes(std::string local) { return {std::move(local)}; }
void tree_reduce_bytes(const std::function<std::string()>&,
                       const std::function<void(const std::string&)>&,
                       const std::function<void(const std::string&)>&) {}

#endif

}  // namespace onset::pk
