"""Experiment types: what an experiment file describes, once read and checked.

Internal to :mod:`ivigsim.sweep.experiment`, which re-exports the public names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ivigsim.core.catalogue import load_model
from ivigsim.errors import ModelFileError
from ivigsim.core.regimen import Regimen, RegimenError
from ivigsim.core.regimen_data import (  # noqa: F401  (REGIMEN_KINDS, is_whole_keyword: re-exported)
    REGIMEN_KINDS, constructor_keywords, is_whole_keyword, regimen_from_data)
from ivigsim.core.spec import ModelSpec
from ivigsim.sweep.sensitivity import SENSITIVITY_METHODS, runs_per_base_sample

#: Metric kinds understood by ivigsim's metric computations.
from ivigsim.analysis.metrics import METRIC_KINDS  # noqa: E402,F401  (one list of metric kinds)
#: Metric kinds computed from the regimen alone: they take no ``output``.
DOSING_METRIC_KINDS = frozenset({"grams_given", "cost_usd", "max_infusion_rate_mg_per_kg_per_min",
                                 "antagonist_mg_given", "apheresis_sessions", "therapy_cost_usd",
                                 "thrombosis_flag", "albumin_min", "hypoalbuminaemia_flag"})
#: Ways of drawing points from a sweep.
SWEEP_METHODS = ("grid", "latin_hypercube", "sobol", "sobol_indices", "morris",
                 "virtual_population", "none")
#: Plot kinds.
PLOT_KINDS = ("dose_response", "heatmap", "fan", "bars", "tornado", "sensitivity")
#: Name of the body-weight sweep variable (and of the body-weight column of sampled points).
BODY_WEIGHT_VARIABLE = "body_weight_kg"
#: Largest number of simulations (regimens x sweep points x replicates) a file may ask for.
MAX_POINTS = 1_000_000

SCALES = ("linear", "log")
BASELINES = ("start", "untreated")
GROUP_BY = ("regimen",)

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SAMPLED_METHODS = ("latin_hypercube", "sobol") + SENSITIVITY_METHODS
TOP_LEVEL = ("experiment", "parameters", "regimens", "sweep", "metrics", "plots")
EXPERIMENT_FIELDS = ("name", "description", "model", "seed", "t_end_days", "output_step_days",
                      "rtol", "body_weight_kg", "replicates", "mechanisms")
SWEEP_FIELDS = ("method", "n", "variables", "variability", "body_weight", "correlations")
METRIC_FIELDS = ("kind", "output", "at_day", "window_days", "threshold", "price_usd_per_g",
                  "baseline", "price_usd_per_mg", "price_usd_per_session")
# Fields a metric kind cannot do without (besides ``output``).
METRIC_NEEDS = {"value_at": ("at_day",), "time_above": ("threshold",),
                 "time_below": ("threshold",), "cost_usd": ("price_usd_per_g",)}
# Plot kind -> (required fields, optional fields), besides ``kind``.
PLOT_FIELDS = {
    "dose_response": (("x", "metric"), ("group_by",)),
    "heatmap": (("x", "y", "metric"), ()),
    "fan": (("output",), ("group_by",)),
    "bars": (("metric",), ("group_by",)),
    "tornado": (("metric",), ()),
    "sensitivity": (("metric",), ()),
}
EMPTY = MappingProxyType({})


class ExperimentFileError(ModelFileError):
    """An experiment file is malformed: names the file, the key and what was expected."""


# ---------------------------------------------------------------------------
# Regimens
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegimenSpec:
    """A named regimen: a :class:`~ivigsim.core.regimen.Regimen` constructor and its arguments.

    Parameters
    ----------
    name : str
        Name of the regimen in the file (``[regimens.NAME]``).
    kind : str
        Constructor: one of :data:`REGIMEN_KINDS`.
    arguments : Mapping
        Keyword arguments of the constructor as written in the file.
    """

    name: str
    kind: str
    arguments: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in REGIMEN_KINDS:
            raise RegimenError(f"regimen '{self.name}': unknown kind {self.kind!r}; "
                               f"expected one of {', '.join(REGIMEN_KINDS)}")
        object.__setattr__(self, "arguments", MappingProxyType(dict(self.arguments)))

    def __hash__(self) -> int:
        return hash((self.name, self.kind, tuple(sorted(self.arguments.items()))))

    @property
    def keywords(self) -> tuple[str, ...]:
        """Keywords accepted by the constructor, in signature order."""
        return constructor_keywords(self.kind)

    def accepts(self, keyword: str) -> bool:
        """Whether the constructor takes ``keyword``."""
        return keyword in constructor_keywords(self.kind)

    def as_data(self) -> dict:
        """The regimen as the table a file holds: ``{"kind": ..., **arguments}`` (parts as tables)."""
        if self.kind == "combine":
            return {"kind": "combine", "parts": [part.as_data() for part in self.arguments["parts"]]}
        return {"kind": self.kind, **self.arguments}

    def build(self, overrides: Mapping[str, float] = EMPTY) -> Regimen:
        """Build the regimen, with the overrides that are keywords of its constructor.

        Through :func:`ivigsim.core.regimen_data.regimen_from_data`, the one
        way every file format turns a regimen table into a Regimen.

        Parameters
        ----------
        overrides : Mapping of str to float, optional
            Values that replace the file's arguments, e.g. one row of sampled
            points; names the constructor does not take are ignored.  A
            whole number given as a float (``2.0``) is passed as an ``int``
            to keywords annotated ``int``.

        Returns
        -------
        Regimen
            Named after this specification.

        Raises
        ------
        RegimenError
            If a required keyword is missing, an argument is not a keyword of
            the constructor, or the constructor refuses the values.
        """
        return regimen_from_data(self.as_data(), name=self.name, overrides=overrides)


# ---------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepVariable:
    """One swept quantity.

    Parameters
    ----------
    name : str
        A model parameter, ``"body_weight_kg"``, or a regimen keyword.
    target : str
        ``"parameter"``, ``"body_weight"`` or ``"regimen"``.
    values : tuple of float or None
        Explicit grid values (grid sweeps only).
    low, high : float or None
        Range of a grid given by ``count``, or of a sampled (LHS, Sobol) variable.
    count : int or None
        Number of grid values between ``low`` and ``high`` inclusive.
    scale : str
        ``"linear"`` or ``"log"`` spacing of the range.
    """

    name: str
    target: str
    values: tuple[float, ...] | None = None
    low: float | None = None
    high: float | None = None
    count: int | None = None
    scale: str = "linear"

    def grid_values(self) -> np.ndarray:
        """The grid of this variable: its values, or ``count`` points from low to high."""
        if self.values is not None:
            return np.asarray(self.values, dtype=np.float64)
        if self.count is None:
            raise ValueError(f"sweep variable '{self.name}' has neither values nor a count")
        if self.scale == "log":
            return np.geomspace(self.low, self.high, self.count)
        return np.linspace(self.low, self.high, self.count)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map points of the unit interval onto [low, high], linearly or log-uniformly."""
        u = np.asarray(u, dtype=np.float64)
        if self.scale == "log":
            return np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)

    def extremes(self) -> tuple[float, ...]:
        """The values that bound the sweep of this variable (for up-front checks)."""
        if self.values is not None:
            return self.values
        return (self.low, self.high)


