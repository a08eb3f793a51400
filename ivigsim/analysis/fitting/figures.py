"""Figures of a fit: curves over data, residuals, the waterfall of starts and the profiles.

matplotlib is imported inside the functions only. Every axis carries its unit;
legends sit outside the data area.
"""

from __future__ import annotations

import numpy as np

# Okabe & Ito's colour-blind-safe palette, as every ivigsim figure uses (ivigsim.interfaces.style,
# a layer above this one).
_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
# Starts within this much negative log-likelihood of the best count as reaching it (FitResult.n_converged).
_REACHED = 0.1


def _axes(ax, n, width=4.2, height=3.2):
    import matplotlib.pyplot as plt
    if ax is not None:
        return ax.figure, np.atleast_1d(ax)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols + 1.5, height * rows), squeeze=False,
                             layout="constrained")
    for extra in axes.flat[n:]:
        extra.set_visible(False)
    return fig, axes.flat[:n]


def _wrap(text, width):
    """A long condition label on several lines, so that neighbouring panel titles and legend
    entries do not run into each other (fits/fcrn_human's labels are 60-100 characters)."""
    import textwrap
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _plain_ticks(axis, which="y"):
    """Tick labels as plain numbers ('3', '2.95', '0.0012'), never '1.218 x 10^1' on a log axis
    that spans less than a decade, nor a '+3.999' offset on a linear one."""
    from matplotlib.ticker import FuncFormatter, NullFormatter
    scale = axis.get_yscale() if which == "y" else axis.get_xscale()
    ticks = axis.yaxis if which == "y" else axis.xaxis
    if scale == "log":
        low, high = axis.get_ylim() if which == "y" else axis.get_xlim()
        ticks.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.4g}"))
        # Minor ticks are labelled only when the axis spans less than a decade (no major tick inside).
        ticks.set_minor_formatter(FuncFormatter(lambda v, _pos: f"{v:.4g}") if high / low < 10
                                  else NullFormatter())
    else:
        axis.ticklabel_format(axis=which, useOffset=False)


def _unit(result, observable):
    spec = result.problem.spec
    node = observable.formula.strip()
    try:
        return str(spec.unit_of(node))
    except KeyError:
        return "observable unit"


def panels(result):
    """(condition, observable) pairs that have data, in table order."""
    m = result.problem.measurements
    seen = []
    for c, o in zip(m.condition, m.observable):
        if (c, o) not in seen:
            seen.append((c, o))
    return seen


def plot_fit(result, ax=None):
    """Best-fit curve and data, one panel per condition and observable."""
    pairs = panels(result)
    fig, axes = _axes(ax, len(pairs))
    m = result.problem.measurements
    conditions = {c.name: c for c in result.problem.conditions}
    observables = {o.name: o for o in result.problem.observables}
    curves = {}
    for axis, (cid, oid) in zip(axes, pairs):
        if cid not in curves:
            curves[cid] = result.objective.curves(result.x, conditions[cid])
        t, values = curves[cid]
        rows = [i for i in range(len(m)) if m.condition[i] == cid and m.observable[i] == oid]
        axis.plot(t, values[oid], color=_PALETTE[0], lw=1.6, label="best fit")
        axis.plot(m.time[rows], m.value[rows], "o", color=_PALETTE[1], ms=4.5, label="data")
        if observables[oid].transformation != "lin":
            axis.set_yscale("log")
        axis.set_xlabel("time [day]")
        axis.set_ylabel(f"{oid} [{_unit(result, observables[oid])}]")
        axis.set_title(_wrap(conditions[cid].label, 55), fontsize=8)
        _plain_ticks(axis)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8) if len(axes) == 1 \
        else fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False)
    return axes


