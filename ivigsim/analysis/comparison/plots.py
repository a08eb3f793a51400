"""Figures of a model comparison: overlaid trajectories and metrics against the reference.

Like :mod:`ivigsim.interfaces.sweep_plots`, every function saves PNG and SVG with the
same stem, closes the figure and returns the paths written; colours follow
the Okabe–Ito palette of :mod:`ivigsim.interfaces.plotting`, the reference first.
"""

from __future__ import annotations

import math

import numpy as np

from ivigsim.interfaces.plotting import PALETTE, _pyplot
from ivigsim.interfaces.style import MARKERS, figure_legend
from ivigsim.interfaces.sweep_plots import _save, label

__all__ = ["overlay_trajectories", "metric_scatter", "FEW_POINTS"]

#: Up to this many trajectories per variant are drawn; with more points, this
#: many evenly spaced ones (a band over a designed dose grid would mix doses).
FEW_POINTS = 5
_LINESTYLES = ("-", "--", ":", "-.")


def _grid(n: int, width: float, height: float):
    plt = _pyplot()
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                             layout="constrained")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return plt, fig, list(axes.flat)[:n]


def overlay_trajectories(t, outputs, path, *, title=""):
    """One panel per output; one colour per variant.

    Parameters
    ----------
    t : array_like, shape (n_t,), days
    outputs : dict
        Output name -> ``(unit, {variant label: array (n_points, n_t)})``,
        the reference's label first, all in the reference's unit.
    path : str or Path
        Where to save (PNG and SVG).
    title : str
        Figure title.

    Returns
    -------
    list of Path
    """
    t = np.asarray(t, dtype=float)
    plt, fig, axes = _grid(len(outputs), 4.2, 2.9)
    try:
        for ax, (name, (unit, curves)) in zip(axes, outputs.items()):
            for k, (variant, y) in enumerate(curves.items()):
                _draw_curves(ax, t, np.asarray(y, dtype=float), PALETTE[k % len(PALETTE)],
                             _LINESTYLES[k % len(_LINESTYLES)], variant)
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("time [day]")
            ax.set_ylabel(label(name, unit), fontsize=8)
            ax.grid(alpha=0.3)
        figure_legend(fig, axes)           # below the panels, never over a curve
        if title:
            fig.suptitle(title, fontsize=10)
        return _save(fig, path)
    finally:
        plt.close(fig)


def _draw_curves(ax, t, y, colour, style, variant):
    rows = np.arange(y.shape[0])
    note = ""
    if y.shape[0] > FEW_POINTS:
        rows = np.unique(np.linspace(0, y.shape[0] - 1, FEW_POINTS).round().astype(int))
        note = f" ({len(rows)} of {y.shape[0]} points)"
    for i, k in enumerate(rows):
        ax.plot(t, y[k], color=colour, ls=style, lw=1.3, alpha=0.9, label=f"{variant}{note}" if i == 0 else None)


def metric_scatter(panels, path, *, reference_label):
    """One panel per metric: each variant's value against the reference's, with the identity line.

    Parameters
    ----------
    panels : list of tuple
        ``(metric, unit, reference values (n,), {variant label: values (n,)}, note)``;
        the note (e.g. the worst difference and the verdict) goes under the title.
    path : str or Path
        Where to save (PNG and SVG).
    reference_label : str
        Label of the reference, for the x axis.

    Returns
    -------
    list of Path
    """
    plt, fig, axes = _grid(len(panels), 3.4, 3.2)
    try:
        for ax, (metric, unit, reference, variants, note) in zip(axes, panels):
            reference = np.asarray(reference, dtype=float)
            finite = [reference[np.isfinite(reference)]]
            for k, (variant, values) in enumerate(variants.items(), start=1):
                values = np.asarray(values, dtype=float)
                finite.append(values[np.isfinite(values)])
                ax.scatter(reference, values, s=16, color=PALETTE[k % len(PALETTE)], label=variant,
                           marker=MARKERS[(k - 1) % len(MARKERS)], zorder=3)
            lo, hi = _limits(np.concatenate(finite))
            ax.plot([lo, hi], [lo, hi], color="0.4", lw=1.0, ls="--", zorder=2)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_title(f"{metric}\n{note}", fontsize=8)
            ax.set_xlabel(label(f"{reference_label}", unit), fontsize=8)
            ax.set_ylabel(label("variant", unit), fontsize=8)
            ax.grid(alpha=0.3)
        figure_legend(fig, axes)
        return _save(fig, path)
    finally:
        plt.close(fig)


def _limits(values):
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(lo) * 0.05, 1e-12)
    return lo - pad, hi + pad