@dataclass(frozen=True)
class Variability:
    """Log-normal inter-individual variability of one parameter.

    The value is ``typical * exp(eta)`` with ``eta ~ N(0, omega^2)`` and
    ``omega^2 = log(1 + cv^2)``, so ``cv`` is the coefficient of variation.
    """

    parameter: str
    cv: float

    @property
    def omega(self) -> float:
        """Standard deviation of ``eta``."""
        return math.sqrt(math.log1p(self.cv ** 2))


@dataclass(frozen=True)
class Correlation:
    """Correlation ``r`` between the etas of two variabilities ``a`` and ``b``."""

    a: str
    b: str
    r: float


@dataclass(frozen=True)
class BodyWeightDistribution:
    """Normal body-weight distribution (kg) truncated to [low, high]."""

    mean: float
    sd: float
    low: float
    high: float


@dataclass(frozen=True)
class Sweep:
    """How points are drawn: a method and what it varies."""

    method: str = "none"
    n: int | None = None
    variables: tuple[SweepVariable, ...] = ()
    variability: tuple[Variability, ...] = ()
    correlations: tuple[Correlation, ...] = ()
    body_weight: BodyWeightDistribution | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Names of every sampled quantity: variables, variabilities, body weight."""
        names = [v.name for v in self.variables] + [v.parameter for v in self.variability]
        if self.body_weight is not None:
            names.append(BODY_WEIGHT_VARIABLE)
        return tuple(names)

    @property
    def size(self) -> int:
        """Number of points per regimen and replicate."""
        if self.method == "grid":      # by arithmetic: nothing is allocated before the size check
            return math.prod(len(v.values) if v.values is not None else v.count for v in self.variables)
        if self.method == "none":
            return 1
        if self.method in SENSITIVITY_METHODS:
            return int(self.n) * runs_per_base_sample(self.method, len(self.variables))
        return int(self.n)

    def correlation_matrix(self) -> np.ndarray:
        """Correlation matrix of the etas, in the order of :attr:`variability`."""
        order = {v.parameter: i for i, v in enumerate(self.variability)}
        matrix = np.eye(len(order))
        for c in self.correlations:
            matrix[order[c.a], order[c.b]] = matrix[order[c.b], order[c.a]] = c.r
        return matrix


# ---------------------------------------------------------------------------
# Metrics, plots, experiment
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSpec:
    """A number computed from each simulated trajectory (or from its regimen).

    ``output`` is an observable or species of the model (``None`` for the
    dosing metrics); ``window_days`` limits the metric to ``[a, b]``;
    ``baseline`` is ``"start"`` (the value at day 0) or ``"untreated"`` (the
    same patient without treatment).
    """

    name: str
    kind: str
    output: str | None
    at_day: float | None = None
    window_days: tuple[float, float] | None = None
    threshold: float | None = None
    price_usd_per_g: float | None = None
    baseline: str = "start"
    price_usd_per_mg: float | None = None
    price_usd_per_session: float | None = None


@dataclass(frozen=True)
class PlotSpec:
    """A figure drawn from the metrics or trajectories of an experiment."""

    name: str
    kind: str
    x: str | None = None
    y: str | None = None
    metric: str | None = None
    output: str | None = None
    group_by: str | None = None


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file.  Immutable.

    Attributes
    ----------
    name, description : str
    path : str
        The file read.
    model : str
        Model name, or absolute path of the model file.
    seed : int
        Seed of every random draw.
    t_end_days, output_step_days, rtol, body_weight_kg : float
    replicates : int
    mechanisms : Mapping of str to bool
        On/off overrides of model mechanisms.
    parameters : Mapping of str to float
        Fixed parameter overrides.
    regimens : tuple of RegimenSpec
    sweep : Sweep
    metrics : tuple of MetricSpec
    plots : tuple of PlotSpec
    file_hash : str
        SHA-256 of the file's bytes.
    """

    name: str
    description: str
    path: str
    model: str
    seed: int
    t_end_days: float
    output_step_days: float
    rtol: float
    body_weight_kg: float
    replicates: int
    mechanisms: Mapping[str, bool]
    parameters: Mapping[str, float]
    regimens: tuple[RegimenSpec, ...]
    sweep: Sweep
    metrics: tuple[MetricSpec, ...]
    plots: tuple[PlotSpec, ...] = ()
    file_hash: str = ""

    def output_times(self) -> np.ndarray:
        """Days 0, step, 2 step, ... up to and including ``t_end_days``."""
        count = math.floor(self.t_end_days / self.output_step_days + 1e-9)
        times = self.output_step_days * np.arange(count + 1, dtype=np.float64)
        if self.t_end_days - times[-1] > 1e-9 * self.t_end_days:
            times = np.append(times, self.t_end_days)
        times[-1] = self.t_end_days         # no rounding drift at the end
        return times

    @property
    def n_points(self) -> int:
        """Number of simulations: regimens x sweep points x replicates."""
        return len(self.regimens) * self.sweep.size * self.replicates

    def load_model(self) -> ModelSpec:
        """The experiment's model (parsed once per file and modification time)."""
        return load_model(self.model)
