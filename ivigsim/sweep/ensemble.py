"""The ensemble engine: many sweep points through the compiled solver, in parallel.

A sweep is cut into chunks of consecutive point ids. A chunk is the unit of
work (:func:`chunk_task`, mapped by a generic executor of
:mod:`ivigsim.sweep.executors` over threads or Dask workers) and of storage (one file each),
so a killed run loses at most the chunks in flight. Inside a chunk every point
is independent: it is prepared and solved through the one seam of
:mod:`ivigsim.core.simulation` (the Numba solver releases the GIL, so threads
run in parallel) and reduced to its metrics. A point that fails with an
ivigsim error is recorded with its reason; the others go on; any other
exception is a bug and stops the run. Results are placed by
point id, never by completion order, so 1 worker and 16 give identical numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivigsim.core.catalogue import load_model
from ivigsim.errors import IvigsimError
from ivigsim.analysis.metrics import compute_metric, dose_context
from ivigsim.core.regimen import Regimen
from ivigsim.core.simulation import prepare, solve
from ivigsim.core.triggered import realised_regimen
from ivigsim.sweep.ensemble_compiled import compiled_engine, run_compiled
from ivigsim.sweep.executors import default_workers  # noqa: F401  (its former home; callers import it here)

OK, FAILED, UNDEFINED = 0, 1, 2
#: Status words by code, as metrics.csv writes them. "undefined": the simulation
#: succeeded but a metric has no value there (NaN), with the reason recorded.
STATUS_NAMES = ("ok", "failed", "undefined")


@dataclass(frozen=True)
class ChunkResult:
    """Outputs of the points ``point_ids`` (in that order)."""

    index: int
    point_ids: np.ndarray          # (m,) int64
    outputs: np.ndarray            # (m, n_times, n_outputs); NaN where a point failed
    metrics: np.ndarray            # (m, n_metrics)
    status: np.ndarray             # (m,) int8: OK, FAILED or UNDEFINED
    reasons: tuple                 # (m,) str, "" where OK
    steps: np.ndarray              # (m,) solver steps (accepted)
    engine: str = ""               # how the points ran: compiled per chunk, or per point and why


def chunk_bounds(n_points, chunk_size):
    """[(start, stop), ...] covering 0..n_points-1 in order."""
    return [(a, min(a + chunk_size, n_points)) for a in range(0, n_points, chunk_size)]


def chunk_task(experiment, points, bound):
    """:func:`run_chunk` of ``bound = (index, start, stop)``: the task an executor maps over."""
    index, start, stop = bound
    return run_chunk(experiment, points, index, start, stop)


def point_setup(experiment, spec, points, i):
    """(regimen, parameter overrides, body weight) of sweep point i."""
    row = points.row(i)
    regimen_spec = experiment.regimens[int(points.regimen[i])]
    params = dict(experiment.parameters)
    regimen_overrides = {}
    for var in experiment.sweep.variables:
        if var.target == "parameter":
            params[var.name] = row[var.name]
        elif var.target == "regimen" and regimen_spec.accepts(var.name):
            value = row[var.name]
            regimen_overrides[var.name] = int(round(value)) if var.name in ("days", "cycles", "doses") else value
    for var in experiment.sweep.variability:
        params[var.parameter] = row[var.parameter]
    return _build_regimen(regimen_spec, regimen_overrides), params, float(row["body_weight_kg"])


_REGIMENS = {}


def _build_regimen(regimen_spec, overrides):
    """Regimens are immutable and validated on construction: build each distinct one once."""
    key = (regimen_spec.name, regimen_spec.kind, tuple(sorted(regimen_spec.arguments.items())),
           tuple(sorted(overrides.items())))
    if key not in _REGIMENS:
        if len(_REGIMENS) > 4096:
            _REGIMENS.clear()
        _REGIMENS[key] = regimen_spec.build(overrides)
    return _REGIMENS[key]


def run_point(experiment, spec, points, i, t_out, untreated=False):
    """Integrate point i; returns (outputs (n_times, n_outputs), regimen, body weight, steps).

    With ``untreated=True`` the same patient is simulated without treatment.
    Raises on failure (bad regimen, parameter or solver failure).
    """
    regimen, params, weight = point_setup(experiment, spec, points, i)
    if untreated:
        regimen = Regimen.none()
    has_weight = "body_weight" in spec.parameter_names
    solution = solve(prepare(spec, regimen, experiment.t_end_days, weight if has_weight else None, params,
                             dict(experiment.mechanisms), t_out, experiment.rtol))
    states = solution.states
    if regimen.triggered:     # the doses a state-triggered regimen gave; its dose counters are not outputs
        regimen = realised_regimen(regimen, solution.stats["model_events"])
        states = states[:, :spec.n_species]
    return np.concatenate([solution.observables, states], axis=1), regimen, weight, solution.stats["steps"]


def output_names(spec):
    """Stored outputs of a sweep: every observable, then every species."""
    return spec.observable_names + spec.species_names


def run_chunk(experiment, points, index, start, stop):
    """Run points [start, stop) of a sweep.

    A point whose inputs or integration fail with an :class:`~ivigsim.errors.IvigsimError`
    (a refused regimen or parameter, a solver failure) is recorded as failed
    with its reason, and the others go on. Any other exception is a bug: it
    is raised, and stops the run.
    """
    spec = load_model(experiment.model)
    t_out = experiment.output_times()
    names = output_names(spec)
    ids = np.arange(start, stop, dtype=np.int64)
    m = len(ids)
    status = np.full(m, OK, dtype=np.int8)
    needs_untreated = any(m.baseline == "untreated" for m in experiment.metrics)
    compiled, engine = compiled_engine(experiment, spec)
    if compiled:
        outputs, untreated, regimens, weights, steps, reasons = run_compiled(
            experiment, spec, points, ids, t_out,
            lambda i: point_setup(experiment, spec, points, i),
            lambda i, untreated: run_point(experiment, spec, points, i, t_out, untreated=untreated),
            needs_untreated)
        status[np.array([bool(r) for r in reasons], dtype=bool)] = FAILED
        return _finish(experiment, spec, points, index, ids, names, t_out, outputs, status, reasons, steps,
                       regimens, weights, untreated, engine)
    outputs = np.full((m, len(t_out), len(names)), np.nan)
    reasons = [""] * m
    steps = np.zeros(m, dtype=np.int64)
    regimens, weights = [], []
    untreated = np.full_like(outputs, np.nan) if needs_untreated else None
    for k, i in enumerate(ids):
        try:
            outputs[k], regimen, weight, steps[k] = run_point(experiment, spec, points, int(i), t_out)
            if needs_untreated:
                untreated[k] = run_point(experiment, spec, points, int(i), t_out, untreated=True)[0]
            regimens.append(regimen)
            weights.append(weight)
        except IvigsimError as exc:
            status[k] = FAILED
            reasons[k] = f"{type(exc).__name__}: {exc}"
            regimens.append(None)
            weights.append(float("nan"))
    return _finish(experiment, spec, points, index, ids, names, t_out, outputs, status, reasons, steps,
                   regimens, weights, untreated, engine)


def _finish(experiment, spec, points, index, ids, names, t_out, outputs, status, reasons, steps, regimens,
            weights, untreated, engine):
    """The chunk's metrics (vectorised over its points), statuses and result."""
    metrics = _chunk_metrics(experiment, names, t_out, outputs, regimens, weights, untreated)
    for k in np.flatnonzero((status == OK) & np.isnan(metrics).any(axis=1)):
        status[k] = UNDEFINED
        reasons[k] = undefined_reason(experiment, spec, points, int(ids[k]), names, t_out, outputs[k],
                                      metrics[k])
    return ChunkResult(index, ids, outputs, metrics, status, tuple(reasons), steps, engine)


