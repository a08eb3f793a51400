"""A distribution drawn as a distribution: violins with every point and the median marked.

Used for sampled populations (virtual patients, replicates), where a mean ± SD
bar would hide skew and disagree with the median that ``ivigsim run`` prints.
"""

from __future__ import annotations

import numpy as np

from ivigsim.interfaces.style import PALETTE

_MAX_DOTS = 400         # points drawn over a violin (the violin and the median use every value)


def draw_distribution(ax, groups):
    """One violin per group (label -> values) with the points jittered and the median as a black bar."""
    labels = list(groups)
    rng = np.random.default_rng(0)            # jitter only: fixed so figures are reproducible
    for k, label in enumerate(labels):
        values = np.asarray(groups[label], dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        colour = PALETTE[k % len(PALETTE)]
        if values.size > 2 and np.ptp(values) > 0:
            parts = ax.violinplot(values, positions=[k], widths=0.8, showextrema=False)
            for body in parts["bodies"]:
                body.set_facecolor(colour)
                body.set_alpha(0.35)
        dots = values if values.size <= _MAX_DOTS else rng.choice(values, _MAX_DOTS, replace=False)
        ax.scatter(k + rng.uniform(-0.15, 0.15, dots.size), dots, s=4, color=colour, alpha=0.5, lw=0)
        median = float(np.median(values))
        ax.hlines(median, k - 0.3, k + 0.3, color="black", lw=2, label="median" if k == 0 else None)
        ax.annotate(f"median {median:.3g}", (k + 0.32, median), fontsize=7, va="center")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.6, len(labels) - 0.4 + 0.4)
    ax.grid(axis="y", alpha=0.3)


def distribution(labels, groups, path, *, y_label):
    """Save a distribution figure (PNG and SVG beside ``path``); returns the written paths."""
    from ivigsim.interfaces.style import axis_label, pyplot
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(3.5, 1.4 * len(labels) + 2), 3.8), layout="constrained")
    draw_distribution(ax, dict(zip(labels, groups)))
    ax.set_ylabel(y_label if "[" in y_label else axis_label(y_label, ""))
    ax.set_xlabel("regimen")
    ax.set_title("distribution over points; black bar: median", fontsize=9)
    from pathlib import Path
    written = []
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    for suffix in (".png", ".svg"):
        target = Path(f"{path}{suffix}")
        # no date in the SVG, so that the same figure gives the same file
        fig.savefig(target, dpi=130, **({"metadata": {"Date": None}} if suffix == ".svg" else {}))
        written.append(target)
    plt.close(fig)
    return written
