"""The sweep engine: results on disk, determinism, failures, resume, Dask, CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest

import ivigsim as iv
from conftest import DATA, ROOT
from ivigsim.sweep import ensemble
from ivigsim.sweep.executors import DaskExecutor
from ivigsim.errors import IvigsimError, SolverError
from ivigsim.interfaces.runs import run_experiment
from ivigsim.sweep.run import load_results

SMALL = DATA / "small_sweep.toml"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return run_experiment(SMALL, out=tmp_path_factory.mktemp("ref") / "run", workers=1, progress=False)


def test_results_on_disk_and_in_memory(reference):
    out = reference.path
    for name in ("metrics.csv", "metrics.parquet", "trajectories.nc", "points.csv", "provenance.json",
                 "experiment.toml", "figures/dose_response.png", "figures/dose_response.svg"):
        assert (out / name).exists(), name
    frame = reference.metrics
    assert len(frame) == 12 and list(frame["point_id"]) == list(range(12))
    assert (frame["status"] == "ok").all()
    assert frame.attrs["units"] == {"nadir_pct": "%", "nadir_vs_untreated_pct": "%", "peak": "g/L",
                                    "grams": "g"}
    # grid order: regimens outermost, then dose, then fcrn_total fastest
    assert list(frame["regimen"][:6]) == ["five_day"] * 6
    assert list(frame["dose_g_per_kg"][:6]) == [0.2, 0.2, 0.4, 0.4, 1.0, 1.0]
    assert list(frame["fcrn_total"][:2]) == [30.0, 60.0]
    # metrics against independent single simulations
    row = frame.iloc[3]      # five_day, 0.4 g/kg/day, fcrn_total 60
    single = iv.simulate("fcrn_pk", regimen=iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8),
                         t_end=42, body_weight_kg=70, params={"fcrn_total": 60.0},
                         t_eval=np.arange(0, 42.01, 0.5))
    aab = single["autoantibody"]
    assert row["nadir_pct"] == pytest.approx(100 * (aab.min() / aab[0] - 1), rel=1e-9)
    assert row["peak"] == pytest.approx(single["igg_total"].max(), rel=1e-9)
    assert row["grams"] == pytest.approx(0.4 * 5 * 70)
    # at steady state the untreated twin is constant, so both baselines agree
    np.testing.assert_allclose(frame["nadir_vs_untreated_pct"], frame["nadir_pct"], rtol=1e-6)
    ds = reference.trajectories
    assert ds["autoantibody"].shape == (12, len(np.arange(0, 42.01, 0.5)))
    np.testing.assert_allclose(ds["autoantibody"].values[3], aab, rtol=1e-12)
    prov = reference.provenance
    assert prov["n_points"] == 12 and prov["n_failed"] == 0 and prov["seed"] == 7
    assert prov["model"] == "fcrn_pk" and len(prov["experiment_sha256"]) == 64


def test_results_layer_publishes_nothing_and_the_facade_publishes(reference, tmp_path):
    """ivigsim.sweep.run writes tables, arrays and provenance only; iv.run_experiment adds the figures
    and report.html, and both write the same tables."""
    from ivigsim.sweep import run as results_layer
    bare = results_layer.run_experiment(SMALL, out=tmp_path / "bare", workers=1, progress=False)
    written = sorted(p.relative_to(bare.path).as_posix() for p in bare.path.rglob("*")
                     if p.is_file() and p.parent.name != "chunks")
    assert "report.html" not in written and not (bare.path / "figures").exists()
    assert {"metrics.csv", "trajectories.nc", "points.csv", "provenance.json", "experiment.toml"} <= set(written)
    assert (bare.path / "metrics.csv").read_bytes() == (reference.path / "metrics.csv").read_bytes()
    assert (reference.path / "report.html").stat().st_size > 0
    assert iv.run_experiment is run_experiment
    # a publisher runs inside the staging folder: what it writes lands in the run directory
    seen = []

    def publish(experiment, spec, results, directory):
        seen.append((experiment.name, spec.name, results.provenance["n_points"]))
        (directory / "extra.txt").write_text("published", encoding="utf-8")

    again = results_layer.run_experiment(SMALL, out=tmp_path / "own", workers=1, progress=False, publish=publish)
    assert seen == [(again.provenance["experiment"], "fcrn_pk", 12)]
    assert (again.path / "extra.txt").read_text(encoding="utf-8") == "published"


def test_load_results_round_trip(reference):
    again = load_results(reference.path)
    np.testing.assert_array_equal(again.metrics["peak"].to_numpy(), reference.metrics["peak"].to_numpy())
    np.testing.assert_array_equal(again.trajectories["igg_total"].values,
                                  reference.trajectories["igg_total"].values)
    assert again.provenance["experiment_sha256"] == reference.provenance["experiment_sha256"]


def test_bit_identical_whatever_the_worker_count(reference, tmp_path):
    two = run_experiment(SMALL, out=tmp_path / "two", workers=2, progress=False, chunk_size=5)
    np.testing.assert_array_equal(two.metrics.drop(columns="solver_steps").to_numpy(),
                                  reference.metrics.drop(columns="solver_steps").to_numpy())
    np.testing.assert_array_equal(two.trajectories["autoantibody"].values,
                                  reference.trajectories["autoantibody"].values)


def test_bit_identical_in_worker_processes(reference, tmp_path):
    from ivigsim.sweep.executors import ProcessExecutor
    res = run_experiment(SMALL, out=tmp_path / "processes", progress=False, chunk_size=4,
                         executor=ProcessExecutor(2))
    assert res.provenance["executor"] == "processes"
    np.testing.assert_array_equal(res.metrics.drop(columns="solver_steps").to_numpy(),
                                  reference.metrics.drop(columns="solver_steps").to_numpy())
    np.testing.assert_array_equal(res.trajectories["autoantibody"].values,
                                  reference.trajectories["autoantibody"].values)


def test_a_failing_point_is_recorded_and_the_others_survive(reference, tmp_path, monkeypatch):
    real = ensemble.run_point

    def flaky(experiment, spec, points, i, t_out, untreated=False):
        if i == 4:
            raise SolverError("integration failed: the step size fell below the resolution", 2)
        return real(experiment, spec, points, i, t_out, untreated)

    monkeypatch.setattr(ensemble, "run_point", flaky)
    # the per-point path (the compiled one is tested in tests/test_ensemble.py)
    monkeypatch.setattr(ensemble, "compiled_engine", lambda experiment, spec: (False, "per point: test"))
    res = run_experiment(SMALL, out=tmp_path / "run", workers=2, progress=False)
    frame = res.metrics
    assert list(frame["status"]) == ["ok"] * 4 + ["failed"] + ["ok"] * 7
    assert "step size fell below" in frame["reason"][4]
    assert np.isnan(frame["peak"][4])
    ok = frame["status"] == "ok"
    np.testing.assert_array_equal(frame.loc[ok, "peak"], reference.metrics.loc[ok, "peak"])
    assert res.provenance["n_failed"] == 1
    assert res.provenance["failures"][0]["point_id"] == 4


@pytest.mark.parametrize("workers", [1, 2])
def test_a_bug_stops_the_run_with_its_traceback_saved(tmp_path, monkeypatch, workers):
    """Only ivigsim errors become failed points; anything else is a bug and must not be hidden."""
    real = ensemble.solve

    def buggy(problem, *args, **kwargs):
        if problem.values[problem.spec.parameter_index("fcrn_total")] == 60.0:
            raise ZeroDivisionError("a bug in the pipeline")
        return real(problem, *args, **kwargs)

    monkeypatch.setattr(ensemble, "solve", buggy)
    monkeypatch.setattr(ensemble, "compiled_engine", lambda experiment, spec: (False, "per point: test"))
    out = tmp_path / "run"
    with pytest.raises(ZeroDivisionError, match="a bug in the pipeline") as info:
        run_experiment(SMALL, out=out, workers=workers, progress=False, chunk_size=3)
    saved = (out / "traceback.txt").read_text()
    assert "ZeroDivisionError: a bug in the pipeline" in saved and "in buggy" in saved
    assert any("traceback is saved in" in note for note in info.value.__notes__)
    assert not (out / "metrics.csv").exists()


def test_killed_sweep_resumes_without_redoing_chunks(reference, tmp_path, monkeypatch):
    out = tmp_path / "run"
    real = ensemble.run_chunk

    def crash_after_two(experiment, points, index, start, stop):
        if index >= 2:
            raise KeyboardInterrupt("killed")
        return real(experiment, points, index, start, stop)

    monkeypatch.setattr(ensemble, "run_chunk", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(SMALL, out=out, workers=1, progress=False, chunk_size=3)
    assert sorted(p.name for p in (out / "chunks").glob("*.npz")) == ["chunk_00000.npz", "chunk_00001.npz"]
    with pytest.raises(IvigsimError, match="--resume"):
        run_experiment(SMALL, out=out, workers=1, progress=False)

    done = []

    def counting(experiment, points, index, start, stop):
        done.append(index)
        return real(experiment, points, index, start, stop)

    monkeypatch.setattr(ensemble, "run_chunk", counting)
    res = run_experiment(SMALL, out=out, workers=1, progress=False, resume=True)
    assert sorted(done) == [2, 3]                 # chunks 0 and 1 were not redone
    np.testing.assert_array_equal(res.metrics.drop(columns="solver_steps").to_numpy(),
                                  reference.metrics.drop(columns="solver_steps").to_numpy())


def test_resume_refuses_a_different_experiment(reference, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(SMALL.read_text().replace("seed = 7", "seed = 8"))
    with pytest.raises(IvigsimError, match="different experiment"):
        run_experiment(other, out=reference.path, resume=True, progress=False)


def test_dask_local_cluster_gives_identical_results(reference, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res = run_experiment(SMALL, out=tmp_path / "dask", progress=False, chunk_size=4,
                             executor=DaskExecutor(client=client))
    assert res.provenance["executor"] == "dask"
    np.testing.assert_array_equal(res.metrics.drop(columns="solver_steps").to_numpy(),
                                  reference.metrics.drop(columns="solver_steps").to_numpy())


def test_cli_run(tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "ivigsim.interfaces.cli", "run", str(SMALL), "--out", str(out),
                           "--workers", "2", "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "12 points on model fcrn_pk, 0 failed" in proc.stdout
    assert json.loads((out / "provenance.json").read_text())["workers"] == 2


SHIPPED = sorted((ROOT / "experiments").glob("*.toml"))


def _unpriced_cost_cells(path, metrics, columns):
    """Cells of therapy_cost_usd metrics for arms whose FcRn antagonist has no list price."""
    from ivigsim.core.antagonists import price_usd_per_mg
    from ivigsim.sweep.experiment import load_experiment
    experiment = load_experiment(path)
    kinds = {m.name: m for m in experiment.metrics}
    arms = {spec.name: spec.build() for spec in experiment.regimens}
    cells = np.zeros((len(metrics), len(columns)), dtype=bool)
    for j, column in enumerate(columns):
        metric = kinds.get(column)
        if metric is None or metric.kind != "therapy_cost_usd" or metric.price_usd_per_mg is not None:
            continue
        for i, name in enumerate(metrics["regimen"]):
            drug = arms[name].antagonist
            cells[i, j] = drug is not None and np.isnan(price_usd_per_mg(drug))
    return cells


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_experiment_runs(path, tmp_path):
    from ivigsim.analysis.regression.core import check_results
    res = run_experiment(path, out=tmp_path / path.stem, progress=False)
    assert res.provenance["n_failed"] == 0
    assert len(res.metrics) == res.provenance["n_points"] > 0
    metric_columns = list(res.metrics.attrs["units"])
    values = res.metrics[metric_columns].to_numpy()
    unpriced = _unpriced_cost_cells(path, res.metrics, metric_columns)
    assert np.all(np.isfinite(values) | unpriced)
    assert np.all(np.isnan(values[unpriced]))      # an unknown price is NaN, never a guess
    assert any((tmp_path / path.stem / "figures").glob("*.png"))
    # and matches its stored reference (references/<name>/, relative 1e-6): see tests/test_regress.py
    check = check_results(res, path)
    assert check.status == "pass", check.describe()


def test_standard_course_in_the_dose_response_matches_targets(tmp_path):
    res = run_experiment(ROOT / "experiments" / "fcrn_dose_response.toml", out=tmp_path / "dr",
                         progress=False)
    frame = res.metrics.sort_values("dose_g_per_kg")
    nadir = frame["autoantibody_nadir_pct"].to_numpy()
    assert np.all(np.diff(nadir) < 0)                      # more IVIG, deeper fall
    peak = np.interp(0.4, frame["dose_g_per_kg"], frame["igg_peak"])
    assert 25.0 <= peak <= 35.0                            # PK-09 at the standard 2 g/kg course
