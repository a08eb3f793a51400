"""Run directories: nothing is overwritten unasked, runs do not mix, resume checks its inputs,
and a kill or a full disk leaves a directory that --resume finishes (issue 14, probes 1, 3, 4, 9, 10, 12)."""

import errno
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from hardening_helpers import MODEL, ivigsim, no_traceback, tiny_experiment
from ivigsim.sweep import ensemble
from ivigsim.errors import IvigsimError
from ivigsim.sweep.store import RunDirectory
from ivigsim.interfaces.runs import run_experiment
from ivigsim.sweep.run import load_results


def run(path, out, **kwargs):
    return run_experiment(path, out=out, workers=1, progress=False, **kwargs)


@pytest.fixture()
def experiment(tmp_path):
    return tiny_experiment(tmp_path)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    directory = tmp_path_factory.mktemp("reference")
    return run(tiny_experiment(directory), directory / "run")


# --- probe 1: --out must be new or empty -----------------------------------------
def test_run_refuses_a_directory_holding_the_users_files(experiment, tmp_path):
    out = tmp_path / "mine"
    (out / "figures").mkdir(parents=True)
    files = {out / "metrics.csv": b"my metrics", out / "report.html": b"<p>mine</p>",
             out / "figures" / "a.png": b"png"}
    for path, data in files.items():
        path.write_bytes(data)
    with pytest.raises(IvigsimError, match=r"is not empty .*--overwrite"):
        run(experiment, out)
    assert all(path.read_bytes() == data for path, data in files.items())
    proc = ivigsim("run", experiment, "--out", out, "--quiet")
    assert proc.returncode == 2 and "is not empty" in no_traceback(proc)
    assert all(path.read_bytes() == data for path, data in files.items())


