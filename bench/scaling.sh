#!/usr/bin/env bash
# bench/scaling.sh: how the B4 Monte Carlo scales with threads, through `onset check` (the B4
# claim, bench/claims/b4-ev-cascade.yaml: best-case search, tipping points and draws) and
# through the C++ B4 loop of onset_bench (draws only), in one run, with a Markdown table of
# medians, draws per second, speed-up and parallel efficiency against one thread.
#   bench/scaling.sh [--threads "1 2 4 8 16"] [--draws "10000 1000000"] [--repeats 5]
#                    [--out FILE.md]
# Builds onset and onset_bench (Release) first. Every run is timed alone (wall and CPU time),
# one after another; the load average is recorded with each row. See bench/README.md
# ("Scaling") for the numbers and for how long a run takes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup" --bench
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DONSET_BUILD_BENCH=ON > /dev/null
cmake --build "$root/build" -j "$(nproc)" --target onset onset_bench
exec /usr/bin/python3 "$root/bench/scaling.py" "$root" "$@"
