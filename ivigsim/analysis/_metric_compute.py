"""Computing a metric from a trajectory or a dose context.

Internal to :mod:`ivigsim.analysis.metrics`, which re-exports the public names.
"""

from __future__ import annotations

import math

import numpy as np

from ivigsim.core.apheresis import DEFAULT_PRICE_USD_PER_SESSION
from ivigsim.core.regimen import HYPERVISCOSITY_BANDS_CP, THROMBOSIS_RISK_DAILY_G
from ivigsim.analysis._metric_kinds import (
    CONTEXT_KINDS,
    DEFAULT_PRICE_USD_PER_G,
    PERCENT_KINDS,
    THRESHOLD_KINDS,
    validate_metric,
    where_of,
    window_bounds,
)
from ivigsim.analysis._metric_context import DoseContext


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
    where = where_of(spec)
    if kind in CONTEXT_KINDS:
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
            out = _half_life(t, y, window_bounds(spec.window_days, where), where)
        elif kind == "auc_change_pct":
            u = _check_untreated(untreated, y.shape, where)
            bad |= np.isnan(u).any(axis=1)
            tw, yw = _restrict(t, y, spec.window_days, where)
            _, uw = _restrict(t, u, spec.window_days, where)
            dt = np.diff(tw)
            a_y = (0.5 * (yw[:, 1:] + yw[:, :-1]) * dt).sum(axis=1)
            a_u = (0.5 * (uw[:, 1:] + uw[:, :-1]) * dt).sum(axis=1)
            out = np.where(a_u != 0.0, 100.0 * (a_y / np.where(a_u != 0.0, a_u, 1.0) - 1.0), np.nan)
        elif kind in PERCENT_KINDS and getattr(spec, "baseline", "start") == "untreated":
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
    a, b = window_bounds(window, where)
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
    if kind in PERCENT_KINDS:
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
    if kind in THRESHOLD_KINDS:
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
