"""Figures. matplotlib is imported inside each function, never at import time."""

from __future__ import annotations

from ivigsim.interfaces.style import PALETTE, axis_label, figure_legend
from ivigsim.interfaces.style import pyplot as _pyplot

__all__ = ["PALETTE", "plot_trajectories", "plot_outputs"]


def plot_trajectories(results, names, path=None, title=None):
    """One panel per name; one line per labelled result.

    Parameters
    ----------
    results : dict[str, SimulationResult]
        Label -> result; all share the same model observables ``names``.
    names : sequence of str
        Species or observables to plot, in their declared units.
    path : str or Path, optional
        Where to save the figure (format from the suffix); returns the figure.
    """
    plt = _pyplot()
    n = len(names)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.2 * rows), squeeze=False,
                             sharex=True, layout="constrained")
    first = next(iter(results.values()))
    units = first.units
    for ax, name in zip(axes.flat, names):
        for colour, (label, res) in zip(PALETTE, results.items()):
            ax.plot(res.t, res[name], color=colour, lw=1.6, label=label)
        desc = ""
        for o in first.model.observables:
            if o.name == name and o.description:
                desc = o.description
        ax.set_title(desc or name, fontsize=10)
        ax.set_ylabel(axis_label(name, units[name]))
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel(axis_label("time", "day"))
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if len(results) > 1:       # below the panels: a legend inside one covered the IgG peaks
        figure_legend(fig, list(axes.flat)[:n])
    if title:
        fig.suptitle(title, fontsize=11)
    if path is not None:
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig


def plot_outputs(result, outputs=None, ax=None, label=None):
    """Draw outputs of one :class:`~ivigsim.core.result.SimulationResult` on one axes; returns the axes.

    All outputs share one y axis, so they must share a unit: outputs in
    different units go on different axes (one call each).

    Parameters
    ----------
    result : SimulationResult
    outputs : str or sequence of str, optional
        Species or observables (default: the model's first observable).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    label : str, optional
        Prefix of the legend labels.
    """
    plt = _pyplot()
    outputs = [outputs] if isinstance(outputs, str) else list(outputs or result.model.observable_names[:1])
    units = result.units
    mixed = len({units[n] for n in outputs}) > 1
    if mixed:
        raise ValueError(f"outputs {outputs} have different units ({', '.join(sorted({units[n] for n in outputs}))}); "
                         "plot them on separate axes (one call per unit)")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
    for k, name in enumerate(outputs):
        text = f"{label}: {name}" if label else name
        ax.plot(result.t, result[name], color=PALETTE[k % len(PALETTE)], lw=1.6, label=text)
    ax.set_xlabel(axis_label("time", "day"))
    ax.set_ylabel(axis_label(outputs[0] if len(outputs) == 1 else "value", units[outputs[0]]))
    ax.grid(alpha=0.3)
    if len(outputs) > 1 or label:
        from ivigsim.interfaces.style import outside_legend
        outside_legend(ax)
    return ax
