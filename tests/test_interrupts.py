"""Ctrl-C, SIGTERM and kill -9 during a sweep (issue 14, probe 8, and the kill test)."""

import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import DATA, ROOT
from ivigsim.sweep.run import load_results

SWEEP_400 = DATA / "sweep_400.toml"


def _default_sigint():
    # A shell starts a background job with SIGINT ignored, and a child inherits that; Python then
    # installs no Ctrl-C handler. The run under test must see SIGINT as a user's terminal sends it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_run(experiment, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "ivigsim.interfaces.cli", "run", str(experiment), "--out", str(out),
                             "--quiet", *map(str, extra)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, preexec_fn=_default_sigint)


def wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


def slow_sweep(tmp_path):
    """sweep_400 over five years of monthly courses, so an interrupt lands mid-sweep.

    The compiled chunks are fast: one course over a year took 0.67 s for all 400
    points on 2 workers, too little work after the first chunk for the signal to
    arrive in time on a loaded machine. Sixty-five courses take about 3.5 s.
    """
    path = tmp_path / "slow.toml"
    path.write_text(SWEEP_400.read_text().replace("t_end_days = 42.0", "t_end_days = 1825.0")
                    .replace("infusion_hours = 8", "infusion_hours = 8\nevery_days = 28\ncycles = 65")
                    .replace('name = "sweep_400"', 'name = "slow"'))
    return path


def chunks_in(out):
    return sorted((out / "chunks").glob("chunk_*.npz")) if (out / "chunks").is_dir() else []


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_cancels_queued_chunks_keeps_finished_ones_and_says_how_to_resume(tmp_path, signum, code):
    experiment = slow_sweep(tmp_path)
    out = tmp_path / "run"
    proc = start_run(experiment, out, "--workers", "2")
    wait_for(lambda: (out / "provenance.json").exists())
    began = time.monotonic()
    wait_for(lambda: len(chunks_in(out)) >= 1)
    chunk_s = time.monotonic() - began     # one chunk on one worker, on this machine now
    sent = time.monotonic()
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=300)
    stopped = time.monotonic() - sent
    kept = len(chunks_in(out))
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr
    assert f"--resume {out}" in stderr and "finished chunks are kept" in stderr
    assert 1 <= kept < 16, kept
    # Only the chunks in flight finish (about one chunk time); computing the ~14
    # queued ones on 2 workers would take about 7 chunk times.
    assert stopped < 2.0 * chunk_s + 3.0, (stopped, chunk_s)
    finished = subprocess.run([sys.executable, "-m", "ivigsim.interfaces.cli", "run", str(experiment), "--resume",
                               str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert finished.returncode == 0, finished.stderr
    res = load_results(out)
    assert len(res.metrics) == 400 and (res.metrics["status"] == "ok").all()


@pytest.mark.slow
def test_kill_9_at_20_random_moments_then_resume_is_bit_identical(tmp_path):
    """kill -9 at 20 random moments of a 400-point sweep, each followed by --resume."""
    import xarray as xr
    reference = tmp_path / "reference"
    started = time.monotonic()
    proc = start_run(SWEEP_400, reference, "--workers", "2")
    wait_for(lambda: (reference / "provenance.json").exists())
    began = time.monotonic()
    wait_for(lambda: len(chunks_in(reference)) == 16, timeout=600)
    chunk_span = time.monotonic() - began     # while chunks are computed and written
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    span = time.monotonic() - began           # from the run directory's creation to the end
    assert time.monotonic() - started < 600
    ref_metrics = (reference / "metrics.csv").read_bytes()
    with xr.open_dataset(reference / "trajectories.nc") as ds:
        ref_traj = ds.load()

    rng = random.Random(2026)
    outcomes = []
    for attempt in range(20):
        out = tmp_path / f"killed_{attempt:02d}"
        # half the kills land while chunks are written, half anywhere up to the end of finalize
        delay = rng.uniform(0.0, chunk_span if attempt % 2 == 0 else span)
        proc = start_run(SWEEP_400, out, "--workers", "2")
        wait_for(lambda: (out / "provenance.json").exists())
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        n_chunks = len(chunks_in(out))
        resumed = subprocess.run([sys.executable, "-m", "ivigsim.interfaces.cli", "run", str(SWEEP_400), "--resume",
                                  str(out), "--quiet", "--workers", "2"], capture_output=True, text=True,
                                 cwd=ROOT)
        assert resumed.returncode == 0, (attempt, delay, resumed.stderr)
        assert (out / "metrics.csv").read_bytes() == ref_metrics, attempt
        with xr.open_dataset(out / "trajectories.nc") as ds:
            assert ds.load().identical(ref_traj), attempt
        leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp")]
        assert not leftovers, leftovers
        outcomes.append((round(delay, 2), n_chunks))
        shutil.rmtree(out)
    print(f"chunks written within {chunk_span:.2f} s, run finished {span:.2f} s after its directory "
          f"appeared; kill moments (s) and chunks on disk at the kill: {outcomes}")
    assert len(outcomes) == 20


class _DropsAnInterrupt:
    """Raises KeyboardInterrupt when collected, as Ctrl-C does when it lands in a finalizer."""

    def __del__(self):
        raise KeyboardInterrupt()


def test_an_interrupt_a_finalizer_drops_is_kept_silently_and_raised_again(monkeypatch):
    from ivigsim.sweep.interrupts import interrupts_kept, raise_lost_interrupt
    printed = []
    monkeypatch.setattr(sys, "unraisablehook", printed.append)     # what Python would print
    with interrupts_kept():
        _DropsAnInterrupt()
        assert printed == []
        with pytest.raises(KeyboardInterrupt):
            raise_lost_interrupt()
        raise_lost_interrupt()                      # raised once, then gone
        # any other finalizer error is printed as usual while no signal arrived
        class Broken:
            def __del__(self):
                raise ValueError("a real bug")
        Broken()
    assert [type(u.exc_value) for u in printed] == [ValueError]
    assert sys.unraisablehook == printed.append
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    _DropsAnInterrupt()                             # outside the block Python's own handling is back
    assert [type(u.exc_value) for u in printed] == [ValueError, KeyboardInterrupt]


def test_an_interrupt_while_the_outputs_are_written_publishes_nothing_and_resumes(tmp_path, monkeypatch):
    """Ctrl-C in a finalizer during finalize: no output is moved in, the resume hint is given,
    and --resume writes what an uninterrupted run writes."""
    from ivigsim.sweep import run as run_module
    reference = tmp_path / "reference"
    run_module.run_experiment(SWEEP_400, out=reference, progress=False, workers=1)
    finalize = run_module.finalize

    def interrupted_finalize(*args, **kwargs):
        _DropsAnInterrupt()
        return finalize(*args, **kwargs)

    out = tmp_path / "run"
    monkeypatch.setattr(run_module, "finalize", interrupted_finalize)
    with pytest.raises(run_module.RunInterrupted) as caught:
        run_module.run_experiment(SWEEP_400, out=out, progress=False, workers=1)
    assert caught.value.exit_code == 130
    kept = len(chunks_in(out))
    assert f"while writing the outputs; all {kept} chunks are kept" in str(caught.value)
    assert f"--resume {out}" in str(caught.value)
    assert not (out / "metrics.csv").exists() and kept == len(chunks_in(reference)) > 1
    monkeypatch.setattr(run_module, "finalize", finalize)
    run_module.run_experiment(SWEEP_400, out=out, progress=False, workers=1, resume=True)
    assert (out / "metrics.csv").read_bytes() == (reference / "metrics.csv").read_bytes()
