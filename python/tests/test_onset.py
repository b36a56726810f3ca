"""The Python module against the `onset` binary: the same estimates, NCA and check numbers as
the CLI's JSON (the binary is run in the test), a model file written here loaded and
simulated with no compiler on the PATH, and onset's file:line:column messages as exceptions.

Run by scripts/test after ctest: PYTHONPATH=build/python ONSET_BIN=build/bin/onset
build/python/python3 -m pytest python/tests
"""

import io
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import onset

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("ONSET_BIN", ROOT / "build" / "bin" / "onset"))
SHARED = Path(os.environ.get("ONSET_SHARED_DIR", ROOT.parent / "shared"))
THEOPH_NONMEM = ROOT / "data" / "examples" / "theoph_nonmem.csv"
THEOPH = SHARED / "data" / "theoph.csv"  # R's datasets::Theoph
CASE_REPORT = ROOT / "data" / "claims" / "case-report-4h.yaml"
B1_DOSES = ROOT / "data" / "examples" / "b1_infusions.csv"


def cli(*args, expect=0):
    """Runs the onset binary; returns (stdout, stderr) after checking its exit code."""
    run = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True,
                         check=False)
    assert run.returncode == expect, run.stderr
    return run.stdout, run.stderr


def same(value, expected):
    """value (a DataFrame cell) is the JSON number `expected` exactly; NaN for null."""
    return math.isnan(value) if expected is None else value == expected


def test_the_binary_is_there():
    assert BIN.is_file(), f"{BIN}: build onset first (scripts/build)"


# ---- fit -------------------------------------------------------------------------------------

THEOPH_FIT = ["one_compartment_oral", "--data", THEOPH_NONMEM, "--start", "KA=1.5",
              "--start", "CL=3", "--start", "V=30"]
THEOPH_START = {"KA": 1.5, "CL": 3, "V": 30}


def test_theophylline_fit_gives_the_cli_estimates():
    expected = json.loads(cli("fit", *THEOPH_FIT, "--format", "json")[0])
    text = cli("fit", *THEOPH_FIT)[0]
    result = onset.fit("one_compartment_oral", THEOPH_NONMEM, start=THEOPH_START)
    assert result["converged"] and result["status"] == expected["status"] == "converged"
    assert result["objective"] == expected["objective"]
    assert result["aic"] == expected["aic"] and result["bic"] == expected["bic"]
    params = result["parameters"].set_index("name")
    for p in expected["parameters"]:
        row = params.loc[p["name"]]
        # The same library call: every number is the CLI's, bit for bit.
        # (JSON null, for the fixed ALAG's SE and interval, is NaN in the DataFrame.)
        for key in ("estimate", "se", "ci_low", "ci_high", "rse_pct"):
            assert same(row[key], p[key]), (p["name"], key, row[key], p[key])
        assert bool(row["fixed"]) == p["fixed"]
        # And as printed by the CLI's table (6 significant digits): the same line.
        line = next(l for l in text.splitlines() if l.startswith(p["name"] + " "))
        assert line.split()[1] == "%.6g" % row["estimate"]
    assert list(result["correlation"]["names"]) == expected["correlation"]["names"]
    assert result["correlation"]["matrix"] == expected["correlation"]["matrix"]
    # The per-observation table: 132 concentrations, predictions with residuals DV - PRED.
    obs = result["observations"]
    assert len(obs) == expected["n_observations"] == 132
    assert np.allclose(obs["RES"], obs["DV"] - obs["PRED"], rtol=0, atol=1e-12)


def test_fit_of_a_data_frame_equals_the_fit_of_the_file():
    frame = pd.read_csv(THEOPH_NONMEM)  # "." cells make DV a text column: read as missing
    from_frame = onset.fit("one_compartment_oral", frame, start=THEOPH_START)
    from_file = onset.fit("one_compartment_oral", str(THEOPH_NONMEM), start=THEOPH_START)
    assert list(from_frame["parameters"]["estimate"]) == list(from_file["parameters"]["estimate"])


# ---- nca -------------------------------------------------------------------------------------

NCA_ARGS = dict(subject="Subject", time="Time", conc="conc", dose_column="Dose",
                route="extravascular")


