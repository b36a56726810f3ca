#!/usr/bin/python3
"""Side-by-side speed and accuracy of onset and its peers on B1-B4, in one run.

Called by bench/compare (which builds everything first). Runs, one program at a time:
  build/bin/onset_bench                    (Google Benchmark, JSON)
  shared/peers/cvode  cvode_peers          (hand-written CVODE, Debian's libsundials)
  shared/peers/python bench.py ... LSODA   (SciPy solve_ivp LSODA)
  shared/peers/r      bench.R ... C        (deSolve lsoda, compiled rhs; only with --with-r)
then prints, per problem, each tool's time per solve, its achieved error and its time as a
multiple of onset's. Achieved errors are computed here the same way for every tool:
  B1  max over t > 0 of |C - C_exact| / C_exact (closed form below, written independently)
  B2  relative errors of t(F = 0.9) and F(672) against shared/peers/ref/b2_qoi.csv
  B3  max relative error over the 8 components against the published HIRES values
Usage: compare.py BUILD_DIR SHARED_DIR [--with-r] [--min-time S] [--skip-b4]
"""
import csv, json, math, os, shutil, statistics, subprocess, sys, tempfile, time

B2_T_REF, B2_F_REF = 77.442372527, 0.308841171517
HIRES = [7.3713125733256685e-04, 1.4424857263161851e-04, 5.8887297409675752e-05,
         1.1756513432831491e-03, 2.3863561988313308e-03, 6.2389682527427964e-03,
         2.8499983951857689e-03, 2.8500016048142308e-03]


def b1_exact(t):
    """C(t) of B1: 7 one-hour infusions of 1000 mg every 24 h; micro-constant solution."""
    cl, v1, q, v2 = 5.0, 10.0, 2.0, 40.0
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    r = math.sqrt(s * s - 4 * k10 * k21)
    lam = [(s + r) / 2, (s - r) / 2]
    coef = [(lam[0] - k21) / (v1 * (lam[0] - lam[1])), (k21 - lam[1]) / (v1 * (lam[0] - lam[1]))]
    c = 0.0
    for dose in range(7):
        u = t - 24.0 * dose
        if u <= 0:
            continue
        for a, l in zip(coef, lam):
            if u <= 1.0:
                c += 1000.0 * a / l * (1 - math.exp(-l * u))
            else:
                c += 1000.0 * a / l * (math.exp(l) - 1) * math.exp(-l * u)
    return c


def b1_error_from_csv(path):
    worst = 0.0
    with open(path) as f:
        for row in csv.DictReader(f):
            t, c = float(row["t"]), float(row["C"])
            if t > 0:
                worst = max(worst, abs(c - b1_exact(t)) / b1_exact(t))
    return worst


def peer_errors(problem, out, grid_csv):
    if problem == "B1":
        return {"err": b1_error_from_csv(grid_csv)}
    if problem == "B2":
        t = out.get("t_F090")
        return {"err": abs(t - B2_T_REF) / B2_T_REF if t is not None else float("nan"),
                "err_F672": abs(out["F_672"] - B2_F_REF) / B2_F_REF}
    y = out["y_end"]
    return {"err": max(abs(a - b) / abs(b) for a, b in zip(y, HIRES))}