def test_overwrite_replaces_results_and_keeps_other_files(experiment, tmp_path, reference):
    out = tmp_path / "run"
    run(experiment, out)
    (out / "notes.txt").write_text("mine")
    res = run(experiment, out, overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"
    np.testing.assert_array_equal(res.metrics["peak"], reference.metrics["peak"])


# --- probe 3: one run per directory ------------------------------------------------
def test_a_held_lock_refuses_a_second_run_naming_the_holder(experiment, tmp_path):
    from ivigsim.sweep.locking import LOCK_NAME, RunLock
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from ivigsim.sweep.locking import RunLock; "
                               f"RunLock({str(out)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IvigsimError, match=rf"in use by process {holder.pid}"):
            run(experiment, out, overwrite=True)
        with pytest.raises(IvigsimError, match=rf"in use by process {holder.pid}"):
            RunLock(out).acquire()
    finally:
        holder.kill()
        holder.wait()
    # the operating system released the killed holder's lock: a run now proceeds
    assert (out / LOCK_NAME).exists()
    run(experiment, out, overwrite=True)


def test_two_concurrent_runs_never_mix(tmp_path):
    a = tiny_experiment(tmp_path, name="first", doses=[0.5, 1.0, 2.0, 3.0] * 1, k_el=[0.1, 0.2, 0.3])
    b = tiny_experiment(tmp_path, name="second", doses=[0.25, 0.75, 1.5, 2.5], k_el=[0.15, 0.25, 0.35])
    out = tmp_path / "shared"
    procs = [subprocess.Popen([sys.executable, "-m", "ivigsim.interfaces.cli", "run", str(p), "--out", str(out),
                               "--quiet", "--workers", "1"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT) for p in (a, b)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "in use by process" in loser or "is not empty" in loser
    res = load_results(out)
    winner = res.provenance["experiment"]
    expected = run(a if winner == "first" else b, tmp_path / "alone")
    np.testing.assert_array_equal(res.metrics["dose_g_per_kg"], expected.metrics["dose_g_per_kg"])
    np.testing.assert_array_equal(res.metrics["peak"], expected.metrics["peak"])


# --- probe 4: resume checks the experiment and the model ---------------------------------
def _interrupted_run(path, out, monkeypatch, after=1):
    real = ensemble.run_chunk

    def crash(experiment, points, index, start, stop):
        if index >= after:
            raise KeyboardInterrupt
        return real(experiment, points, index, start, stop)

    monkeypatch.setattr(ensemble, "run_chunk", crash)
    with pytest.raises(KeyboardInterrupt, match="--resume"):
        run(path, out, chunk_size=2)
    monkeypatch.setattr(ensemble, "run_chunk", real)


def test_resume_refuses_a_changed_parameter_value_and_names_it(tmp_path, monkeypatch):
    model = tmp_path / "model.toml"
    model.write_text(MODEL.read_text())
    experiment = tiny_experiment(tmp_path, model="model.toml")
    out = tmp_path / "run"
    _interrupted_run(experiment, out, monkeypatch)
    model.write_text(MODEL.read_text().replace("value = 0.05", "value = 0.06"))
    with pytest.raises(IvigsimError, match=r"model parameter values changed: v_per_kg 0.05 -> 0.06"):
        run(experiment, out, resume=True)
    model.write_text(MODEL.read_text().replace('rate = "k_el * drug * central"',
                                               'rate = "2 * k_el * drug * central"'))
    with pytest.raises(IvigsimError, match="the model's equations changed"):
        run(experiment, out, resume=True)
    model.write_text(MODEL.read_text() + "\n# a comment\n")
    with pytest.raises(IvigsimError, match=r"the model file .*model.toml changed"):
        run(experiment, out, resume=True)
    model.write_text(MODEL.read_text())
    res = run(experiment, out, resume=True)
    assert res.provenance["model_parameters"]["v_per_kg"] == 0.05
    assert (res.metrics["status"] == "ok").all()


def test_resume_refuses_a_changed_experiment_file(experiment, tmp_path, monkeypatch):
    out = tmp_path / "run"
    _interrupted_run(experiment, out, monkeypatch)
    experiment.write_text(experiment.read_text().replace("seed = 3", "seed = 4"))
    with pytest.raises(IvigsimError, match="different experiment file"):
        run(experiment, out, resume=True)


def test_provenance_hashes_every_parameter_value(reference):
    prov = reference.provenance
    assert prov["model_parameters"] == {"body_weight": 70.0, "v_per_kg": 0.05, "k_el": 0.1, "c0": 2.0,
                                        "mw": 150.0}
    assert len(prov["model_content_sha256"]) == 64 and len(prov["model_file_sha256"]) == 64


# --- probe 9: temporary files -------------------------------------------------------
def test_stale_temporary_chunks_do_not_block_resume(experiment, tmp_path, monkeypatch, reference):
    out = tmp_path / "run"
    _interrupted_run(experiment, out, monkeypatch)
    chunks = out / "chunks"
    # what a writer killed in the middle of np.savez leaves, old style and new
    (chunks / f"chunk_00002.npz.{os.getpid()}.tmp.npz").write_bytes(b"PK\x03\x04 truncated")
    (chunks / f".chunk_00002.npz.{os.getpid()}.0a1b2c.tmp").write_bytes(b"PK\x03\x04 truncated")
    (chunks / "chunk_00001.npz").write_bytes(b"PK\x03\x04 truncated")      # damaged by the disk
    with pytest.warns(RuntimeWarning, match="unreadable chunk"):
        res = run(experiment, out, resume=True)
    assert sorted(p.name for p in chunks.iterdir()) == [f"chunk_{k:05d}.npz" for k in range(3)]
    np.testing.assert_array_equal(res.metrics["peak"], reference.metrics["peak"])


def test_temporary_names_match_no_glob_of_finished_files(tmp_path):
    from ivigsim.io.atomic import atomic_path
    target = tmp_path / "chunk_00007.npz"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"x")
        for pattern in ("chunk_*.npz", "*.npz", "*.csv", "*.nc", "*.png", "*.html", "*.json"):
            assert tmp not in set(tmp_path.glob(pattern))
    assert target.read_bytes() == b"x" and os.listdir(tmp_path) == ["chunk_00007.npz"]


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_during_a_chunk_write_leaves_a_resumable_run(experiment, tmp_path, monkeypatch,
                                                                  reference):
    out = tmp_path / "run"
    real = np.savez
    calls = []

    def savez_then_full(fh, **arrays):
        calls.append(1)
        if len(calls) == 2:
            fh.write(b"PK partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fh, **arrays)

    monkeypatch.setattr(np, "savez", savez_then_full)
    with pytest.raises(OSError, match="No space left"):
        run(experiment, out, chunk_size=2)
    monkeypatch.setattr(np, "savez", real)
    assert sorted(p.name for p in (out / "chunks").iterdir()) == ["chunk_00000.npz"]
    res = run(experiment, out, resume=True)
    np.testing.assert_array_equal(res.metrics["peak"], reference.metrics["peak"])


# --- probe 10: finalize is atomic ------------------------------------------------------
def test_a_full_disk_during_finalize_keeps_the_previous_results(experiment, tmp_path, monkeypatch):
    out = tmp_path / "run"
    first = run(experiment, out)
    before = {name: (out / name).read_bytes() for name in ("metrics.csv", "trajectories.nc", "report.html")}

    def truncated_netcdf(path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"\x89HDF\r\n\x1a\n truncated")
        raise OSError(errno.ENOSPC, "No space left on device")

    from ivigsim.sweep import run as results_layer
    monkeypatch.setattr(results_layer, "write_trajectories", truncated_netcdf)
    with pytest.raises(OSError, match="No space left"):
        run(experiment, out, resume=True)
    monkeypatch.undo()
    assert {name: (out / name).read_bytes() for name in before} == before
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    again = load_results(out)
    np.testing.assert_array_equal(again.metrics["peak"], first.metrics["peak"])
    proc = ivigsim("run", experiment, "--resume", out, "--quiet")
    assert proc.returncode == 0, proc.stderr


def test_load_results_names_a_damaged_file_and_how_to_rebuild(experiment, tmp_path):
    out = tmp_path / "run"
    run(experiment, out)
    (out / "trajectories.nc").write_bytes(b"CDF\x01 truncated")
    with pytest.raises(IvigsimError, match=r"trajectories.nc|cannot be read.*--resume"):
        load_results(out)
    res = run(experiment, out, resume=True)         # rebuilt from the chunks
    assert load_results(out).trajectories.sizes["point"] == len(res.metrics)


# --- probe 12: --out paths that used to end in a traceback -------------------------------------
def test_out_named_like_a_file(experiment, tmp_path):
    out = tmp_path / "x.html"
    res = run(experiment, out)
    assert (out / "report.html").is_file() and res.path == out
    run(experiment, out, resume=True)


def test_out_is_a_file_or_cannot_be_created(experiment, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("mine")
    proc = ivigsim("run", experiment, "--out", target, "--quiet")
    assert proc.returncode == 2 and "is a file, not a directory" in no_traceback(proc)
    assert target.read_text() == "mine"
    proc = ivigsim("run", experiment, "--out", "/proc/self/no/such/dir", "--quiet")
    assert proc.returncode == 2 and "cannot create the directory" in no_traceback(proc)


def test_out_is_the_experiment_files_own_directory(experiment, tmp_path):
    text = experiment.read_text()
    proc = ivigsim("run", experiment, "--out", tmp_path, "--quiet")
    assert proc.returncode == 2 and "is not empty" in no_traceback(proc)
    proc = ivigsim("run", experiment, "--out", tmp_path, "--quiet", "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert experiment.read_text() == text and (tmp_path / "metrics.csv").exists()


def test_workers_must_be_positive(experiment, tmp_path):
    proc = ivigsim("run", experiment, "--out", tmp_path / "r", "--workers", "-1")
    assert proc.returncode == 2 and "expected a whole number >= 1" in proc.stderr
    assert "Traceback" not in proc.stderr
    with pytest.raises(IvigsimError, match="whole number >= 1"):
        run_experiment(experiment, out=tmp_path / "r", workers=-1)


def test_resume_of_a_directory_that_is_no_run(experiment, tmp_path):
    with pytest.raises(IvigsimError, match="no provenance.json"):
        run(experiment, tmp_path, resume=True)


def test_lock_is_released_after_a_run(experiment, tmp_path):
    from ivigsim.sweep.locking import LOCK_NAME, RunLock
    out = tmp_path / "run"
    run(experiment, out)
    with RunLock(out):
        pass
    assert (out / LOCK_NAME).read_text() == ""
    assert RunDirectory(out).read_provenance()["finished"]
