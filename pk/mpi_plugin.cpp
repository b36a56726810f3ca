// The MPI side of pk/distributed.cpp, built as its own shared library (libonset_mpi.so, with
// ONSET_WITH_MPI) and loaded by dlopen only when the process was started by an MPI launcher.
// A plain start of `onset` then maps none of Open MPI's libraries (libmpi, open-pal, open-rte,
// hwloc, libevent, ...): loading and relocating them cost about 4 ms of every start-up
// (bench/README.md, "Start-up"). The functions are a small C interface over the few MPI
// calls the distributed loops need; each returns MPI's status code.
#include <mpi.h>

extern "C" {

int onset_mpi_init(int* argc, char*** argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  return initialised ? MPI_SUCCESS : MPI_Init(argc, argv);
}

void onset_mpi_finalize() {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) MPI_Finalize();
}

// Whether MPI is initialised and not finalised; then rank and size of MPI_COMM_WORLD.
int onset_mpi_world(int* rank, int* size) {
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (!initialised || finalised) return 0;
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return 1;
}

int onset_mpi_allgather_int(int mine, int* all) {
  return MPI_Allgather(&mine, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD);
}

int onset_mpi_allgatherv_doubles(const double* mine, int count, double* all, const int* counts,
                                 const int* offsets) {
  return MPI_Allgatherv(mine, count, MPI_DOUBLE, all, counts, offsets, MPI_DOUBLE, MPI_COMM_WORLD);
}

int onset_mpi_allgatherv_bytes(const char* mine, int count, char* all, const int* counts,
                               const int* offsets) {
  return MPI_Allgatherv(mine, count, MPI_CHAR, all, counts, offsets, MPI_CHAR, MPI_COMM_WORLD);
}

int onset_mpi_send_bytes(const char* data, int count, int destination, int tag) {
  return MPI_Send(data, count, MPI_CHAR, destination, tag, MPI_COMM_WORLD);
}

// The size of the next message from `source` with `tag` (blocking).
int onset_mpi_probe_bytes(int source, int tag, int* count) {
  MPI_Status status;
  const int result = MPI_Probe(source, tag, MPI_COMM_WORLD, &status);
  if (result != MPI_SUCCESS) return result;
  return MPI_Get_count(&status, MPI_CHAR, count);
}

int onset_mpi_recv_bytes(char* data, int count, int source, int tag) {
  return MPI_Recv(data, count, MPI_CHAR, source, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

int onset_mpi_bcast_bytes(void* data, int count, int root) {
  return MPI_Bcast(data, count, MPI_CHAR, root, MPI_COMM_WORLD);
}

int onset_mpi_success() { return MPI_SUCCESS; }

}  // extern "C"