def run_json(cmd, cwd=None):
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {res.stderr.strip()[:400]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    args = sys.argv[1:]
    build, shared = os.path.abspath(args[0]), os.path.abspath(args[1])
    with_r = "--with-r" in args
    skip_b4 = "--skip-b4" in args
    min_time = args[args.index("--min-time") + 1] if "--min-time" in args else "1"
    work = tempfile.mkdtemp(prefix="onset-compare-")
    peers = os.path.join(work, "peers")
    shutil.copytree(os.path.join(shared, "peers"), peers)
    subprocess.run(["make", "-s", "-C", os.path.join(peers, "cvode"), "cvode_peers"], check=True)

    rows = []  # (problem, tool, method, ms_per_solve, err, err_F672)
    # onset, Google Benchmark
    bench_json = os.path.join(work, "onset_bench.json")
    flt = "^B[123]/" if skip_b4 else "^B[1-4]/"
    subprocess.run([os.path.join(build, "bin", "onset_bench"), f"--benchmark_filter={flt}",
                    f"--benchmark_min_time={min_time}", "--benchmark_out_format=json",
                    f"--benchmark_out={bench_json}"], check=True, stdout=subprocess.DEVNULL)
    b4 = []
    for b in json.load(open(bench_json))["benchmarks"]:
        problem, method = b["name"].split("/", 1)
        if problem not in ("B1", "B2", "B3", "B4"):
            continue  # other rows of onset_bench (fits, dosing, MPI) are not compared here
        method = method.replace("/iterations:1", "").replace("/real_time", "")
        unit = {"ms": 1.0, "s": 1e3, "us": 1e-3, "ns": 1e-6}[b["time_unit"]]
        if problem == "B4":
            wall_s = b["real_time"] * unit / 1e3
            b4.append(("onset", method, wall_s, 10000 / wall_s,
                       b["tF090_p05"], b["tF090_median"], b["tF090_p95"]))
            continue
        err = b.get("err_max_rel", b.get("err_tF090"))
        rows.append((problem, "onset", method, b["real_time"] * unit, err, b.get("err_F672")))

    # Peers
    for problem in ["B1", "B2", "B3"]:
        tools = [("CVODE (Debian libs)", "BDF", [os.path.join(peers, "cvode", "cvode_peers"), problem]),
                 ("SciPy", "LSODA", ["/usr/bin/python3", "python/bench.py", problem, "LSODA"])]
        if with_r:
            tools.append(("deSolve", "lsoda, C rhs", ["Rscript", "r/bench.R", problem, "C"]))
        for tool, method, cmd in tools:
            grid = os.path.join(work, f"{tool.split()[0]}_{problem}.csv")
            try:
                once = run_json(cmd + ["--min-time", "0", "--out", grid], cwd=peers)
                timed = run_json(cmd + ["--min-time", min_time], cwd=peers)
            except (RuntimeError, FileNotFoundError) as e:
                print(f"note: {tool} skipped: {e}", file=sys.stderr)
                continue
            e = peer_errors(problem, once, grid)
            rows.append((problem, tool, method, timed["wall_s_per_solve"] * 1e3, e["err"],
                         e.get("err_F672")))
    if not skip_b4:
        out = run_json([os.path.join(peers, "cvode", "cvode_peers"), "B4"], cwd=peers)
        b4.append(("CVODE (Debian libs)", "BDF", out["wall_s"], out["draws_per_s"],
                   out["t_F090_p05"], out["t_F090_median"], out["t_F090_p95"]))
        # SciPy takes about 3 minutes for 10,000 draws: 500 draws give its rate.
        out = run_json(["/usr/bin/python3", "python/bench.py", "B4", "LSODA", "--draws", "500"],
                       cwd=peers)
        b4.append(("SciPy (500 draws)", "LSODA", out["wall_s"] * 20, out["draws_per_s"],
                   out["t_F090_p05"], out["t_F090_median"], out["t_F090_p95"]))
        if with_r:
            out = run_json(["Rscript", "r/bench.R", "B4", "C"], cwd=peers)
            b4.append(("deSolve", "lsoda, C rhs", out["wall_s"], out["draws_per_s"],
                       out["t_F090_p05"], out["t_F090_median"], out["t_F090_p95"]))

    # Whole-process start-up of the onset binary (median of 20 runs).
    starts = []
    for cmd in ([os.path.join(build, "bin", "onset"), "--version"],
                [os.path.join(build, "bin", "onset"), "reference", "B2", "--format", "json"]):
        samples = []
        for _ in range(20):
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            samples.append(time.perf_counter() - t0)
        starts.append((" ".join(cmd[1:]), statistics.median(samples) * 1e3))

    onset_default = {"B1": "exact_linear", "B2": "onset_bdf", "B3": "onset_bdf"}
    print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}")
    for problem in ["B1", "B2", "B3"]:
        ref = next(r[3] for r in rows if r[0] == problem and r[1] == "onset" and r[2] == onset_default[problem])
        print(f"\n{problem}  (ratio = time / onset {onset_default[problem]})")
        print(f"  {'tool':22s} {'method':26s} {'ms/solve':>9s} {'error':>10s} {'F672 err':>10s} {'ratio':>8s}")
        for r in sorted((r for r in rows if r[0] == problem), key=lambda r: r[3]):
            f672 = f"{r[5]:.2e}" if r[5] is not None else "-"
            print(f"  {r[1]:22s} {r[2]:26s} {r[3]:9.4f} {r[4]:10.2e} {f672:>10s} {r[3] / ref:8.2f}")
    if b4:
        ref = next(b[2] for b in b4 if b[0] == "onset" and b[1] == "onset_bdf/threads:2")
        one = next(b[2] for b in b4 if b[0] == "onset" and b[1] == "onset_bdf/threads:1")
        print("\nB4  10,000 draws, whole batch (ratio = wall / onset onset_bdf on 2 threads)")
        print(f"  parallel efficiency of onset_bdf on 2 threads: {one / (2 * ref):.0%}")
        print(f"  {'tool':22s} {'method':12s} {'wall s':>8s} {'draws/s':>9s} {'p05':>7s} {'median':>7s} {'p95':>7s} {'ratio':>7s}")
        for b in b4:
            print(f"  {b[0]:22s} {b[1]:12s} {b[2]:8.3f} {b[3]:9.0f} {b[4]:7.2f} {b[5]:7.2f} {b[6]:7.2f} {b[2] / ref:7.2f}")
    print("\nwhole process, median of 20 runs")
    for cmd, ms in starts:
        print(f"  onset {cmd:40s} {ms:7.2f} ms")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
