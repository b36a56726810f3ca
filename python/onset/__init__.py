"""onset from Python: load models (library names or YAML model files, nothing compiled),
simulate NONMEM-style dosing records, fit, non-compartmental analysis, and `onset check`.

Every function calls onset's C++ libraries in-process (the extension onset._onset over
libonset_api.so); none runs the `onset` command. Bad input raises onset.UserError (a
ValueError) whose message is onset's "FILE:LINE:COLUMN: error: ..." text, with .file, .line,
.column; a numerical failure raises onset.AnalysisError (a RuntimeError).

    import onset
    sim = onset.simulate("two_compartment_iv",
                         doses={"TIME": [0], "AMT": [1000], "RATE": [1000]},
                         params={"CL": 5, "V1": 10, "Q": 2, "V2": 40},
                         times=np.arange(0, 24.5, 0.5))
    sim["CP"]            # NumPy array, mg/L (sim.units["CP"])
    sim.to_frame()       # pandas DataFrame

See python/README.md for the tutorial.
"""

import os

import numpy as np

from . import _onset
from ._onset import AnalysisError, Model, UserError

__all__ = [
    "AnalysisError",
    "Model",
    "Simulation",
    "UserError",
    "check",
    "fit",
    "model",
    "models",
    "nca",
    "simulate",
]


def models():
    """Names of the library models (`onset models`), sorted."""
    return _onset.models()


def model(name_or_path):
    """A library model by name, or a model file (YAML). Raises UserError with the file, line
    and column of a problem in the file."""
    return Model(os.fspath(name_or_path))


def _data(data):
    """A path (str or os.PathLike), a pandas DataFrame, or a mapping of column -> values, as
    the extension takes it: a path, or a list of (name, float64 array | list of str)."""
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    if hasattr(data, "columns") and hasattr(data, "__getitem__"):  # pandas DataFrame
        items = [(str(name), data[name]) for name in data.columns]
    elif isinstance(data, dict):
        items = [(str(name), values) for name, values in data.items()]
    else:
        raise TypeError("data: expected a path, a pandas DataFrame or a dict of columns")
    columns = []
    for name, values in items:
        array = np.asarray(values)
        if array.ndim == 0:
            array = array.reshape(1)
        if array.dtype.kind in "biuf":
            columns.append((name, np.ascontiguousarray(array, dtype=np.float64)))
        else:
            columns.append((name, ["" if v is None or (isinstance(v, float) and v != v)
                                   else str(v) for v in array.tolist()]))
    longest = max(len(values) for _, values in columns)
    if longest > 1:  # a scalar (or one value) given beside longer columns is repeated
        columns = [(name, _repeat(values, longest) if len(values) == 1 else values)
                   for name, values in columns]
    return columns


def _repeat(values, count):
    return values * count if isinstance(values, list) else np.repeat(values, count)


_NO_TIMES = np.empty(0, dtype=np.float64)


class Simulation(dict):
    """The result of simulate(): a dict of NumPy arrays (ID, TIME, then one per observable),
    with .units (column -> unit), .backend_used, .backend_reason, and .to_frame()."""

    __slots__ = ("units", "backend_used", "backend_reason")

    def to_frame(self):
        import pandas as pd

        frame = pd.DataFrame(dict(self))
        frame.attrs["units"] = dict(self.units)
        frame.attrs["backend_used"] = self.backend_used
        return frame


def simulate(model, doses, params=None, times=None, with_records=False, backend="auto",
             rtol=None, atol=None):
    """Simulates `model` (a Model, a library name or a model file) over NONMEM-style dosing
    records `doses` (a CSV path, a DataFrame or a dict of columns: ID, TIME, EVID, AMT, CMT,
    RATE, II, ADDL, SS, ...; pk/dosing_records.hpp), as `onset simulate`. `params`: values by
    name (others: the model's defaults). `times`: output times in hours for every subject
    (else one row per record). Returns a Simulation (dict of NumPy arrays)."""
    if not isinstance(model, Model):
        model = Model(os.fspath(model))
    out = _onset.simulate(
        model, _data(doses), {} if params is None else params,
        _NO_TIMES if times is None else np.ascontiguousarray(times, dtype=np.float64).ravel(),
        bool(with_records), backend, rtol, atol)
    units = out.pop("__units__")
    backend_used, backend_reason = out.pop("__backend__")
    result = Simulation(out)
    result.units = units
    result.backend_used = backend_used
    result.backend_reason = backend_reason
    return result


def _frame(columns):
    import pandas as pd

    return pd.DataFrame(columns)


