// What onset reads from the process environment outside io/'s own readers (ONSET_DATA_DIR in
// data_dir.cpp, ONSET_GNUPLOT and TMPDIR in gnuplot.cpp): how MPI started the process. Only
// io/ and cli/ call getenv (tests/layout_test.sh); the rooms above take these values as
// arguments (pk::MpiSession).
#pragma once

#include <cstdlib>
#include <string>

namespace onset::io {

// Whether an MPI launcher (mpirun, mpiexec, srun with PMI/PMIx) started this process: one of
// OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK, PMI_SIZE is set. A plain start skips MPI_Init
// (about 0.3 s with Open MPI) and runs as one process.
inline bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(variable) != nullptr) return true;
  return false;
}

// $ONSET_MPI_PLUGIN: the path of onset's MPI library (libonset_mpi.so) when the user names one;
// "" when unset.
inline std::string mpi_plugin_path() {
  const char* path = std::getenv("ONSET_MPI_PLUGIN");
  return path != nullptr ? std::string(path) : std::string();
}

}  // namespace onset::io
