"""Sweep metrics: one number per sweep point from its trajectory or its regimen.

A sweep runs many simulations (sweep points) on one output grid.  A metric
reduces each point's trajectory of one output to a single number, e.g. the
nadir of the autoantibody, the day of the IgG peak, the area under a curve or
the time spent above a protective trough; or it reads a fact about the
regimen the point was given, e.g. the grams of immunoglobulin or their cost.

Trajectories come batched: ``t`` is the shared time grid, shape ``(n_t,)``, in
days, and ``y`` holds the metric's output at every point, shape
``(n_points, n_t)``, in that output's unit.  Every computation is vectorised
over the points.

A metric is described by a spec: any object with the attributes ``name``,
``kind``, ``output``, ``at_day``, ``window_days``, ``threshold``,
``price_usd_per_g`` and ``baseline`` (the sweep specification's frozen
dataclass is one).  The kinds, the fields they need and their units:

- ``value_at`` (needs ``at_day``): the output at that day, in the output's unit;
- ``max``, ``min``: in the output's unit;
- ``time_of_max``, ``time_of_min``: day of the first maximum or minimum, day;
- ``percent_change_min``, ``percent_change_max``: change of the minimum or
  maximum from the baseline, %; with ``baseline = "start"`` the baseline is
  the value at the first time point, with ``baseline = "untreated"`` it is
  the same patient untreated at the same time (the extreme of the ratio
  treated / untreated is taken);
- ``auc``: area under the curve, output unit * day;
- ``time_above``, ``time_below`` (need ``threshold``, in the output's unit):
  time spent strictly above or below the threshold, day;
- ``half_life`` (needs ``window_days``): from a log-linear fit, day;
- ``max_rate_of_rise``: steepest rise between output times, output unit / day;
- ``grams_given`` (needs a dose context): immunoglobulin given, g;
- ``cost_usd`` (needs a dose context): grams times ``price_usd_per_g``
  (default :data:`DEFAULT_PRICE_USD_PER_G`), USD;
- ``max_infusion_rate_mg_per_kg_per_min`` (needs a dose context): the fastest
  infusion, mg/kg/min;
- ``antagonist_mg_given`` (needs a dose context): FcRn antagonist given, mg;
- ``apheresis_sessions`` (needs a dose context): plasma exchange or
  immunoadsorption sessions, count;
- ``therapy_cost_usd`` (needs a dose context): immunoglobulin grams times
  ``price_usd_per_g``, plus antagonist mg times ``price_usd_per_mg`` (default:
  the drug's catalogue price; NaN where the catalogue has none), plus sessions
  times ``price_usd_per_session`` (default
  :data:`ivigsim.core.apheresis.DEFAULT_PRICE_USD_PER_SESSION`), USD;
- ``thrombosis_flag`` (needs a dose context): 1 where some day has 35 g or
  more of immunoglobulin (target PK-33), else 0;
- ``auc_change_pct`` (needs ``baseline = "untreated"``): change of the area
  under the curve against the same patient untreated, %;
- ``hyperviscosity_band``: 0 below 3 cP, then 1, 2 or 3 for a maximum of the
  output (a viscosity in cP) at or above 3, 4 or 5 cP (target PK-32).

``grams_given`` counts immunoglobulin products only, never an FcRn antagonist.

Windows
-------
``window_days = (a, b)`` restricts ``max``, ``min``, ``time_of_*``,
``percent_change_*``, ``auc``, ``time_above``, ``time_below`` and
``max_rate_of_rise`` to ``a <= t <= b``; the window must lie inside the
simulated range.  The trajectory is taken as piecewise linear between grid
points, and its values at ``a`` and ``b`` are interpolated, so an area or a
time above a threshold is the exact integral over ``[a, b]`` even when ``a``
or ``b`` falls between grid points.  ``half_life`` fits the grid points
inside ``[a, b]`` only (linear interpolation is not exact in log space).
Without a window the whole simulated range is used.

Failed points
-------------
A point whose trajectory contains a NaN (a failed simulation) gets NaN for
every trajectory metric; the other points are unaffected and nothing is
raised.  Regimen metrics (``grams_given``, ``cost_usd``,
``max_infusion_rate_mg_per_kg_per_min``) describe what was prescribed and do
not depend on the trajectory.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ivigsim.core import antagonists as _antagonists
from ivigsim.core.apheresis import DEFAULT_PRICE_USD_PER_SESSION
from ivigsim.core.regimen import HYPERVISCOSITY_BANDS_CP, THROMBOSIS_RISK_DAILY_G, Regimen

__all__ = [
    "METRIC_KINDS",
    "DEFAULT_PRICE_USD_PER_G",
    "DoseContext",
    "dose_context",
    "metric_unit",
    "compute_metric",
    "validate_metric",
]

#: Every metric kind :func:`compute_metric` understands.
METRIC_KINDS: frozenset[str] = frozenset({
    "value_at",
    "max",
    "min",
    "time_of_max",
    "time_of_min",
    "percent_change_min",
    "percent_change_max",
    "auc",
    "time_above",
    "time_below",
    "half_life",
    "grams_given",
    "cost_usd",
    "max_rate_of_rise",
    "max_infusion_rate_mg_per_kg_per_min",
    "antagonist_mg_given",
    "apheresis_sessions",
    "therapy_cost_usd",
    "thrombosis_flag",
    "hyperviscosity_band",
    "auc_change_pct",
})

#: Price of IVIG used for ``cost_usd`` when the spec gives none, US$ per gram:
#: the target price PK-35 (market prices range from about 73 to more than 350).
DEFAULT_PRICE_USD_PER_G = 151.0

# Kinds computed from the regimen (a DoseContext) rather than the trajectory.
_CONTEXT_KINDS = frozenset({"grams_given", "cost_usd", "max_infusion_rate_mg_per_kg_per_min",
                            "antagonist_mg_given", "apheresis_sessions", "therapy_cost_usd",
                            "thrombosis_flag"})
# Kinds that accept window_days (half_life requires it).
_WINDOW_KINDS = frozenset({
    "hyperviscosity_band", "auc_change_pct", "max", "min", "time_of_max", "time_of_min", "percent_change_min", "percent_change_max",
    "auc", "time_above", "time_below", "half_life", "max_rate_of_rise",
})
_THRESHOLD_KINDS = frozenset({"time_above", "time_below"})
_PERCENT_KINDS = frozenset({"percent_change_min", "percent_change_max"})
_BASELINES = ("start", "untreated")


# ---------------------------------------------------------------------------
# Dose context
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseContext:
    """Facts about the regimen each sweep point was given.

    Parameters
    ----------
    grams_given : numpy.ndarray
        Total immunoglobulin given over the regimen, g, shape ``(n_points,)``.
    max_infusion_rate_mg_per_kg_per_min : numpy.ndarray
        Fastest infusion of the regimen, mg/kg/min (0.0 where there is no
        infusion), shape ``(n_points,)``.

    Raises
    ------
    ValueError
        If the arrays are not one-dimensional or differ in length.
    """

    grams_given: np.ndarray
    max_infusion_rate_mg_per_kg_per_min: np.ndarray
    antagonist_mg: np.ndarray | None = None
    antagonist_price_usd_per_mg: np.ndarray | None = None
    sessions: np.ndarray | None = None
    max_daily_g: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.asarray(self.grams_given).shape[0] if np.ndim(self.grams_given) == 1 else 0
        for name, fill in (("antagonist_mg", 0.0), ("antagonist_price_usd_per_mg", np.nan),
                           ("sessions", 0.0), ("max_daily_g", 0.0)):
            value = getattr(self, name)
            object.__setattr__(self, name, np.full(n, fill) if value is None
                               else np.asarray(value, dtype=float))
        grams = np.asarray(self.grams_given, dtype=float)
        rate = np.asarray(self.max_infusion_rate_mg_per_kg_per_min, dtype=float)
        if grams.ndim != 1 or rate.ndim != 1 or grams.shape != rate.shape:
            raise ValueError(
                "DoseContext: grams_given and max_infusion_rate_mg_per_kg_per_min must be "
                f"one-dimensional arrays of the same length, got shapes {grams.shape} and "
                f"{rate.shape}"
            )
        object.__setattr__(self, "grams_given", grams)
        object.__setattr__(self, "max_infusion_rate_mg_per_kg_per_min", rate)

    @property
    def n_points(self) -> int:
        """Number of sweep points described."""
        return int(self.grams_given.shape[0])


def dose_context(regimens: Sequence[Regimen | None],
                 body_weights_kg: Sequence[float] | float) -> DoseContext:
    """Grams given and fastest infusion rate for each sweep point.

    Parameters
    ----------
    regimens : sequence of Regimen or None
        The regimen of each point; ``None`` (or an empty regimen) means
        untreated: 0 g and a rate of 0 mg/kg/min.
    body_weights_kg : sequence of float or float
        Body weight of each point, kg; one number is used for every point.

    Returns
    -------
    DoseContext
        Arrays of shape ``(len(regimens),)``.

    Raises
    ------
    ValueError
        If the number of body weights differs from the number of regimens.
    ivigsim.RegimenError
        For an invalid body weight, or a dose in grams infused too fast for
        that patient.
    """
    regimens = list(regimens)
    weights = np.asarray(body_weights_kg, dtype=float)
    if weights.ndim == 0:
        weights = np.full(len(regimens), float(weights))
    if weights.ndim != 1 or weights.shape[0] != len(regimens):
        raise ValueError(
            f"dose_context: got {len(regimens)} regimens but body weights of shape "
            f"{weights.shape}; give one body weight per regimen (or a single number)"
        )
    n = len(regimens)
    grams, rates, drug_mg, daily = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    drug_price, sessions = np.full(n, np.nan), np.zeros(n)
    known = _antagonists.catalogue()
    for i, (regimen, weight) in enumerate(zip(regimens, weights)):
        if regimen is None:
            continue
        sessions[i] = len(regimen.sessions)
        if not regimen.administrations:
            continue
        doses = regimen.doses(float(weight))
        grams[i] = math.fsum(d.amount_g for d in doses if d.product not in known)
        drug_mg[i] = 1000.0 * math.fsum(d.amount_g for d in doses if d.product in known)
        if regimen.antagonist:
            drug_price[i] = _antagonists.price_usd_per_mg(regimen.antagonist)
        rates[i] = regimen.max_rate_mg_per_kg_per_min(float(weight))
        by_day: dict[int, float] = {}
        for d in doses:
            if d.product not in known:
                by_day[math.floor(d.time_day)] = by_day.get(math.floor(d.time_day), 0.0) + d.amount_g
        daily[i] = max(by_day.values(), default=0.0)
    return DoseContext(grams, rates, drug_mg, drug_price, sessions, daily)


# ---------------------------------------------------------------------------
# Units and validation
# ---------------------------------------------------------------------------


def metric_unit(spec, output_unit: str) -> str:
    """Unit of a metric's values.

    Parameters
    ----------
    spec : metric spec
        Any object with a ``kind`` attribute.
    output_unit : str
        Unit of the output the metric reads (e.g. ``"g/L"``); ignored by the
        regimen kinds.

    Returns
    -------
    str
        ``output_unit`` for ``value_at``, ``max`` and ``min``; ``"day"`` for
        the ``time_of_*``, ``time_above``, ``time_below`` and ``half_life``
        kinds; ``"%"`` for ``percent_change_*``; ``"<unit>*day"`` for
        ``auc``; ``"<unit>/day"`` for ``max_rate_of_rise``; ``"g"``, ``"USD"``
        and ``"mg/kg/min"`` for the regimen kinds.

    Raises
    ------
    ValueError
        For an unknown kind.
    """
    kind = _check_kind(spec)
    if kind in ("value_at", "max", "min"):
        return output_unit
    if kind in ("time_of_max", "time_of_min", "time_above", "time_below", "half_life"):
        return "day"
    if kind in _PERCENT_KINDS or kind == "auc_change_pct":
        return "%"
    if kind == "auc":
        return f"{_grouped(output_unit)}*day"
    if kind == "max_rate_of_rise":
        return f"{_grouped(output_unit)}/day"
    if kind == "grams_given":
        return "g"
    if kind in ("cost_usd", "therapy_cost_usd"):
        return "USD"
    if kind == "antagonist_mg_given":
        return "mg"
    if kind in ("apheresis_sessions", "thrombosis_flag", "hyperviscosity_band"):
        return "1"
    return "mg/kg/min"


def _grouped(unit: str) -> str:
    """Parenthesise a compound unit before appending ``*day`` or ``/day``."""
    if "/" in unit or "*" in unit or " " in unit:
        return f"({unit})"
    return unit


def validate_metric(spec) -> None:
    """Check that a metric spec names a known kind with the fields it needs.

    Parameters
    ----------
    spec : metric spec
        Any object with the attributes ``name``, ``kind``, ``output``,
        ``at_day``, ``window_days``, ``threshold``, ``price_usd_per_g`` and
        ``baseline``.

    Raises
    ------
    ValueError
        With a message naming the metric, for: an unknown kind; a missing
        output (trajectory kinds); ``value_at`` without a finite ``at_day``;
        ``time_above``/``time_below`` without a finite ``threshold``;
        ``half_life`` without ``window_days``; a window that is not two
        finite days ``a < b``; a negative or non-finite price; a baseline
        other than ``"start"`` or ``"untreated"``; or a field given to a kind
        that does not use it (e.g. ``at_day`` on ``max``, or an
        ``"untreated"`` baseline on anything but ``percent_change_*``).

    Notes
    -----
    Whether ``at_day`` or the window lies inside the simulated time range is
    checked by :func:`compute_metric`, which knows the time grid.
    """
    where = _where(spec)
    kind = _check_kind(spec)
    if kind not in _CONTEXT_KINDS:
        output = getattr(spec, "output", None)
        if not isinstance(output, str) or not output.strip():
            raise ValueError(
                f"{where}: kind '{kind}' reads a trajectory and needs an output "
                f"(a species or observable name), got {output!r}"
            )

    at_day = getattr(spec, "at_day", None)
    if kind == "value_at":
        if at_day is None:
            raise ValueError(f"{where}: kind 'value_at' needs at_day (days)")
        _finite(at_day, where, "at_day (days)")
    elif at_day is not None:
        raise ValueError(f"{where}: at_day is only used by kind 'value_at', not '{kind}'")

    threshold = getattr(spec, "threshold", None)
    if kind in _THRESHOLD_KINDS:
        if threshold is None:
            raise ValueError(
                f"{where}: kind '{kind}' needs a threshold (in the output's unit)"
            )
        _finite(threshold, where, "threshold")
    elif threshold is not None:
        raise ValueError(
            f"{where}: threshold is only used by kinds 'time_above' and 'time_below', "
            f"not '{kind}'"
        )

    window = getattr(spec, "window_days", None)
    if kind == "half_life" and window is None:
        raise ValueError(
            f"{where}: kind 'half_life' needs window_days = (a, b), the days over which "
            "the decline is log-linear (e.g. after the last infusion)"
        )
    if window is not None:
        if kind not in _WINDOW_KINDS:
            raise ValueError(f"{where}: window_days does not apply to kind '{kind}'")
        _window_bounds(window, where)

    price = getattr(spec, "price_usd_per_g", None)
    if price is not None:
        if kind not in ("cost_usd", "therapy_cost_usd"):
            raise ValueError(
                f"{where}: price_usd_per_g is only used by kinds 'cost_usd' and "
                f"'therapy_cost_usd', not '{kind}'"
            )
        value = _finite(price, where, "price_usd_per_g (US$/g)")
        if value < 0.0:
            raise ValueError(f"{where}: price_usd_per_g must be >= 0 US$/g, got {price!r}")
    for field_name, unit in (("price_usd_per_mg", "US$/mg"), ("price_usd_per_session", "US$")):
        price = getattr(spec, field_name, None)
        if price is None:
            continue
        if kind != "therapy_cost_usd":
            raise ValueError(f"{where}: {field_name} is only used by kind 'therapy_cost_usd', "
                             f"not '{kind}'")
        if _finite(price, where, f"{field_name} ({unit})") < 0.0:
            raise ValueError(f"{where}: {field_name} must be >= 0 {unit}, got {price!r}")

    baseline = getattr(spec, "baseline", "start")
    if baseline is None:
        baseline = "start"
    if baseline not in _BASELINES:
        raise ValueError(
            f"{where}: baseline must be 'start' (the value at the first time point) or "
            f"'untreated' (the same patient without treatment), got {baseline!r}"
        )
    if kind == "auc_change_pct" and baseline != "untreated":
        raise ValueError(f"{where}: kind 'auc_change_pct' needs baseline = 'untreated'")
    if baseline != "start" and kind not in _PERCENT_KINDS | {"auc_change_pct"}:
        raise ValueError(
            f"{where}: baseline {baseline!r} only applies to kinds 'percent_change_min' "
            f"and 'percent_change_max', not '{kind}'"
        )


def _where(spec) -> str:
    """'metric "nadir"' for error messages."""
    name = getattr(spec, "name", None)
    return f"metric {name!r}" if name else "metric"


def _check_kind(spec) -> str:
    """Return ``spec.kind`` if it is a known kind, else raise with a suggestion."""
    kind = getattr(spec, "kind", None)
    if isinstance(kind, str) and kind in METRIC_KINDS:
        return kind
    hint = ""
    if isinstance(kind, str):
        close = difflib.get_close_matches(kind, sorted(METRIC_KINDS), n=1)
        if close:
            hint = f" (did you mean '{close[0]}'?)"
    raise ValueError(
        f"{_where(spec)}: unknown kind {kind!r}{hint}; known kinds: "
        + ", ".join(sorted(METRIC_KINDS))
    )


def _finite(value, where: str, what: str) -> float:
    """Return ``value`` as a float, refusing non-numbers, bools, NaN and infinity."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where}: {what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{where}: {what} must be finite, got {value!r}")
    return number


