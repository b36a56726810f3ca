#!/usr/bin/python3
"""Thread scaling of B4, through `onset check` and through the C++ B4 loop, in one run.

Called by bench/scaling.sh (which builds everything first). For each draw count and thread
count, `repeats` times, one run at a time:
  build/bin/onset check bench/claims/b4-ev-cascade.yaml --draws N --threads T --format json
  build/bin/onset_bench --benchmark_filter=^Scaling/B4/onset_bdf/draws:N/threads:T$
Wall time of each run (the check's: the whole process; onset_bench's: the batch), CPU time
(user + system of the process), and the 1-minute load average before it. Prints a Markdown
table of medians: wall s, draws/s, speed-up and parallel efficiency against one thread
(speed-up / threads), CPU/wall, and writes it to --out as well.
Usage: scaling.py ROOT [--threads "1 2 4 8 16"] [--draws "10000 1000000"] [--repeats 5]
                       [--out FILE.md]
"""
import json, os, resource, statistics, subprocess, sys, time


def option(args, name, default):
    return args[args.index(name) + 1] if name in args else default


def timed(cmd, cwd):
    """Runs cmd; returns (wall s, cpu s, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode not in (0, 1):  # onset check exits 1 for an implausible verdict
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.strip()[:400]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, res.stdout


def main():
    args = sys.argv[1:]
    root = os.path.abspath(args[0])
    threads = [int(t) for t in option(args, "--threads", "1 2 4 8 16").split()]
    draws = [int(d) for d in option(args, "--draws", "10000 1000000").split()]
    repeats = int(option(args, "--repeats", "5"))
    out_path = option(args, "--out", None)
    onset = os.path.join(root, "build", "bin", "onset")
    bench = os.path.join(root, "build", "bin", "onset_bench")
    claim = os.path.join(root, "bench", "claims", "b4-ev-cascade.yaml")

    rows = []  # (path, draws, threads, wall median, cpu median, load, median onset)
    for n in draws:
        for t in threads:
            walls, cpus, loads, median = [], [], [], None
            for _ in range(repeats):
                loads.append(os.getloadavg()[0])
                wall, cpu, out = timed([onset, "check", claim, "--draws", str(n), "--threads",
                                        str(t), "--format", "json"], root)
                walls.append(wall)
                cpus.append(cpu)
                report = json.loads(out)
                median = report["claims"][0]["checks"][0]["onset_quantiles_h"]["p50"]
            rows.append(("onset check (B4 claim)", n, t, statistics.median(walls),
                         statistics.median(cpus), statistics.median(loads), median))
            walls, cpus, loads = [], [], []
            name = f"^Scaling/B4/onset_bdf/draws:{n}/threads:{t}$"
            for _ in range(repeats):
                loads.append(os.getloadavg()[0])
                wall, cpu, out = timed([bench, f"--benchmark_filter={name}",
                                        "--benchmark_format=json"], root)
                result = json.loads(out)["benchmarks"][0]
                unit = {"ms": 1e-3, "s": 1.0, "us": 1e-6, "ns": 1e-9}[result["time_unit"]]
                walls.append(result["real_time"] * unit)
                cpus.append(cpu)
                median = result["tF090_median"]
            rows.append(("C++ B4 loop (onset_bench)", n, t, statistics.median(walls),
                         statistics.median(cpus), statistics.median(loads), median))

    lines = [f"machine: {os.cpu_count()} logical CPUs; {time.strftime('%Y-%m-%d %H:%M')}; "
             f"medians of {repeats} runs",
             "",
             "| path | draws | threads | wall, s | draws / s | speed-up | efficiency | CPU / wall "
             "| load | median onset, h |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for path, n, t, wall, cpu, load, median in rows:
        one = next(r[3] for r in rows if r[0] == path and r[1] == n and r[2] == min(threads))
        speedup = one * min(threads) / wall
        lines.append(f"| {path} | {n:,} | {t} | {wall:.3f} | {n / wall:,.0f} | {speedup:.2f} | "
                     f"{speedup / t:.0%} | {cpu / wall:.2f} | {load:.1f} | "
                     f"{median if median is None else f'{median:.2f}'} |")
    text = "\n".join(lines)
    print(text)
    if out_path:
        with open(out_path, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
