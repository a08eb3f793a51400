"""Figures of a sweep: dose-response curves, heatmaps, fans, bars, tornados and
sensitivity indices.

Every function takes plain arrays and a path, saves the figure twice with the
same stem, as PNG (for viewing) and SVG (for editing), closes it, and returns
the paths written.  A path ending in ``.png`` or ``.svg`` has that suffix
replaced; any other path gets ``.png`` and ``.svg`` appended.  Missing parent
folders are created.

Axis labels are passed in ready-made and should carry units, e.g.
``label("dose", "g/kg/day")`` -> ``"dose [g/kg/day]"``.  Lines and bars use the
Okabe–Ito colour-blind-safe palette of :mod:`ivigsim.interfaces.plotting`; the heatmap
uses viridis.  matplotlib is imported inside each function, never when this
module is imported.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ivigsim.interfaces.plotting import PALETTE
from ivigsim.interfaces.style import pyplot as _pyplot

__all__ = ["label", "dose_response", "heatmap", "fan", "bars", "tornado", "sensitivity_bars"]

_DPI = 130
# Quantile bands drawn by dose_response around the median at each x.
_OUTER_BAND = (0.05, 0.95)
_INNER_BAND = (0.25, 0.75)
# Heatmaps with at most this many cells print each cell's value.
_ANNOTATE_MAX_CELLS = 144


def label(name: str, unit: str | None) -> str:
    """Axis label with its unit, ``"dose [g/kg/day]"``; just ``name`` without a unit.

    Parameters
    ----------
    name : str
        What is plotted.
    unit : str or None
        Its unit; ``None`` or ``""`` for a dimensionless quantity.

    Returns
    -------
    str
    """
    return f"{name} [{unit}]" if unit else name


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _stem_paths(path) -> tuple[Path, Path]:
    """The PNG and SVG paths for ``path``, parent folder created."""
    path = Path(path)
    if path.suffix.lower() in (".png", ".svg"):
        path = path.with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(f"{path}.png"), Path(f"{path}.svg")


@contextmanager
def new_figure(width: float, height: float):
    """A new figure and axes, closed on leaving the block even after an error."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    try:
        yield fig, ax
    finally:
        plt.close(fig)


def save_figure(fig, path) -> list[Path]:
    """Save ``fig`` as PNG and SVG next to each other and return the two paths."""
    png, svg = _stem_paths(path)
    fig.savefig(png, dpi=_DPI)
    # No date in the SVG, so that the same figure gives the same file.
    fig.savefig(svg, metadata={"Date": None})
    return [png, svg]


