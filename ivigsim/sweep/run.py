"""``run_experiment``: an experiment file in, tables, arrays and provenance out.

This is the results layer: it writes ``metrics.csv``, ``trajectories.nc`` and
``provenance.json`` and publishes nothing. Figures and ``report.html`` are
drawn by the interfaces layer, which hands a ``publish`` function in
(:func:`ivigsim.interfaces.runs.run_experiment`, the public
``iv.run_experiment`` and ``ivigsim run``); progress bars and notebook views
are looked up in :mod:`ivigsim.core.views`.
"""

from __future__ import annotations

import datetime as _dt
import platform
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivigsim.core import views
from ivigsim.core.catalogue import load_model
from ivigsim.io.atomic import atomic_open, atomic_path
from ivigsim.sweep.ensemble import STATUS_NAMES, chunk_bounds, chunk_task, output_names
from ivigsim.sweep.ensemble_compiled import compiled_engine
from ivigsim.sweep.executors import DaskExecutor, ThreadExecutor
from ivigsim.errors import IvigsimError
from ivigsim.sweep.experiment import load_experiment
from ivigsim.sweep.interrupts import RunInterrupted, interrupts_kept, raise_lost_interrupt, signal_number
from ivigsim.core.limits import check_result_size
from ivigsim.analysis.metrics import METRIC_KINDS, metric_unit
from ivigsim.sweep.samplers import sample_points
from ivigsim.sweep.sensitivity import SENSITIVITY_METHODS
from ivigsim.sweep.store import RunDirectory, git_commit, model_content, staged_outputs
from ivigsim.sweep.trajectories import open_trajectories, write_trajectories

#: Points per chunk: a multiple of the lane width (8), so that a chunk of one regimen shape runs
#: every course in full lane passes. Per point, chunks of 25 (three passes and one point alone)
#: took 8-9 % longer than chunks of 32, and 24, 40 and 48 were within 5 % of 32
#: (benchmarks/results_sweep_lanes.md); 10,000 points still give 313 progress steps.
DEFAULT_CHUNK_SIZE = 32


@dataclass(frozen=True)
class ExperimentResults:
    """A finished sweep: ``metrics`` (pandas DataFrame, one row per point),
    ``trajectories`` (xarray Dataset: point x time, read from ``trajectories.nc``
    as its values are used, so a large sweep is not held in memory), ``provenance`` (dict) and,
    for a ``sobol_indices`` or ``morris`` sweep, ``sensitivity`` (pandas
    DataFrame: metric, regimen, variable and the indices; else None)."""

    metrics: object
    trajectories: object
    provenance: dict
    path: Path | None = None
    sensitivity: object = None

    @property
    def failed(self):
        return self.metrics[self.metrics["status"] != "ok"]

    def __repr__(self):
        return views.view("experiment_results.repr")(self)

    def _repr_html_(self):
        return views.view("experiment_results.html")(self)

    def summary(self):
        """Per grid value (designed sweeps) or median [IQR] per regimen (sampled ones), as text."""
        return views.view("experiment_results.summary")(self)

    def to_dataframe(self):
        """Tidy metrics (pandas): point, regimen, varied inputs, ``metric``, ``value``, ``unit``."""
        return views.view("experiment_results.dataframe")(self)

    def to_xarray(self):
        """The metrics as an ``xarray.Dataset`` over ``point``, units in attrs (``trajectories`` holds time courses)."""
        return views.view("experiment_results.xarray")(self)

    def plot(self, metric=None, ax=None, x=None):
        """A metric against the first varied input (designed grid) or its distribution (sampled); returns the axes."""
        return views.view("experiment_results.plot")(self, metric, ax=ax, x=x)


def stored_outputs(experiment, spec):
    """Observables, plus any species a metric or plot reads."""
    names = list(spec.observable_names)
    wanted = [m.output for m in experiment.metrics if m.output] + [p.output for p in experiment.plots if p.output]
    names += [n for n in spec.species_names if n in wanted]
    return names


