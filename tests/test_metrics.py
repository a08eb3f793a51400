"""Tests for ivigsim.analysis.metrics: sweep metrics on analytic trajectories."""

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from ivigsim.analysis.metrics import (DEFAULT_PRICE_USD_PER_G, METRIC_KINDS, DoseContext,
                             compute_metric, dose_context, metric_unit, validate_metric)
from ivigsim.core.regimen import Regimen


@dataclass(frozen=True)
class Spec:
    """Stand-in for the sweep specification's metric dataclass (duck typing)."""

    name: str
    kind: str
    output: str | None = "y"
    at_day: float | None = None
    window_days: tuple[float, float] | None = None
    threshold: float | None = None
    price_usd_per_g: float | None = None
    baseline: str = "start"


def metric(kind, t, y, context=None, untreated=None, **fields):
    return compute_metric(Spec(name=kind, kind=kind, **fields), t, y, context,
                          untreated=untreated)


T = np.linspace(0.0, 10.0, 11)          # days 0, 1, ..., 10


# ---------------------------------------------------------------------------
# Each kind on analytic trajectories
# ---------------------------------------------------------------------------


def test_kinds_are_the_documented_set():
    assert METRIC_KINDS == {
        "value_at", "max", "min", "time_of_max", "time_of_min", "percent_change_min",
        "percent_change_max", "auc", "time_above", "time_below", "half_life", "grams_given",
        "cost_usd", "max_rate_of_rise", "max_infusion_rate_mg_per_kg_per_min",
        "antagonist_mg_given", "apheresis_sessions", "therapy_cost_usd", "thrombosis_flag",
        "hyperviscosity_band", "auc_change_pct",
    }
    assert DEFAULT_PRICE_USD_PER_G == 151.0


def test_half_life_of_exponential_decay_is_exact():
    k = np.array([0.05, 0.1, 0.7])
    t = np.linspace(0.0, 30.0, 61)
    y = 12.0 * np.exp(-k[:, None] * t)
    out = metric("half_life", t, y, window_days=(5.0, 25.0))
    np.testing.assert_allclose(out, math.log(2.0) / k, rtol=1e-10, atol=0.0)


def test_half_life_uses_only_the_window():
    t = np.linspace(0.0, 20.0, 41)
    # Rises until day 5, then decays with k = 0.2 / day.
    y = np.where(t < 5.0, 1.0 + t, 6.0 * np.exp(-0.2 * (t - 5.0)))[None, :]
    out = metric("half_life", t, y, window_days=(5.0, 20.0))
    assert out[0] == pytest.approx(math.log(2.0) / 0.2, rel=1e-10)


def test_half_life_is_nan_for_rise_or_non_positive_values():
    t = np.linspace(0.0, 4.0, 5)
    y = np.vstack([np.exp(0.1 * t), np.array([1.0, 0.5, 0.0, 0.2, 0.1]), np.full(5, 3.0),
                   np.exp(-t)])
    out = metric("half_life", t, y, window_days=(0.0, 4.0))
    assert np.isnan(out[:3]).all()
    assert out[3] == pytest.approx(math.log(2.0))


def test_auc_of_a_line_is_exact():
    y = np.vstack([T, 2.0 * T + 1.0])
    out = metric("auc", T, y)
    np.testing.assert_allclose(out, [50.0, 110.0], rtol=1e-14)


def test_auc_with_window_between_grid_points_is_exact():
    # y = t is linear, so the integral over [2.5, 7.25] is (7.25^2 - 2.5^2) / 2.
    out = metric("auc", T, T[None, :], window_days=(2.5, 7.25))
    assert out[0] == pytest.approx((7.25**2 - 2.5**2) / 2.0, rel=1e-14)


def test_time_above_and_below_interpolate_the_crossing():
    # y = t crosses 3.7 at day 3.7; y = 10 - t at day 6.3; y = t / 2 at day 7.4.
    y = np.vstack([T, 10.0 - T, 0.5 * T])
    above = metric("time_above", T, y, threshold=3.7)
    below = metric("time_below", T, y, threshold=3.7)
    np.testing.assert_allclose(above, [10.0 - 3.7, 6.3, 10.0 - 7.4], rtol=1e-13)
    np.testing.assert_allclose(below, [3.7, 10.0 - 6.3, 7.4], rtol=1e-13)


