"""Tests for ivigsim.interfaces.sweep_plots: every figure is written as PNG and SVG."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ivigsim.interfaces import sweep_plots  # noqa: E402
from ivigsim.interfaces.sweep_plots import bars, dose_response, fan, heatmap, label, tornado  # noqa: E402


def check_written(paths, stem):
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert all(p.with_suffix("") == stem for p in paths)
    for p in paths:
        assert p.is_file() and p.stat().st_size > 0
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths[1].read_bytes()[:2000]
    assert plt.get_fignums() == []          # the figure was closed


def test_label_carries_the_unit():
    assert label("dose", "g/kg/day") == "dose [g/kg/day]"
    assert label("fold change", None) == "fold change"


def test_dose_response_single_curve(tmp_path):
    x = np.array([0.2, 0.4, 1.0, 2.0])
    paths = dose_response(x, 10.0 / (1.0 + x), tmp_path / "dr.png",
                          x_label=label("dose", "g/kg/day"),
                          y_label=label("autoantibody nadir", "mg/L"), log_x=True)
    check_written(paths, tmp_path / "dr")


def test_dose_response_bands_with_replicated_x(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    doses = np.repeat([0.2, 0.4, 1.0, 2.0], 50)               # 50 virtual patients per dose
    y = 10.0 / (1.0 + doses) * rng.lognormal(0.0, 0.3, doses.size)
    y[3] = np.nan                                              # a failed point is left out
    groups = np.tile(np.repeat([0, 1], 25), 4)

    fills = []
    original = matplotlib.axes.Axes.fill_between

    def spy(self, *args, **kwargs):
        fills.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "fill_between", spy)
    paths = dose_response(doses, y, tmp_path / "bands", x_label="dose [g/kg/day]",
                          y_label="nadir [mg/L]")
    check_written(paths, tmp_path / "bands")
    # One 5-95 % and one 25-75 % band, drawn at the four unique doses.
    assert len(fills) == 2
    xs, low, high = fills[0]
    np.testing.assert_array_equal(xs, [0.2, 0.4, 1.0, 2.0])
    at = doses == 0.4
    np.testing.assert_allclose(low[1], np.nanquantile(y[at], 0.05))
    np.testing.assert_allclose(high[1], np.nanquantile(y[at], 0.95))
    assert np.all(fills[1][1] >= low) and np.all(fills[1][2] <= high)

    fills.clear()
    paths = dose_response(doses, y, tmp_path / "groups.svg", x_label="dose [g/kg/day]",
                          y_label="nadir [mg/L]", groups=groups,
                          group_labels={0: "5 % product", 1: "10 % product"})
    check_written(paths, tmp_path / "groups")
    assert len(fills) == 4                                     # two bands per group


def test_dose_response_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="must have 3 values"):
        dose_response([1, 2, 3], [1, 2], tmp_path / "x", x_label="a", y_label="b")
    with pytest.raises(ValueError, match="logarithmic"):
        dose_response([0, 1], [1, 2], tmp_path / "x", x_label="a", y_label="b", log_x=True)
    with pytest.raises(ValueError, match="2 labels for 1 groups"):
        dose_response([0, 1], [1, 2], tmp_path / "x", x_label="a", y_label="b",
                      groups=[0, 0], group_labels=["a", "b"])


def test_heatmap_3x4_grid(tmp_path, monkeypatch):
    doses = np.array([0.4, 1.0, 2.0])
    intervals = np.array([14.0, 21.0, 28.0, 42.0])
    xx, yy = np.meshgrid(doses, intervals)
    order = np.random.default_rng(0).permutation(xx.size)     # any order of points
    x, y = xx.ravel()[order], yy.ravel()[order]
    z = x * 100.0 / y
    z[0] = np.nan

    meshes = []
    original = matplotlib.axes.Axes.pcolormesh

    def spy(self, *args, **kwargs):
        meshes.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "pcolormesh", spy)
    paths = heatmap(x, y, z, tmp_path / "heat", x_label="dose [g/kg/day]",
                    y_label="interval [day]", z_label="trough IgG [g/L]")
    check_written(paths, tmp_path / "heat")
    grid = np.ma.filled(meshes[0][2], np.nan)
    assert grid.shape == (4, 3)                                # rows: intervals, cols: doses
    expected = doses[None, :] * 100.0 / intervals[:, None]
    missing = (np.searchsorted(intervals, y[0]), np.searchsorted(doses, x[0]))
    expected[missing] = np.nan
    np.testing.assert_allclose(grid, expected)


def test_heatmap_refuses_an_incomplete_grid(tmp_path):
    with pytest.raises(ValueError, match="every combination"):
        heatmap([1, 2, 1], [1, 1, 2], [0, 0, 0], tmp_path / "h", x_label="a", y_label="b",
                z_label="c")


def test_fan(tmp_path):
    t = np.linspace(0.0, 56.0, 57)
    rng = np.random.default_rng(2)
    k = rng.lognormal(np.log(0.03), 0.2, 40)
    traj = 10.0 + 15.0 * np.exp(-k[:, None] * t)
    traj[5] = np.nan
    paths = fan(t, traj, tmp_path / "fan", y_label="total IgG [g/L]")
    check_written(paths, tmp_path / "fan")
    paths = fan(t, traj, tmp_path / "fan_even", y_label="total IgG [g/L]", quantiles=(0.1, 0.9))
    check_written(paths, tmp_path / "fan_even")
    with pytest.raises(ValueError, match="increasing"):
        fan(t, traj, tmp_path / "bad", y_label="y", quantiles=(0.9, 0.1))


def test_bars(tmp_path):
    paths = bars(["standard 2 g/kg", "high 4 g/kg", "SCIG weekly"], [140.0, 280.0, np.nan],
                 tmp_path / "nested" / "grams.png", y_label="grams given [g]",
                 errors=[5.0, 10.0, 0.0])
    check_written(paths, tmp_path / "nested" / "grams")
    paths = bars(["a", "b"], [1.0, -2.0], tmp_path / "asym", y_label="change [%]",
                 errors=[[0.1, 0.2], [0.3, 0.4]])
    check_written(paths, tmp_path / "asym")
    with pytest.raises(ValueError, match="errors must have shape"):
        bars(["a", "b"], [1.0, 2.0], tmp_path / "x", y_label="y", errors=[1.0])


def test_tornado(tmp_path):
    paths = tornado(["fcrn_total", "k_deg", "k_on"], [30.0, 45.0, 38.0], [50.0, 35.0, 41.0],
                    40.0, tmp_path / "tornado", x_label="nadir [mg/L]")
    check_written(paths, tmp_path / "tornado")
    # Sensitivity indices: bars from 0.
    paths = tornado(["a", "b"], [0.0, 0.0], [0.6, 0.3], 0.0, tmp_path / "indices",
                    x_label="first-order Sobol index")
    check_written(paths, tmp_path / "indices")


def test_import_does_not_import_matplotlib():
    code = ("import sys, ivigsim.interfaces.sweep_plots, ivigsim.analysis.metrics; "
            "print(any(m == 'matplotlib' or m.startswith('matplotlib.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_functions():
    assert set(sweep_plots.__all__) == {"label", "dose_response", "heatmap", "fan", "bars",
                                        "tornado", "sensitivity_bars"}
