"""Metrics that have no value, and damaged kernel caches (issue 14, probes 5 and 11)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from hardening_helpers import MODEL, ivigsim
from ivigsim.sweep.run import run_experiment


# --- probe 5: a NaN metric is "undefined", with a reason, and counted ---------------------------
@pytest.fixture(scope="module")
def occupancy_sweep(tmp_path_factory):
    directory = tmp_path_factory.mktemp("occupancy")
    path = directory / "occupancy.toml"
    path.write_text("""
[experiment]
name = "occupancy"
model = "fcrn_pk"
seed = 1
t_end_days = 10.0

[regimens.course]
kind = "ivig"
days = 1
dose_g_per_kg = 1.0

[sweep]
method = "grid"

[sweep.variables.fcrn_total]
values = [0.0, 49.8]

[metrics.occupancy]
kind = "max"
output = "fcrn_occupancy"

[metrics.peak]
kind = "max"
output = "igg_total"

# no haematopoietic FcRn either, so that fcrn_total = 0 leaves no FcRn at all
[parameters]
fcrn_total_h = 0.0
""")
    return path, run_experiment(path, out=directory / "run", workers=1, progress=False)


def test_an_undefined_metric_gets_status_undefined_and_a_reason(occupancy_sweep):
    _, res = occupancy_sweep
    frame = res.metrics
    assert list(frame["status"]) == ["undefined", "ok"]
    reason = frame["reason"][0]
    assert reason.startswith("undefined: occupancy: fcrn_occupancy is not a number")
    assert "when fcrn_total = 0" in reason
    assert np.isnan(frame["occupancy"][0]) and np.isfinite(frame["peak"][0])
    assert res.provenance["n_undefined"] == 1 and res.provenance["n_failed"] == 0


def test_the_cli_summary_counts_undefined_metrics(occupancy_sweep, tmp_path):
    path, _ = occupancy_sweep
    proc = ivigsim("run", path, "--out", tmp_path / "run", "--quiet", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert "0 failed, 1 with undefined metrics" in proc.stdout
    assert "undefined (left out of the summary): occupancy at 1 point" in proc.stdout
    assert "point 0 undefined: occupancy" in proc.stdout


# --- probe 11: a damaged kernel cache entry is rebuilt once, with a warning -------------------------
CODE = ("import warnings, ivigsim as iv; warnings.simplefilter('always'); "
        f"print(repr(float(iv.simulate({str(MODEL)!r}, t_end=5.0)['concentration'][-1])))")


def _simulate(cache):
    return subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "IVIGSIM_CACHE_DIR": str(cache)})


def test_a_damaged_kernel_cache_is_rebuilt_once_with_a_warning(tmp_path):
    first = _simulate(tmp_path)
    assert first.returncode == 0, first.stderr
    module = next(tmp_path.glob("kernel_one_compartment_*.py"))
    good = module.read_text()

    module.write_text(good[: len(good) // 2])                      # truncated by a full disk
    proc = _simulate(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "is damaged (checksum mismatch); it is removed and generated again" in proc.stderr
    assert proc.stdout == first.stdout and module.read_text() == good

    numba_files = list(tmp_path.glob("__pycache__/kernel_one_compartment_*"))
    assert numba_files
    for path in numba_files:                                      # Numba's own cache, overwritten
        path.write_bytes(b"\x80\x04 not a pickle")
    proc = _simulate(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == first.stdout
    assert "Traceback" not in proc.stderr


def test_a_kernel_that_cannot_be_imported_is_rebuilt(tmp_path):
    first = _simulate(tmp_path)
    module = next(tmp_path.glob("kernel_one_compartment_*.py"))
    import hashlib
    body = "raise SyntaxError('left by an older version')\n"
    module.write_text(f"# sha256 of the lines below: {hashlib.sha256(body.encode()).hexdigest()}\n{body}")
    proc = _simulate(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "could not be loaded (SyntaxError: left by an older version); it is removed and built again" \
        in proc.stderr
    assert proc.stdout == first.stdout