def test_time_above_triangle_wave_and_window():
    # Triangle: up from 0 to 4 at day 4, down to 0 at day 8, up to 2 at day 10.
    y = np.interp(T, [0.0, 4.0, 8.0, 10.0], [0.0, 4.0, 0.0, 2.0])[None, :]
    # Above 1 on (1, 7) and (9, 10): 6 + 1 days.
    assert metric("time_above", T, y, threshold=1.0)[0] == pytest.approx(7.0, rel=1e-14)
    # Window (2.5, 9.5): above 1 on (2.5, 7) and (9, 9.5).
    assert metric("time_above", T, y, threshold=1.0, window_days=(2.5, 9.5))[0] == \
        pytest.approx(5.0, rel=1e-14)
    assert metric("max", T, y)[0] == 4.0
    assert metric("time_of_max", T, y)[0] == 4.0
    assert metric("min", T, y, window_days=(1.0, 9.5))[0] == 0.0
    assert metric("time_of_min", T, y, window_days=(1.0, 9.5))[0] == 8.0
    assert metric("max_rate_of_rise", T, y)[0] == pytest.approx(1.0)


def test_flat_segment_at_threshold_is_neither_above_nor_below():
    y = np.full((1, T.size), 2.0)
    assert metric("time_above", T, y, threshold=2.0)[0] == 0.0
    assert metric("time_below", T, y, threshold=2.0)[0] == 0.0
    assert metric("time_below", T, y, threshold=2.5)[0] == 10.0