def fit(model, data, start=None, fix=None, error="additive", error_for=None, ci="wald",
        calibration="t", multistart=0, bootstrap=200, seed=20240607, threads=0, frames=True):
    """Maximum-likelihood fit of `model` (a library name, a model file or a Model) to
    NONMEM-style `data` (a CSV path, a DataFrame or a dict of columns, with DV), as
    `onset fit MODEL --data FILE --start NAME=VALUE ...`. Returns a dict: status, converged,
    message, objective (-2 log L), aic, bic, parameters (estimates, SE, RSE%, intervals),
    error_models, correlation, observations (ID, TIME, observable, DV, PRED, RES), notes;
    the tables as pandas DataFrames unless frames=False (then dicts of lists)."""
    name = model.name_or_path if isinstance(model, Model) else os.fspath(model)
    result = _onset.fit(name, _data(data), error, dict(error_for or {}),
                        {k: float(v) for k, v in (start or {}).items()},
                        {k: float(v) for k, v in (fix or {}).items()},
                        ci, calibration, int(multistart), int(bootstrap), int(seed), int(threads))
    if frames:
        for key in ("parameters", "error_models", "observations"):
            result[key] = _frame(result[key])
    return result


def nca(data, subject=None, time="TIME", conc="CONC", dose=None, dose_column=None,
        route="extravascular", duration=0.0, tissue=False, auc="linear",
        blq="zero-before-tmax", lloq=None, lloq_column=None, group=None, time_unit="h",
        conc_unit="mg/L", dose_unit="mg", volume_unit="L", output_time_unit=None,
        output_conc_unit=None, intervals=None, lambda_z_start=None, lambda_z_end=None,
        lambda_z_points=None, max_extrapolated=20.0, min_r2adj=0.0, sparse=False,
        confidence=0.95, frame=True):
    """Non-compartmental analysis as `onset nca FILE --subject ... --time ... --conc ...
    --dose ... --route ...`, CDISC PPTESTCD names. tissue=True is `--tissue` (organ samples:
    the curve starts at 0 at dose time, no C0, CL or V); output_time_unit and
    output_conc_unit are `--out-time-unit` and `--out-conc-unit` (default: the data's). With frame=True (the default) a long
    pandas DataFrame (subject, [group,] PPTESTCD, PPSTRESN, PPSTRESU, excluded, note) whose
    .attrs["json"] holds the CLI's JSON structure; with frame=False that structure itself
    (a list with one dict per subject)."""
    options = {
        "subject": subject, "time": time, "conc": conc, "dose": dose,
        "dose_column": dose_column, "route": route, "duration": float(duration),
        "tissue": bool(tissue), "auc": auc,
        "blq": blq, "lloq": lloq, "lloq_column": lloq_column, "group": group,
        "time_unit": time_unit, "conc_unit": conc_unit, "dose_unit": dose_unit,
        "volume_unit": volume_unit, "output_time_unit": output_time_unit,
        "output_conc_unit": output_conc_unit,
        "intervals": None if intervals is None else [tuple(map(float, i)) for i in intervals],
        "lambda_z_start": lambda_z_start, "lambda_z_end": lambda_z_end,
        "lambda_z_points": lambda_z_points, "max_extrapolated": float(max_extrapolated),
        "min_r2adj": float(min_r2adj), "sparse": bool(sparse), "confidence": float(confidence),
    }
    result = _onset.nca(_data(data), options)
    if not frame:
        return result
    import pandas as pd

    skip = {"subject", "group", "excluded", "exclusion_reason", "units", "parameter_notes",
            "excluded_values", "data_notes", "sparse_auc", "lambda_z"}
    rows = []
    for item in result:
        units = item.get("units", {})
        notes = item.get("parameter_notes", {})
        excluded_values = item.get("excluded_values", {})
        for key, value in item.items():
            if key in skip or isinstance(value, (dict, list)):
                continue
            row = {"subject": item.get("subject")}
            if "group" in item:
                row["group"] = item["group"]
            row.update({
                "PPTESTCD": key,
                "PPSTRESN": float("nan") if value is None else value,
                "PPSTRESU": units.get(key, ""),
                "excluded": key in excluded_values,
                "note": notes.get(key, ""),
            })
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs["json"] = result
    return frame


def check(claim, draws=10000, seed=1, threads=0, unlikely_below=0.05, report=None):
    """`onset check CLAIM --format json`: returns the CLI's JSON structure (a dict: claim,
    seed, draws, claims: [{id, verdict, claimed_within_h, best_case_onset_h, p_within_claim,
    onset_quantiles_h, ...}]). `report`: also write the HTML report there (needs gnuplot);
    its path is then under the key "report"."""
    result = _onset.check(os.fspath(claim), int(draws), int(seed), int(threads),
                          float(unlikely_below), "" if report is None else os.fspath(report))
    if report is not None:
        result["report"] = os.fspath(report)
    return result


def verdicts(result):
    """The verdict table of a check() result as a pandas DataFrame (one row per claim)."""
    import pandas as pd

    rows = []
    for item in result["claims"]:
        quantiles = item.get("onset_quantiles_h") or {}
        rows.append({
            "id": item.get("id"),
            "verdict": item.get("verdict"),
            "claimed_within_h": item.get("claimed_within_h"),
            "best_case_onset_h": item.get("best_case_onset_h"),
            "p05_h": quantiles.get("p05"),
            "p50_h": quantiles.get("p50"),
            "p95_h": quantiles.get("p95"),
            "p_within_claim": item.get("p_within_claim"),
        })
    return pd.DataFrame(rows)
