"""Regression references: every shipped experiment against results stored in ``references/``.

``references/<experiment name>/`` holds, for each file in ``experiments/``:

* ``metrics.csv``: every point's id, regimen, replicate, sampled values,
  metrics and status, floats written with ``repr`` (the shortest text that
  reads back to the same double), no timestamps, so that a changed number
  shows as a one-line diff in review;
* ``trajectories.csv``: every stored output at up to :data:`MAX_TIMES`
  evenly spaced output times, for up to :data:`MAX_TRAJECTORY_POINTS` points
  spread evenly over the sweep (all of them when there are fewer), one row
  per output and point;
* ``reference.json``: how the reference was made (command, ivigsim version,
  git commit, date, experiment SHA-256, model fingerprint and file SHA-256,
  Python, numpy, scipy and numba versions, platform) and the tolerances,
  keys sorted.

:func:`regress` runs each experiment and compares it with its reference;
``update=True`` (``ivigsim regress --update``), and only that, rewrites the
references, leaving files whose content would not change untouched.
``references/stochastic/`` holds the stochastic references, compared by
:mod:`ivigsim.analysis.regression.stochastic`.  What a check reports is in
:mod:`ivigsim.analysis.regression.report`, the file formats in :mod:`ivigsim.analysis.regression.files`,
``ivigsim regress`` in :mod:`ivigsim.analysis.regression.cli`.

Tolerance
---------
Sweeps are deterministic: the same file gives the same bits whatever the
number of workers.  A value passes when ``|now - reference| <= ATOL + RTOL *
|reference|`` with ``RTOL = 1e-6``, far above rounding (1e-16) yet far below
any change of a model or a solver that matters; a different compiler or
maths library that changes the solver's step sequence moves results by a
fraction of the solver's own tolerance (1e-6 relative by default), which is
why 1e-6 and not bit-identity is asked across machines.  ``ATOL = 1e-9``, in
each quantity's unit, is the floor for values at or near zero (an
autoantibody before it is made, IVIG before the first dose, a change of 0 %):
it is the sweep solver's absolute tolerance (``atol = 1e-9`` in declared
units), below which the integrator does not resolve a value at all, and it is
orders of magnitude below the smallest quantity of interest (mg/L
autoantibodies, single foci, days).  Statuses must match exactly: a point
that failed must still fail, and one that succeeded must still succeed.
"""

from __future__ import annotations

from ivigsim.paths import CHECKOUT_DIR
import contextlib
import datetime as _dt
import json
import math
import platform
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

import numpy as np

from ivigsim.errors import IvigsimError
from ivigsim.analysis.regression.files import (SIDECAR, csv_text, display_path, git_dirty, missing_message, read_csv,
                                   read_sidecar, sha256_of, write_files)
from ivigsim.analysis.regression.report import Difference, ExperimentCheck, RegressionReport

__all__ = ["RTOL", "ATOL", "MAX_TRAJECTORY_POINTS", "MAX_TIMES", "STOCHASTIC", "Difference",
           "ExperimentCheck", "RegressionReport", "references_dir", "shipped_experiments",
           "write_reference", "check_results", "regress"]

#: Relative tolerance of a deterministic reference.
RTOL = 1e-6
#: Absolute floor, in each quantity's unit (the sweep solver's absolute tolerance).
ATOL = 1e-9
#: Points of a sweep whose trajectories are stored (spread evenly over the point ids).
MAX_TRAJECTORY_POINTS = 12
#: Output times stored per trajectory (spread evenly over the output grid, ends included).
MAX_TIMES = 21
#: Name of the stochastic reference folder (and of its ``--only`` name).
STOCHASTIC = "stochastic"
#: Differences listed per failing experiment, worst first.
SHOWN_DIFFERENCES = 10

_METRICS, _TRAJECTORIES = "metrics.csv", "trajectories.csv"
_FIXED_COLUMNS = ("point_id", "regimen", "replicate")
_NOT_STORED = ("status", "reason", "solver_steps")


# ---------------------------------------------------------------------------
# Where things are
# ---------------------------------------------------------------------------


def references_dir() -> Path:
    """``references/`` beside the package (source checkout) or inside it (installed)."""
    from ivigsim.core.catalogue import shipped_dir
    return shipped_dir("references") or CHECKOUT_DIR / "references"