def test_time_of_max_and_min_take_the_first_occurrence():
    y = np.array([[1.0, 3.0, 2.0, 3.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    assert metric("time_of_max", T, y)[0] == 1.0
    assert metric("time_of_min", T, y)[0] == 4.0


def test_percent_change_from_the_start():
    y = np.vstack([
        np.interp(T, [0.0, 5.0, 10.0], [10.0, 4.0, 8.0]),    # nadir 4: -60 %
        np.interp(T, [0.0, 5.0, 10.0], [2.0, 5.0, 3.0]),     # peak 5: +150 %
    ])
    np.testing.assert_allclose(metric("percent_change_min", T, y), [-60.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(metric("percent_change_max", T, y), [0.0, 150.0], atol=1e-12)
    # In a window the extreme is taken inside it, the baseline stays the value at day 0.
    np.testing.assert_allclose(metric("percent_change_min", T, y, window_days=(7.0, 10.0)),
                               [100.0 * (np.interp(7.0, [5.0, 10.0], [4.0, 8.0]) / 10 - 1), 50.0],
                               rtol=1e-12)


def test_percent_change_with_zero_baseline_is_nan_without_warnings():
    y = np.vstack([T, T + 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = metric("percent_change_max", T, y)
    assert np.isnan(out[0])
    assert out[1] == pytest.approx(1000.0)


def test_percent_change_against_the_untreated_twin():
    # The untreated twin drifts down; the treated one is 20 % below it at day 4
    # and 30 % above it at day 8, and equal elsewhere.
    untreated = np.vstack([10.0 - 0.5 * T, 10.0 - 0.5 * T])
    factor = np.interp(T, [0.0, 4.0, 6.0, 8.0, 10.0], [1.0, 0.8, 1.0, 1.3, 1.0])
    y = untreated * factor
    y[1] *= 0.5                                  # second point: half the twin throughout
    out = metric("percent_change_min", T, y, untreated=untreated, baseline="untreated")
    np.testing.assert_allclose(out, [-20.0, -60.0], rtol=1e-12)
    out = metric("percent_change_max", T, y, untreated=untreated, baseline="untreated")
    np.testing.assert_allclose(out, [30.0, -35.0], rtol=1e-12)
    # One untreated row is shared by every point; a zero in it (day 8, the
    # peak of the ratio) is skipped, leaving the ratio 1.15 at days 7 and 9.
    shared = untreated[0].copy()
    shared[8] = 0.0
    out = metric("percent_change_max", T, y, untreated=shared, baseline="untreated",
                 window_days=(5.0, 10.0))
    np.testing.assert_allclose(out, [15.0, 100.0 * (0.5 * 1.15 - 1.0)], rtol=1e-12)
    with pytest.raises(ValueError, match="needs the untreated trajectories"):
        metric("percent_change_min", T, y, baseline="untreated")
    with pytest.raises(ValueError, match="untreated must have shape"):
        metric("percent_change_min", T, y, untreated=np.ones((3, T.size)), baseline="untreated")


def test_percent_change_against_untreated_isolates_nan():
    untreated = np.vstack([np.full(T.size, 2.0), np.full(T.size, 4.0)])
    untreated[0, 3] = np.nan
    y = np.full((2, T.size), 3.0)
    out = metric("percent_change_min", T, y, untreated=untreated, baseline="untreated")
    assert np.isnan(out[0]) and out[1] == pytest.approx(-25.0)


def test_value_at_interpolates_linearly():
    y = np.vstack([T**2, 3.0 - T])
    out = metric("value_at", T, y, at_day=2.25)
    np.testing.assert_allclose(out, [4.0 + 0.25 * 5.0, 0.75], rtol=1e-14)
    np.testing.assert_allclose(metric("value_at", T, y, at_day=10.0), [100.0, -7.0])
    np.testing.assert_allclose(metric("value_at", T, y, at_day=0.0), [0.0, 3.0])


def test_value_at_outside_the_range_is_refused():
    with pytest.raises(ValueError, match=r"at_day = 10.5 is outside the simulated range"):
        metric("value_at", T, T[None, :], at_day=10.5)


def test_max_rate_of_rise_is_the_steepest_forward_difference():
    y = np.vstack([np.interp(T, [0.0, 2.0, 3.0, 10.0], [0.0, 1.0, 6.0, 0.0]), -T])
    out = metric("max_rate_of_rise", T, y)
    np.testing.assert_allclose(out, [5.0, -1.0])
    # Outside the fast rise the steepest is the slow one.
    assert metric("max_rate_of_rise", T, y, window_days=(0.0, 2.0))[0] == pytest.approx(0.5)


def test_repeated_time_marks_a_jump():
    t = np.array([0.0, 1.0, 1.0, 2.0])
    y = np.array([[0.0, 0.0, 5.0, 5.0]])
    assert metric("value_at", t, y, at_day=1.0)[0] == 5.0
    assert metric("auc", t, y)[0] == 5.0
    assert metric("time_above", t, y, threshold=1.0)[0] == 1.0
    assert metric("max_rate_of_rise", t, y)[0] == 0.0


# ---------------------------------------------------------------------------
# Vectorisation, NaN isolation and windows
# ---------------------------------------------------------------------------


def test_vectorised_over_points_with_different_answers():
    peaks = np.array([1.0, 3.0, 7.0, 9.0])
    y = np.maximum(0.0, 5.0 - np.abs(T[None, :] - peaks[:, None]))
    np.testing.assert_array_equal(metric("time_of_max", T, y), peaks)
    np.testing.assert_array_equal(metric("max", T, y), [5.0, 5.0, 5.0, 5.0])
    assert metric("auc", T, y).shape == (4,)
    single = metric("time_of_max", T, y[2])
    np.testing.assert_array_equal(single, [7.0])


@pytest.mark.parametrize("kind,fields", [
    ("value_at", {"at_day": 3.5}), ("max", {}), ("min", {}), ("time_of_max", {}),
    ("time_of_min", {}), ("percent_change_min", {}), ("percent_change_max", {}), ("auc", {}),
    ("time_above", {"threshold": 2.0}), ("time_below", {"threshold": 2.0}),
    ("half_life", {"window_days": (2.0, 8.0)}), ("max_rate_of_rise", {}),
])
def test_nan_in_one_point_leaves_the_others_alone(kind, fields):
    y = np.vstack([5.0 * np.exp(-0.3 * T), 4.0 * np.exp(-0.1 * T), 3.0 * np.exp(-0.2 * T)])
    clean = metric(kind, T, y, **fields)
    broken = y.copy()
    broken[1, 7] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = metric(kind, T, broken, **fields)
    assert np.isnan(out[1])
    np.testing.assert_array_equal(out[[0, 2]], clean[[0, 2]])
    assert np.all(np.isfinite(clean))


def test_window_restricts_extremes():
    y = np.interp(T, [0.0, 2.0, 6.0, 10.0], [0.0, 8.0, 1.0, 3.0])[None, :]
    assert metric("max", T, y, window_days=(4.0, 10.0))[0] == pytest.approx(4.5)
    assert metric("time_of_max", T, y, window_days=(4.0, 10.0))[0] == 4.0
    assert metric("max", T, y, window_days=(7.0, 10.0))[0] == pytest.approx(3.0)
    assert metric("time_of_max", T, y, window_days=(7.0, 10.0))[0] == 10.0
    # Edges between grid points are interpolated (exact for piecewise-linear y).
    assert metric("max", T, y, window_days=(3.5, 9.0))[0] == pytest.approx(8.0 - 1.5 * 7 / 4)


def test_window_outside_the_range_is_refused():
    with pytest.raises(ValueError, match=r"not inside the simulated range \[0, 10\]"):
        metric("auc", T, T[None, :], window_days=(5.0, 12.0))
    with pytest.raises(ValueError, match="at least two distinct output times"):
        metric("half_life", T, T[None, :] + 1, window_days=(2.2, 2.8))


# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind,unit", [
    ("value_at", "g/L"), ("max", "g/L"), ("min", "g/L"), ("time_of_max", "day"),
    ("time_of_min", "day"), ("percent_change_min", "%"), ("percent_change_max", "%"),
    ("auc", "(g/L)*day"), ("time_above", "day"), ("time_below", "day"), ("half_life", "day"),
    ("grams_given", "g"), ("cost_usd", "USD"), ("max_rate_of_rise", "(g/L)/day"),
    ("max_infusion_rate_mg_per_kg_per_min", "mg/kg/min"),
])
def test_metric_unit(kind, unit):
    assert metric_unit(Spec(name="m", kind=kind), "g/L") == unit


def test_metric_unit_of_a_simple_unit_is_not_parenthesised():
    assert metric_unit(Spec(name="m", kind="auc"), "nM") == "nM*day"
    assert metric_unit(Spec(name="m", kind="max_rate_of_rise"), "nM") == "nM/day"


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fields,message", [
    ({"kind": "maximum"}, r"unknown kind 'maximum' \(did you mean 'max'\?\)"),
    ({"kind": "value_at"}, "needs at_day"),
    ({"kind": "value_at", "at_day": float("nan")}, "at_day .* must be finite"),
    ({"kind": "time_above"}, "needs a threshold"),
    ({"kind": "time_below", "threshold": "low"}, "threshold must be a number"),
    ({"kind": "half_life"}, "needs window_days"),
    ({"kind": "auc", "window_days": (5.0, 2.0)}, "start < end"),
    ({"kind": "auc", "window_days": (1.0, 2.0, 3.0)}, "pair of days"),
    ({"kind": "max", "at_day": 3.0}, "at_day is only used by kind 'value_at'"),
    ({"kind": "max", "threshold": 3.0}, "threshold is only used"),
    ({"kind": "value_at", "at_day": 1.0, "window_days": (0.0, 2.0)},
     "window_days does not apply"),
    ({"kind": "auc", "price_usd_per_g": 100.0}, "price_usd_per_g is only used"),
    ({"kind": "cost_usd", "price_usd_per_g": -1.0}, "must be >= 0"),
    ({"kind": "max", "output": None}, "needs an output"),
    ({"kind": "percent_change_min", "baseline": "day 0"}, "baseline must be 'start'"),
    ({"kind": "max", "baseline": "untreated"}, "only applies to kinds 'percent_change_min'"),
])
def test_validation_errors_name_the_metric(fields, message):
    spec = Spec(name="my_metric", **fields)
    with pytest.raises(ValueError, match=message) as info:
        validate_metric(spec)
    assert "metric 'my_metric'" in str(info.value)


def test_valid_specs_pass():
    for spec in (Spec("a", "value_at", at_day=3.0), Spec("b", "auc", window_days=[0, 5]),
                 Spec("c", "time_above", threshold=np.float64(2.0)),
                 Spec("d", "half_life", window_days=(1.0, 2.0)),
                 Spec("e", "cost_usd", output=None), Spec("f", "cost_usd", price_usd_per_g=80),
                 Spec("g", "grams_given", output=None)):
        validate_metric(spec)


def test_compute_validates_and_checks_shapes():
    with pytest.raises(ValueError, match="needs a threshold"):
        metric("time_above", T, T[None, :])
    with pytest.raises(ValueError, match=r"y must have shape \(n_points, 11\)"):
        metric("max", T, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="non-decreasing"):
        metric("max", T[::-1], np.zeros((2, 11)))


# ---------------------------------------------------------------------------
# Regimen metrics
# ---------------------------------------------------------------------------


def test_dose_context_from_real_regimens():
    regimens = [Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8.0),
                Regimen.ivig(dose_g_per_kg=1.0, days=2, infusion_hours=10.0, cycles=3),
                None]
    context = dose_context(regimens, [70.0, 70.0, 70.0])
    np.testing.assert_allclose(context.grams_given, [140.0, 420.0, 0.0], rtol=1e-14)
    # 400 mg/kg over 480 min; 1000 mg/kg over 600 min.
    np.testing.assert_allclose(context.max_infusion_rate_mg_per_kg_per_min,
                               [400.0 / 480.0, 1000.0 / 600.0, 0.0], rtol=1e-14)
    assert context.n_points == 3

    y = np.zeros((3, T.size))
    np.testing.assert_allclose(metric("grams_given", T, y, context), [140.0, 420.0, 0.0])
    np.testing.assert_allclose(metric("cost_usd", T, y, context),
                               [140.0 * 151.0, 420.0 * 151.0, 0.0])
    np.testing.assert_allclose(metric("cost_usd", T, y, context, price_usd_per_g=73.0),
                               [140.0 * 73.0, 420.0 * 73.0, 0.0])
    np.testing.assert_allclose(
        metric("max_infusion_rate_mg_per_kg_per_min", T, None, context),
        context.max_infusion_rate_mg_per_kg_per_min)


def test_dose_context_scales_with_body_weight_and_broadcasts_one_weight():
    regimen = Regimen.ivig(cycles=2)
    context = dose_context([regimen, regimen], [50.0, 80.0])
    np.testing.assert_allclose(context.grams_given, [200.0, 320.0])
    context = dose_context([regimen, regimen], 70.0)
    np.testing.assert_allclose(context.grams_given, [280.0, 280.0])
    with pytest.raises(ValueError, match="one body weight per regimen"):
        dose_context([regimen, regimen], [70.0, 70.0, 70.0])


def test_regimen_metrics_need_a_matching_context():
    with pytest.raises(ValueError, match="needs a dose context"):
        metric("grams_given", T, np.zeros((2, T.size)))
    context = DoseContext(np.array([1.0]), np.array([0.5]))
    with pytest.raises(ValueError, match="describes 1 points but y has 2"):
        metric("grams_given", T, np.zeros((2, T.size)), context)
    with pytest.raises(ValueError, match="same length"):
        DoseContext(np.array([1.0, 2.0]), np.array([0.5]))


def test_nan_trajectory_does_not_hide_the_grams_given():
    context = dose_context([Regimen.ivig()], [70.0])
    y = np.full((1, T.size), np.nan)
    assert metric("grams_given", T, y, context)[0] == pytest.approx(140.0)
