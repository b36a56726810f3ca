#!/usr/bin/env python3
"""Thread scaling of B4, through `onset check` and through the C++ B4 loop, in one run.

Called by bench/scaling.sh (which finds or builds the programs). For each thread count,
`repeats` times, interleaved (repetition r runs every thread count before repetition r + 1),
one run at a time:
  BIN/onset check bench/claims/b4-ev-cascade.yaml --draws N --threads T --format json
  BIN/onset_bench --benchmark_filter=^Scaling/B4/onset_bdf/draws:N/threads:T/
The check's wall time is the whole process (start-up, best-case search, tipping points,
draws, summary); onset_bench's is the batch of draws with its summary. Also the CPU time
(user + system) and the 1-minute load average before each run. Prints a Markdown table of
medians (wall s, draws/s, speed-up and parallel efficiency against one thread, CPU / wall,
the median onset both paths find, which must agree) and writes it to --out as well.
Usage: scaling.py ROOT BIN [--threads "1 2 4 8 16"] [--draws N] [--repeats 5] [--budget S]
                           [--out FILE.md]
"""
import json, os, platform, resource, statistics, subprocess, sys, time

BENCH_DRAWS = (10000, 30000, 100000, 1000000)  # the draw counts onset_bench registers for Scaling/


def option(args, name, default):
    return args[args.index(name) + 1] if name in args else default


def timed(cmd, cwd):
    """Runs cmd; returns (wall s, cpu s, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode not in (0, 1):  # onset check exits 1 when the claim is implausible
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.strip()[:600]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, res.stdout


def run_check(root, bin_dir, draws, threads):
    claim = os.path.join(root, "bench", "claims", "b4-ev-cascade.yaml")
    wall, cpu, out = timed([os.path.join(bin_dir, "onset"), "check", claim, "--draws", str(draws),
                            "--threads", str(threads), "--format", "json"], root)
    report = json.loads(out)
    return wall, cpu, report["claims"][0]["onset_quantiles_h"]["p50"]


def run_bench(root, bin_dir, draws, threads):
    name = f"^Scaling/B4/onset_bdf/draws:{draws}/threads:{threads}/"
    _, cpu, out = timed([os.path.join(bin_dir, "onset_bench"), f"--benchmark_filter={name}",
                         "--benchmark_format=json"], root)
    results = json.loads(out)["benchmarks"]
    if not results:
        raise RuntimeError(f"onset_bench has no benchmark {name}")
    result = results[0]
    unit = {"ms": 1e-3, "s": 1.0, "us": 1e-6, "ns": 1e-9}[result["time_unit"]]
    return result["real_time"] * unit, cpu, result["tF090_median"]


PATHS = [("onset check (B4 claim)", run_check), ("C++ B4 loop (onset_bench)", run_bench)]


def main():
    args = sys.argv[1:]
    root, bin_dir = os.path.abspath(args[0]), os.path.abspath(args[1])
    threads = [int(t) for t in option(args, "--threads", "1 2 4 8 16").split()]
    draws = int(option(args, "--draws", "100000"))
    repeats = int(option(args, "--repeats", "5"))
    budget = float(option(args, "--budget", "240"))
    out_path = option(args, "--out", None)
    if draws not in BENCH_DRAWS:
        sys.exit(f"scaling.py: --draws must be one of {BENCH_DRAWS} (onset_bench's Scaling/ rows)")
    started = time.perf_counter()

    # Calibration: one thread, 10,000 draws, each path once; project the whole run assuming
    # ideal scaling plus each run's fixed cost (the 10,000-draw run's time at 16x the threads).
    notes = []
    per_draw, fixed = {}, {}
    for name, run in PATHS:
        wall, _, _ = run(root, bin_dir, 10000, 1)
        per_draw[name] = wall / 10000
        fixed[name] = min(0.05, wall / 16)
    def projected(n):
        return sum(repeats * (per_draw[p] * n / t + fixed[p]) for p, _ in PATHS for t in threads)
    chosen = draws
    while projected(chosen) > budget and chosen > BENCH_DRAWS[0]:
        chosen = max(d for d in BENCH_DRAWS if d < chosen)
    if chosen != draws:
        notes.append(f"{draws:,} draws would take about {projected(draws):.0f} s here (budget "
                     f"{budget:.0f} s), so {chosen:,} draws were run")
    draws = chosen

    walls = {(p, t): [] for p, _ in PATHS for t in threads}
    cpus = {(p, t): [] for p, _ in PATHS for t in threads}
    loads = {(p, t): [] for p, _ in PATHS for t in threads}
    medians = {}
    for _ in range(repeats):
        for t in threads:
            for name, run in PATHS:
                loads[(name, t)].append(os.getloadavg()[0])
                wall, cpu, median = run(root, bin_dir, draws, t)
                walls[(name, t)].append(wall)
                cpus[(name, t)].append(cpu)
                medians[(name, t)] = median

    cpu_model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu_model = next(line.split(":", 1)[1].strip() for line in f
                             if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [f"# B4 thread scaling (bench/scaling.sh)", "",
             f"machine: {os.cpu_count()} logical CPUs ({cpu_model}); "
             f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {draws:,} draws; medians of {repeats} "
             f"runs; whole script {time.perf_counter() - started:.0f} s", ""]
    lines += [f"note: {n}" for n in notes] + ([""] if notes else [])
    lines += ["| path | threads | wall, s (min-max) | draws / s | speed-up | efficiency "
              "| CPU / wall | load | median t(F=0.9), h |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, _ in PATHS:
        one = statistics.median(walls[(name, threads[0])]) * threads[0]
        for t in threads:
            w = walls[(name, t)]
            wall = statistics.median(w)
            speedup = one / wall
            lines.append(
                f"| {name} | {t} | {wall:.3f} ({min(w):.3f}-{max(w):.3f}) | {draws / wall:,.0f} "
                f"| {speedup:.2f} | {speedup / t:.0%} "
                f"| {statistics.median(cpus[(name, t)]) / wall:.2f} "
                f"| {statistics.median(loads[(name, t)]):.1f} | {medians[(name, t)]:.3f} |")
    lines += ["", "Speed-up is against the path's own run at the first thread count; "
              "efficiency = speed-up / threads. The check's wall time includes process "
              "start-up, the best-case search and the tipping points; the C++ loop's is the "
              "draws and their summary only."]
    text = "\n".join(lines)
    print(text)
    if out_path:
        os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
        with open(out_path, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