def run_experiment(path, out=None, workers=None, scheduler=None, resume=False, progress=True,
                   chunk_size=None, executor=None, model=None, parameters=None, overwrite=False, publish=None):
    """Run every point of an experiment file and write its tables, arrays and provenance.

    Parameters
    ----------
    path : str or Path
        The experiment file (``experiments/*.toml``).
    out : str or Path, optional
        Output directory; default ``results/<experiment name>``. It must be new
        or empty, unless ``resume`` or ``overwrite``.
    workers : int, optional
        Threads for the in-process executor (default: all cores).
    scheduler : str, optional
        Address of a dask.distributed scheduler (``tcp://host:8786``) to run on a cluster.
    resume : bool
        Finish an interrupted run in ``out`` without redoing finished chunks;
        refused when the experiment file or the model changed since it started.
    model : str, optional
        Run the experiment on this model (name or path) instead of the file's.
    parameters : mapping of str to float, optional
        Fixed parameter overrides on top of the file's ``[parameters]``.
    overwrite : bool
        Write into a non-empty ``out``, replacing the results of an earlier run.
    publish : callable, optional
        ``publish(experiment, spec, results, directory)`` writes what is drawn
        from the finished results (figures, ``report.html``) into
        ``directory``, a staging folder whose files are moved into ``out``
        together with the tables, ``provenance.json`` last. None (the default)
        writes no figures or report: :func:`ivigsim.interfaces.runs.run_experiment`
        is the one that publishes them.

    Raises
    ------
    RunInterrupted
        On Ctrl-C or SIGTERM: queued chunks are cancelled, finished ones kept,
        and the message says how to resume.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise IvigsimError(f"--workers expects a whole number >= 1, got {workers!r}")
    experiment = load_experiment(path, metric_kinds=METRIC_KINDS, model=model, parameters=parameters)
    spec = load_model(experiment.model)
    t = experiment.output_times()
    check_result_size(experiment.n_points, len(t), len(output_names(spec)), str(experiment.path))
    points = sample_points(experiment, spec)
    out = Path(out) if out else Path("results") / experiment.name
    inputs = {"experiment_sha256": experiment.file_hash, "model": spec.name, "model_file": spec.path,
              "experiment_parameters": dict(experiment.parameters), **model_content(spec)}
    run_dir = RunDirectory(out)
    run_dir.start(experiment, resume, overwrite=overwrite, inputs=inputs)
    own_executor = executor is None
    try:
        if resume:
            chunk_size = run_dir.read_provenance()["chunk_size"]
        chunk_size = chunk_size or DEFAULT_CHUNK_SIZE
        if executor is None:
            executor = DaskExecutor(scheduler) if scheduler else ThreadExecutor(workers)
        return _run(experiment, spec, points, run_dir, executor, chunk_size, inputs, progress, publish)
    finally:
        if own_executor and executor is not None:
            executor.close()
        run_dir.close()


def _run(experiment, spec, points, run_dir, executor, chunk_size, inputs, progress, publish):
    out = run_dir.path
    bounds = [(k, a, b) for k, (a, b) in enumerate(chunk_bounds(len(points), chunk_size))]
    stored = run_dir.finished_chunks()
    todo = [b for b in bounds if b[0] not in stored]
    provenance = _provenance(experiment, spec, points, executor, chunk_size)
    provenance.update(inputs)
    if not stored:      # a resumed run keeps its provenance (same inputs, checked) until it finishes
        run_dir.write_provenance(provenance)
    _write_points(out / "points.csv", experiment, points)

    started = time.perf_counter()
    progress_bar = views.view("progress.bar")
    with interrupts_kept(), progress_bar(sum(b - a for _, a, b in todo), experiment.name, "point",
                                         progress) as bar:
        chunks = executor.map(chunk_task, todo, experiment, points)
        try:
            for chunk in chunks:
                run_dir.write_chunk(chunk)
                bar.update(len(chunk.point_ids))
                del chunk               # memory: only the chunks in flight are held
            raise_lost_interrupt()
        except KeyboardInterrupt as exc:
            chunks.close()              # cancels the queued chunks now
            raise _interrupted(exc, f"after {len(run_dir.finished_chunks())} of {len(bounds)} chunks; "
                               f"the finished chunks are kept", experiment, out) from None
        except IvigsimError:
            chunks.close()
            raise
        except Exception as exc:        # a bug, not a failed point: keep its traceback with the run
            chunks.close()
            saved = save_traceback(out, exc)
            exc.add_note(f"ivigsim: this is a bug, not a failed point; the run stopped and its traceback "
                         f"is saved in {saved} (finished chunks are kept; --resume {out} goes on)")
            raise
    elapsed = time.perf_counter() - started
    try:
        with interrupts_kept(), staged_outputs(out) as staging:
            results = finalize(run_dir, experiment, spec, points, staging)
            try:
                provenance = _finish(experiment, spec, results, provenance, todo, elapsed, out, staging, publish)
                run_dir.write_provenance(provenance, staging)
                raise_lost_interrupt()      # before anything is moved into place
            finally:
                results.trajectories.close()    # the staged file is moved in: the result reads the one in place
    except KeyboardInterrupt as exc:
        raise _interrupted(exc, f"while writing the outputs; all {len(bounds)} chunks are kept",
                           experiment, out) from None
    return ExperimentResults(results.metrics, open_trajectories(out / "trajectories.nc"), provenance, out,
                             results.sensitivity)


def _interrupted(exc, where, experiment, out):
    """The :class:`RunInterrupted` that says what was kept and how to finish the run."""
    signum = signal_number(exc)
    return RunInterrupted(f"interrupted ({signal.Signals(signum).name}) {where} in {out}. Finish the run with: "
                          f"ivigsim run {experiment.path} --resume {out}", signum)


def _finish(experiment, spec, results, provenance, todo, elapsed, out, staging, publish):
    """The provenance of a finished run; ``publish`` (if any) writes into ``staging``."""
    counts = results.metrics["status"].value_counts()
    provenance.update(
        finished=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        wall_seconds=round(elapsed, 3), points_run_now=sum(b - a for _, a, b in todo),
        simulations_per_second=round(sum(b - a for _, a, b in todo) / elapsed, 2) if elapsed > 0 else None,
        n_failed=int(counts.get("failed", 0)), n_undefined=int(counts.get("undefined", 0)),
        failures=results.failed[["point_id", "reason"]].head(100).to_dict("records"),
    )
    if "sensitivity_notes" in results.provenance:
        provenance["sensitivity_notes"] = results.provenance["sensitivity_notes"]
    finished = ExperimentResults(results.metrics, results.trajectories, provenance, out,
                                 results.sensitivity)
    if publish is not None:
        publish(experiment, spec, finished, staging)
    return provenance


TRACEBACK_FILE = "traceback.txt"


def save_traceback(out, exc):
    """Write ``exc`` with its traceback to ``out/traceback.txt`` (atomically); returns the path."""
    import traceback
    path = Path(out) / TRACEBACK_FILE
    with atomic_open(path, "w") as fh:
        fh.write("".join(traceback.format_exception(exc)))
    return path


def finalize(run_dir, experiment, spec, points, directory=None):
    """Merge the chunks into metrics.csv (+ .parquet) and trajectories.nc; for a
    sensitivity sweep, also compute the indices into sensitivity.csv.

    The files are written into ``directory`` (default: the run directory), each
    under a temporary name and then renamed.
    """
    import pandas as pd

    directory = Path(directory) if directory is not None else run_dir.path
    all_names = output_names(spec)
    t = experiment.output_times()
    keep = stored_outputs(experiment, spec)
    columns = [all_names.index(n) for n in keep]
    # the time courses are not held here: trajectories.nc is written chunk by chunk below
    _, metrics, status, reasons, steps = run_dir.read_chunks(
        len(points), len(t), len(all_names), len(experiment.metrics), columns=[])
    if np.any(status < 0):
        missing = int((status < 0).sum())
        raise IvigsimError(f"{run_dir.path}: {missing} points have no results yet; run again with --resume")
    table = {"point_id": points.point_id,
             "regimen": [experiment.regimens[int(r)].name for r in points.regimen],
             "replicate": points.replicate}
    table.update({name: values for name, values in points.values.items()})
    units = {}
    for j, metric in enumerate(experiment.metrics):
        table[metric.name] = metrics[:, j]
        units[metric.name] = metric_unit(metric, str(spec.unit_of(metric.output)) if metric.output else "")
    table["status"] = np.array(STATUS_NAMES, dtype=object)[status]
    table["reason"] = reasons
    table["solver_steps"] = steps
    frame = pd.DataFrame(table)
    frame.attrs["units"] = units
    with atomic_path(directory / "metrics.csv") as tmp:
        frame.to_csv(tmp, index=False)
    try:
        with atomic_path(directory / "metrics.parquet") as tmp:
            frame.to_parquet(tmp, index=False)
    except ImportError:
        pass
    with atomic_path(directory / "trajectories.nc") as tmp:
        write_trajectories(tmp, _coordinates(experiment, points, t, status),
                           [(name, str(spec.unit_of(name))) for name in keep], run_dir.chunk_outputs(columns),
                           attrs={"experiment": experiment.name, "model": spec.name})
    dataset = open_trajectories(directory / "trajectories.nc")
    provenance = run_dir.read_provenance()
    sensitivity = None
    if experiment.sweep.method in SENSITIVITY_METHODS:
        from ivigsim.sweep.sensitivity import compute_sensitivity
        sensitivity, notes = compute_sensitivity(experiment, frame)
        with atomic_path(directory / "sensitivity.csv") as tmp:
            sensitivity.to_csv(tmp, index=False)
        provenance["sensitivity_notes"] = notes
        run_dir.write_provenance(provenance, directory)
    return ExperimentResults(frame, dataset, provenance, run_dir.path, sensitivity)


def _coordinates(experiment, points, t, status):
    """The coordinates of trajectories.nc: point ids, times, and each point's regimen, status and inputs."""
    coords = {"point": points.point_id.astype(np.int32), "time": ("time", t, {"units": "day"}),
              "regimen": ("point", np.array([experiment.regimens[int(r)].name for r in points.regimen])),
              "status": ("point", status.astype(np.int8))}
    for name, values in points.values.items():
        coords[name] = ("point", np.asarray(values, dtype=np.float64))
    return coords


