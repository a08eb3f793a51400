"""Points of an experiment: the parameter values of every simulation it asks for.

:func:`sample_points` turns the ``[sweep]`` of an :class:`~ivigsim.sweep.experiment.Experiment`
into :class:`Points`, one row per simulation, ordered regimens (outermost) x
sweep points x replicates (innermost).  The methods:

``grid``
    Full Cartesian product of the variables, in declaration order, the last
    varying fastest.
``latin_hypercube``, ``sobol``
    ``n`` points of a Latin hypercube or a scrambled Sobol sequence on the
    unit cube, mapped onto each variable's [low, high], linearly or
    log-uniformly.
``sobol_indices``, ``morris``
    SALib's Saltelli (first and total order) or Morris sample, in SALib's
    order: ``n`` is SALib's base sample size N, giving N(d + 2) or N(d + 1)
    points for d variables; log-scale variables are sampled in log space
    (see :mod:`ivigsim.sweep.sensitivity`).
``virtual_population``
    ``n`` virtual patients: each parameter with variability is
    ``typical * exp(eta)``, ``eta ~ N(0, omega^2)`` with
    ``omega^2 = log(1 + cv^2)``, correlated through the Cholesky factor of the
    correlation matrix; body weight from a truncated normal when given.
``none``
    One point: the experiment as written.

Every random draw comes from ``numpy.random.default_rng(SeedSequence(seed))``
with the experiment's seed, so the same file gives the same points, always.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from scipy.stats import qmc, truncnorm

from ivigsim.errors import ParameterError
from ivigsim.sweep.experiment import BODY_WEIGHT_VARIABLE, Experiment
from ivigsim.sweep.sensitivity import SENSITIVITY_METHODS, sample_columns
from ivigsim.core.spec import BODY_WEIGHT, ModelSpec

__all__ = ["Points", "sample_points"]


@dataclass(frozen=True)
class Points:
    """The simulations of an experiment, one row each.  Immutable.

    Attributes
    ----------
    point_id : numpy.ndarray
        ``(n,)`` int64, ``0 .. n-1``, in the order regimens x sweep points x replicates.
    regimen : numpy.ndarray
        ``(n,)`` int64 index into ``experiment.regimens``.
    replicate : numpy.ndarray
        ``(n,)`` int64 replicate number, ``0 .. replicates-1``.
    values : Mapping of str to numpy.ndarray
        Sampled quantity (sweep variable or parameter with variability) ->
        ``(n,)`` float64; always includes ``"body_weight_kg"``.
    notes : tuple of str
        What the sampler changed, e.g. values truncated into parameter bounds.
    """

    point_id: np.ndarray
    regimen: np.ndarray
    replicate: np.ndarray
    values: Mapping[str, np.ndarray]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def frozen(array, dtype):
            array = np.array(array, dtype=dtype)
            array.setflags(write=False)
            return array

        for name in ("point_id", "regimen", "replicate"):
            object.__setattr__(self, name, frozen(getattr(self, name), np.int64))
        values = {k: frozen(v, np.float64) for k, v in self.values.items()}
        object.__setattr__(self, "values", MappingProxyType(values))
        object.__setattr__(self, "notes", tuple(self.notes))
        n = len(self.point_id)
        for name, column in [("regimen", self.regimen), ("replicate", self.replicate),
                             *values.items()]:
            if column.shape != (n,):
                raise ValueError(f"points: column '{name}' has shape {column.shape}, "
                                 f"expected ({n},)")

    def __len__(self) -> int:
        return len(self.point_id)

    def row(self, i: int) -> dict:
        """Row ``i`` as plain Python numbers: point_id, regimen, replicate and every value."""
        row = {"point_id": int(self.point_id[i]), "regimen": int(self.regimen[i]),
               "replicate": int(self.replicate[i])}
        row.update((name, float(column[i])) for name, column in self.values.items())
        return row


def sample_points(experiment: Experiment, model: ModelSpec | None = None) -> Points:
    """Draw the points of an experiment.

    Parameters
    ----------
    experiment : Experiment
        A loaded experiment (:func:`ivigsim.sweep.experiment.load_experiment`).
    model : ModelSpec, optional
        Its model; loaded from ``experiment.model`` when not given.

    Returns
    -------
    Points
        ``len(experiment.regimens) * sweep size * experiment.replicates`` rows.

    Raises
    ------
    ParameterError
        If a grid, Latin hypercube or Sobol sweep puts a model parameter (or
        the body weight) outside its bounds, a Sobol sweep's ``n`` is not a
        power of 2, or the correlations of a virtual population are not
        positive definite.  A virtual population is truncated into the
        bounds instead, and :attr:`Points.notes` says how many values were.
    """
    model = experiment.load_model() if model is None else model
    sweep = experiment.sweep
    rng = np.random.default_rng(np.random.SeedSequence(experiment.seed))
    notes: list[str] = []
    if sweep.method == "grid":
        columns = _grid(sweep)
    elif sweep.method in ("latin_hypercube", "sobol"):
        columns = _quasi_random(sweep, rng)
    elif sweep.method in SENSITIVITY_METHODS:
        columns = sample_columns(sweep, experiment.seed)
    elif sweep.method == "virtual_population":
        columns = _virtual_population(experiment, model, rng, notes)
    elif sweep.method == "none":
        columns = {}
    else:
        raise ParameterError(f"unknown sweep method {sweep.method!r}")
    size = sweep.size
    columns.setdefault(BODY_WEIGHT_VARIABLE, np.full(size, float(experiment.body_weight_kg)))
    if sweep.method != "virtual_population":
        _check_bounds(experiment, model, columns)

    n_regimens, replicates = len(experiment.regimens), experiment.replicates
    total = n_regimens * size * replicates
    sweep_index = np.tile(np.repeat(np.arange(size), replicates), n_regimens)
    return Points(
        point_id=np.arange(total),
        regimen=np.repeat(np.arange(n_regimens), size * replicates),
        replicate=np.tile(np.arange(replicates), n_regimens * size),
        values={name: column[sweep_index] for name, column in columns.items()},
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------


def _grid(sweep) -> dict[str, np.ndarray]:
    """Cartesian product in declaration order, the last variable varying fastest."""
    grids = [v.grid_values() for v in sweep.variables]
    mesh = np.meshgrid(*grids, indexing="ij")
    return {v.name: m.ravel() for v, m in zip(sweep.variables, mesh)}


def _quasi_random(sweep, rng) -> dict[str, np.ndarray]:
    """Latin hypercube or scrambled Sobol points mapped onto each variable's range."""
    d, n = len(sweep.variables), int(sweep.n)
    if sweep.method == "latin_hypercube":
        unit = qmc.LatinHypercube(d, seed=rng).random(n)
    else:
        if n < 1 or n & (n - 1):
            raise ParameterError(f"a Sobol sweep needs a power of 2 points, got n = {n}")
        unit = qmc.Sobol(d, scramble=True, seed=rng).random_base2(int(math.log2(n)))
    return {v.name: v.from_unit(unit[:, j]) for j, v in enumerate(sweep.variables)}


