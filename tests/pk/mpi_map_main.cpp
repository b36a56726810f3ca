// Prints, on rank 0, a 1000-task distributed_map table (seeded per task), then the results
// of a 301-task distributed_for (numbers of varying count and a string per task), to compare
// a run under `mpirun -np 2` with a single process: the output must be byte-identical.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "io/environment.hpp"
#include "pk/distributed.hpp"

int main(int argc, char** argv) {
  const onset::pk::MpiSession mpi(&argc, &argv,
                                  {onset::io::launched_by_mpi(), onset::io::mpi_plugin_path()});
  const auto table = onset::pk::distributed_map(
      1000, 2, 2, [] { return 0; },
      [](size_t task, int&, std::span<double> row) {
        auto rng = onset::pk::task_rng(7, task);
        std::normal_distribution<double> normal;
        row[0] = normal(rng);
        row[1] = normal(rng) * row[0];
      });
  struct Result {
    std::vector<double> values;
    std::string text;
  };
  std::vector<Result> results(301);
  onset::pk::distributed_for(
      results.size(), 2, [] { return 0; },
      [&](size_t task, int&) {
        auto rng = onset::pk::task_rng(11, task);
        std::uniform_real_distribution<double> unit;
        results[task].values.resize(task % 5);
        for (double& v : results[task].values) v = unit(rng);
        results[task].text = "task " + std::to_string(task);
      },
      [&](size_t task, onset::pk::ByteWriter& out) {
        out.put(results[task].values);
        out.put(results[task].text);
      },
      [&](size_t task, onset::pk::ByteReader& in) {
        results[task].values = in.get_doubles();
        results[task].text = in.get_string();
      });
  if (onset::pk::mpi_rank() != 0) return 0;
  if (table.size() != 2000) return 1;
  for (size_t i = 0; i < table.size(); i += 2) std::printf("%.17g %.17g\n", table[i], table[i + 1]);
  for (const auto& result : results) {
    if (result.text.empty()) return 1;  // a task nobody filled in
    std::printf("%s:", result.text.c_str());
    for (const double v : result.values) std::printf(" %.17g", v);
    std::printf("\n");
  }
  return 0;
}
