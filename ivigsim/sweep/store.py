"""Sweep results on disk: written chunk by chunk, resumable, with provenance.

Layout of a run directory::

    .ivigsim.lock          exclusive lock held by the running process (its PID inside)
    experiment.toml        copy of the experiment file that was run
    provenance.json        versions, git commit, file and model hashes, seed, solver settings, timing
    points.csv             one row per point: id, regimen, replicate, sampled values
    chunks/chunk_NNNNN.npz one file per finished chunk (atomic rename), the resume checkpoint
    metrics.csv            one row per point: id, inputs, metrics, status, reason
    metrics.parquet        the same, when pyarrow is installed
    trajectories.nc        point x time, one variable per output (netCDF-4, written chunk by
                           chunk; opens with xarray.open_dataset)
    sensitivity.csv        for a sobol_indices or morris sweep
    figures/               PNG and SVG        } written by the interfaces layer
    report.html            the run as one page } (iv.run_experiment, ivigsim run)

A directory is only written when it is new or empty, or when the caller says
``resume`` (finish it: the experiment file and the model must be unchanged) or
``overwrite``. Every file is written under a temporary name and renamed
(:mod:`ivigsim.io.atomic`); the finished outputs are first written into a staging
folder and then moved in, so a full disk leaves the previous outputs whole.
"""

from __future__ import annotations

from ivigsim.paths import CHECKOUT_DIR
import hashlib
import json
import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ivigsim.io.atomic import atomic_open, atomic_path, atomic_write_text, remove_stale_temps, temp_name
from ivigsim.errors import IvigsimError
from ivigsim.sweep.locking import LOCK_NAME, RunLock

CHUNK_DIR = "chunks"
_CHUNK_GLOB = "chunk_[0-9][0-9][0-9][0-9][0-9].npz"
_CHUNK_FIELDS = ("point_ids", "outputs", "metrics", "status", "reasons", "steps")


def _directory_error(path, exc, what="write to"):
    return IvigsimError(f"cannot {what} {path}: {exc.strerror or exc}")