def load_results(path):
    """Load a finished sweep directory back as ExperimentResults.

    Raises
    ------
    IvigsimError
        When the directory holds no finished run, or a result file is damaged
        (the message says how to rebuild it from the chunks).
    """
    import pandas as pd
    path = Path(path)
    run_dir = RunDirectory(path)
    provenance = run_dir.read_provenance()
    rebuild = (f"rebuild the results from the stored chunks with: ivigsim run "
               f"{provenance.get('experiment_file', 'EXPERIMENT')} --resume {path}")
    if "finished" not in provenance:
        raise IvigsimError(f"{path}: this run has not finished; {rebuild}")
    try:
        metrics = pd.read_csv(path / "metrics.csv", dtype={"reason": str, "regimen": str, "status": str})
        trajectories = open_trajectories(path / "trajectories.nc")
        sensitivity = None
        if (path / "sensitivity.csv").exists():
            sensitivity = pd.read_csv(path / "sensitivity.csv", dtype={"metric": str, "regimen": str,
                                                                        "variable": str})
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IvigsimError(f"{path}: a result file cannot be read ({type(exc).__name__}: "
                           f"{str(exc)[:200]}); {rebuild}") from None
    n_points = provenance.get("n_points")
    if n_points is not None and (len(metrics) != n_points or trajectories.sizes.get("point") != n_points):
        raise IvigsimError(f"{path}: metrics.csv has {len(metrics)} rows and trajectories.nc "
                           f"{trajectories.sizes.get('point')} points, but the run had {n_points}; {rebuild}")
    metrics["reason"] = metrics["reason"].fillna("")
    metrics.attrs["units"] = _stored_metric_units(path, provenance)
    return ExperimentResults(metrics, trajectories, provenance, path, sensitivity)


