"""Figures. matplotlib is imported inside each function, never at import time."""

from __future__ import annotations

# Okabe–Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def _pyplot():
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


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
        ax.set_ylabel(f"{name} [{units[name]}]")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("time [day]")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if len(results) > 1:
        axes.flat[0].legend(frameon=False, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    if path is not None:
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig
