"""Sweep results on disk: written chunk by chunk, resumable, with provenance.

Layout of a run directory::

    experiment.toml        copy of the experiment file that was run
    provenance.json        versions, git commit, file hash, seed, solver settings, timing, failures
    points.csv             one row per point: id, regimen, replicate, sampled values
    chunks/chunk_NNNNN.npz one file per finished chunk (atomic rename), the resume checkpoint
    metrics.csv            one row per point: id, inputs, metrics, status, reason
    metrics.parquet        the same, when pyarrow is installed
    trajectories.nc        point x time x output (NetCDF, opens with xarray.open_dataset)
    figures/               PNG and SVG
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from ivigsim.errors import IvigsimError

CHUNK_DIR = "chunks"


def _atomic_savez(path, **arrays):
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


class RunDirectory:
    """One sweep's output directory."""

    def __init__(self, path):
        self.path = Path(path)
        self.chunks = self.path / CHUNK_DIR

    # --- starting and resuming ----------------------------------------------
    def start(self, experiment, resume):
        """Create the directory (or check it belongs to ``experiment`` when resuming)."""
        if resume:
            prov = self.read_provenance()
            if prov.get("experiment_sha256") != experiment.file_hash:
                raise IvigsimError(f"{self.path} holds results of a different experiment file "
                                   f"(hash {prov.get('experiment_sha256', '?')[:12]}…); refusing to mix them")
        elif self.chunks.exists() and any(self.chunks.iterdir()):
            raise IvigsimError(f"{self.path} already holds sweep results; use --resume to finish them "
                               f"or choose another --out")
        self.chunks.mkdir(parents=True, exist_ok=True)
        if not resume:
            shutil.copyfile(experiment.path, self.path / "experiment.toml")

    def finished_chunks(self):
        return {int(p.stem.split("_")[1]) for p in self.chunks.glob("chunk_*.npz")}

    def write_chunk(self, chunk):
        _atomic_savez(self.chunks / f"chunk_{chunk.index:05d}.npz", point_ids=chunk.point_ids,
                      outputs=chunk.outputs, metrics=chunk.metrics, status=chunk.status,
                      reasons=np.array(chunk.reasons, dtype=str), steps=chunk.steps)

    def read_chunks(self, n_points, n_times, n_outputs, n_metrics):
        """All chunks merged by point id."""
        outputs = np.full((n_points, n_times, n_outputs), np.nan)
        metrics = np.full((n_points, n_metrics), np.nan)
        status = np.full(n_points, -1, dtype=np.int8)
        reasons = np.array([""] * n_points, dtype=object)
        steps = np.zeros(n_points, dtype=np.int64)
        for path in sorted(self.chunks.glob("chunk_*.npz")):
            with np.load(path) as data:
                ids = data["point_ids"]
                outputs[ids] = data["outputs"]
                metrics[ids] = data["metrics"]
                status[ids] = data["status"]
                reasons[ids] = data["reasons"]
                steps[ids] = data["steps"]
        return outputs, metrics, status, reasons, steps

    # --- provenance ------------------------------------------------------------
    def write_provenance(self, provenance):
        tmp = self.path / "provenance.json.tmp"
        tmp.write_text(json.dumps(provenance, indent=2, default=_json_default))
        os.replace(tmp, self.path / "provenance.json")

    def read_provenance(self):
        path = self.path / "provenance.json"
        if not path.exists():
            raise IvigsimError(f"{self.path} has no provenance.json: not a sweep run directory")
        return json.loads(path.read_text())


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def git_commit():
    """The git commit of the ivigsim source tree, when it is a checkout."""
    import subprocess
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
