"""Regression references: what is stored, what a change looks like, updates, stochastic references.

Every shipped experiment is run against its reference once, in
``test_sweep.py::test_every_shipped_experiment_runs``; here a small shipped
experiment (rpl_conception: 2 points) and tmp copies of its reference show
that a change is caught at the stated tolerance and no looser.
"""

import argparse
import csv
import hashlib
import json
import shutil

import numpy as np
import pytest

from conftest import DATA, ROOT
from ivigsim.errors import IvigsimError
from ivigsim.analysis.regression.core import (ATOL, MAX_TIMES, MAX_TRAJECTORY_POINTS, RTOL, check_results, regress,
                             shipped_experiments)
from ivigsim.analysis.regression.cli import add_regress_parser
from ivigsim.analysis.regression.stochastic import CASES, check_stochastic, simulate_cases, write_stochastic
from ivigsim.sweep.run import load_results, run_experiment

REFERENCES = ROOT / "references"
RPL = ROOT / "experiments" / "rpl_conception.toml"
SMALL = DATA / "small_sweep.toml"
SIDECAR_KEYS = {"command", "created", "experiment", "experiment_file", "experiment_sha256", "git_commit",
                "ivigsim_version", "model", "model_file_sha256", "model_fingerprint", "numba", "numpy",
                "platform", "python", "scipy", "tolerances", "stored"}


@pytest.fixture(scope="module")
def rpl(tmp_path_factory):
    return run_experiment(RPL, out=tmp_path_factory.mktemp("rpl") / "run", workers=1, progress=False)


@pytest.fixture
def rpl_reference(tmp_path):
    copy = tmp_path / "references" / "rpl_conception"
    shutil.copytree(REFERENCES / "rpl_conception", copy)
    return copy


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def _write_rows(path, rows):
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _set(path, row, column, value):
    """Replace one cell (row 1 is the first data row) of a reference CSV."""
    rows = _rows(path)
    rows[row][rows[0].index(column)] = value
    _write_rows(path, rows)


def _cli(*argv):
    parser = argparse.ArgumentParser(prog="ivigsim")
    add_regress_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["regress", *map(str, argv)])
    return args.func(args)


# --------------------------------------------------------------------------
# the shipped references
# --------------------------------------------------------------------------


