#!/usr/bin/python3
"""Second, independent implementation of onset's NCA, used only to produce expected values.

Written from the textbook formulas (Gabrielsson & Weiner, PK/PD Data Analysis, ch. 2; Phoenix
WinNonlin NCA user guide; PKNCA), not from the C++ code: numpy's polyfit for the terminal
regression, closed-form integrals per segment.

Regenerate the committed expected values with:

    /usr/bin/python3 tests/nca/reference/nca_reference.py \
        /work/shared/data tests/nca/data/nca_expected.csv

Conventions (the same choices as onset, see fits/README.md):
  * theoph.csv: extravascular, dose 320 mg (every subject), time h, conc mg/L.
  * indometh.csv: IV bolus, dose 25 mg (Kwan et al. 1976), time h, conc ug/mL = mg/L.
  * A point (0, 0) is added for extravascular data without a sample at t = 0; (0, C0) for an
    IV bolus, C0 back-extrapolated log-linearly through the first two points when they
    decline, else the first positive concentration.
  * Lambda_z: best fit over the last >= 3 positive points after Tmax (from Tmax on for a
    bolus), largest adjusted R^2, ties within 1e-4 go to the most points.
  * Results extrapolated to infinity are flagged "excluded" when %AUC extrapolated > 20.
"""
import csv
import math
import sys

import numpy as np

METHODS = ["linear", "linear-up-log-down", "linear-log"]
DATASETS = {
    # name: (file, subject col, time col, conc col, route, dose, partial intervals)
    "theoph": ("theoph.csv", "Subject", "Time", "conc", "extravascular", 320.0,
               [(0.0, 6.0), (1.5, 12.2), (10.0, 30.0)]),
    "indometh": ("indometh.csv", "Subject", "time", "conc", "bolus", 25.0,
                 [(0.0, 1.0), (0.3, 2.5), (6.0, 10.0)]),
}


def read_profiles(path, subject_col, time_col, conc_col):
    profiles = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            profiles.setdefault(row[subject_col], []).append(
                (float(row[time_col]), float(row[conc_col])))
    return profiles


def log_segment(method, t1, c1, c2, curve_tmax):
    if not (c1 > 0 and c2 > 0 and c2 < c1):
        return False
    if method == "linear":
        return False
    if method == "linear-up-log-down":
        return True
    return t1 >= curve_tmax  # linear-log: log only from the peak on


def conc_on_segment(t1, c1, t2, c2, is_log, t):
    if is_log:
        k = math.log(c1 / c2) / (t2 - t1)
        return c1 * math.exp(-k * (t - t1))
    return c1 + (c2 - c1) * (t - t1) / (t2 - t1)


def area_on_segment(a, ca, b, cb, is_log):
    """AUC and AUMC of one piece of the curve from (a, ca) to (b, cb)."""
    h = b - a
    if is_log:
        k = math.log(ca / cb) / h
        auc = (ca - cb) / k
        # integral of t * ca * exp(-k (t - a)) dt from a to b
        aumc = (a * ca - b * cb) / k + (ca - cb) / k ** 2
        return auc, aumc
    # Linear rule: trapezoids of C and of t*C (the NCA convention for AUMC, as in Phoenix
    # and PKNCA; not the exact integral of t times the linear interpolant).
    auc = h * (ca + cb) / 2
    aumc = h * (a * ca + b * cb) / 2
    return auc, aumc


def integrate(points, method, curve_tmax, lo, hi):
    auc = aumc = 0.0
    for (t1, c1), (t2, c2) in zip(points[:-1], points[1:]):
        a, b = max(lo, t1), min(hi, t2)
        if b <= a:
            continue
        is_log = log_segment(method, t1, c1, c2, curve_tmax)
        ca = conc_on_segment(t1, c1, t2, c2, is_log, a)
        cb = conc_on_segment(t1, c1, t2, c2, is_log, b)
        da, dm = area_on_segment(a, ca, b, cb, is_log)
        auc += da
        aumc += dm
    return auc, aumc


def best_fit(times, concs, tmax, include_tmax):
    use = [(t, c) for t, c in zip(times, concs)
           if c > 0 and (t > tmax or (include_tmax and t == tmax))]
    candidates = []
    for n in range(3, len(use) + 1):
        t = np.array([p[0] for p in use[-n:]])
        y = np.log(np.array([p[1] for p in use[-n:]]))
        slope, intercept = np.polyfit(t, y, 1)
        r2 = np.corrcoef(t, y)[0, 1] ** 2
        adj = 1 - (1 - r2) * (n - 1) / (n - 2)
        if slope < 0:
            candidates.append(dict(n=n, lamz=-slope, icpt=intercept, r2=r2, adj=adj,
                                   ll=t[0], ul=t[-1]))
    if not candidates:
        return None
    best = max(c["adj"] for c in candidates)
    return max((c for c in candidates if c["adj"] >= best - 1e-4), key=lambda c: c["n"])


