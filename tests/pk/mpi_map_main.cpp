// Prints, on rank 0, a 1000-task distributed_map table (seeded per task) to compare a run
// under `mpirun -np 2` with a single process: the output must be byte-identical.
#include <cstdio>
#include <random>

#include "pk/distributed.hpp"

int main(int argc, char** argv) {
  const onset::pk::MpiSession mpi(&argc, &argv);
  const auto table = onset::pk::distributed_map(
      1000, 2, 2, [] { return 0; },
      [](size_t task, int&, std::span<double> row) {
        auto rng = onset::pk::task_rng(7, task);
        std::normal_distribution<double> normal;
        row[0] = normal(rng);
        row[1] = normal(rng) * row[0];
      });
  if (onset::pk::mpi_rank() != 0) return 0;
  if (table.size() != 2000) return 1;
  for (size_t i = 0; i < table.size(); i += 2) std::printf("%.17g %.17g\n", table[i], table[i + 1]);
  return 0;
}
