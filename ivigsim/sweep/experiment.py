"""Experiment files: what to simulate, over which parameters, and what to report.

An experiment file (``experiments/*.toml``) names a model, one or more dosing
regimens, a sweep over parameters, regimen keywords or body weight, the
metrics to compute from every trajectory and the plots to draw from them.
:func:`load_experiment` reads one into an immutable :class:`Experiment`,
checking everything that can be checked before a single simulation runs; each
error names the file and the key, e.g.::

    experiments/x.toml: [sweep.variables.dose_g_per_kg.low]: expected a positive
    number for a log scale, got -1

File layout (see ``experiments/fcrn_dose_response.toml`` for a worked example)::

    [experiment]              name, model, seed, t_end_days (required); description,
                              output_step_days, rtol, body_weight_kg, replicates, mechanisms
    [parameters]              fixed overrides: parameter name = number
    [regimens.NAME]           kind = ivig | bolus | infusion | scig | none | fcrn_antagonist |
                              plasma_exchange | immunoadsorption, and the keyword arguments of
                              that Regimen constructor; or kind = "combine" with
                              parts = [{kind = ...}, ...] (the parts given together)
    [sweep]                   method = grid | latin_hypercube | sobol | sobol_indices | morris |
                              virtual_population | none; n
    [sweep.variables.NAME]    values, or low / high / count / scale
    [sweep.variability.NAME]  cv (virtual population: log-normal inter-individual variability)
    [sweep.body_weight]       mean, sd, low, high (virtual population: truncated normal)
    [[sweep.correlations]]    a, b, r (between two log-normal variabilities)
    [metrics.NAME]            kind, output, at_day, window_days, threshold,
                              price_usd_per_g, baseline, price_usd_per_mg, price_usd_per_session
    [plots.NAME]              kind, x, y, metric, output, group_by

``sobol_indices`` and ``morris`` sweeps run a global sensitivity analysis with
SALib (the ``sensitivity`` extra; see :mod:`ivigsim.sweep.sensitivity`): their ``n``
is SALib's base sample size N, and they run N(d + 2) (Sobol first and total
order) or N(d + 1) (Morris) points for d variables.

A sweep variable is a model parameter, ``body_weight_kg``, or a keyword of the
regimen constructors (it then applies to every regimen that accepts it).
Points are drawn from the sweep by :func:`ivigsim.sweep.samplers.sample_points`.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import inspect
import math
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ivigsim.core.catalogue import experiment_path, load_model
from ivigsim.errors import ModelFileError
from ivigsim.core.limits import LimitError, check_output_times, count_output_times, limit
from ivigsim.core.regimen import MAX_BODY_WEIGHT_KG, Regimen, RegimenError
from ivigsim.sweep.sensitivity import (INSTALL_HINT, SENSITIVITY_METHODS, runs_per_base_sample,
                                 salib_available)
from ivigsim.core.spec import BODY_WEIGHT, ModelSpec
from ivigsim.core.spec import _Reader as _ModelReader

__all__ = [
    "ExperimentFileError", "Experiment", "RegimenSpec", "SweepVariable", "Variability",
    "Correlation", "BodyWeightDistribution", "Sweep", "MetricSpec", "PlotSpec",
    "load_experiment", "METRIC_KINDS", "DOSING_METRIC_KINDS", "REGIMEN_KINDS",
    "SWEEP_METHODS", "PLOT_KINDS", "BODY_WEIGHT_VARIABLE",
]

#: Metric kinds understood by ivigsim's metric computations.
from ivigsim.analysis.metrics import METRIC_KINDS, validate_metric  # noqa: E402  (one list of metric kinds)
#: Metric kinds computed from the regimen alone: they take no ``output``.
DOSING_METRIC_KINDS = frozenset({"grams_given", "cost_usd", "max_infusion_rate_mg_per_kg_per_min",
                                 "antagonist_mg_given", "apheresis_sessions", "therapy_cost_usd",
                                 "thrombosis_flag"})
#: Regimen constructors an experiment may use (``Regimen.<kind>``).
REGIMEN_KINDS = ("ivig", "bolus", "infusion", "scig", "none", "fcrn_antagonist", "plasma_exchange",
                 "immunoadsorption", "combine")
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

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SAMPLED_METHODS = ("latin_hypercube", "sobol") + SENSITIVITY_METHODS
_TOP_LEVEL = ("experiment", "parameters", "regimens", "sweep", "metrics", "plots")
_EXPERIMENT_FIELDS = ("name", "description", "model", "seed", "t_end_days", "output_step_days",
                      "rtol", "body_weight_kg", "replicates", "mechanisms")
_SWEEP_FIELDS = ("method", "n", "variables", "variability", "body_weight", "correlations")
_METRIC_FIELDS = ("kind", "output", "at_day", "window_days", "threshold", "price_usd_per_g",
                  "baseline", "price_usd_per_mg", "price_usd_per_session")
# Fields a metric kind cannot do without (besides ``output``).
_METRIC_NEEDS = {"value_at": ("at_day",), "time_above": ("threshold",),
                 "time_below": ("threshold",), "cost_usd": ("price_usd_per_g",)}
# Plot kind -> (required fields, optional fields), besides ``kind``.
_PLOT_FIELDS = {
    "dose_response": (("x", "metric"), ("group_by",)),
    "heatmap": (("x", "y", "metric"), ()),
    "fan": (("output",), ("group_by",)),
    "bars": (("metric",), ("group_by",)),
    "tornado": (("metric",), ()),
    "sensitivity": (("metric",), ()),
}
_EMPTY = MappingProxyType({})


class ExperimentFileError(ModelFileError):
    """An experiment file is malformed: names the file, the key and what was expected."""


# ---------------------------------------------------------------------------
# Regimens
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _signature(kind: str) -> inspect.Signature:
    if kind == "combine":       # kind = "combine", parts = [{kind = ...}, ...]
        return inspect.Signature([inspect.Parameter("parts", inspect.Parameter.KEYWORD_ONLY)])
    return inspect.signature(getattr(Regimen, kind))


def _is_whole_keyword(kind: str, keyword: str) -> bool:
    """Whether constructor ``kind`` annotates ``keyword`` as an ``int``."""
    annotation = _signature(kind).parameters[keyword].annotation
    return annotation is int or annotation == "int"


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
        return tuple(_signature(self.kind).parameters)

    def accepts(self, keyword: str) -> bool:
        """Whether the constructor takes ``keyword``."""
        return keyword in _signature(self.kind).parameters

    def build(self, overrides: Mapping[str, float] = _EMPTY) -> Regimen:
        """Build the regimen, with the overrides that are keywords of its constructor.

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
        if self.kind == "combine":
            parts = [part.build(overrides) for part in self.arguments["parts"]]
            return replace(Regimen.combine(*parts), name=self.name)
        parameters = _signature(self.kind).parameters
        arguments = dict(self.arguments)
        arguments.update((k, v) for k, v in overrides.items() if k in parameters)
        unknown = [k for k in arguments if k not in parameters]
        if unknown:
            raise RegimenError(f"regimen '{self.name}': Regimen.{self.kind}() has no keyword "
                               f"'{unknown[0]}'; accepted: {', '.join(parameters) or 'none'}")
        missing = [k for k, p in parameters.items() if p.default is p.empty and k not in arguments]
        if missing:
            raise RegimenError(f"regimen '{self.name}': Regimen.{self.kind}() needs "
                               f"{', '.join(repr(k) for k in missing)}")
        for key, value in arguments.items():
            if isinstance(value, np.generic):
                value = value.item()
            whole = _is_whole_keyword(self.kind, key)
            if whole and isinstance(value, float) and value.is_integer():
                value = int(value)
            arguments[key] = value
        regimen = getattr(Regimen, self.kind)(**arguments)
        return replace(regimen, name=self.name)


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