def test_nca_of_theoph_gives_the_cli_json_numbers():
    expected = json.loads(cli("nca", THEOPH, "--subject", "Subject", "--time", "Time",
                              "--conc", "conc", "--dose-col", "Dose", "--route",
                              "extravascular", "--format", "json")[0])
    assert onset.nca(THEOPH, frame=False, **NCA_ARGS) == expected
    frame = onset.nca(THEOPH, **NCA_ARGS)
    assert set(frame["subject"]) == {str(s["subject"]) for s in expected} and len(expected) == 12
    compared = 0
    for subject in expected:
        rows = frame[frame["subject"] == str(subject["subject"])].set_index("PPTESTCD")
        for code in ("CMAX", "TMAX", "AUCLST", "AUCIFO", "LAMZ", "LAMZHL", "CLFO", "VZFO"):
            value = subject[code]
            if value is None:
                assert math.isnan(rows.loc[code, "PPSTRESN"])
            else:
                assert rows.loc[code, "PPSTRESN"] == value
                compared += 1
            assert rows.loc[code, "PPSTRESU"] == subject["units"].get(code, "")
    assert compared >= 80


def test_nca_of_a_data_frame_equals_the_nca_of_the_file():
    frame = pd.read_csv(THEOPH)
    assert onset.nca(frame, frame=False, **NCA_ARGS) == onset.nca(THEOPH, frame=False, **NCA_ARGS)


def test_nca_options_reach_the_analysis_as_the_cli_options_do():
    # The options read by api::read_nca_options (shared with R): partial AUCs, a manual
    # terminal phase, a stricter extrapolation limit and output units must give the CLI's JSON.
    expected = json.loads(cli("nca", THEOPH, "--subject", "Subject", "--time", "Time",
                              "--conc", "conc", "--dose-col", "Dose", "--route",
                              "extravascular", "--interval", "0,12", "--interval", "2,24",
                              "--lambdaz-points", "4", "--max-extrapolation", "10",
                              "--auc", "linear-up-log-down", "--format", "json")[0])
    got = onset.nca(THEOPH, frame=False, intervals=[(0, 12), (2, 24)], lambda_z_points=4,
                    max_extrapolated=10, auc="linear-up-log-down", **NCA_ARGS)
    assert got == expected
    assert got != onset.nca(THEOPH, frame=False, **NCA_ARGS)  # the options changed something


def test_tissue_nca_in_percent_id_per_gram_through_the_binding(tmp_path):
    # Liver %ID/g after an IV bolus: the table and hand calculation of
    # tests/nca/nca_tissue_test.cpp (AUClast 184.948877 h*%ID/g by linear-up/log-down, from
    # (0, 0) at the dose: a tissue has no C0). tissue=True and the output time unit reach
    # the analysis as --tissue and --out-time-unit do: the CLI's JSON exactly, the AUC in
    # min*%ID/g (x 60) and no C0, CL or V.
    liver = pd.DataFrame({"ID": ["liver"] * 6, "TIME": [0.25, 1, 4, 8, 24, 48],
                          "CONC": [7.38, 15.4, 13.4, 8.99, 1.81, 0.165]})
    path = tmp_path / "liver.csv"
    liver.to_csv(path, index=False)
    args = dict(subject="ID", dose=1, route="bolus", auc="linear-up-log-down",
                conc_unit="%ID/g")  # %ID data: the dose is 100 %ID whatever it says
    expected = json.loads(cli("nca", path, "--subject", "ID", "--time", "TIME", "--conc",
                              "CONC", "--dose", "1", "--route", "bolus", "--tissue",
                              "--auc", "linear-up-log-down", "--conc-unit", "%ID/g",
                              "--out-time-unit", "min",
                              "--format", "json")[0])
    got = onset.nca(liver, frame=False, tissue=True, output_time_unit="min", **args)
    assert got == expected
    (result,) = got
    # Hand calculation: 184.948877 h*%ID/g = 11096.93262 min*%ID/g (9 digits: 1e-8).
    assert abs(result["AUCLST"] - 184.948877 * 60) <= 1e-8 * 11097
    assert result["units"]["AUCLST"] == "min*%ID/g"
    assert "C0" not in result and result["CLO"] is None
    plasma_rules = onset.nca(liver, frame=False, **args)[0]  # without tissue: a C0 is invented
    assert plasma_rules["C0"] > 0 and plasma_rules["AUCLST"] > 184.948877


# ---- check -----------------------------------------------------------------------------------

def test_check_of_the_case_report_gives_the_cli_json():
    # The claims scripts/demo checks, with 1,000 draws (the demo's 10,000 take half a minute
    # of CPU each way); same seed: the same draws, so the same numbers for any thread count.
    expected = json.loads(cli("check", CASE_REPORT, "--draws", 1000, "--threads", 2,
                              "--format", "json")[0])
    result = onset.check(CASE_REPORT, draws=1000, threads=2)
    assert result == expected
    table = onset.verdicts(result)
    assert list(table["id"]) == [c["id"] for c in expected["claims"]]
    assert list(table["verdict"]) == [c["verdict"] for c in expected["claims"]]


