#include "pk/distributed.hpp"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <type_traits>

#ifdef ONSET_WITH_MPI
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#endif

namespace onset::pk {

#ifdef ONSET_WITH_MPI

namespace {

// Open MPI behind pk/mpi_plugin.cpp (libonset_mpi.so), loaded by MpiSession only under an MPI
// launcher, so that a plain start maps none of MPI's libraries. Loaded once, at the start of
// main, and read-only afterwards.
struct MpiLibrary {
  void* handle = nullptr;
  int (*init)(int*, char***) = nullptr;
  void (*finalize)() = nullptr;
  int (*world)(int*, int*) = nullptr;
  int (*allgather_int)(int, int*) = nullptr;
  int (*allgatherv_doubles)(const double*, int, double*, const int*, const int*) = nullptr;
  int (*allgatherv_bytes)(const char*, int, char*, const int*, const int*) = nullptr;
  int (*send_bytes)(const char*, int, int, int) = nullptr;
  int (*probe_bytes)(int, int, int*) = nullptr;
  int (*recv_bytes)(char*, int, int, int) = nullptr;
  int (*bcast_bytes)(void*, int, int) = nullptr;
  int success = 0;
};

MpiLibrary& library() {
  static MpiLibrary mpi;
  return mpi;
}

// libonset_mpi.so next to the running program (build/lib beside build/bin), else by the
// dynamic linker's search path; `plugin_path` (ONSET_MPI_PLUGIN) names it explicitly.
void load_library(const std::string& plugin_path) {
  MpiLibrary& mpi = library();
  std::string tried;
  auto attempt = [&](const std::string& path) {
    if (mpi.handle == nullptr) mpi.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (mpi.handle == nullptr) {
      const char* why = dlerror();
      tried += "\n  " + path + ": " + (why ? why : "not found");
    }
  };
  if (!plugin_path.empty()) attempt(plugin_path);
  char self[PATH_MAX] = {};
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length > 0) {
    std::string dir(self, static_cast<size_t>(length));
    dir = dir.substr(0, dir.rfind('/'));
    attempt(dir + "/../lib/libonset_mpi.so");
    attempt(dir + "/libonset_mpi.so");
  }
  attempt("libonset_mpi.so");
  if (mpi.handle == nullptr)
    throw std::runtime_error(
        "started by an MPI launcher, but onset's MPI library could not be "
        "loaded (set ONSET_MPI_PLUGIN to its path):" +
        tried);
  auto symbol = [&](auto& function, const char* name) {
    function =
        reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlsym(mpi.handle, name));
    if (function == nullptr)
      throw std::runtime_error(std::string("onset's MPI library lacks ") + name);
  };
  symbol(mpi.init, "onset_mpi_init");
  symbol(mpi.finalize, "onset_mpi_finalize");
  symbol(mpi.world, "onset_mpi_world");
  symbol(mpi.allgather_int, "onset_mpi_allgather_int");
  symbol(mpi.allgatherv_doubles, "onset_mpi_allgatherv_doubles");
  symbol(mpi.allgatherv_bytes, "onset_mpi_allgatherv_bytes");
  symbol(mpi.send_bytes, "onset_mpi_send_bytes");
  symbol(mpi.probe_bytes, "onset_mpi_probe_bytes");
  symbol(mpi.recv_bytes, "onset_mpi_recv_bytes");
  symbol(mpi.bcast_bytes, "onset_mpi_bcast_bytes");
  int (*success)() = nullptr;
  symbol(success, "onset_mpi_success");
  mpi.success = success();
}

void check_status(int status, const char* what) {
  if (status != library().success)
    throw std::runtime_error(std::string(what) + " failed with code " + std::to_string(status));
}

int message_size(size_t size) {
  if (size > static_cast<size_t>(INT32_MAX))
    throw std::runtime_error("message too large for one MPI message");
  return static_cast<int>(size);
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv, const MpiLaunch& launch) {
  if (!launch.launched_by_mpi) return;
  load_library(launch.plugin_path);
  check_status(library().init(argc, argv), "MPI_Init");
}

MpiSession::~MpiSession() {
  if (library().handle != nullptr) library().finalize();
}

bool built_with_mpi() { return true; }

int mpi_rank() {
  int rank = 0, size = 1;
  if (library().handle != nullptr && library().world(&rank, &size)) return rank;
  return 0;
}

int mpi_size() {
  int rank = 0, size = 1;
  if (library().handle != nullptr && library().world(&rank, &size)) return size;
  return 1;
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
  check_status(library().allgatherv_doubles(local_rows.data(), message_size(local_rows.size()),
                                            all.data(), counts.data(), offsets.data()),
               "MPI_Allgatherv");
  return all;
}

std::vector<std::string> all_gather_bytes(std::string local) {
  const int size = mpi_size();
  if (size == 1) return {std::move(local)};
  const int mine = message_size(local.size());
  std::vector<int> counts(static_cast<size_t>(size)), offsets(static_cast<size_t>(size));
  check_status(library().allgather_int(mine, counts.data()), "MPI_Allgather");
  size_t total = 0;
  for (int r = 0; r < size; ++r) {
    if (total > static_cast<size_t>(INT32_MAX))
      throw std::runtime_error("all_gather_bytes: total too large for one MPI message");
    offsets[static_cast<size_t>(r)] = static_cast<int>(total);
    total += static_cast<size_t>(counts[static_cast<size_t>(r)]);
  }
  std::string all(total, '\0');
  check_status(
      library().allgatherv_bytes(local.data(), mine, all.data(), counts.data(), offsets.data()),
      "MPI_Allgatherv");
  std::vector<std::string> parts;
  for (int r = 0; r < size; ++r)
    parts.push_back(all.substr(static_cast<size_t>(offsets[static_cast<size_t>(r)]),
                               static_cast<size_t>(counts[static_cast<size_t>(r)])));
  return parts;
}

void tree_reduce_bytes(const std::function<std::string()>& pack,
                       const std::function<void(const std::string&)>& absorb,
                       const std::function<void(const std::string&)>& replace) {
  const int size = mpi_size(), rank = mpi_rank();
  if (size == 1) return;
  constexpr int kTag = 0x5EED;
  const MpiLibrary& mpi = library();
  for (int step = 1; step < size; step <<= 1) {
    if (rank & step) {  // send to the parent, done
      const std::string bytes = pack();
      check_status(mpi.send_bytes(bytes.data(), message_size(bytes.size()), rank - step, kTag),
                   "MPI_Send");
      break;
    }
    if (rank + step < size) {  // receive a child's summary
      int count = 0;
      check_status(mpi.probe_bytes(rank + step, kTag, &count), "MPI_Probe");
      std::string bytes(static_cast<size_t>(count), '\0');
      check_status(mpi.recv_bytes(bytes.data(), count, rank + step, kTag), "MPI_Recv");
      absorb(bytes);
    }
  }
  std::string total = rank == 0 ? pack() : std::string();
  uint64_t length = total.size();
  check_status(mpi.bcast_bytes(&length, sizeof length, 0), "MPI_Bcast");
  total.resize(length);
  check_status(mpi.bcast_bytes(total.data(), message_size(length), 0), "MPI_Bcast");
  if (rank != 0) replace(total);
}

#else

MpiSession::MpiSession(int*, char***, const MpiLaunch&) {}
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