def check_output_directory(path, overwrite=False, option="--out", resume_hint=False):
    """Refuse an output path that is a file, or a non-empty directory unless ``overwrite``.

    Returns the path; creates nothing.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise IvigsimError(f"{option} {path} is a file, not a directory; give a directory name")
    if path.is_dir():
        entries = sorted(e.name for e in path.iterdir() if e.name != LOCK_NAME)
        if entries and not overwrite:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            resume = f", --resume {path} to finish an interrupted run there," if resume_hint else ""
            raise IvigsimError(f"{option} {path} is not empty ({shown}); give a new or empty "
                               f"directory{resume} or --overwrite to replace what ivigsim wrote there")
    return path


def make_directory(path, option="--out"):
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise IvigsimError(f"{option} {path}: a file is in the way of this directory") from None
    except OSError as exc:
        raise _directory_error(path, exc, "create the directory") from None
    return path


@contextmanager
def staged_outputs(directory):
    """Yield a hidden staging folder inside ``directory``; on success move its files into place.

    Each file is renamed over its target (atomic); a failure while writing
    (a full disk, an interrupt) removes the staging folder and leaves
    ``directory``'s previous outputs as they were.
    """
    directory = Path(directory)
    staging = temp_name(directory / "staging")
    staging.mkdir()
    try:
        yield staging
        # provenance.json last: it marks the run finished once everything else is in place
        for source in sorted(staging.rglob("*"), key=lambda f: (f.name == "provenance.json", str(f))):
            if source.is_dir():
                continue
            target = directory / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def model_content(spec):
    """What a resumed run must share with its start: the model's equations, every
    parameter value, initial values and the model file's bytes."""
    try:
        file_hash = hashlib.sha256(Path(spec.path).read_bytes()).hexdigest()
    except OSError:
        file_hash = None
    from ivigsim.core.expressions import to_text
    content = {
        "model_fingerprint": spec.fingerprint(),
        "model_parameters": {p.name: p.value for p in spec.parameters},
        "model_initial_values": {s.name: to_text(s.initial) for s in spec.species},
        "model_file_sha256": file_hash,
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return {**content, "model_content_sha256": digest}


def _changes(before, after):
    """Words for what differs between two provenance records (experiment and model inputs)."""
    changes = []
    if before.get("experiment_sha256") != after.get("experiment_sha256"):
        changes.append(f"it holds results of a different experiment file (sha256 "
                       f"{str(before.get('experiment_sha256'))[:12]} then, {str(after.get('experiment_sha256'))[:12]} now)")
    for key, what in (("model", "the model"), ("experiment_parameters", "the fixed parameters")):
        if key in after and before.get(key) != after.get(key):
            changes.append(f"{what} changed ({before.get(key)!r} -> {after.get(key)!r})")
    if before.get("model_fingerprint") != after.get("model_fingerprint"):
        changes.append("the model's equations changed (species, reactions, rate laws or observables)")
    old, new = before.get("model_parameters") or {}, after.get("model_parameters") or {}
    moved = [f"{name} {old[name]:g} -> {new[name]:g}" for name in new if name in old and old[name] != new[name]]
    if moved:
        changes.append("model parameter values changed: " + ", ".join(moved[:5])
                       + (f" and {len(moved) - 5} more" if len(moved) > 5 else ""))
    if before.get("model_initial_values") != after.get("model_initial_values") and \
            before.get("model_fingerprint") == after.get("model_fingerprint"):
        changes.append("the model's initial values changed")
    if not changes and before.get("model_content_sha256") != after.get("model_content_sha256"):
        changes.append(f"the model file {after.get('model_file')} changed")
    return changes


class RunDirectory:
    """One sweep's output directory."""

    def __init__(self, path):
        self.path = Path(path)
        self.chunks = self.path / CHUNK_DIR
        self.lock = RunLock(self.path)

    # --- starting and resuming ----------------------------------------------
    def start(self, experiment, resume, overwrite=False, inputs=None):
        """Take the directory for this run and hold its lock until :meth:`close`.

        Parameters
        ----------
        experiment : Experiment
        resume : bool
            Finish the run in this directory: its provenance must record the
            same experiment file and model content as ``inputs``.
        overwrite : bool
            Allow a non-empty directory; earlier chunks are deleted.
        inputs : dict, optional
            The provenance entries that identify the inputs (experiment hash,
            model content); compared on resume.
        """
        if self.path.exists() and not self.path.is_dir():
            raise IvigsimError(f"--out {self.path} is a file, not a directory; give a directory name")
        if resume:
            if not (self.path / "provenance.json").exists():
                raise IvigsimError(f"{self.path} has no provenance.json: not a sweep run directory "
                                   f"to resume (a run killed before it computed anything leaves none; "
                                   f"start it again with --overwrite)")
            self.lock.acquire()
            try:
                self._check_resume(inputs or {})
                self._clean()
            except BaseException:
                self.lock.release()
                raise
            return
        check_output_directory(self.path, overwrite, resume_hint=True)
        make_directory(self.path)
        self.lock.acquire()
        try:
            # Checked again under the lock: another run may have filled it meanwhile.
            check_output_directory(self.path, overwrite, resume_hint=True)
            if overwrite and self.chunks.exists():
                for old in self.chunks.glob(_CHUNK_GLOB):
                    old.unlink()
            remove_stale_temps(self.path)
            self.chunks.mkdir(parents=True, exist_ok=True)
            copy = self.path / "experiment.toml"
            source = Path(experiment.path)
            if not (copy.exists() and copy.resolve() == source.resolve()):
                with atomic_path(copy) as tmp:
                    shutil.copyfile(source, tmp)
        except OSError as exc:
            self.lock.release()
            raise _directory_error(self.path, exc) from None
        except BaseException:
            self.lock.release()
            raise

    def close(self):
        """Release the directory's lock."""
        self.lock.release()

    def _check_resume(self, inputs):
        prov = self.read_provenance()
        if "model_content_sha256" not in prov and inputs:
            raise IvigsimError(f"{self.path} was written by an ivigsim that did not record the model's "
                               f"content, so a resume cannot prove it is unchanged; start a fresh run")
        changes = _changes(prov, inputs) if inputs else []
        if changes:
            raise IvigsimError(f"cannot resume {self.path}: " + "; ".join(changes)
                               + ". Mixing them would combine results of different inputs; start a "
                                 "fresh run in another --out (or --overwrite this one)")

    def _clean(self):
        """Remove what killed writers left: temporary files, unreadable chunks."""
        remove_stale_temps(self.path)
        self.chunks.mkdir(parents=True, exist_ok=True)
        for path in self.chunks.glob("chunk_*.tmp.npz"):      # named so by earlier versions
            path.unlink()
        for path in self.chunks.glob(_CHUNK_GLOB):
            try:
                with np.load(path) as data:
                    if not all(f in data.files for f in _CHUNK_FIELDS):
                        raise ValueError("fields missing")
            except Exception as exc:        # noqa: BLE001 - any damage means: compute it again
                warnings.warn(f"{path}: unreadable chunk ({type(exc).__name__}), removed; it is "
                              f"computed again", RuntimeWarning, stacklevel=3)
                path.unlink()

    def finished_chunks(self):
        return {int(p.name[6:11]) for p in self.chunks.glob(_CHUNK_GLOB)}

    def write_chunk(self, chunk):
        with atomic_open(self.chunks / f"chunk_{chunk.index:05d}.npz", "wb") as fh:
            np.savez(fh, point_ids=chunk.point_ids, outputs=chunk.outputs, metrics=chunk.metrics,
                     status=chunk.status, reasons=np.array(chunk.reasons, dtype=str), steps=chunk.steps)

    def read_chunks(self, n_points, n_times, n_outputs, n_metrics, columns=None):
        """All chunks merged by point id.

        With ``columns`` (indices into the stored outputs) only those outputs
        are read into memory: a chunk holds every species and observable, a
        result file only a few of them.
        """
        columns = None if columns is None else np.asarray(columns, dtype=np.int64)
        outputs = np.full((n_points, n_times, n_outputs if columns is None else len(columns)), np.nan)
        metrics = np.full((n_points, n_metrics), np.nan)
        status = np.full(n_points, -1, dtype=np.int8)
        reasons = np.array([""] * n_points, dtype=object)
        steps = np.zeros(n_points, dtype=np.int64)
        for path in sorted(self.chunks.glob(_CHUNK_GLOB)):
            with np.load(path) as data:
                ids = data["point_ids"]
                outputs[ids] = data["outputs"] if columns is None else data["outputs"][:, :, columns]
                metrics[ids] = data["metrics"]
                status[ids] = data["status"]
                reasons[ids] = data["reasons"]
                steps[ids] = data["steps"]
        return outputs, metrics, status, reasons, steps

    def chunk_outputs(self, columns):
        """Yield ``(point ids, outputs[:, :, columns])`` of each stored chunk, one chunk in memory at a time."""
        columns = np.asarray(columns, dtype=np.int64)
        for path in sorted(self.chunks.glob(_CHUNK_GLOB)):
            with np.load(path) as data:
                yield data["point_ids"], data["outputs"][:, :, columns]

    # --- provenance ------------------------------------------------------------
    def write_provenance(self, provenance, directory=None):
        atomic_write_text((Path(directory) if directory else self.path) / "provenance.json",
                          json.dumps(provenance, indent=2, default=_json_default))

    def read_provenance(self):
        path = self.path / "provenance.json"
        if not path.exists():
            raise IvigsimError(f"{self.path} has no provenance.json: not a sweep run directory")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IvigsimError(f"{path}: cannot read the run's provenance ({exc})") from None


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
    root = CHECKOUT_DIR
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