# ---------------------------------------------------------------------------
# Reading values, failing with file and key
# ---------------------------------------------------------------------------


def _hint(name: str, candidates) -> str:
    match = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


class _Reader(_ModelReader):
    """The model-file reader, raising ExperimentFileError; tables are optional by default."""

    error = ExperimentFileError

    def table(self, data: dict, key: str, required: bool = False) -> dict:
        return super().table(data, key, required)

    def fields(self, entry, key: str, allowed, required=(), context: str = "") -> None:
        if not isinstance(entry, dict):
            self.fail(key, f"expected a table of fields, got {entry!r}")
        # Unknown fields first: a misspelt required field gets a "did you mean".
        for k in entry:
            if k not in allowed:
                where = f"{key}.{k}" if key else k
                self.fail(where, f"unknown field{_hint(k, allowed)}{context}; "
                                 f"allowed: {', '.join(allowed)}")
        for k in required:
            if k not in entry:
                self.fail(f"{key}.{k}" if key else k, "this field is required")

    def text(self, value, key: str) -> str:
        if not isinstance(value, str):
            self.fail(key, f"expected text, got {value!r}")
        return value

    def identifier(self, name, key: str) -> str:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            self.fail(key, f"{name!r} is not a valid name (letters, digits and _, "
                           "starting with a letter)")
        return name

    def choice(self, value, key: str, options) -> str:
        if value not in options:
            hint = _hint(value, options) if isinstance(value, str) else ""
            self.fail(key, f"unknown value {value!r}{hint}; expected one of {', '.join(options)}")
        return value

    def number(self, value, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            self.fail(key, f"expected a finite number, got {value!r}")
        return float(value)

    def positive(self, value, key: str) -> float:
        number = self.number(value, key)
        if number <= 0.0:
            self.fail(key, f"expected a number > 0, got {value!r}")
        return number

    def integer(self, value, key: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected a whole number >= {minimum}, got {value!r}")
        if value < minimum:
            self.fail(key, f"expected a whole number >= {minimum}, got {value!r}")
        return value

    def parameter(self, name: str, key: str, model: ModelSpec) -> str:
        if name == BODY_WEIGHT and BODY_WEIGHT in model.parameter_names:
            self.fail(key, f"set the body weight with '{BODY_WEIGHT_VARIABLE}' ([experiment] "
                           "or a sweep variable): it also converts per-kg doses to grams")
        if name not in model.parameter_names:
            self.fail(key, f"model '{model.name}' has no parameter '{name}'"
                           f"{_hint(name, model.parameter_names)}")
        return name

    def in_bounds(self, value: float, key: str, model: ModelSpec, name: str) -> None:
        low, high = model.parameters[model.parameter_index(name)].bounds
        if value < low:
            self.fail(key, f"{value:g} is below the lower bound {low:g} of parameter '{name}' "
                           f"in model '{model.name}'")
        if value > high:
            self.fail(key, f"{value:g} is above the upper bound {high:g} of parameter '{name}' "
                           f"in model '{model.name}'")

    def body_weight(self, value: float, key: str, model: ModelSpec) -> None:
        if not 0.0 < value <= MAX_BODY_WEIGHT_KG:
            self.fail(key, f"a body weight must be > 0 and <= {MAX_BODY_WEIGHT_KG:g} kg, "
                           f"got {value:g}")
        if BODY_WEIGHT in model.parameter_names:
            self.in_bounds(value, key, model, BODY_WEIGHT)

    def output(self, value, key: str, model: ModelSpec) -> str:
        name = self.text(value, key)
        known = model.observable_names + model.species_names
        if name not in known:
            self.fail(key, f"model '{model.name}' has no observable or species '{name}'"
                           f"{_hint(name, known)}; observables: "
                           f"{', '.join(model.observable_names) or 'none'}")
        return name


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def _read_header(reader: _Reader, data: dict, path: Path) -> tuple[dict, ModelSpec]:
    entry = reader.table(data, "experiment", required=True)
    reader.fields(entry, "experiment", _EXPERIMENT_FIELDS,
                  required=("name", "model", "seed", "t_end_days"))
    head = {"name": reader.identifier(entry["name"], "experiment.name"),
            "description": reader.text(entry.get("description", ""), "experiment.description")}

    model_name = reader.text(entry["model"], "experiment.model")
    if model_name.endswith(".toml"):
        model_path = Path(model_name).expanduser()
        if not model_path.is_absolute():
            model_path = path.parent / model_path
        model_name = str(model_path.resolve())
    try:
        model = load_model(model_name)
    except ModelFileError as exc:
        reader.fail("experiment.model", f"the model does not load: {exc}")
    head["model"] = model_name

    head["seed"] = reader.integer(entry["seed"], "experiment.seed", 0)
    head["t_end_days"] = reader.positive(entry["t_end_days"], "experiment.t_end_days")
    step = reader.positive(entry.get("output_step_days", 1.0), "experiment.output_step_days")
    if step > head["t_end_days"]:
        reader.fail("experiment.output_step_days",
                    f"{step:g} is longer than t_end_days = {head['t_end_days']:g}")
    head["output_step_days"] = step
    try:
        check_output_times(count_output_times(head["t_end_days"], step),
                           f"t_end_days = {head['t_end_days']:g} at output_step_days = {step:g}",
                           "shorten t_end_days or lengthen output_step_days")
    except LimitError as exc:       # blame the step only when a one-day grid would have fitted
        fits_daily = count_output_times(head["t_end_days"], 1.0) <= limit("IVIGSIM_MAX_OUTPUT_TIMES")
        reader.fail("experiment.output_step_days" if "output_step_days" in entry and fits_daily
                    else "experiment.t_end_days", str(exc))
    rtol = reader.number(entry.get("rtol", 1e-6), "experiment.rtol")
    if not 0.0 < rtol < 1.0:
        reader.fail("experiment.rtol", f"expected a relative tolerance in (0, 1), got {rtol!r}")
    head["rtol"] = rtol
    weight = reader.number(entry.get("body_weight_kg", 70.0), "experiment.body_weight_kg")
    reader.body_weight(weight, "experiment.body_weight_kg", model)
    head["body_weight_kg"] = weight
    head["replicates"] = reader.integer(entry.get("replicates", 1), "experiment.replicates", 1)
    if head["replicates"] > MAX_POINTS:
        reader.fail("experiment.replicates", f"more than the {MAX_POINTS} simulations a sweep may hold")

    mechanisms = entry.get("mechanisms", {})
    if not isinstance(mechanisms, dict):
        reader.fail("experiment.mechanisms",
                    f"expected a table of mechanism = true/false, got {mechanisms!r}")
    for name, on in mechanisms.items():
        key = f"experiment.mechanisms.{name}"
        if name not in model.mechanisms:
            reader.fail(key, f"model '{model.name}' has no mechanism '{name}'"
                             f"{_hint(name, model.mechanism_names)}; mechanisms: "
                             f"{', '.join(model.mechanism_names)}")
        if not isinstance(on, bool):
            reader.fail(key, f"expected true or false, got {on!r}")
    head["mechanisms"] = MappingProxyType(dict(mechanisms))
    return head, model


def _read_parameters(reader: _Reader, data: dict, model: ModelSpec) -> MappingProxyType:
    values = {}
    for name, raw in reader.table(data, "parameters").items():
        key = f"parameters.{name}"
        reader.parameter(name, key, model)
        values[name] = reader.number(raw, key)
        reader.in_bounds(values[name], key, model, name)
    return MappingProxyType(values)


def _read_regimens(reader: _Reader, data: dict) -> tuple[RegimenSpec, ...]:
    table = reader.table(data, "regimens", required=True)
    if not table:
        reader.fail("regimens", "define at least one regimen, e.g. "
                                '[regimens.standard] kind = "ivig"')
    specs = []
    for name, entry in table.items():
        key = f"regimens.{name}"
        reader.identifier(name, key)
        if not isinstance(entry, dict):
            reader.fail(key, f"expected a table with kind = ... and the regimen's keywords, "
                             f"got {entry!r}")
        if "kind" not in entry:
            reader.fail(f"{key}.kind", f"this field is required: one of {', '.join(REGIMEN_KINDS)}")
        specs.append(_read_regimen(reader, name, key, entry))
    return tuple(specs)


def _read_regimen(reader: _Reader, name: str, key: str, entry: dict) -> RegimenSpec:
    """One regimen table; ``kind = "combine"`` holds ``parts``, a list of regimen tables."""
    kind = reader.choice(entry["kind"], f"{key}.kind", REGIMEN_KINDS)
    if kind == "combine":
        reader.fields(entry, key, ("kind", "parts"), required=("parts",))
        parts = entry["parts"]
        if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
            reader.fail(f"{key}.parts", "expected a list of regimen tables, e.g. "
                                        '[{kind = "ivig"}, {kind = "plasma_exchange", start_day = 7}]')
        built = []
        for i, part in enumerate(parts):
            part_key = f"{key}.parts[{i}]"
            if "kind" not in part:
                reader.fail(f"{part_key}.kind", "this field is required")
            if part["kind"] == "combine":
                reader.fail(f"{part_key}.kind", "a part of a combined regimen cannot itself be 'combine'")
            built.append(_read_regimen(reader, f"{name}_part{i + 1}", part_key, part))
        return RegimenSpec(name, kind, MappingProxyType({"parts": tuple(built)}))
    keywords = tuple(_signature(kind).parameters)
    arguments = {}
    for arg, value in entry.items():
        if arg == "kind":
            continue
        arg_key = f"{key}.{arg}"
        if arg not in keywords:
            reader.fail(arg_key, f"Regimen.{kind}() has no keyword '{arg}'"
                                 f"{_hint(arg, keywords)}; accepted keywords: "
                                 f"{', '.join(keywords) or 'none'}")
        if isinstance(value, str):
            arguments[arg] = value
        elif isinstance(value, dict):           # e.g. column_efficiency = {igg = 0.8}
            arguments[arg] = tuple(sorted((k, reader.number(v, f"{arg_key}.{k}"))
                                          for k, v in value.items()))
        else:
            number = reader.number(value, arg_key)
            arguments[arg] = value if isinstance(value, int) else number
    return RegimenSpec(name, kind, MappingProxyType(arguments))


def _variable_target(reader, name, key, model, regimens, fixed) -> str:
    if name == BODY_WEIGHT_VARIABLE:
        return "body_weight"
    if name in model.parameter_names:
        reader.parameter(name, key, model)
        if name in fixed:
            reader.fail(key, f"'{name}' is both fixed in [parameters] and swept; remove one")
        return "parameter"
    if any(spec.accepts(name) for spec in regimens):
        return "regimen"
    keywords = sorted({k for spec in regimens for k in spec.keywords})
    candidates = list(model.parameter_names) + keywords + [BODY_WEIGHT_VARIABLE]
    reader.fail(key, f"'{name}' is not a parameter of model '{model.name}', "
                     f"'{BODY_WEIGHT_VARIABLE}' or a keyword of any regimen"
                     f"{_hint(name, candidates)}; regimen keywords: "
                     f"{', '.join(keywords) or 'none'}")


def _read_variable(reader, name, entry, method, model, regimens, fixed) -> SweepVariable:
    key = f"sweep.variables.{name}"
    reader.identifier(name, key)
    target = _variable_target(reader, name, key, model, regimens, fixed)
    if method == "grid":
        reader.fields(entry, key, ("values", "low", "high", "count", "scale"))
        if "values" in entry:
            for other in ("low", "high", "count", "scale"):
                if other in entry:
                    reader.fail(f"{key}.{other}", "give either values = [...] (used as written) "
                                                  "or low / high / count / scale, not both")
        elif not {"low", "high", "count"} <= set(entry):
            missing = next(k for k in ("low", "high", "count") if k not in entry)
            reader.fail(f"{key}.{missing}", "a grid variable needs values = [...] or "
                                            "low, high and count")
    else:
        reader.fields(entry, key, ("low", "high", "scale"), required=("low", "high"),
                      context=f" for a {method} sweep (which samples between low and high)")

    values = low = high = count = None
    scale = reader.choice(entry.get("scale", "linear"), f"{key}.scale", SCALES)
    if "values" in entry:
        raw = entry["values"]
        if not isinstance(raw, list) or not raw:
            reader.fail(f"{key}.values", f"expected a non-empty list of numbers, got {raw!r}")
        values = tuple(reader.number(v, f"{key}.values") for v in raw)
        if len(set(values)) != len(values):
            reader.fail(f"{key}.values", "values repeat; each grid value must appear once")
    else:
        low = reader.number(entry["low"], f"{key}.low")
        high = reader.number(entry["high"], f"{key}.high")
        if scale == "log" and low <= 0.0:
            reader.fail(f"{key}.low", "expected a positive number for a log scale, "
                                      f"got {entry['low']!r}")
        if not low < high:
            reader.fail(f"{key}.high", f"expected a number above low = {low:g}, "
                                       f"got {entry['high']!r}")
        if "count" in entry:
            count = reader.integer(entry["count"], f"{key}.count", 2)
            if count > MAX_POINTS:
                reader.fail(f"{key}.count", f"{count} grid values is more than the {MAX_POINTS} "
                                            "simulations a sweep may hold; make the grid coarser")
    variable = SweepVariable(name, target, values, low, high, count, scale)

    extremes_key = f"{key}.values" if values is not None else None
    for label, value in zip(("low", "high"), (min(variable.extremes()), max(variable.extremes()))):
        where = extremes_key or f"{key}.{label}"
        if target == "parameter":
            reader.in_bounds(value, where, model, name)
        elif target == "body_weight":
            reader.body_weight(value, where, model)
    if target == "regimen" and any(_is_whole_keyword(s.kind, name) for s in regimens
                                   if s.accepts(name)):
        if method != "grid":
            reader.fail(key, f"'{name}' is a whole number; sweep it on a grid, not by {method}")
        grid = variable.grid_values()
        if not np.all(grid == np.round(grid)):
            reader.fail(extremes_key or key, f"'{name}' is a whole number, but the grid holds "
                                             f"{', '.join(f'{v:g}' for v in grid)}")
    return variable


def _read_variability(reader, data, model, fixed) -> tuple[Variability, ...]:
    result = []
    for name, entry in data.items():
        key = f"sweep.variability.{name}"
        reader.parameter(name, key, model)
        reader.fields(entry, key, ("cv",), required=("cv",))
        cv = reader.positive(entry["cv"], f"{key}.cv")
        typical = fixed.get(name, model.parameters[model.parameter_index(name)].value)
        if typical <= 0.0:
            reader.fail(key, f"the typical value of '{name}' is {typical:g}; log-normal "
                             "variability needs a typical value > 0")
        result.append(Variability(name, cv))
    return tuple(result)


def _read_body_weight(reader, entry, model) -> BodyWeightDistribution:
    key = "sweep.body_weight"
    fields = ("mean", "sd", "low", "high")
    reader.fields(entry, key, fields, required=fields)
    mean, sd, low, high = (reader.number(entry[k], f"{key}.{k}") for k in fields)
    if sd <= 0.0:
        reader.fail(f"{key}.sd", f"expected a number > 0, got {entry['sd']!r}")
    reader.body_weight(low, f"{key}.low", model)
    reader.body_weight(high, f"{key}.high", model)
    if not low <= mean <= high:
        reader.fail(f"{key}.mean", f"expected a mean within [low, high] = [{low:g}, {high:g}], "
                                   f"got {mean:g}")
    if not low < high:
        reader.fail(f"{key}.high", f"expected a number above low = {low:g}, got {high:g}")
    return BodyWeightDistribution(mean, sd, low, high)


def _read_correlations(reader, raw, variability) -> tuple[Correlation, ...]:
    if not isinstance(raw, list):
        reader.fail("sweep.correlations", "expected a list of tables: [[sweep.correlations]] "
                                          "a = ..., b = ..., r = ...")
    names = [v.parameter for v in variability]
    result, seen = [], set()
    for i, entry in enumerate(raw, start=1):
        key = f"sweep.correlations[{i}]"
        reader.fields(entry, key, ("a", "b", "r"), required=("a", "b", "r"))
        pair = []
        for side in ("a", "b"):
            name = reader.text(entry[side], f"{key}.{side}")
            if name not in names:
                reader.fail(f"{key}.{side}", f"'{name}' has no [sweep.variability.{name}]"
                                             f"{_hint(name, names)}; correlations join two "
                                             f"variabilities: {', '.join(names) or 'none'}")
            pair.append(name)
        if pair[0] == pair[1]:
            reader.fail(f"{key}.b", "a correlation joins two different parameters, "
                                    f"got '{pair[0]}' twice")
        if frozenset(pair) in seen:
            reader.fail(key, f"the correlation of '{pair[0]}' and '{pair[1]}' is given twice")
        seen.add(frozenset(pair))
        r = reader.number(entry["r"], f"{key}.r")
        if not -1.0 < r < 1.0:
            reader.fail(f"{key}.r", f"expected a correlation strictly between -1 and 1, got {r:g}")
        result.append(Correlation(pair[0], pair[1], r))
    return tuple(result)


def _read_sweep(reader, data, model, regimens, fixed) -> Sweep:
    entry = data.get("sweep")
    if entry is None:
        return Sweep()
    reader.fields(entry, "sweep", _SWEEP_FIELDS, required=("method",))
    method = reader.choice(entry["method"], "sweep.method", SWEEP_METHODS)
    if method in SENSITIVITY_METHODS and not salib_available():
        reader.fail("sweep.method", INSTALL_HINT)
    n = None
    if method in _SAMPLED_METHODS + ("virtual_population",):
        if "n" not in entry:
            reader.fail("sweep.n", f"a {method} sweep needs the number of points n")
        n = reader.integer(entry["n"], "sweep.n", 2 if method in _SAMPLED_METHODS else 1)
        if n > MAX_POINTS:
            reader.fail("sweep.n", f"{n} points is more than the {MAX_POINTS} simulations a sweep "
                                   "may hold; make the sweep smaller")
        if method == "sobol" and n & (n - 1):
            reader.fail("sweep.n", f"a Sobol sequence needs a power of 2 points (keeps it "
                                   f"balanced), got {n}; nearest: {2 ** round(math.log2(n))}")
    elif "n" in entry:
        reader.fail("sweep.n", f"a {method} sweep takes no n (only latin_hypercube, sobol, "
                               "sobol_indices, morris and virtual_population do)")

    raw_variables = reader.table(entry, "sweep.variables")
    if method in ("grid",) + _SAMPLED_METHODS and not raw_variables:
        reader.fail("sweep.variables", f"a {method} sweep needs at least one "
                                       "[sweep.variables.NAME]")
    if method in ("none", "virtual_population") and raw_variables:
        reader.fail("sweep.variables", f"a {method} sweep takes no variables; use method = "
                                       "\"grid\", \"latin_hypercube\" or \"sobol\"")
    variables = tuple(_read_variable(reader, name, raw, method, model, regimens, fixed)
                      for name, raw in raw_variables.items())

    if method != "virtual_population":
        for other in ("variability", "body_weight", "correlations"):
            if other in entry:
                reader.fail(f"sweep.{other}", "only a virtual_population sweep takes this")
        return Sweep(method, n, variables)
    variability = _read_variability(reader, reader.table(entry, "sweep.variability"), model, fixed)
    body_weight = None
    if "body_weight" in entry:
        body_weight = _read_body_weight(reader, reader.table(entry, "sweep.body_weight"), model)
    if not variability and body_weight is None:
        reader.fail("sweep.variability", "a virtual population needs at least one "
                                         "[sweep.variability.PARAMETER] or a [sweep.body_weight]")
    correlations = _read_correlations(reader, entry.get("correlations", []), variability)
    sweep = Sweep(method, n, variables, variability, correlations, body_weight)
    try:
        np.linalg.cholesky(sweep.correlation_matrix())
    except np.linalg.LinAlgError:
        reader.fail("sweep.correlations", "these correlations cannot hold together (the "
                                          "correlation matrix is not positive definite); "
                                          "weaken some of them")
    return sweep


def _read_metric(reader, name, entry, model, t_end, metric_kinds) -> MetricSpec:
    key = f"metrics.{name}"
    reader.identifier(name, key)
    reader.fields(entry, key, _METRIC_FIELDS, required=("kind",))
    kind = reader.text(entry["kind"], f"{key}.kind")
    if metric_kinds is not None and kind not in metric_kinds:
        reader.fail(f"{key}.kind", f"unknown metric kind '{kind}'{_hint(kind, metric_kinds)}; "
                                   f"known: {', '.join(sorted(metric_kinds))}")
    output = None
    if kind in DOSING_METRIC_KINDS:
        if "output" in entry:
            reader.fail(f"{key}.output", f"a {kind} metric comes from the regimen, not from a "
                                         "model output; leave output out")
    elif "output" in entry:
        output = reader.output(entry["output"], f"{key}.output", model)
    elif kind in METRIC_KINDS:
        reader.fail(f"{key}.output", f"a {kind} metric needs an output: an observable or "
                                     f"species of model '{model.name}'")
    for needed in _METRIC_NEEDS.get(kind, ()):
        if needed not in entry:
            reader.fail(f"{key}.{needed}", f"a {kind} metric needs this field")

    at_day = window = threshold = price = None
    if "at_day" in entry:
        at_day = reader.number(entry["at_day"], f"{key}.at_day")
        if not 0.0 <= at_day <= t_end:
            reader.fail(f"{key}.at_day", f"expected a day within [0, {t_end:g}], got {at_day:g}")
    if "window_days" in entry:
        raw = entry["window_days"]
        if not isinstance(raw, list) or len(raw) != 2:
            reader.fail(f"{key}.window_days", f"expected [first day, last day], got {raw!r}")
        window = tuple(reader.number(v, f"{key}.window_days") for v in raw)
        if not 0.0 <= window[0] < window[1] <= t_end:
            reader.fail(f"{key}.window_days", f"expected 0 <= first < last <= {t_end:g}, "
                                              f"got {list(window)}")
    if "threshold" in entry:
        threshold = reader.number(entry["threshold"], f"{key}.threshold")
    if "price_usd_per_g" in entry:
        price = reader.positive(entry["price_usd_per_g"], f"{key}.price_usd_per_g")
    extra = {}
    for field_name in ("price_usd_per_mg", "price_usd_per_session"):
        if field_name in entry:
            if kind != "therapy_cost_usd":
                reader.fail(f"{key}.{field_name}", "only a therapy_cost_usd metric takes this price")
            extra[field_name] = reader.positive(entry[field_name], f"{key}.{field_name}")
    baseline = reader.choice(entry.get("baseline", "start"), f"{key}.baseline", BASELINES)
    metric = MetricSpec(name, kind, output, at_day, window, threshold, price, baseline, **extra)
    if kind in METRIC_KINDS:
        # Fields the kind does not use, or needs (half_life's window): refused
        # now, not by a traceback once the sweep has run.
        try:
            validate_metric(metric)
        except ValueError as exc:
            reader.fail(key, str(exc))
    return metric


def _read_plot(reader, name, entry, model, sweep, metric_names) -> PlotSpec:
    key = f"plots.{name}"
    reader.identifier(name, key)
    reader.fields(entry, key, ("kind", "x", "y", "metric", "output", "group_by"),
                  required=("kind",))
    kind = reader.choice(entry["kind"], f"{key}.kind", PLOT_KINDS)
    required, optional = _PLOT_FIELDS[kind]
    reader.fields(entry, key, ("kind",) + required + optional, required=required,
                  context=f" for a {kind} plot")
    sampled = sweep.names
    for axis in ("x", "y"):
        if axis in entry:
            value = reader.text(entry[axis], f"{key}.{axis}")
            if value not in sampled:
                reader.fail(f"{key}.{axis}", f"'{value}' is not varied by the sweep"
                                             f"{_hint(value, sampled)}; varied: "
                                             f"{', '.join(sampled) or 'nothing'}")
    if kind == "heatmap" and entry["x"] == entry["y"]:
        reader.fail(f"{key}.y", "a heatmap needs two different variables, "
                                f"got '{entry['y']}' twice")
    if kind == "tornado" and not sampled:
        reader.fail(key, "a tornado plot needs a sweep that varies something")
    if kind == "sensitivity" and sweep.method not in SENSITIVITY_METHODS:
        reader.fail(f"{key}.kind", "a sensitivity plot needs a sweep with method = "
                                   f"{' or '.join(repr(m) for m in SENSITIVITY_METHODS)}, "
                                   f"not {sweep.method!r}")
    if "metric" in entry:
        metric = reader.text(entry["metric"], f"{key}.metric")
        if metric not in metric_names:
            reader.fail(f"{key}.metric", f"no metric '{metric}'{_hint(metric, metric_names)}; "
                                         f"metrics: {', '.join(metric_names)}")
    if "output" in entry:
        reader.output(entry["output"], f"{key}.output", model)
    if "group_by" in entry:
        reader.choice(entry["group_by"], f"{key}.group_by", GROUP_BY)
    return PlotSpec(name, kind, entry.get("x"), entry.get("y"), entry.get("metric"),
                    entry.get("output"), entry.get("group_by"))


def _check_regimens_build(reader, regimens, sweep) -> None:
    """Build every regimen as written, then once per extreme value of each swept keyword.

    A swept keyword the file leaves out (a required dose, say) takes its
    first swept value when building the regimen as written.
    """
    swept = [v for v in sweep.variables if v.target == "regimen"]
    for spec in regimens:
        mine = [v for v in swept if spec.accepts(v.name)]
        supplied = {v.name: v.extremes()[0] for v in mine if v.name not in spec.arguments}
        try:
            spec.build(supplied)
        except RegimenError as exc:
            using = "".join(f"; with {k} = {v:g} from [sweep.variables.{k}]"
                            for k, v in supplied.items())
            reader.fail(f"regimens.{spec.name}", f"{exc}{using}")
        for variable in mine:
            for value in variable.extremes():
                try:
                    spec.build({**supplied, variable.name: value})
                except RegimenError as exc:
                    reader.fail(f"sweep.variables.{variable.name}",
                                f"regimen '{spec.name}' with {variable.name} = {value:g}: {exc}")


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def load_experiment(path, metric_kinds: Collection[str] | None = None, model: str | None = None,
                    parameters: Mapping[str, float] | None = None) -> Experiment:
    """Read and validate an experiment file.

    Parameters
    ----------
    path : str or path-like
        The ``.toml`` file.
    metric_kinds : collection of str, optional
        Metric kinds to accept; by default any kind is accepted (the metric
        computations check them).  Pass :data:`METRIC_KINDS` to check now.
    model : str, optional
        Run the same experiment on another model (a name or a path) instead of
        the file's ``experiment.model``; everything else is checked against it.
    parameters : mapping of str to float, optional
        Fixed parameter values added to (and overriding) the file's
        ``[parameters]`` table.

    Returns
    -------
    Experiment

    Raises
    ------
    ExperimentFileError
        For anything wrong in the file, naming the file and the key; the
        model must load, and every regimen must build.
    """
    path = experiment_path(path)        # a shipped experiment's name, or a path
    reader = _Reader(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        reader.fail("", "file not found")
    except OSError as exc:
        reader.fail("", f"cannot read the file: {exc.strerror or exc}")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        reader.fail("", f"not a UTF-8 text file ({exc.reason})")
    except tomllib.TOMLDecodeError as exc:
        reader.fail("", f"not valid TOML: {exc}")
    for k in data:
        if k not in _TOP_LEVEL:
            reader.fail(k, f"unknown top-level table{_hint(k, _TOP_LEVEL)}; "
                           f"allowed: {', '.join(_TOP_LEVEL)}")

    if model is not None and isinstance(data.get("experiment"), dict):
        data["experiment"]["model"] = str(model)
    if parameters:
        data["parameters"] = {**(data.get("parameters") or {}), **dict(parameters)}
    head, model = _read_header(reader, data, path)
    fixed = _read_parameters(reader, data, model)
    regimens = _read_regimens(reader, data)
    sweep = _read_sweep(reader, data, model, regimens, fixed)

    raw_metrics = reader.table(data, "metrics", required=True)
    if not raw_metrics:
        reader.fail("metrics", "define at least one metric, e.g. [metrics.nadir] "
                               'kind = "percent_change_min", output = "autoantibody"')
    kinds = None if metric_kinds is None else frozenset(metric_kinds)
    metrics = tuple(_read_metric(reader, name, entry, model, head["t_end_days"], kinds)
                    for name, entry in raw_metrics.items())
    metric_names = [m.name for m in metrics]
    plots = tuple(_read_plot(reader, name, entry, model, sweep, metric_names)
                  for name, entry in reader.table(data, "plots").items())

    _check_regimens_build(reader, regimens, sweep)
    experiment = Experiment(
        **head, path=str(path), parameters=fixed, regimens=regimens, sweep=sweep,
        metrics=metrics, plots=plots, file_hash=hashlib.sha256(raw).hexdigest())
    if experiment.n_points > MAX_POINTS:
        reader.fail("sweep", f"{experiment.n_points} simulations (regimens x points x replicates) "
                             f"is more than the {MAX_POINTS} allowed; make the sweep smaller")
    return experiment
