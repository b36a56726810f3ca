#!/usr/bin/env bash
# bench/scaling.sh: how the B4 Monte Carlo scales with threads, through `onset check` (the B4
# claim, bench/claims/b4-ev-cascade.yaml: best-case search, tipping points and draws, the
# whole process) and through the C++ B4 loop of onset_bench (draws and summary only), in one
# run, with a Markdown table of medians, draws per second, speed-up and parallel efficiency
# against one thread (bench/README.md, "Scaling").
#
#   bench/scaling.sh --bundle
#       Here, on the build machine: builds onset and onset_bench (Release) if needed and copies
#       them, stripped, with every shared library they load except the C library's own, into
#       build-scaling/ (ignored by git, about 30 MB), so that they run on a machine that has
#       only a C library and python3 (no SUNDIALS, yaml-cpp, ... installed, no network).
#   bench/scaling.sh [--threads "1 2 4 8 16"] [--draws N] [--repeats 5] [--budget S]
#                    [--out FILE.md]
#       Runs the measurement with build-scaling/ if it is there, else with build/bin (built
#       first, with every core, if missing). Defaults: threads 1 2 4 8 16, 100,000 draws,
#       medians of 5, and a budget of 240 s for all runs together: a calibration run (one
#       thread, 10,000 draws, both paths) projects the total, and the draw count is lowered if
#       the projection exceeds the budget (the table says so). Runs are interleaved (each
#       repetition walks every thread count) and timed one at a time; the load average before
#       each run is in the table.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$root/build-scaling"
python="$(command -v python3 || true)"
[[ -n "$python" ]] || { echo "scaling.sh: needs python3" >&2; exit 1; }

build_binaries() {
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DONSET_BUILD_BENCH=ON > /dev/null
  cmake --build "$root/build" -j "$(nproc)" --target onset onset_bench
}

if [[ "${1:-}" == "--bundle" ]]; then
  [[ -x "$root/build/bin/onset" && -x "$root/build/bin/onset_bench" ]] || build_binaries
  rm -rf "$bundle"
  mkdir -p "$bundle/bin" "$bundle/lib"
  cp "$root/build/bin/onset" "$root/build/bin/onset_bench" "$bundle/bin/"
  strip "$bundle/bin/onset" "$bundle/bin/onset_bench"
  # Every library the two programs load, except glibc's (the target's own C library must
  # match its dynamic loader); libstdc++ and libgcc_s travel, as they run on any newer glibc.
  for program in "$root/build/bin/onset" "$root/build/bin/onset_bench"; do
    if ldd "$program" | grep -q "not found"; then
      echo "scaling.sh: $program has unresolved libraries:" >&2
      ldd "$program" | grep "not found" >&2
      exit 1
    fi
    ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
  done | sort -u | grep -v -E '/(libc|libm|libpthread|libdl|librt|libresolv|libutil)\.so' |
    while read -r library; do cp -L "$library" "$bundle/lib/"; done
  strip --strip-unneeded "$bundle"/lib/*.so* 2> /dev/null || true
  echo "scaling.sh: $(du -sh "$bundle" | cut -f1) in $bundle; carry it with the repository"
  exit 0
fi

if [[ -x "$bundle/bin/onset" && -x "$bundle/bin/onset_bench" ]]; then
  bin="$bundle/bin"
  export LD_LIBRARY_PATH="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  bin="$root/build/bin"
  [[ -x "$bin/onset" && -x "$bin/onset_bench" ]] || build_binaries
fi
export ONSET_DATA_DIR="$root/data"
if ! "$bin/onset" --version > /dev/null; then
  echo "scaling.sh: $bin/onset does not run here (see above)" >&2
  exit 1
fi
exec "$python" "$root/bench/scaling.py" "$root" "$bin" "$@"