def _experiment_name(path: Path) -> str:
    try:
        name = tomllib.loads(Path(path).read_text(encoding="utf-8"))["experiment"]["name"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise IvigsimError(f"{path}: cannot read [experiment] name ({exc})") from None
    if not isinstance(name, str):
        raise IvigsimError(f"{path}: [experiment] name is not text")
    return name


def shipped_experiments() -> dict:
    """Experiment name -> path of every file in ``experiments/``, sorted by name."""
    from ivigsim.core.catalogue import experiments_dir
    folder = experiments_dir()
    paths = sorted(folder.glob("*.toml")) if folder else []
    return dict(sorted((_experiment_name(p), p) for p in paths))


# ---------------------------------------------------------------------------
# Writing a reference
# ---------------------------------------------------------------------------


def _number(value) -> str:
    return repr(float(value))


def _split_columns(frame):
    """(sampled input columns, metric columns) of a sweep's metrics table."""
    metrics = list(frame.attrs.get("units", {}))
    inputs = [c for c in frame.columns if c not in metrics and c not in _FIXED_COLUMNS
              and c not in _NOT_STORED]
    return inputs, metrics


def _metrics_csv(frame) -> str:
    inputs, metrics = _split_columns(frame)
    rows = [list(_FIXED_COLUMNS) + inputs + metrics + ["status"]]
    for r in frame.to_dict("records"):
        rows.append([int(r["point_id"]), str(r["regimen"]), int(r["replicate"])]
                    + [_number(r[c]) for c in inputs + metrics] + [str(r["status"])])
    return csv_text(rows)


def _spread(n: int, most: int) -> np.ndarray:
    """Up to ``most`` indices of ``range(n)`` spread evenly, first and last included."""
    return np.unique(np.round(np.linspace(0, n - 1, min(n, most))).astype(int))


def _trajectories_csv(dataset) -> str:
    t = dataset["time"].values
    times = _spread(t.size, MAX_TIMES)
    points = _spread(dataset.sizes["point"], MAX_TRAJECTORY_POINTS)
    ids = dataset["point"].values
    rows = [["output", "point_id"] + [f"t={_number(t[k])}" for k in times]]
    for name in dataset.data_vars:
        values = dataset[name].values
        for i in points:
            rows.append([name, int(ids[i])] + [_number(values[i, k]) for k in times])
    return csv_text(rows)


def _sidecar(results, experiment_path, name) -> dict:
    from importlib.metadata import version

    from ivigsim import __version__
    from ivigsim.core.catalogue import load_model
    from ivigsim.sweep.store import git_commit

    prov = results.provenance
    spec = load_model(prov["model_file"])
    ds = results.trajectories
    return {
        "kind": "deterministic sweep",
        "experiment": name, "experiment_file": display_path(experiment_path),
        "experiment_sha256": prov["experiment_sha256"],
        "model": prov["model"], "model_file": display_path(spec.path),
        "model_file_sha256": sha256_of(spec.path), "model_fingerprint": prov["model_fingerprint"],
        "command": f"ivigsim regress --update --only {name}",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "ivigsim_version": __version__, "git_commit": git_commit(), "git_dirty": git_dirty(),
        "python": sys.version.split()[0], "numpy": np.__version__, "scipy": version("scipy"),
        "numba": version("numba"), "platform": platform.platform(),
        "tolerances": {"rtol": RTOL, "atol": ATOL,
                       "rule": "|now - reference| <= atol + rtol * |reference|; NaN matches NaN; "
                               "statuses must match",
                       "atol_reason": "the sweep solver's absolute tolerance (1e-9 in declared units): "
                                      "values below it are not resolved by the integrator"},
        "stored": {"metrics": f"all {len(results.metrics)} points",
                   "trajectory_points": len(_spread(ds.sizes["point"], MAX_TRAJECTORY_POINTS)),
                   "trajectory_times": len(_spread(ds.sizes["time"], MAX_TIMES)),
                   "outputs": list(ds.data_vars), "seed": prov.get("seed"),
                   "solver": prov.get("solver")},
    }


def write_reference(results, experiment_path, folder) -> str:
    """Store a finished sweep as the reference in ``folder``; ``"updated"`` or ``"unchanged"``."""
    name = results.provenance["experiment"]
    files = {_METRICS: _metrics_csv(results.metrics), _TRAJECTORIES: _trajectories_csv(results.trajectories)}
    return write_files(Path(folder), files, _sidecar(results, experiment_path, name))


# ---------------------------------------------------------------------------
# Checking a run against its reference
# ---------------------------------------------------------------------------


def _preflight(name, experiment_path, folder):
    """An error check when the reference is missing or the experiment file changed, else None."""
    if not (folder / SIDECAR).exists():
        return ExperimentCheck(name, "error", missing_message(name, folder))
    sidecar = read_sidecar(folder)
    now = sha256_of(experiment_path)
    if sidecar.get("experiment_sha256") != now:
        return ExperimentCheck(name, "error", (
            f"the experiment file {display_path(experiment_path)} changed since its reference was made "
            f"(sha256 {str(sidecar.get('experiment_sha256'))[:12]}... then, {now[:12]}... now); the "
            f"reference must be regenerated: `ivigsim regress --update --only {name}`"))
    return None


class _Collector:
    """Compares arrays against stored ones and keeps the failing and the worst differences."""

    def __init__(self, rtol, atol):
        self.rtol, self.atol = rtol, atol
        self.failing, self.worst, self.n_compared, self.n_failed = [], None, 0, 0

    def add(self, what, name, reference, now, point_ids, regimens, times=None):
        """``reference`` and ``now``: float arrays of one shape, (n_points,) or (n_points, n_times)."""
        from ivigsim.analysis.comparison.core import relative_difference
        reference, now = np.asarray(reference, dtype=float), np.asarray(now, dtype=float)
        with np.errstate(invalid="ignore"):
            allowed = self.atol + self.rtol * np.abs(reference)
            excess = np.abs(now - reference) / allowed
        both_nan = np.isnan(reference) & np.isnan(now)
        excess = np.where(both_nan, 0.0, np.where(np.isnan(excess), np.inf, excess))
        relative = relative_difference(now, reference)
        self.n_compared += excess.size
        bad = np.argwhere(excess > 1.0)
        self.n_failed += len(bad)
        order = bad[np.argsort(-excess[tuple(bad.T)], kind="stable")][:SHOWN_DIFFERENCES] if len(bad) else []
        for index in order:
            self.failing.append(self._difference(what, name, reference, now, relative, excess, tuple(index),
                                                 point_ids, regimens, times))
        if excess.size:
            index = np.unravel_index(int(np.argmax(excess)), excess.shape)
            candidate = self._difference(what, name, reference, now, relative, excess, index, point_ids,
                                         regimens, times)
            if self.worst is None or candidate.excess > self.worst.excess:
                self.worst = candidate

    @staticmethod
    def _difference(what, name, reference, now, relative, excess, index, point_ids, regimens, times):
        i = index[0]
        time = float(times[index[1]]) if times is not None else None
        return Difference(what, name, int(point_ids[i]), str(regimens[i]), float(reference[index]),
                          float(now[index]), float(relative[index]), float(excess[index]), time)

    def fail(self, difference):
        self.failing.append(difference)
        self.n_failed += 1

    def shown(self):
        return tuple(sorted(self.failing, key=lambda d: -d.excess)[:SHOWN_DIFFERENCES])


def check_results(results, experiment_path, folder=None, rtol=RTOL, atol=ATOL) -> ExperimentCheck:
    """Compare a finished sweep with its stored reference.

    Parameters
    ----------
    results : ExperimentResults
        From :func:`ivigsim.sweep.run.run_experiment` (or ``load_results``).
    experiment_path : str or Path
        The experiment file that was run.
    folder : str or Path, optional
        The reference folder (default ``references/<experiment name>``).
    rtol, atol : float
        Tolerances (default :data:`RTOL`, :data:`ATOL`).

    Returns
    -------
    ExperimentCheck
        ``"pass"``, ``"fail"`` with the worst differences, or ``"error"``
        when there is no reference or the experiment file changed since it
        was made.
    """
    name = results.provenance["experiment"]
    folder = Path(folder) if folder is not None else references_dir() / name
    early = _preflight(name, experiment_path, folder)
    if early is not None:
        return early
    sidecar = read_sidecar(folder)
    if sidecar.get("experiment_sha256") != results.provenance.get("experiment_sha256"):
        return ExperimentCheck(name, "error", f"the results were not made from the file the reference "
                                              f"was made from; rerun {display_path(experiment_path)}")
    collector = _Collector(rtol, atol)
    problem = _compare_metrics(results.metrics, folder / _METRICS, collector)
    problem = problem or _compare_trajectories(results.trajectories, results.metrics, folder / _TRAJECTORIES,
                                               collector)
    notes = _model_notes(sidecar, results.provenance)
    if problem:
        return ExperimentCheck(name, "fail", problem, collector.shown(), collector.worst,
                               collector.n_compared, collector.n_failed, notes, (rtol, atol))
    status = "fail" if collector.n_failed else "pass"
    message = "" if status == "pass" else "results differ from the reference" + (
        "; the model changed since the reference was made" if notes else "")
    return ExperimentCheck(name, status, message, collector.shown(), collector.worst, collector.n_compared,
                           collector.n_failed, notes, (rtol, atol))


def _model_notes(sidecar, provenance):
    from ivigsim.core.catalogue import load_model
    notes = []
    if sidecar.get("model") != provenance.get("model"):
        notes.append(f"the reference was made with model '{sidecar.get('model')}', this run used "
                     f"'{provenance.get('model')}'")
    if sidecar.get("model_fingerprint") != provenance.get("model_fingerprint"):
        notes.append(f"the equations of model '{provenance.get('model')}' changed since the reference "
                     "was made (model fingerprint)")
    path = provenance.get("model_file")
    if path and Path(path).exists() and sha256_of(load_model(path).path) != sidecar.get("model_file_sha256"):
        notes.append(f"the model file {display_path(path)} changed since the reference was made")
    return tuple(notes)


def _compare_metrics(frame, path, collector):
    """Points, sampled values, statuses and metrics; a text when the tables cannot be lined up."""
    header, rows = read_csv(path)
    inputs, metrics = _split_columns(frame)
    expected = list(_FIXED_COLUMNS) + inputs + metrics + ["status"]
    if header != expected:
        return f"{path.name} has columns {header}, the run {expected}"
    if len(rows) != len(frame):
        return f"{path.name} has {len(rows)} points, the run {len(frame)}"
    stored = list(zip(*rows))
    ids, regimens = frame["point_id"].to_numpy(), frame["regimen"].astype(str).to_numpy()
    if [int(v) for v in stored[0]] != [int(v) for v in ids] or list(stored[1]) != list(regimens):
        return f"{path.name} lists other point ids or regimens than the run"
    status_ref, status_now = stored[-1], frame["status"].astype(str).to_numpy()
    for i in np.flatnonzero(np.array(status_ref) != status_now):
        collector.fail(Difference("status", "status", int(ids[i]), str(regimens[i]), status_ref[i],
                                  status_now[i], math.inf, math.inf))
    collector.n_compared += len(status_now)
    for k, column in enumerate(inputs + metrics, start=len(_FIXED_COLUMNS)):
        what = "input" if column in inputs else "metric"
        collector.add(what, column, np.array(stored[k], dtype=float), frame[column].to_numpy(dtype=float),
                      ids, regimens)
    return None


def _compare_trajectories(dataset, frame, path, collector):
    header, rows = read_csv(path)
    times = np.array([float(h.removeprefix("t=")) for h in header[2:]])
    t = dataset["time"].values
    index = [int(np.argmin(np.abs(t - x))) for x in times]
    if any(abs(t[i] - x) > 1e-9 * max(1.0, abs(x)) for i, x in zip(index, times)):
        return f"{path.name} holds times the run's output grid does not have"
    position = {int(p): i for i, p in enumerate(dataset["point"].values)}
    regimen_of = dict(zip(frame["point_id"].astype(int), frame["regimen"].astype(str)))
    by_output = {}
    for row in rows:
        by_output.setdefault(row[0], []).append(row)
    missing = [name for name in by_output if name not in dataset.data_vars]
    if missing:
        return f"the run has no output {', '.join(missing)}, which {path.name} holds"
    for name, block in by_output.items():
        ids = [int(r[1]) for r in block]
        if any(i not in position for i in ids):
            return f"{path.name} holds points the run does not have"
        stored = np.array([r[2:] for r in block], dtype=float)
        now = dataset[name].values[[position[i] for i in ids]][:, index]
        collector.add("trajectory", name, stored, now, ids, [regimen_of[i] for i in ids], times)
    return None


# ---------------------------------------------------------------------------
# Running the checks
# ---------------------------------------------------------------------------


def _targets(experiments):
    """[(name, path or None for the stochastic references)] to run."""
    shipped = shipped_experiments()
    if experiments is None:
        return list(shipped.items()) + [(STOCHASTIC, None)]
    targets = []
    for item in experiments:
        text = str(item)
        if text == STOCHASTIC:
            targets.append((STOCHASTIC, None))
        elif text in shipped:
            targets.append((text, shipped[text]))
        elif text.endswith(".toml") and Path(text).is_file():
            targets.append((_experiment_name(Path(text)), Path(text)))
        else:
            raise IvigsimError(f"no shipped experiment or experiment file '{text}'; shipped: "
                               f"{', '.join(list(shipped) + [STOCHASTIC])}")
    return targets


def _orphans(root: Path, names) -> list:
    if not root.is_dir():
        return []
    return [ExperimentCheck(p.name, "error", f"{display_path(p)}/ is a reference for no experiment in "
                                             "experiments/; remove it")
            for p in sorted(root.iterdir()) if p.is_dir() and p.name not in names]


@contextlib.contextmanager
def _run_root(out):
    if out is None:
        with tempfile.TemporaryDirectory(prefix="ivigsim-regress-") as tmp:
            yield Path(tmp)
    else:
        Path(out).mkdir(parents=True, exist_ok=True)
        yield Path(out)


def _fresh_run_folder(folder: Path, name: str) -> Path:
    """Clear a previous regress run of ``name`` from ``folder``; refuse anything else there."""
    if folder.exists() and any(folder.iterdir()):
        provenance = folder / "provenance.json"
        if provenance.exists() and json.loads(provenance.read_text()).get("experiment") == name:
            shutil.rmtree(folder)
        else:
            raise IvigsimError(f"{folder} holds something other than an earlier run of '{name}'; "
                               "choose another output folder")
    return folder


def missing_extra(path):
    """``(extra, package)`` an experiment file needs and this installation lacks, or None."""
    from ivigsim.sweep import sensitivity
    try:
        method = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("sweep", {}).get("method")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        return None                 # the run itself reports what is wrong with the file
    if method in sensitivity.SENSITIVITY_METHODS and not sensitivity.salib_available():
        return "sensitivity", "SALib"
    return None


def _regress_one(name, path, folder, run_folder, update, workers, strict=None):
    from ivigsim.sweep.run import run_experiment
    lacking = missing_extra(path)
    if lacking is not None:
        extra, package = lacking
        message = (f"skipped: needs the optional extra '{extra}' ({package} is not installed): "
                   f"pip install 'ivigsim[{extra}]'")
        if strict:
            return ExperimentCheck(name, "error", message + "; --strict makes a skip fail")
        return ExperimentCheck(name, "skipped", message)
    if not update:
        early = _preflight(name, path, folder)
        if early is not None:
            return early
    try:
        results = run_experiment(path, out=_fresh_run_folder(run_folder, name), workers=workers, progress=False)
    except IvigsimError as exc:
        return ExperimentCheck(name, "error", f"the experiment did not run: {exc}")
    if update:
        status = write_reference(results, path, folder)
        return ExperimentCheck(name, status, f"{display_path(folder)}/ {status}")
    return check_results(results, path, folder)


def regress(experiments=None, update=False, workers=None, out=None, references=None, strict=None):
    """Run experiments and compare them with their stored references (or, with update, store them).

    Parameters
    ----------
    experiments : sequence of str, optional
        Shipped experiment names (``"fcrn_dose_response"``), ``"stochastic"``
        for the stochastic references, or paths to experiment files; default
        every shipped experiment and the stochastic references.
    update : bool
        Rewrite the references from this run instead of checking them.
        Files whose content would not change are left as they are.
    workers : int, optional
        Threads per sweep (default: all cores).
    out : str or Path, optional
        Keep each run in ``out/<name>/`` (default: a temporary folder,
        removed afterwards).
    references : str or Path, optional
        The references folder (default :func:`references_dir`).
    strict : bool, optional
        Stochastic references: require bit-identical samples (True), only the
        statistical tests (False), or decide by whether this machine's
        platform and versions are those that made the reference (None).
        An experiment whose optional extra is not installed (a Sobol sweep
        without SALib) is skipped, which counts as passing unless ``strict``
        is True, when the skip is an error.

    Returns
    -------
    RegressionReport
        One check per experiment; with every shipped experiment and no
        ``update``, also an error for each reference folder that belongs to
        no experiment.
    """
    from ivigsim.analysis.regression import stochastic as regress_stochastic
    root = Path(references) if references is not None else references_dir()
    targets = _targets(experiments)
    checks = []
    with _run_root(out) as runs:
        for name, path in targets:
            if path is None:
                checks.append(regress_stochastic.regress_stochastic(root / STOCHASTIC, update=update,
                                                                    strict=strict))
            else:
                checks.append(_regress_one(name, path, root / name, runs / name, update, workers, strict))
    if experiments is None and not update:
        checks += _orphans(root, {name for name, _ in targets})
    return RegressionReport(tuple(checks))