def undefined_reason(experiment, spec, points, i, names, t_out, outputs, values):
    """Why the metrics of point i that are NaN have no value, in words.

    A NaN output is traced to the symbols of its expression that are zero at
    the first NaN time (``fcrn_occupancy is 0/0 when fcrn_total = 0``).
    """
    from ivigsim.core.expressions import symbols
    from ivigsim.core.simulation import resolve_parameters

    parts = []
    for metric, value in zip(experiment.metrics, values):
        if not np.isnan(value):
            continue
        if not metric.output:
            parts.append(f"{metric.name} ({metric.kind}) has no value")
            continue
        y = outputs[:, names.index(metric.output)]
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size == 0:
            parts.append(f"{metric.name}: {metric.kind} of {metric.output} has no value at this point "
                         f"({_why_no_value(metric, y)})")
            continue
        k = int(bad[0])
        zeros = []
        if metric.output in spec.observable_names:
            obs = spec.observables[spec.observable_names.index(metric.output)]
            _, params, weight = point_setup(experiment, spec, points, i)
            try:
                env = dict(zip(spec.parameter_names, resolve_parameters(
                    spec, params, weight if "body_weight" in spec.parameter_names else None)))
            except (IvigsimError, ValueError):
                env = {}
            used = sorted(symbols(obs.expression))
            # a parameter at 0 is the likely cause; else name the species that are 0
            zeros = [f"{s} = 0" for s in used if env.get(s) == 0.0]
            if not zeros:
                states = {n: outputs[k, names.index(n)] for n in spec.species_names}
                zeros = [f"{s} = 0" for s in used if states.get(s) == 0.0]
        cause = f" when {', '.join(zeros)}" if zeros else ""
        parts.append(f"{metric.name}: {metric.output} is not a number (0/0 or inf/inf) from day "
                     f"{t_out[k]:g}{cause}")
    return "undefined: " + "; ".join(parts)


def _why_no_value(metric, y):
    if metric.kind.startswith("percent_change") and y[0] == 0.0:
        return "its baseline is 0"
    if metric.kind == "half_life":
        return "it does not decline, or reaches 0, within window_days"
    return "the metric is not defined for this trajectory"


def _chunk_metrics(experiment, names, t_out, outputs, regimens, weights, untreated=None):
    good = [k for k, r in enumerate(regimens) if r is not None]
    values = np.full((len(regimens), len(experiment.metrics)), np.nan)
    if not good:
        return values
    context = _dose_context([regimens[k] for k in good], [weights[k] for k in good])
    for j, metric in enumerate(experiment.metrics):
        column = names.index(metric.output) if metric.output else 0   # dose/cost metrics read no output
        # index the one column first: outputs[good] would copy every output of the chunk per metric
        y = outputs[:, :, column][good]
        reference = untreated[:, :, column][good] if metric.baseline == "untreated" else None
        values[good, j] = compute_metric(metric, t_out, y, context, untreated=reference)
    return values


def _dose_context(regimens, weights):
    """:func:`dose_context` of the chunk's points (it fills the points of one regimen together)."""
    return dose_context(regimens, np.asarray(weights, dtype=np.float64))