def _virtual_population(experiment, model, rng, notes) -> dict[str, np.ndarray]:
    """Correlated log-normal parameters and a truncated-normal body weight."""
    sweep, n = experiment.sweep, int(experiment.sweep.n)
    columns: dict[str, np.ndarray] = {}
    if sweep.variability:
        try:
            factor = np.linalg.cholesky(sweep.correlation_matrix())
        except np.linalg.LinAlgError:
            raise ParameterError(
                f"experiment '{experiment.name}': the correlations of the virtual population "
                "are not positive definite (they cannot hold together); weaken some") from None
        omega = np.array([v.omega for v in sweep.variability])
        eta = (rng.standard_normal((n, len(omega))) @ factor.T) * omega
        for j, variability in enumerate(sweep.variability):
            name = variability.parameter
            parameter = model.parameters[model.parameter_index(name)]
            typical = float(experiment.parameters.get(name, parameter.value))
            values = typical * np.exp(eta[:, j])
            low, high = parameter.bounds
            outside = int(np.count_nonzero((values < low) | (values > high)))
            if outside:
                values = np.clip(values, low, high)
                notes.append(f"{name}: {outside} of {n} values truncated into the bounds "
                             f"[{low:g}, {high:g}] of model '{model.name}'")
            columns[name] = values
    if sweep.body_weight is not None:
        bw = sweep.body_weight
        a, b = (bw.low - bw.mean) / bw.sd, (bw.high - bw.mean) / bw.sd
        columns[BODY_WEIGHT_VARIABLE] = truncnorm.rvs(a, b, loc=bw.mean, scale=bw.sd, size=n,
                                                      random_state=rng)
    return columns


# ---------------------------------------------------------------------------
# Bounds
# ---------------------------------------------------------------------------


def _check_bounds(experiment, model, columns) -> None:
    """Refuse sampled parameter values (and body weights) outside the model's bounds."""
    targets = {v.name: v.name for v in experiment.sweep.variables if v.target == "parameter"}
    if BODY_WEIGHT in model.parameter_names:
        targets[BODY_WEIGHT_VARIABLE] = BODY_WEIGHT
    for column_name, parameter_name in targets.items():
        values = columns[column_name]
        low, high = model.parameters[model.parameter_index(parameter_name)].bounds
        below = int(np.count_nonzero(values < low))
        above = int(np.count_nonzero(values > high))
        if below or above:
            parts = ([f"{below} below the lower bound {low:g}"] if below else []) + \
                    ([f"{above} above the upper bound {high:g}"] if above else [])
            raise ParameterError(
                f"experiment '{experiment.name}': sweep of '{column_name}' puts {below + above} "
                f"of {len(values)} points outside the bounds of parameter '{parameter_name}' "
                f"in model '{model.name}' ({' and '.join(parts)}); narrow the sweep")
