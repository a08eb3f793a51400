"""The figures an experiment file asks for: arms compared side by side, and no arm left out.

A head-to-head experiment (``therapy_comparison``) has one point per regimen. Its
``fan`` plots with ``group_by = "regimen"`` must show one curve per arm, not a
percentile spread pooled over the arms, and an arm whose status is "undefined"
(one metric without a value, such as a drug without a list price) still ran: its
trajectory and its other metrics belong in the figures.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from ivigsim.interfaces.experiment_plots import draw_experiment_plots  # noqa: E402
from ivigsim.interfaces.sweep_plots import bar_value, bars  # noqa: E402
from ivigsim.sweep.experiment import PlotSpec  # noqa: E402


class _Experiment:
    model = "igg_linear"

    def __init__(self, *plots):
        self.plots = plots


class _Results:
    def __init__(self, regimens, status, metric, curves):
        self.metrics = pd.DataFrame({"regimen": regimens, "status": status, "nadir_pct": metric})
        self.metrics.attrs["units"] = {"nadir_pct": "%"}
        t = np.linspace(0.0, 10.0, 11)
        self.trajectories = xr.Dataset(
            {"igg_total": (("point", "time"), np.asarray(curves, dtype=float), {"units": "g/L"})},
            coords={"time": t})


def _arms():
    t = np.linspace(0.0, 10.0, 11)
    curves = [10 + t, 10 - 0.5 * t, 10 - 0.2 * t, np.full(11, np.nan)]
    return _Results(["ivig", "plex", "no_price", "broken"], ["ok", "ok", "undefined", "failed"],
                    [-20.0, -60.0, -30.0, np.nan], curves), curves


def test_a_fan_grouped_by_regimen_draws_one_curve_per_arm_that_ran(saved, tmp_path):
    results, curves = _arms()
    draw_experiment_plots(_Experiment(PlotSpec("igg", "fan", output="igg_total", group_by="regimen")),
                          results, tmp_path)
    ax = saved[0].axes[0]
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    assert set(lines) == {"ivig", "plex", "no_price"}              # the failed arm has no curve
    for name, curve in zip(["ivig", "plex", "no_price"], curves):
        np.testing.assert_array_equal(lines[name], curve)
    assert ax.get_xlabel() == "time [day]" and ax.get_ylabel() == "igg_total [g/L]"
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1   # beside the axes


def test_several_points_per_arm_give_the_median_of_each(saved, tmp_path):
    t = np.linspace(0.0, 10.0, 11)
    curves = [t, 2 * t, 3 * t, 10 + t, 20 + t]
    results = _Results(["a", "a", "a", "b", "b"], ["ok"] * 5, [1.0] * 5, curves)
    draw_experiment_plots(_Experiment(PlotSpec("igg", "fan", output="igg_total", group_by="regimen")),
                          results, tmp_path)
    lines = {line.get_label().split(" ")[0]: line.get_ydata() for line in saved[0].axes[0].get_lines()}
    np.testing.assert_allclose(lines["a"], 2 * t)
    np.testing.assert_allclose(lines["b"], 15 + t)


def test_without_group_by_the_fan_pools_every_point_that_ran(saved, tmp_path):
    results, curves = _arms()
    draw_experiment_plots(_Experiment(PlotSpec("igg", "fan", output="igg_total")), results, tmp_path)
    median = [line for line in saved[0].axes[0].get_lines() if line.get_label() == "median"][0]
    np.testing.assert_allclose(median.get_ydata(), np.median(curves[:3], axis=0))
    assert saved[0].axes[0].get_title(loc="right") == "n = 3"


def test_bars_keep_an_arm_whose_other_metric_is_undefined(saved, tmp_path):
    results, _ = _arms()
    draw_experiment_plots(_Experiment(PlotSpec("nadir", "bars", metric="nadir_pct", group_by="regimen")),
                          results, tmp_path)
    ax = saved[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ivig", "plex", "no_price"]
    assert [p.get_height() for p in ax.patches] == [-20.0, -60.0, -30.0]


def test_bar_labels_are_readable_and_clear_of_the_tick_labels(saved, tmp_path):
    assert bar_value(41650.0) == "41,650" and bar_value(4638.2) == "4,638"
    assert bar_value(-89.53) == "-89.5" and bar_value(0.06959) == "0.0696"
    bars(["ivig", "ivig_then_plex"], [-69.9, -89.5], tmp_path / "nadir", y_label="nadir [%]")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    ax = saved[0].axes[0]
    canvas = FigureCanvasAgg(saved[0])             # a saved figure is closed: give it a canvas again
    canvas.draw()
    renderer = canvas.get_renderer()
    lowest = min(t.get_window_extent(renderer).y0 for t in ax.texts)
    assert lowest > ax.get_window_extent(renderer).y0              # inside the axes, above the ticks
    assert {t.get_text() for t in ax.texts} == {"-69.9", "-89.5"}