# ---- simulate --------------------------------------------------------------------------------

def test_simulation_of_b1_matches_the_cli_and_the_data_frame_form():
    out = cli("simulate", "two_compartment_iv", "--data", B1_DOSES)[0]
    expected = pd.read_csv(io.StringIO(out))
    sim = onset.simulate("two_compartment_iv", B1_DOSES)
    assert sim.units == {"TIME": "h", "CP": "mg/L"}
    assert list(sim["TIME"]) == list(expected["TIME"])
    # The CLI prints 10 significant digits.
    assert np.allclose(sim["CP"], expected["CP"], rtol=1e-9, atol=0)
    doses = {"ID": 1, "TIME": [0.0, 24, 48, 72, 96, 120, 144], "AMT": 1000.0,
             "RATE": 1000.0, "CMT": 1}
    grid = np.arange(0, 168.25, 0.5)
    on_grid = onset.simulate(onset.model("two_compartment_iv"), doses,
                             params={"CL": 5, "V1": 10, "Q": 2, "V2": 40}, times=grid)
    assert list(on_grid["TIME"]) == list(grid)
    at_records = dict(zip(expected["TIME"], expected["CP"]))
    for t, c in zip(on_grid["TIME"], on_grid["CP"]):
        if t in at_records and t not in (0, 24, 48, 72, 96, 120, 144):
            assert c == pytest.approx(at_records[t], rel=1e-9)
    assert list(on_grid.to_frame().columns) == ["ID", "TIME", "CP"]


YAML_MODEL = """\
name: session_model
description: written by the test, loaded with no compiler on the PATH
parameters:
  CL: {value: 4, unit: L/h, lower: 0}
  V: {value: 20, unit: L, lower: 0}
compartments:
  central: {unit: mg, volume: V}
processes:
  - {name: elimination, type: first_order, from: central, k: CL}
observables:
  CP: {concentration: central, unit: mg/L}
"""


def test_a_model_file_written_now_loads_and_simulates_without_a_compiler(tmp_path, monkeypatch):
    path = tmp_path / "session_model.yaml"
    path.write_text(YAML_MODEL)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for compiler in ("cc", "c++", "gcc", "g++", "clang", "clang++", "cpp", "ld", "as"):
        assert shutil.which(compiler) is None
    model = onset.model(path)
    assert model.name == "session_model" and model.parameter_names == ["CL", "V"]
    times = np.linspace(0, 24, 49)
    sim = onset.simulate(model, {"TIME": [0.0], "AMT": [100.0]}, params={"CL": 5}, times=times)
    # IV bolus into one compartment: C(t) = D/V exp(-CL/V t), exactly (matrix exponential).
    assert np.allclose(sim["CP"], 100 / 20 * np.exp(-5 / 20 * times), rtol=1e-12, atol=0)


# ---- errors ----------------------------------------------------------------------------------

BAD_MODEL = YAML_MODEL.replace("V: {value: 20,", "V: {value: .nan,")


def test_a_bad_model_file_raises_with_file_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_MODEL)
    with pytest.raises(onset.UserError) as raised:
        onset.model(path)
    error = raised.value
    assert isinstance(error, ValueError)
    # Line 5 of the file, column 14: the '.nan' after "V: {value: ".
    assert (error.file, error.line, error.column) == (str(path), 5, 14)
    assert str(error).startswith(f"{path}:5:14: error: found '.nan'")
    # The CLI's message, word for word.
    stderr = cli("simulate", path, "--data", B1_DOSES, expect=2)[1]
    assert stderr.strip() == "onset simulate: " + str(error)


def test_a_bad_dose_cell_names_the_row_and_column():
    with pytest.raises(onset.UserError) as raised:
        onset.simulate("two_compartment_iv", {"TIME": [0.0, 1.0], "AMT": [100.0, -5.0]})
    assert str(raised.value).startswith("table 'doses', row 2, column AMT: error: ")
    with pytest.raises(onset.UserError, match="has no parameter 'CLX'"):
        onset.simulate("two_compartment_iv", {"TIME": [0.0], "AMT": [1.0]}, params={"CLX": 1})
    with pytest.raises(onset.UserError, match="outside the range"):
        onset.simulate("two_compartment_iv", {"TIME": [0.0], "AMT": [1.0]}, params={"CL": -1})


def test_an_unknown_model_name_lists_the_library():
    with pytest.raises(onset.UserError) as raised:
        onset.model("no_such_model")
    assert "two_compartment_iv" in str(raised.value)
    assert "two_compartment_iv" in onset.models()