def _stored_metric_units(path, provenance):
    """Metric name -> unit, from the copy of the experiment file kept in the run directory."""
    copy = Path(path) / "experiment.toml"
    if not copy.exists():
        return {}
    try:
        experiment = load_experiment(copy, model=provenance.get("model_file") or None)
        spec = load_model(experiment.model)
    except IvigsimError:
        return {}
    return {m.name: metric_unit(m, str(spec.unit_of(m.output)) if m.output else "") for m in experiment.metrics}


def _write_points(path, experiment, points):
    import csv
    names = list(points.values)
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["point_id", "regimen", "replicate"] + names)
        for i in range(len(points)):
            writer.writerow([int(points.point_id[i]), experiment.regimens[int(points.regimen[i])].name,
                             int(points.replicate[i])] + [f"{points.values[n][i]:.10g}" for n in names])


def _provenance(experiment, spec, points, executor, chunk_size):
    from importlib.metadata import version
    from ivigsim.version import __version__
    return {
        "ivigsim_version": __version__, "git_commit": git_commit(),
        "experiment": experiment.name, "experiment_file": str(experiment.path),
        "experiment_sha256": experiment.file_hash, "model": spec.name, "model_file": spec.path,
        "model_fingerprint": spec.fingerprint(), "seed": experiment.seed,
        "sweep_method": experiment.sweep.method,
        "n_points": len(points), "chunk_size": chunk_size,
        "solver": {"method": "Rodas4", "rtol": experiment.rtol, "atol": 1e-9},
        "ensemble": compiled_engine(experiment, spec)[1],
        "executor": executor.name, "workers": getattr(executor, "workers", None),
        "sampler_notes": list(getattr(points, "notes", ())),
        "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0], "numpy": np.__version__, "scipy": version("scipy"),
        "numba": version("numba"), "platform": platform.platform(),
    }