def plot_residuals(result, ax=None):
    """Weighted residuals (transformed scale, in units of sigma) against time, per condition."""
    import matplotlib.pyplot as plt
    if ax is None:
        # Room for the legend beside the axes: one to three lines per condition.
        lines = sum(_wrap(c.label, 40).count("\n") + 1 for c in result.problem.conditions)
        fig, ax = plt.subplots(figsize=(8.0, max(3.4, 0.2 * lines + 0.8)), layout="constrained")
    objective = result.objective
    sim = objective.simulate(result.x)
    residuals = (objective.residuals(result.x, sim))
    m = result.problem.measurements
    for k, c in enumerate(result.problem.conditions):
        rows = [i for i in range(len(m)) if m.condition[i] == c.name]
        if rows:
            ax.plot(m.time[rows], residuals[rows], ls="none", ms=4, label=_wrap(c.label, 40),
                    color=_PALETTE[k % len(_PALETTE)], marker="osD^v<>p"[(k // len(_PALETTE)) % 8])
    ax.axhline(0.0, color="0.3", lw=0.8)
    for level in (-2, 2):
        ax.axhline(level, color="0.6", lw=0.6, ls="--")
    ax.set_xlabel("time [day]")
    ax.set_ylabel("weighted residual [sigma]")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    return ax


def plot_waterfall(result, ax=None):
    """Every start's final objective, sorted (failed starts are listed in starts.csv, not drawn)."""
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.4), layout="constrained")
    values = np.sort([s.objective for s in result.starts if s.ok])
    best = values[0]
    # Linear up to the threshold of "reached the best", logarithmic beyond: starts that agree to
    # round-off sit on one line at 0 (a log axis of objective - best + 1 labelled every tick 10^0),
    # while local optima far above stay on the same axes.
    ax.plot(np.arange(1, len(values) + 1), values - best, "o-", ms=4, color=_PALETTE[0])
    ax.axhline(_REACHED, color=_PALETTE[1], ls="--", lw=1.0,
               label=f"reached the best (within {_REACHED:g})")
    ax.set_yscale("symlog", linthresh=_REACHED, linscale=0.5)
    ax.set_ylim(bottom=-0.02 * _REACHED)
    ax.set_xlabel("start, sorted by final objective [rank]")
    ax.set_ylabel("objective - best [negative log-likelihood]")
    reached = int(np.sum(values - best < _REACHED))
    ax.set_title(f"{len(values)} of {len(result.starts)} starts finished, {reached} reached the best "
                 f"{best:.6g}", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    return ax


def plot_profiles(result, ax=None):
    """Profile likelihood of each estimated parameter with the 95 % threshold."""
    from ivigsim.analysis.fitting.uncertainty import chi2_threshold
    profiles = result.profiles
    if not profiles:
        from ivigsim.errors import ParameterError
        raise ParameterError("this fit has no profiles (run fit(..., profiles=True))")
    fig, axes = _axes(ax, len(profiles), width=3.6, height=3.0)
    threshold = chi2_threshold()
    for axis, prof, p in zip(axes, profiles, result.objective.estimated):
        values = p.from_scale(prof.x)
        axis.plot(values, prof.objective - result.value, "o-", ms=3.5, color=_PALETTE[0], label="profile")
        axis.axhline(threshold, color=_PALETTE[1], ls="--", lw=1.0,
                     label=f"95 % threshold ({threshold:.3g}): the interval ends where the profile crosses it")
        axis.axvline(float(p.from_scale(result.x[list(result.objective.names).index(prof.name)])),
                     color="0.5", lw=0.8, label="best estimate")
        if p.scale != "lin":
            axis.set_xscale("log")
        axis.set_xlabel(f"{p.name} [{(p.unit or '1') if not p.is_noise else 'sigma'}]")
        axis.set_ylabel("objective - best [1]")          # a difference of negative log-likelihoods
        axis.set_title(prof.note, fontsize=8)
        _plain_ticks(axis, "x")
    if ax is None:                     # a figure of our own: say once, below the panels, what the lines are
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False,
                   fontsize=8)
    return axes