def nca(profile, route, dose, method, intervals):
    times = [p[0] for p in profile]
    concs = [p[1] for p in profile]
    out = {}
    imax = int(np.argmax(concs))
    cmax, tmax = concs[imax], times[imax]
    ilast = max(i for i, c in enumerate(concs) if c > 0)
    tlast, clast = times[ilast], concs[ilast]
    points = list(zip(times, concs))
    bolus = route == "bolus"
    if bolus:
        if times[0] == 0:
            c0 = concs[0]
        elif concs[1] < concs[0] and concs[1] > 0:
            fit = np.polyfit(times[:2], np.log(concs[:2]), 1)
            c0 = math.exp(np.polyval(fit, 0.0))
        else:
            c0 = next(c for c in concs if c > 0)
        out["C0"] = c0
        if times[0] > 0:
            points.insert(0, (0.0, c0))
    elif times[0] > 0:
        points.insert(0, (0.0, 0.0))
    curve_tmax = 0.0 if bolus and out["C0"] > cmax else tmax
    upto_last = [p for p in points if p[0] <= tlast]
    auclast, aumclast = integrate(upto_last, method, curve_tmax, 0.0, tlast)
    aucall, _ = integrate(points, method, curve_tmax, 0.0, points[-1][0])
    out.update(TMAX=tmax, CMAX=cmax, TLST=tlast, CLST=clast, AUCLST=auclast, AUCALL=aucall,
               AUMCLST=aumclast)
    fit = best_fit(times, concs, tmax, bolus)
    lz = fit["lamz"]
    clstp = math.exp(fit["icpt"] - lz * tlast)
    aucifo = auclast + clast / lz
    aucifp = auclast + clstp / lz
    aumcifo = aumclast + clast * tlast / lz + clast / lz ** 2
    aumcifp = aumclast + clstp * tlast / lz + clstp / lz ** 2
    out.update(LAMZNPT=fit["n"], LAMZLL=fit["ll"], LAMZUL=fit["ul"], LAMZ=lz,
               LAMZHL=math.log(2) / lz, R2=fit["r2"], R2ADJ=fit["adj"],
               LAMZSPN=(fit["ul"] - fit["ll"]) / (math.log(2) / lz), CLSTP=clstp,
               AUCIFO=aucifo, AUCIFP=aucifp, AUCPEO=100 * (1 - auclast / aucifo),
               AUCPEP=100 * (1 - auclast / aucifp), AUMCIFO=aumcifo, AUMCIFP=aumcifp,
               AUMCPEO=100 * (1 - aumclast / aumcifo), AUMCPEP=100 * (1 - aumclast / aumcifp))
    if bolus:
        back = integrate(points, method, curve_tmax, 0.0, times[0])[0] if times[0] > 0 else 0.0
        out["AUCPBEO"] = 100 * back / aucifo
        out["AUCPBEP"] = 100 * back / aucifp
        out.update(MRTIVLST=aumclast / auclast, MRTIVIFO=aumcifo / aucifo,
                   MRTIVIFP=aumcifp / aucifp, CLO=dose / aucifo, CLP=dose / aucifp,
                   VZO=dose / (lz * aucifo), VZP=dose / (lz * aucifp),
                   VSSO=dose * aumcifo / aucifo ** 2, VSSP=dose * aumcifp / aucifp ** 2)
    else:
        out.update(MRTEVLST=aumclast / auclast, MRTEVIFO=aumcifo / aucifo,
                   MRTEVIFP=aumcifp / aucifp, CLFO=dose / aucifo, CLFP=dose / aucifp,
                   VZFO=dose / (lz * aucifo), VZFP=dose / (lz * aucifp))
    for lo, hi in intervals:
        area = integrate(upto_last, method, curve_tmax, lo, min(hi, tlast))[0] if lo < tlast else 0
        if hi > tlast:
            a = max(lo, tlast)
            area += clast / lz * (math.exp(-lz * (a - tlast)) - math.exp(-lz * (hi - tlast)))
        out["AUCINT_%g_%g" % (lo, hi)] = area
    excluded = set()
    if out["AUCPEO"] > 20:
        excluded |= {"AUCIFO", "AUMCIFO", "MRTEVIFO", "MRTIVIFO", "CLFO", "CLO", "VZFO", "VZO",
                     "VSSO"}
    if out["AUCPEP"] > 20:
        excluded |= {"AUCIFP", "AUMCIFP", "MRTEVIFP", "MRTIVIFP", "CLFP", "CLP", "VZFP", "VZP",
                     "VSSP"}
    return out, excluded


def main():
    data_dir, output = sys.argv[1], sys.argv[2]
    with open(output, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["dataset", "auc_method", "subject", "PPTESTCD", "value", "excluded"])
        for name, (file, scol, tcol, ccol, route, dose, intervals) in DATASETS.items():
            profiles = read_profiles(f"{data_dir}/{file}", scol, tcol, ccol)
            for method in METHODS:
                for subject, profile in profiles.items():
                    values, excluded = nca(profile, route, dose, method, intervals)
                    for code, value in values.items():
                        writer.writerow([name, method, subject, code, repr(float(value)),
                                         int(code in excluded)])


if __name__ == "__main__":
    main()