def test_every_shipped_experiment_has_a_small_current_reference():
    shipped = shipped_experiments()
    assert sorted(p.name for p in REFERENCES.iterdir() if p.is_dir()) == sorted([*shipped, "stochastic"])
    total = sum(f.stat().st_size for f in REFERENCES.rglob("*") if f.is_file())
    assert total < 2_000_000
    for name, path in shipped.items():
        folder = REFERENCES / name
        assert sum(f.stat().st_size for f in folder.iterdir()) < 400_000, name
        text = (folder / "reference.json").read_text()
        sidecar = json.loads(text)
        assert SIDECAR_KEYS <= set(sidecar), name
        assert text == json.dumps(sidecar, indent=2, sort_keys=True) + "\n"
        assert sidecar["experiment_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert sidecar["tolerances"]["rtol"] == RTOL and sidecar["tolerances"]["atol"] == ATOL
        metrics = _rows(folder / "metrics.csv")
        assert f"all {len(metrics) - 1} points" == sidecar["stored"]["metrics"] and metrics[0][0] == "point_id"
        trajectories = _rows(folder / "trajectories.csv")
        assert len(trajectories[0]) - 2 <= MAX_TIMES
        points = {r[1] for r in trajectories[1:]}
        assert len(points) <= MAX_TRAJECTORY_POINTS
        assert len(trajectories) - 1 == len(points) * len(sidecar["stored"]["outputs"])


def test_the_big_sweeps_store_every_metric_but_a_spread_of_trajectories():
    metrics = _rows(REFERENCES / "virtual_population" / "metrics.csv")
    assert len(metrics) == 1 + 1000
    trajectories = _rows(REFERENCES / "virtual_population" / "trajectories.csv")
    points = sorted({int(r[1]) for r in trajectories[1:]})
    assert points[0] == 0 and points[-1] == 999 and len(points) == MAX_TRAJECTORY_POINTS
    assert trajectories[0][2] == "t=0.0" and trajectories[0][-1] == "t=120.0"


def test_a_shipped_experiment_passes_through_the_api():
    report = regress(["rpl_conception"])
    check = report["rpl_conception"]
    assert report.passed and check.status == "pass"
    assert check.n_compared > 400 and check.worst.excess <= 1.0
    assert "rpl_conception: PASS" in report.summary()


# --------------------------------------------------------------------------
# what a change looks like
# --------------------------------------------------------------------------


def test_a_metric_moved_by_2e_6_is_caught_and_by_5e_7_is_not(rpl, rpl_reference):
    path = rpl_reference / "metrics.csv"
    now = rpl.metrics.loc[1, "aPL_week_12_mg_per_l"]
    _set(path, 2, "aPL_week_12_mg_per_l", repr(float(now * (1 + 5e-7))))
    assert check_results(rpl, RPL, rpl_reference).status == "pass"
    _set(path, 2, "aPL_week_12_mg_per_l", repr(float(now * (1 + 2e-6))))
    check = check_results(rpl, RPL, rpl_reference)
    assert check.status == "fail" and check.n_failed == 1
    worst = check.differences[0]
    assert (worst.what, worst.name, worst.point_id, worst.regimen) == ("metric", "aPL_week_12_mg_per_l", 1,
                                                                      "at_conception")
    assert worst.reference == now * (1 + 2e-6) and worst.now == now
    assert worst.relative == pytest.approx(2e-6, rel=1e-3)
    assert "aPL_week_12_mg_per_l, point 1 (at_conception)" in check.describe()


def test_a_trajectory_value_and_the_absolute_floor(rpl, rpl_reference):
    path = rpl_reference / "trajectories.csv"
    rows = _rows(path)
    # a value that is structurally zero: IVIG before the first dose of the later-starting regimen
    r, c = next((r, c) for r, row in enumerate(rows[1:], 1) for c, v in enumerate(row[2:], 2)
                if v == "0.0" and row[0] == "ivig")
    rows[r][c] = repr(0.5 * ATOL)
    _write_rows(path, rows)
    assert check_results(rpl, RPL, rpl_reference).status == "pass"
    rows[r][c] = repr(2.0 * ATOL)
    _write_rows(path, rows)
    check = check_results(rpl, RPL, rpl_reference)
    assert check.status == "fail"
    worst = check.differences[0]
    assert worst.what == "trajectory" and worst.name == "ivig" and worst.now == 0.0
    assert worst.time == float(rows[0][c].removeprefix("t="))


def test_a_point_that_no_longer_fails_is_a_regression(rpl, rpl_reference):
    _set(rpl_reference / "metrics.csv", 1, "status", "failed")
    check = check_results(rpl, RPL, rpl_reference)
    assert check.status == "fail"
    assert [(d.what, d.point_id, d.reference, d.now) for d in check.differences] == [("status", 0, "failed", "ok")]


def test_a_changed_experiment_file_asks_for_a_new_reference(tmp_path, rpl_reference):
    changed = tmp_path / "rpl_conception.toml"
    changed.write_text(RPL.read_text().replace("at_day = 140.0", "at_day = 141.0"))
    report = regress([changed], references=rpl_reference.parent, out=tmp_path / "runs")
    check = report["rpl_conception"]
    assert check.status == "error" and not report.passed
    assert "experiment file" in check.message and "changed" in check.message
    assert "ivigsim regress --update --only rpl_conception" in check.message
    assert not (tmp_path / "runs" / "rpl_conception").exists()           # refused before running


def test_a_missing_reference_says_how_to_make_it(tmp_path):
    report = regress([SMALL], references=tmp_path / "nothing")
    check = report["small_sweep"]
    assert check.status == "error"
    assert "no reference for 'small_sweep'" in check.message
    assert "ivigsim regress --update --only small_sweep" in check.message


def test_unknown_names_are_refused():
    with pytest.raises(IvigsimError, match="no shipped experiment.*'nonesuch'.*fcrn_dose_response"):
        regress(["nonesuch"])


# --------------------------------------------------------------------------
# updates
# --------------------------------------------------------------------------


def test_update_writes_full_precision_files_that_then_pass(tmp_path):
    references, runs = tmp_path / "references", tmp_path / "runs"
    report = regress([SMALL], update=True, references=references, out=runs)
    assert report["small_sweep"].status == "updated"
    folder = references / "small_sweep"
    results = load_results(runs / "small_sweep")
    rows = _rows(folder / "metrics.csv")
    column = rows[0].index("nadir_vs_untreated_pct")
    assert [float(r[column]) for r in rows[1:]] == list(results.metrics["nadir_vs_untreated_pct"])
    sidecar = json.loads((folder / "reference.json").read_text())
    assert sidecar["command"] == "ivigsim regress --update --only small_sweep"
    assert sidecar["experiment_sha256"] == results.provenance["experiment_sha256"]
    assert sidecar["created"][:4].isdigit() and sidecar["created"] not in (folder / "metrics.csv").read_text()
    before = {f.name: f.read_bytes() for f in folder.iterdir()}

    check = regress([SMALL], references=references)["small_sweep"]
    assert check.status == "pass" and check.worst.relative == 0.0 and check.worst.excess == 0.0
    # nothing changed: nothing is rewritten, not even the date in the sidecar
    assert regress([SMALL], update=True, references=references, out=runs)["small_sweep"].status == "unchanged"
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == before


def test_cli_exit_status(tmp_path, rpl_reference, capsys):
    assert _cli("--only", "rpl_conception", "--references", rpl_reference.parent) == 0
    assert "rpl_conception: PASS" in capsys.readouterr().out
    _set(rpl_reference / "metrics.csv", 1, "grams_given", "1.0")
    assert _cli("--only", "rpl_conception", "--references", rpl_reference.parent) == 1
    assert "rpl_conception: FAIL" in capsys.readouterr().out
    assert _cli("--update", "--only", "rpl_conception", "--references", rpl_reference.parent) == 0
    assert "rpl_conception: UPDATED" in capsys.readouterr().out
    assert _cli("--only", "rpl_conception", "--references", rpl_reference.parent) == 0


# --------------------------------------------------------------------------
# stochastic references
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples():
    return simulate_cases()


@pytest.fixture
def stochastic_copy(tmp_path):
    copy = tmp_path / "stochastic"
    shutil.copytree(REFERENCES / "stochastic", copy)
    return copy


def test_stochastic_reference_passes(samples):
    check = check_stochastic(REFERENCES / "stochastic", samples)
    assert check.status == "pass", check.describe()
    assert "statistical tests pass" in check.message
    assert check.n_compared == 2 * 100 + 4 * 60


def test_the_same_seeds_give_the_same_bits(samples, tmp_path):
    # the first replicates again, alone: each replicate's seed does not depend on how many there are
    fewer = {name: dict(case, replicates=5) for name, case in CASES.items()}
    again = simulate_cases(fewer)
    for case, columns in again.items():
        for name, values in columns.items():
            np.testing.assert_array_equal(values, samples[case][name][:5])
    assert write_stochastic(tmp_path, samples) == "updated"
    check = check_stochastic(tmp_path, samples, strict=True)
    assert check.status == "pass" and check.message.startswith("bit-identical")
    assert write_stochastic(tmp_path, samples) == "unchanged"


def test_a_shifted_distribution_is_detected(samples, stochastic_copy):
    agents = stochastic_copy / "agents_foci.csv"
    rows = _rows(agents)
    k = rows[0].index("foci_treated")
    for row in rows[1:]:
        row[k] = str(round(int(row[k]) * 1.3))         # 30 % more foci: about twice the detectable shift
    _write_rows(agents, rows)
    ssa = stochastic_copy / "ssa_fcrn_pk_qss.csv"
    rows = _rows(ssa)
    k = rows[0].index("igg_total_day14")
    for row in rows[1:]:
        row[k] = repr(float(row[k]) + 0.6)              # +0.6 g/L: the detectable shift is 0.36 g/L
    _write_rows(ssa, rows)
    check = check_stochastic(stochastic_copy, samples, strict=False)
    assert check.status == "fail"
    failing = [n for n in check.notes if "KS p" in n]
    assert [n.split(":")[0] for n in failing] == ["agents_foci/foci_treated", "ssa_fcrn_pk_qss/igg_total_day14"]


def test_one_changed_replicate_fails_the_bit_check_but_not_the_statistics(samples, stochastic_copy):
    _set(stochastic_copy / "agents_foci.csv", 5, "foci_untreated",
         str(int(samples["agents_foci"]["foci_untreated"][4]) + 10))
    strict = check_stochastic(stochastic_copy, samples, strict=True)
    assert strict.status == "fail" and strict.message.startswith("not bit-identical")
    lenient = check_stochastic(stochastic_copy, samples, strict=False)
    assert lenient.status == "pass" and any("differ in their bits" in n for n in lenient.notes)


def test_changed_stochastic_cases_ask_for_a_new_reference(samples, monkeypatch):
    monkeypatch.setitem(CASES["agents_foci"], "replicates", 50)
    check = check_stochastic(REFERENCES / "stochastic", samples)
    assert check.status == "error" and "ivigsim regress --update --only stochastic" in check.message
