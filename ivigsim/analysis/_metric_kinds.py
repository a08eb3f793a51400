"""Metric kinds, their units and the checks of a metric definition.

Internal to :mod:`ivigsim.analysis.metrics`, which re-exports the public names.
"""

from __future__ import annotations

import difflib
import math
import numbers

import numpy as np



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
CONTEXT_KINDS = frozenset({"grams_given", "cost_usd", "max_infusion_rate_mg_per_kg_per_min",
                            "antagonist_mg_given", "apheresis_sessions", "therapy_cost_usd",
                            "thrombosis_flag"})
# Kinds that accept window_days (half_life requires it).
WINDOW_KINDS = frozenset({
    "hyperviscosity_band", "auc_change_pct", "max", "min", "time_of_max", "time_of_min", "percent_change_min", "percent_change_max",
    "auc", "time_above", "time_below", "half_life", "max_rate_of_rise",
})
THRESHOLD_KINDS = frozenset({"time_above", "time_below"})
PERCENT_KINDS = frozenset({"percent_change_min", "percent_change_max"})
BASELINES = ("start", "untreated")


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
    kind = check_kind(spec)
    if kind in ("value_at", "max", "min"):
        return output_unit
    if kind in ("time_of_max", "time_of_min", "time_above", "time_below", "half_life"):
        return "day"
    if kind in PERCENT_KINDS or kind == "auc_change_pct":
        return "%"
    if kind == "auc":
        return f"{grouped(output_unit)}*day"
    if kind == "max_rate_of_rise":
        return f"{grouped(output_unit)}/day"
    if kind == "grams_given":
        return "g"
    if kind in ("cost_usd", "therapy_cost_usd"):
        return "USD"
    if kind == "antagonist_mg_given":
        return "mg"
    if kind in ("apheresis_sessions", "thrombosis_flag", "hyperviscosity_band"):
        return "1"
    return "mg/kg/min"


def grouped(unit: str) -> str:
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
    where = where_of(spec)
    kind = check_kind(spec)
    if kind not in CONTEXT_KINDS:
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
        finite(at_day, where, "at_day (days)")
    elif at_day is not None:
        raise ValueError(f"{where}: at_day is only used by kind 'value_at', not '{kind}'")

    threshold = getattr(spec, "threshold", None)
    if kind in THRESHOLD_KINDS:
        if threshold is None:
            raise ValueError(
                f"{where}: kind '{kind}' needs a threshold (in the output's unit)"
            )
        finite(threshold, where, "threshold")
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
        if kind not in WINDOW_KINDS:
            raise ValueError(f"{where}: window_days does not apply to kind '{kind}'")
        window_bounds(window, where)

    price = getattr(spec, "price_usd_per_g", None)
    if price is not None:
        if kind not in ("cost_usd", "therapy_cost_usd"):
            raise ValueError(
                f"{where}: price_usd_per_g is only used by kinds 'cost_usd' and "
                f"'therapy_cost_usd', not '{kind}'"
            )
        value = finite(price, where, "price_usd_per_g (US$/g)")
        if value < 0.0:
            raise ValueError(f"{where}: price_usd_per_g must be >= 0 US$/g, got {price!r}")
    for field_name, unit in (("price_usd_per_mg", "US$/mg"), ("price_usd_per_session", "US$")):
        price = getattr(spec, field_name, None)
        if price is None:
            continue
        if kind != "therapy_cost_usd":
            raise ValueError(f"{where}: {field_name} is only used by kind 'therapy_cost_usd', "
                             f"not '{kind}'")
        if finite(price, where, f"{field_name} ({unit})") < 0.0:
            raise ValueError(f"{where}: {field_name} must be >= 0 {unit}, got {price!r}")

    baseline = getattr(spec, "baseline", "start")
    if baseline is None:
        baseline = "start"
    if baseline not in BASELINES:
        raise ValueError(
            f"{where}: baseline must be 'start' (the value at the first time point) or "
            f"'untreated' (the same patient without treatment), got {baseline!r}"
        )
    if kind == "auc_change_pct" and baseline != "untreated":
        raise ValueError(f"{where}: kind 'auc_change_pct' needs baseline = 'untreated'")
    if baseline != "start" and kind not in PERCENT_KINDS | {"auc_change_pct"}:
        raise ValueError(
            f"{where}: baseline {baseline!r} only applies to kinds 'percent_change_min' "
            f"and 'percent_change_max', not '{kind}'"
        )


def where_of(spec) -> str:
    """'metric "nadir"' for error messages."""
    name = getattr(spec, "name", None)
    return f"metric {name!r}" if name else "metric"


def check_kind(spec) -> str:
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
        f"{where_of(spec)}: unknown kind {kind!r}{hint}; known kinds: "
        + ", ".join(sorted(METRIC_KINDS))
    )


def finite(value, where: str, what: str) -> float:
    """Return ``value`` as a float, refusing non-numbers, bools, NaN and infinity."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where}: {what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{where}: {what} must be finite, got {value!r}")
    return number


def window_bounds(window, where: str) -> tuple[float, float]:
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
    a = finite(pair[0], where, "window_days start (days)")
    b = finite(pair[1], where, "window_days end (days)")
    if not a < b:
        raise ValueError(
            f"{where}: window_days must have start < end, got ({a:g}, {b:g}) days"
        )
    return a, b
