"""Named checks of the validation suite, what they return, and the shared context they run in.

A *check* is a Python function registered under a name with :func:`register`.
A target in ``validation/targets.toml`` names its check and gives its
conditions as data; the runner calls ``check(context, **conditions)``. Every
scientific condition is a keyword-only argument without a default, so the
targets file is the one place that says under which conditions a published
number is reproduced; the reader refuses a condition the check does not take
and a missing one.

A check returns a :class:`CheckResult`: named simulated values (numbers with
their unit, or booleans for a direction), and the data of its figure. A check
that cannot compute its quantity because no model represents it raises
:class:`NotModelled`.

The :class:`Context` shares work between checks: simulations, kernel
reaction rates and whole check results are memoised on their inputs, so
targets computed from the same simulation (PK-02, PK-04 and PK-05 from one
steady state) integrate it once.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field

import numpy as np

from ivigsim.errors import IvigsimError

__all__ = ["CheckResult", "Context", "Curve", "Figure", "NotModelled", "REGISTRY", "build_regimen",
           "check_parameters", "checks", "freeze", "register"]

#: Name -> check function. Filled by the check modules when :func:`checks` imports them.
REGISTRY = {}

_CHECK_MODULES = ("ivigsim.analysis.validation.checks_pk", "ivigsim.analysis.validation.checks_safety",
                  "ivigsim.analysis.validation.checks_autoimmune", "ivigsim.analysis.validation.checks_tumour",
                  "ivigsim.analysis.validation.checks_therapies")


class NotModelled(IvigsimError):
    """Raised by a check whose quantity no shipped model represents; the target then fails."""


def register(name):
    """Decorator: register a check function under ``name``.

    The function takes the :class:`Context` first and its conditions as
    keyword-only arguments, and returns a :class:`CheckResult`.
    """
    def decorate(fn):
        if name in REGISTRY and REGISTRY[name] is not fn:
            raise ValueError(f"a validation check named '{name}' is already registered")
        REGISTRY[name] = fn
        return fn
    return decorate


def checks():
    """The registry of named checks, with every shipped check module imported."""
    import importlib
    for module in _CHECK_MODULES:
        importlib.import_module(module)
    return REGISTRY


def check_parameters(fn):
    """(accepted condition names or None for any, required condition names) of a check function."""
    accepted, required = [], []
    for k, par in enumerate(inspect.signature(fn).parameters.values()):
        if k == 0:
            continue                          # the context
        if par.kind is inspect.Parameter.VAR_KEYWORD:
            return None, tuple(required)
        if par.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            accepted.append(par.name)
            if par.default is inspect.Parameter.empty:
                required.append(par.name)
    return tuple(accepted), tuple(required)


@dataclass(frozen=True, eq=False)
class Curve:
    """One data series of a figure.

    ``kind`` is ``"line"``, ``"points"``, ``"bar"`` (``x`` are labels) or ``"step"``.
    """

    x: object
    y: object
    label: str = ""
    kind: str = "line"


@dataclass(frozen=True, eq=False)
class Figure:
    """What a check wants drawn beside the published range.

    Attributes
    ----------
    title, x_label, y_label : str
    curves : tuple of Curve
    log_x, log_y : bool
    range_on : str, optional
        A value name whose published range is drawn as a band on the y axis
        (the curves are then in that value's unit).
    marker : (x, y), optional
        The simulated value on the curve.
    shade_x : (x0, x1, label), optional
        A window along x, e.g. the fitting window of a half-life.
    hlines, vlines : tuple of (position, label)
    """

    title: str
    x_label: str
    y_label: str
    curves: tuple = ()
    log_x: bool = False
    log_y: bool = False
    range_on: str | None = None
    marker: tuple | None = None
    shade_x: tuple | None = None
    hlines: tuple = ()
    vlines: tuple = ()


@dataclass(frozen=True, eq=False)
class CheckResult:
    """The outcome of one check.

    Attributes
    ----------
    values : dict of str -> float, bool or str
        Simulated quantities by name (a target's ``output`` picks one);
        booleans for directions.
    units : dict of str -> str
        The unit of each numeric value (``"1"`` for a pure number).
    figure : Figure, optional
    notes : tuple of str
        What a reader of the report should know about how it was computed.
    """

    values: dict
    units: dict = field(default_factory=dict)
    figure: Figure | None = None
    notes: tuple = ()


def freeze(value):
    """A hashable, order-independent copy of nested condition data (dicts, lists, arrays)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.tobytes())
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def build_regimen(spec):
    """A :class:`~ivigsim.core.regimen.Regimen` from its data form, through
    :func:`ivigsim.core.regimen_data.regimen_from_data` (as every file format).

    Parameters
    ----------
    spec : dict, list of dict, or None
        ``{"kind": KIND, ...}``, KIND one of
        :data:`ivigsim.core.regimen_data.REGIMEN_KINDS`, the other keys the
        keyword arguments of that ``Regimen`` constructor (``dose_g_per_kg``,
        ``days``, ``infusion_hours``, ``at_day``, ...); a list is the sum of
        its entries; None (or an empty list) is untreated.

    Raises
    ------
    ValueError
        For an unknown kind or arguments the constructor refuses.
    """
    from ivigsim.core.regimen import Regimen, RegimenError
    from ivigsim.core.regimen_data import regimen_from_data
    if spec is None or (isinstance(spec, (list, tuple)) and not spec):
        return Regimen.none()
    try:
        return regimen_from_data(list(spec) if isinstance(spec, tuple) else spec)
    except RegimenError as exc:
        raise ValueError(str(exc)) from None


class Context:
    """Memoised simulations and check results shared by the checks of one validation run."""

    def __init__(self):
        self._simulations = {}
        self._results = {}
        self.simulations_run = 0

    def simulate(self, model, regimen=None, t_end=365.0, body_weight_kg=None, params=None,
                 mechanisms=None, t_eval=None, rtol=1e-8):
        """:func:`ivigsim.simulate` with ``regimen`` as data (see :func:`build_regimen`), memoised."""
        from ivigsim.core.simulation import simulate
        key = ("simulate", model, freeze(regimen), float(t_end), body_weight_kg, freeze(params or {}),
               freeze(mechanisms or {}), freeze(None if t_eval is None else np.asarray(t_eval, float)),
               rtol)
        if key not in self._simulations:
            self.simulations_run += 1
            self._simulations[key] = simulate(model, regimen=build_regimen(regimen), t_end=t_end,
                                              body_weight_kg=body_weight_kg, params=params,
                                              mechanisms=mechanisms, t_eval=t_eval, rtol=rtol)
        return self._simulations[key]

    def memo(self, key, compute):
        """``compute()`` once per hashable ``key`` (agent runs, helper computations)."""
        key = freeze(key)
        if key not in self._simulations:
            self._simulations[key] = compute()
        return self._simulations[key]

    def run_check(self, name, fn, conditions):
        """``fn(self, **conditions)``, memoised on the check name and its conditions."""
        key = (name, freeze(conditions))
        if key not in self._results:
            self._results[key] = fn(self, **conditions)
        return self._results[key]

    @staticmethod
    def reaction_rates(result, k=0):
        """Rate of every reaction (amount/day, model units) at output ``k`` of a result, by name."""
        from ivigsim.core.kernel.compiled import load_kernel
        spec = result.model
        kernel = load_kernel(spec)
        p = kernel.parameter_vector(list(result.parameters.values()), list(result.mechanisms.values()))
        rates = np.empty(len(spec.reactions))
        kernel.rates(np.ascontiguousarray(result.states[k]), p, rates)
        return dict(zip((r.name for r in spec.reactions), rates.tolist()))