def _window_bounds(window, where: str) -> tuple[float, float]:
    """Check ``window_days`` and return it as ``(a, b)`` with ``a < b``."""
    pair = None
    if not isinstance(window, (str, bytes, dict)):
        try:
            pair = tuple(window)
        except TypeError:
            pair = None
    if pair is None or len(pair) != 2:
        raise ValueError(
            f"{where}: window_days must be a pair of days (a, b), got {window!r}"
        )
    a = _finite(pair[0], where, "window_days start (days)")
    b = _finite(pair[1], where, "window_days end (days)")
    if not a < b:
        raise ValueError(
            f"{where}: window_days must have start < end, got ({a:g}, {b:g}) days"
        )
    return a, b


# ---------------------------------------------------------------------------
# Computation
# ---------------------------------------------------------------------------


def compute_metric(spec, t, y, context: DoseContext | None = None, *,
                   untreated=None) -> np.ndarray:
    """Reduce every sweep point to one value of a metric.

    Parameters
    ----------
    spec : metric spec
        See :func:`validate_metric`.
    t : array_like, shape (n_t,)
        Output times, days; finite and non-decreasing (a repeated time marks
        a jump).
    y : array_like, shape (n_points, n_t) or (n_t,)
        The metric's output at every point and time, in the output's unit; a
        one-dimensional array is one point.  May be ``None`` for the regimen
        kinds, which take the number of points from ``context``.
    context : DoseContext, optional
        Regimen facts per point; needed by ``grams_given``, ``cost_usd`` and
        ``max_infusion_rate_mg_per_kg_per_min``.
    untreated : array_like, shape (n_points, n_t) or (n_t,), optional
        The same output for each point's untreated twin, in the output's
        unit; needed by ``percent_change_*`` with ``baseline = "untreated"``.
        A one-dimensional array is shared by every point.

    Returns
    -------
    numpy.ndarray, shape (n_points,)
        The metric per point, in :func:`metric_unit`; NaN for a point whose
        trajectory (or untreated trajectory, where used) contains a NaN, and
        where the metric is undefined (a zero baseline for
        ``percent_change_*``; a non-positive value or a rise for
        ``half_life``).

    Raises
    ------
    ValueError
        For an invalid spec, arrays of the wrong shape, ``at_day`` or a window
        outside the simulated range, a window too short for the metric, a
        regimen kind without a context (or one for another number of points),
        or an ``"untreated"`` baseline without ``untreated``.
    """
    validate_metric(spec)
    kind = spec.kind
    where = _where(spec)
    if kind in _CONTEXT_KINDS:
        return _context_metric(spec, y, context, where)

    t, y = _check_arrays(t, y, where, kind)
    bad = np.isnan(y).any(axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind == "value_at":
            at = float(spec.at_day)
            if not t[0] <= at <= t[-1]:
                raise ValueError(
                    f"{where}: at_day = {at:g} is outside the simulated range "
                    f"[{t[0]:g}, {t[-1]:g}] days"
                )
            out = _interp_columns(t, y, at)
        elif kind == "half_life":
            out = _half_life(t, y, _window_bounds(spec.window_days, where), where)
        elif kind == "auc_change_pct":
            u = _check_untreated(untreated, y.shape, where)
            bad |= np.isnan(u).any(axis=1)
            tw, yw = _restrict(t, y, spec.window_days, where)
            _, uw = _restrict(t, u, spec.window_days, where)
            dt = np.diff(tw)
            a_y = (0.5 * (yw[:, 1:] + yw[:, :-1]) * dt).sum(axis=1)
            a_u = (0.5 * (uw[:, 1:] + uw[:, :-1]) * dt).sum(axis=1)
            out = np.where(a_u != 0.0, 100.0 * (a_y / np.where(a_u != 0.0, a_u, 1.0) - 1.0), np.nan)
        elif kind in _PERCENT_KINDS and getattr(spec, "baseline", "start") == "untreated":
            u = _check_untreated(untreated, y.shape, where)
            bad |= np.isnan(u).any(axis=1)
            out = _percent_vs_untreated(kind, t, y, u, spec.window_days, where)
        else:
            tw, yw = _restrict(t, y, spec.window_days, where)
            out = _trajectory_metric(spec, kind, t, y, tw, yw, where)
    out = np.asarray(out, dtype=float).copy()
    out[bad] = np.nan
    return out


def _check_arrays(t, y, where: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``t`` (n_t,) and ``y`` (n_points, n_t) as float arrays, checked."""
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"{where}: t must be a non-empty one-dimensional array of days, "
                         f"got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0.0):
        raise ValueError(f"{where}: t must be finite and non-decreasing (days)")
    if y is None:
        raise ValueError(f"{where}: kind '{kind}' needs the trajectories y")
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[np.newaxis, :]
    if y.ndim != 2 or y.shape[1] != t.shape[0]:
        raise ValueError(
            f"{where}: y must have shape (n_points, {t.shape[0]}) to match t, got {y.shape}"
        )
    return t, y


def _check_untreated(untreated, shape: tuple[int, int], where: str) -> np.ndarray:
    """The untreated trajectories as an array of ``shape`` (one row is broadcast)."""
    if untreated is None:
        raise ValueError(
            f"{where}: baseline 'untreated' needs the untreated trajectories (untreated=...)"
        )
    u = np.asarray(untreated, dtype=float)
    if u.ndim == 1:
        u = u[np.newaxis, :]
    if u.ndim != 2 or u.shape[1] != shape[1] or u.shape[0] not in (1, shape[0]):
        raise ValueError(
            f"{where}: untreated must have shape {shape} or ({shape[1]},) to match y, "
            f"got {u.shape}"
        )
    return np.broadcast_to(u, shape)


def _percent_vs_untreated(kind: str, t, y, u, window, where: str) -> np.ndarray:
    """Extreme over time of 100 * (treated / untreated - 1), skipping untreated zeros."""
    tw, yw = _restrict(t, y, window, where)
    _, uw = _restrict(t, u, window, where)
    usable = uw != 0.0
    ratio = yw / np.where(usable, uw, 1.0)
    if kind == "percent_change_min":
        extreme = np.where(usable, ratio, np.inf).min(axis=1)
    else:
        extreme = np.where(usable, ratio, -np.inf).max(axis=1)
    return np.where(usable.any(axis=1), 100.0 * (extreme - 1.0), np.nan)


def _context_metric(spec, y, context: DoseContext | None, where: str) -> np.ndarray:
    """``grams_given``, ``cost_usd`` and ``max_infusion_rate_mg_per_kg_per_min``."""
    if context is None:
        raise ValueError(
            f"{where}: kind '{spec.kind}' needs a dose context (see ivigsim.analysis.metrics.dose_context)"
        )
    if y is not None:
        n_points = np.atleast_2d(np.asarray(y)).shape[0]
        if n_points != context.n_points:
            raise ValueError(
                f"{where}: the dose context describes {context.n_points} points but y has "
                f"{n_points}"
            )
    if spec.kind == "grams_given":
        return context.grams_given.copy()
    if spec.kind == "cost_usd":
        price = spec.price_usd_per_g
        price = DEFAULT_PRICE_USD_PER_G if price is None else float(price)
        return context.grams_given * price
    if spec.kind == "antagonist_mg_given":
        return context.antagonist_mg.copy()
    if spec.kind == "apheresis_sessions":
        return context.sessions.copy()
    if spec.kind == "thrombosis_flag":
        return (context.max_daily_g >= THROMBOSIS_RISK_DAILY_G * (1.0 - 1e-9)).astype(float)
    if spec.kind == "therapy_cost_usd":
        price_g = getattr(spec, "price_usd_per_g", None)
        price_g = DEFAULT_PRICE_USD_PER_G if price_g is None else float(price_g)
        price_mg = getattr(spec, "price_usd_per_mg", None)
        price_mg = context.antagonist_price_usd_per_mg if price_mg is None else float(price_mg)
        drug = np.where(context.antagonist_mg > 0, context.antagonist_mg * price_mg, 0.0)
        price_s = getattr(spec, "price_usd_per_session", None)
        price_s = DEFAULT_PRICE_USD_PER_SESSION if price_s is None else float(price_s)
        return context.grams_given * price_g + drug + context.sessions * price_s
    return context.max_infusion_rate_mg_per_kg_per_min.copy()


def _interp_columns(t: np.ndarray, y: np.ndarray, at: float) -> np.ndarray:
    """Values of every row of ``y`` at time ``at`` (inside ``[t[0], t[-1]]``), linearly.

    At a repeated time (a jump) the value after the jump is returned.
    """
    n = t.shape[0]
    i = int(np.searchsorted(t, at, side="right")) - 1
    if i >= n - 1:
        return y[:, -1].copy()
    if at == t[i]:
        return y[:, i].copy()
    w = (at - t[i]) / (t[i + 1] - t[i])
    return y[:, i] + w * (y[:, i + 1] - y[:, i])


def _restrict(t: np.ndarray, y: np.ndarray, window, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Grid and trajectories on ``[a, b]``, with interpolated values at ``a`` and ``b``."""
    if window is None:
        return t, y
    a, b = _window_bounds(window, where)
    if a < t[0] or b > t[-1]:
        raise ValueError(
            f"{where}: window_days ({a:g}, {b:g}) is not inside the simulated range "
            f"[{t[0]:g}, {t[-1]:g}] days"
        )
    inside = (t > a) & (t < b)
    tw = np.concatenate(([a], t[inside], [b]))
    yw = np.column_stack((_interp_columns(t, y, a), y[:, inside], _interp_columns(t, y, b)))
    return tw, yw


def _trajectory_metric(spec, kind: str, t, y, tw, yw, where: str) -> np.ndarray:
    """Every trajectory kind except ``value_at`` and ``half_life``."""
    if kind == "max":
        return yw.max(axis=1)
    if kind == "min":
        return yw.min(axis=1)
    if kind == "time_of_max":
        return tw[np.argmax(yw, axis=1)]
    if kind == "time_of_min":
        return tw[np.argmin(yw, axis=1)]
    if kind in _PERCENT_KINDS:
        baseline = y[:, 0]
        extreme = yw.min(axis=1) if kind == "percent_change_min" else yw.max(axis=1)
        change = 100.0 * (extreme / baseline - 1.0)
        return np.where(baseline == 0.0, np.nan, change)
    if kind == "hyperviscosity_band":
        peak = yw.max(axis=1)
        return sum((peak >= band).astype(float) for band in HYPERVISCOSITY_BANDS_CP)
    dt = np.diff(tw)
    if kind == "auc":
        return (0.5 * (yw[:, 1:] + yw[:, :-1]) * dt).sum(axis=1)
    if kind in _THRESHOLD_KINDS:
        excess = yw - float(spec.threshold)
        if kind == "time_below":
            excess = -excess
        u, v = excess[:, :-1], excess[:, 1:]
        # Fraction of each linear piece with excess > 0: (u+ + v+) / (|u| + |v|),
        # which is 1 or 0 without a sign change and the crossing point otherwise.
        total = np.abs(u) + np.abs(v)
        positive = np.maximum(u, 0.0) + np.maximum(v, 0.0)
        fraction = np.where(total > 0.0, positive / np.where(total > 0.0, total, 1.0), 0.0)
        return (fraction * dt).sum(axis=1)
    # max_rate_of_rise
    steps = dt > 0.0
    if not np.any(steps):
        raise ValueError(
            f"{where}: max_rate_of_rise needs at least two distinct times in the "
            f"{'window' if spec.window_days is not None else 'simulated range'}"
        )
    slopes = np.diff(yw, axis=1)[:, steps] / dt[steps]
    return slopes.max(axis=1)


def _half_life(t: np.ndarray, y: np.ndarray, window: tuple[float, float], where: str) -> np.ndarray:
    """ln 2 / -slope of the least-squares line through (t, ln y) on the window's grid points."""
    a, b = window
    if a < t[0] or b > t[-1]:
        raise ValueError(
            f"{where}: window_days ({a:g}, {b:g}) is not inside the simulated range "
            f"[{t[0]:g}, {t[-1]:g}] days"
        )
    inside = (t >= a) & (t <= b)
    tw, yw = t[inside], y[:, inside]
    x = tw - tw.mean() if tw.size else tw
    sxx = float(np.dot(x, x))
    if tw.size < 2 or sxx <= 0.0:
        raise ValueError(
            f"{where}: half_life needs at least two distinct output times inside "
            f"window_days ({a:g}, {b:g}); widen the window or refine the output grid"
        )
    positive = np.all(yw > 0.0, axis=1)
    logs = np.log(np.where(yw > 0.0, yw, 1.0))
    slope = (logs - logs.mean(axis=1, keepdims=True)) @ x / sxx
    half = math.log(2.0) / -np.where(slope < 0.0, slope, -1.0)
    return np.where(positive & (slope < 0.0), half, np.nan)