def _vector(values, what: str, n: int | None = None) -> np.ndarray:
    """``values`` as a one-dimensional float array (of length ``n`` if given)."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{what} must have {n} values, got {array.shape[0]}")
    return array


def _nanquantiles(values: np.ndarray, quantiles, axis: int) -> np.ndarray:
    """``np.nanquantile`` without the warning for an all-NaN slice (which gives NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(values, quantiles, axis=axis)


def bar_value(value: float) -> str:
    """A bar's label: three significant digits, or whole numbers with separators from 1,000
    (``41,650`` rather than ``4.17e+04``)."""
    return f"{value:,.0f}" if abs(value) >= 1e3 else f"{value:.3g}"


def _percent(q: float) -> str:
    """0.05 -> '5'."""
    return f"{100.0 * q:g}"


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def dose_response(x, y, path, *, x_label: str, y_label: str, groups=None,
                  group_labels=None, log_x: bool = False) -> list[Path]:
    """A metric against a swept variable, one curve per group.

    Where an x value has several points (a virtual population, replicates),
    the curve is the median at that x, with shaded 25–75 % and 5–95 % bands;
    otherwise it joins the points.  NaN values (failed points) are left out.

    Parameters
    ----------
    x : array_like, shape (n,)
        Swept variable, e.g. the daily dose in g/kg/day.
    y : array_like, shape (n,)
        Metric at each point.
    path : str or Path
        Where to save; see the module docstring.
    x_label, y_label : str
        Axis labels with units.
    groups : array_like of int, shape (n,), optional
        Group of each point (e.g. the regimen or the product); one curve per
        group, in sorted order of the group values.
    group_labels : sequence of str or mapping, optional
        Legend labels: one per group in sorted order of the group values, or
        a mapping from group value to label.  Defaults to ``"group <value>"``.
    log_x : bool, optional
        Logarithmic x axis (x must then be > 0).

    Returns
    -------
    list of Path
        The PNG and SVG written.

    Raises
    ------
    ValueError
        For arrays of mismatched length, a non-finite x, a non-positive x with
        ``log_x``, or a wrong number of group labels.
    """
    x = _vector(x, "x")
    y = _vector(y, "y", x.shape[0])
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite")
    if log_x and np.any(x <= 0.0):
        raise ValueError("x must be > 0 on a logarithmic axis (log_x=True)")
    if groups is None:
        group_of = np.zeros(x.shape[0], dtype=int)
    else:
        group_of = np.asarray(groups)
        if group_of.ndim != 1 or group_of.shape[0] != x.shape[0]:
            raise ValueError(f"groups must have {x.shape[0]} values, got shape {group_of.shape}")
    group_values = np.unique(group_of)
    if group_labels is None:
        names = [f"group {g}" for g in group_values] if groups is not None else [None]
    elif isinstance(group_labels, Mapping):
        names = [str(group_labels.get(g.item(), f"group {g}")) for g in group_values]
    else:
        names = [str(name) for name in group_labels]
        if len(names) != len(group_values):
            raise ValueError(
                f"group_labels has {len(names)} labels for {len(group_values)} groups"
            )

    with new_figure(5.6, 3.8) as (fig, ax):
        replicated = False
        for k, (group, name) in enumerate(zip(group_values, names)):
            colour = PALETTE[k % len(PALETTE)]
            mask = group_of == group
            gx, gy = x[mask], y[mask]
            xs, index, counts = np.unique(gx, return_inverse=True, return_counts=True)
            if np.any(counts > 1):
                replicated = True
                table = np.full((xs.shape[0], int(counts.max())), np.nan)
                order = np.argsort(index, kind="stable")
                rank = np.arange(gx.shape[0]) - (np.cumsum(counts) - counts)[index[order]]
                table[index[order], rank] = gy[order]
                q = _nanquantiles(table, [_OUTER_BAND[0], _INNER_BAND[0], 0.5,
                                          _INNER_BAND[1], _OUTER_BAND[1]], axis=1)
                single = len(group_values) == 1
                ax.fill_between(xs, q[0], q[4], color=colour, alpha=0.15, lw=0,
                                label=f"{_percent(_OUTER_BAND[0])}–{_percent(_OUTER_BAND[1])} %"
                                if single else None)
                ax.fill_between(xs, q[1], q[3], color=colour, alpha=0.3, lw=0,
                                label=f"{_percent(_INNER_BAND[0])}–{_percent(_INNER_BAND[1])} %"
                                if single else None)
                ax.plot(xs, q[2], color=colour, lw=1.8, marker="o", ms=3.5,
                        label=(name or "median") if single else name)
            else:
                order = np.argsort(gx)
                ax.plot(gx[order], gy[order], color=colour, lw=1.8, marker="o", ms=3.5, label=name)
        if log_x:
            ax.set_xscale("log")
            from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
            ticks = np.unique(x)
            if ticks.shape[0] <= 10:
                # Name the swept values in plain numbers rather than powers of ten.
                ax.set_xticks(ticks, [f"{value:g}" for value in ticks])
                ax.set_xticks([], minor=True)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(alpha=0.3)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            title = None
            if replicated and len(group_values) > 1:
                title = (f"median, {_percent(_INNER_BAND[0])}–{_percent(_INNER_BAND[1])} % and "
                         f"{_percent(_OUTER_BAND[0])}–{_percent(_OUTER_BAND[1])} %")
            ax.legend(frameon=False, fontsize=8, title=title, title_fontsize=8)
        return save_figure(fig, path)


def heatmap(x, y, z, path, *, x_label: str, y_label: str, z_label: str) -> list[Path]:
    """A metric over a grid of two swept variables.

    The points may come in any order; each (x, y) pair of the grid must
    occur exactly once.  Cells are evenly sized whatever the spacing of the
    values (the ticks name the values), NaN cells are grey, and on grids of
    up to 144 cells each cell shows its value.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        The two swept variables at each point; ``n`` must be the number of
        unique x times the number of unique y.
    z : array_like, shape (n,)
        Metric at each point.
    path : str or Path
        Where to save; see the module docstring.
    x_label, y_label, z_label : str
        Labels with units for the axes and the colour bar.

    Returns
    -------
    list of Path
        The PNG and SVG written.

    Raises
    ------
    ValueError
        For arrays of mismatched length, non-finite x or y, or points that do
        not form a full grid.
    """
    x = _vector(x, "x")
    y = _vector(y, "y", x.shape[0])
    z = _vector(z, "z", x.shape[0])
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite")
    xs, ix = np.unique(x, return_inverse=True)
    ys, iy = np.unique(y, return_inverse=True)
    cell = iy * xs.shape[0] + ix
    if x.shape[0] != xs.shape[0] * ys.shape[0] or np.unique(cell).shape[0] != x.shape[0]:
        raise ValueError(
            f"heatmap needs every combination of the {xs.shape[0]} x values and the "
            f"{ys.shape[0]} y values exactly once, got {x.shape[0]} points"
        )
    grid = np.full(xs.shape[0] * ys.shape[0], np.nan)
    grid[cell] = z
    grid = grid.reshape(ys.shape[0], xs.shape[0])

    import matplotlib

    width = min(3.0 + 0.55 * xs.shape[0], 12.0)
    height = min(2.4 + 0.4 * ys.shape[0], 10.0)
    with new_figure(max(width, 4.8), max(height, 3.4)) as (fig, ax):
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#BBBBBB")
        masked = np.ma.masked_invalid(grid)
        mesh = ax.pcolormesh(np.arange(xs.shape[0] + 1) - 0.5, np.arange(ys.shape[0] + 1) - 0.5,
                             masked, cmap=cmap, shading="flat")
        colourbar = fig.colorbar(mesh, ax=ax)
        colourbar.set_label(z_label)
        ax.set_xticks(_tick_positions(xs.shape[0]))
        ax.set_xticklabels([f"{xs[i]:.3g}" for i in _tick_positions(xs.shape[0])])
        ax.set_yticks(_tick_positions(ys.shape[0]))
        ax.set_yticklabels([f"{ys[i]:.3g}" for i in _tick_positions(ys.shape[0])])
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        if grid.size <= _ANNOTATE_MAX_CELLS:
            finite = grid[np.isfinite(grid)]
            low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            span = high - low if high > low else 1.0
            for (row, col), value in np.ndenumerate(grid):
                if np.isfinite(value):
                    dark = (value - low) / span < 0.6   # viridis is dark at the low end
                    ax.text(col, row, f"{value:.3g}", ha="center", va="center", fontsize=7,
                            color="white" if dark else "black")
                else:
                    ax.text(col, row, "n/a", ha="center", va="center", fontsize=7, color="black")
        return save_figure(fig, path)


def _tick_positions(n: int, most: int = 12) -> np.ndarray:
    """Indices of at most ``most`` evenly spread ticks among ``n`` cells."""
    step = max(1, int(np.ceil(n / most)))
    return np.arange(0, n, step)


def fan(t, trajectories, path, *, y_label: str,
        quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> list[Path]:
    """Spread of trajectories over time: a central line with nested quantile bands.

    Quantiles pair from the outside in, ``(q[0], q[-1])``, ``(q[1], q[-2])``,
    ...; each pair is a band, darker inwards; with an odd number of quantiles
    the middle one is drawn as a line.  Rows with NaN (failed points) are
    ignored where they are NaN.

    Parameters
    ----------
    t : array_like, shape (n_t,)
        Output times, days.
    trajectories : array_like, shape (n_points, n_t)
        One output at every point and time.
    path : str or Path
        Where to save; see the module docstring.
    y_label : str
        Label with unit for the output.
    quantiles : sequence of float, optional
        Increasing quantiles in [0, 1] (default 5, 25, 50, 75 and 95 %).

    Returns
    -------
    list of Path
        The PNG and SVG written.

    Raises
    ------
    ValueError
        For mismatched shapes or quantiles that are not increasing in [0, 1].
    """
    t = _vector(t, "t")
    traj = np.asarray(trajectories, dtype=float)
    if traj.ndim == 1:
        traj = traj[np.newaxis, :]
    if traj.ndim != 2 or traj.shape[1] != t.shape[0]:
        raise ValueError(
            f"trajectories must have shape (n_points, {t.shape[0]}) to match t, got {traj.shape}"
        )
    q = np.asarray(quantiles, dtype=float)
    if q.ndim != 1 or q.size == 0 or np.any(~np.isfinite(q)) or np.any(q < 0.0) \
            or np.any(q > 1.0) or np.any(np.diff(q) <= 0.0):
        raise ValueError(f"quantiles must be increasing values in [0, 1], got {quantiles!r}")
    values = _nanquantiles(traj, q, axis=0)

    with new_figure(6.0, 3.8) as (fig, ax):
        colour = PALETTE[0]
        n_bands = q.size // 2
        for k in range(n_bands):
            alpha = 0.12 + 0.18 * k / max(n_bands - 1, 1)
            ax.fill_between(t, values[k], values[q.size - 1 - k], color=colour, alpha=alpha, lw=0,
                            label=f"{_percent(q[k])}–{_percent(q[q.size - 1 - k])} %")
        if q.size % 2:
            middle = q[n_bands]
            name = "median" if middle == 0.5 else f"{_percent(middle)} % quantile"
            ax.plot(t, values[n_bands], color=colour, lw=1.8, label=name)
        ax.set_xlabel(label("time", "day"))
        ax.set_ylabel(y_label)
        ax.set_title(f"n = {traj.shape[0]}", fontsize=9, loc="right")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=8)
        return save_figure(fig, path)


def bars(labels, values, path, *, y_label: str, errors=None) -> list[Path]:
    """One bar per label, e.g. a metric per regimen.

    Each bar is labelled with its value; a NaN value is shown as ``n/a``.

    Parameters
    ----------
    labels : sequence of str
        Bar names, left to right.
    values : array_like, shape (n,)
        Bar heights.
    path : str or Path
        Where to save; see the module docstring.
    y_label : str
        Label with unit for the values.
    errors : array_like, shape (n,) or (2, n), optional
        Error bars: symmetric half-widths, or distances below and above.

    Returns
    -------
    list of Path
        The PNG and SVG written.

    Raises
    ------
    ValueError
        For mismatched lengths or an error array of the wrong shape.
    """
    names = [str(name) for name in labels]
    heights = _vector(values, "values", len(names))
    yerr = None
    if errors is not None:
        yerr = np.asarray(errors, dtype=float)
        if yerr.shape not in ((len(names),), (2, len(names))):
            raise ValueError(
                f"errors must have shape ({len(names)},) or (2, {len(names)}), got {yerr.shape}"
            )

    width = min(max(3.6, 0.7 * len(names) + 2.0), 14.0)
    with new_figure(width, 3.8) as (fig, ax):
        positions = np.arange(len(names))
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
        drawn = np.where(np.isfinite(heights), heights, 0.0)
        ax.bar(positions, drawn, color=colours, yerr=yerr, capsize=4 if yerr is not None else 0,
               error_kw={"elinewidth": 1.0, "ecolor": "#333333"})
        if yerr is None:
            below = above = np.zeros(len(names))
        elif yerr.ndim == 1:
            below = above = np.nan_to_num(yerr)
        else:
            below, above = np.nan_to_num(yerr[0]), np.nan_to_num(yerr[1])
        for position, value, down, up in zip(positions, heights, below, above):
            if not np.isfinite(value):
                ax.annotate("n/a", (position, 0.0), xytext=(0, 3), textcoords="offset points",
                            ha="center", fontsize=8)
                continue
            # Above the bar and its error bar (below both for a negative bar).
            anchor, offset = (value + up, 3) if value >= 0 else (value - down, -10)
            ax.annotate(bar_value(value), (position, anchor), xytext=(0, offset),
                        textcoords="offset points", ha="center", fontsize=8)
        # Room for the labels beyond the longest bars, so that none runs into a tick label.
        ax.margins(y=0.12)
        ax.set_xticks(positions)
        long = max((len(name) for name in names), default=0) > 10
        ax.set_xticklabels(names, rotation=30 if long else 0, ha="right" if long else "center")
        ax.set_ylabel(y_label)
        ax.axhline(0.0, color="black", lw=0.8)
        ax.grid(axis="y", alpha=0.3)
        return save_figure(fig, path)


def tornado(names, low_values, high_values, baseline, path, *, x_label: str) -> list[Path]:
    """One-at-a-time sensitivity: how far each input moves a metric from its baseline.

    For each input, a bar runs from the baseline to the metric with the input
    at its low value and another to the metric with the input at its high
    value; inputs are sorted by the width of their swing, widest on top.
    Sensitivity indices can be drawn the same way with ``baseline = 0``, the
    indices as ``high_values`` and zeros as ``low_values``.

    Parameters
    ----------
    names : sequence of str
        Input names (e.g. parameters).
    low_values, high_values : array_like, shape (n,)
        Metric with each input at its low and at its high value.
    baseline : float
        Metric with every input at its baseline value.
    path : str or Path
        Where to save; see the module docstring.
    x_label : str
        Label with unit for the metric.

    Returns
    -------
    list of Path
        The PNG and SVG written.

    Raises
    ------
    ValueError
        For mismatched lengths or a non-finite baseline.
    """
    names = [str(name) for name in names]
    low = _vector(low_values, "low_values", len(names))
    high = _vector(high_values, "high_values", len(names))
    base = float(baseline)
    if not np.isfinite(base):
        raise ValueError(f"baseline must be finite, got {baseline!r}")
    swing = np.abs(np.nan_to_num(high, nan=base) - np.nan_to_num(low, nan=base))
    order = np.argsort(-swing, kind="stable")[::-1]   # widest at the top

    with new_figure(6.0, max(2.4, 0.45 * len(names) + 1.4)) as (fig, ax):
        rows = np.arange(len(names))
        sides = ((low, PALETTE[0], "input low"), (high, PALETTE[1], "input high"))
        for values, colour, text in sides:
            ordered = values[order]
            finite = np.isfinite(ordered)
            ax.barh(rows[finite], ordered[finite] - base, left=base, height=0.6, color=colour,
                    alpha=0.85, label=text)
        ax.axvline(base, color="black", lw=1.0)
        ax.set_yticks(rows)
        ax.set_yticklabels([names[i] for i in order])
        ax.set_xlabel(x_label)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(frameon=False, fontsize=8, loc="best")
        return save_figure(fig, path)


def sensitivity_bars(names, first, first_conf, total, total_conf, path, *, title: str = "",
                     first_label: str = "S1 (first order)", total_label: str = "ST (total order)",
                     y_label: str = "sensitivity index") -> list[Path]:
    """Two bars per input: e.g. first- and total-order Sobol indices, or Morris mu* and sigma.

    Parameters
    ----------
    names : sequence of str
        Input names, left to right.
    first, total : array_like, shape (n,)
        The two indices of each input (left and right bar).
    first_conf, total_conf : array_like, shape (n,), or None
        Half-widths of their confidence intervals, drawn as error bars; None
        for none.
    path : str or Path
        Where to save; see the module docstring.
    title : str
        Figure title, e.g. the metric.
    first_label, total_label : str
        Legend entries of the two bars.
    y_label : str
        Label of the index axis.

    Returns
    -------
    list of Path
        The PNG and SVG written.

    Raises
    ------
    ValueError
        For mismatched lengths.
    """
    names = [str(name) for name in names]
    n = len(names)
    series = []
    for values, conf, what in ((first, first_conf, "first"), (total, total_conf, "total")):
        heights = _vector(values, what, n)
        errors = None if conf is None else np.nan_to_num(_vector(conf, f"{what}_conf", n))
        series.append((np.where(np.isfinite(heights), heights, 0.0), errors))

    width = min(max(4.0, 0.9 * n + 2.0), 14.0)
    with new_figure(width, 3.8) as (fig, ax):
        positions = np.arange(n)
        bar_width = 0.38
        for k, ((heights, errors), text) in enumerate(zip(series, (first_label, total_label))):
            ax.bar(positions + (k - 0.5) * bar_width, heights, width=bar_width,
                   color=PALETTE[k % len(PALETTE)], label=text, yerr=errors,
                   capsize=3 if errors is not None else 0,
                   error_kw={"elinewidth": 1.0, "ecolor": "#333333"})
        ax.set_xticks(positions)
        long = max((len(name) for name in names), default=0) > 10
        ax.set_xticklabels(names, rotation=30 if long else 0, ha="right" if long else "center")
        ax.set_ylabel(y_label)
        ax.axhline(0.0, color="black", lw=0.8)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(frameon=False, fontsize=8, loc="best")
        if title:
            ax.set_title(title, fontsize=10)
        return save_figure(fig, path)
