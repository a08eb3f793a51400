"""Notebook views of a model comparison and of a validation report.

Each result object gets the same interface as a simulation result: a short
``repr``, ``_repr_html_`` (a compact table and a small figure),
``to_dataframe()`` (tidy, with units), ``to_xarray()`` (units in attributes)
and ``plot(ax=...)`` returning the axes.
"""

from __future__ import annotations

import numpy as np

from ivigsim.interfaces.notebook import clip, html_block, html_table, short_list, small_figure
from ivigsim.interfaces.style import PALETTE, axis_label, pyplot


# ------------------------------------------------------------------ comparison
def comparison_repr(comparison):
    labels = [v.label for v in comparison.variants]
    verdicts = comparison.metric_verdicts
    differ = [m for m, v in verdicts.items() if v == "differ"]
    return clip(f"Comparison(experiment={comparison.experiment!r}, reference={labels[0]!r}, "
                f"variants: {short_list(labels[1:])}, verdict={comparison.verdict!r}, "
                f"{len(differ)} of {len(verdicts)} metrics differ: {short_list(differ)})")


def comparison_dataframe(comparison):
    """Tidy: metric, unit, point_id, regimen, variant, value (reference included)."""
    table = comparison.table
    labels = [v.label for v in comparison.variants]
    ids = [c for c in ("metric", "unit", "point_id", "regimen") if c in table]
    tidy = table.melt(id_vars=ids, value_vars=[x for x in labels if x in table], var_name="variant",
                      value_name="value")
    tidy.attrs["units"] = dict(zip(table["metric"], table["unit"]))
    return tidy


def comparison_xarray(comparison):
    """Metric values over (variant, point): one variable per metric, its unit in ``attrs['units']``."""
    import xarray as xr
    tidy = comparison_dataframe(comparison)
    data = {}
    for metric, group in tidy.groupby("metric", sort=False):
        wide = group.pivot(index="variant", columns="point_id", values="value")
        data[metric] = (("variant", "point"), wide.to_numpy(), {"units": group["unit"].iloc[0]})
        coords = {"variant": wide.index.to_numpy(), "point": wide.columns.to_numpy()}
    return xr.Dataset(data, coords=coords, attrs={"experiment": comparison.experiment})


def plot_comparison(comparison, metric=None, ax=None):
    """One metric, each variant against the reference, with the identity line; returns the axes."""
    tidy = comparison_dataframe(comparison)
    metric = metric or tidy["metric"].iloc[0]
    rows = tidy[tidy["metric"] == metric]
    unit = rows["unit"].iloc[0]
    labels = [v.label for v in comparison.variants]
    reference = rows[rows["variant"] == labels[0]].set_index("point_id")["value"]
    if ax is None:
        _, ax = pyplot().subplots(figsize=(4.4, 4.0), layout="constrained")
    values = [reference.to_numpy()]
    for k, label in enumerate(labels[1:], start=1):
        other = rows[rows["variant"] == label].set_index("point_id")["value"].reindex(reference.index)
        ax.scatter(reference, other, s=16, color=PALETTE[k % len(PALETTE)], label=label, zorder=3)
        values.append(other.to_numpy())
    finite = np.concatenate(values)
    finite = finite[np.isfinite(finite)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        ax.plot([lo, hi], [lo, hi], color="0.4", ls="--", lw=1, label="identity")
    ax.set_xlabel(axis_label(f"{metric}, {labels[0]}", unit))
    ax.set_ylabel(axis_label(f"{metric}, variant", unit))
    from ivigsim.interfaces.style import outside_legend
    outside_legend(ax)
    return ax


def comparison_html(comparison):
    headers, rows = comparison.summary_rows()
    svg = small_figure(lambda ax: plot_comparison(comparison, ax=ax))
    return html_block(f"{comparison.experiment}: verdict {comparison.verdict}", html_table(headers, rows), svg)


# ------------------------------------------------------------------ validation
def validation_repr(report):
    counts = {}
    for row in report.rows:
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    tally = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    unexpected = [r.id for r in report.unexpected]
    return clip(f"ValidationReport({len(report.rows)} targets: {tally}; "
                f"{len(unexpected)} unexpected{': ' + short_list(unexpected) if unexpected else ''}; "
                f"{report.seconds:.1f} s)")


def validation_dataframe(report):
    """One row per target: id, group, quantity, published, simulated, value, unit, outcome, expected."""
    import pandas as pd
    frame = pd.DataFrame([{"id": r.id, "group": r.group, "quantity": r.quantity, "published": r.published,
                           "simulated": r.simulated, "value": r.value if isinstance(r.value, (int, float))
                           and not isinstance(r.value, bool) else np.nan, "unit": r.unit,
                           "outcome": r.outcome, "expected": r.expected, "source": r.source}
                          for r in report.rows])
    frame.attrs["units"] = {r.id: r.unit for r in report.rows}
    return frame


def validation_xarray(report):
    """The numeric simulated values over ``target``, units and outcomes as coordinates."""
    import xarray as xr
    frame = validation_dataframe(report)
    return xr.Dataset({"value": ("target", frame["value"].to_numpy(), {"units": "per target: see coord unit"})},
                      coords={"target": frame["id"].to_numpy(), "unit": ("target", frame["unit"].to_numpy()),
                              "outcome": ("target", frame["outcome"].to_numpy()),
                              "expected": ("target", frame["expected"].to_numpy())})


def plot_validation(report, ax=None):
    """Targets per mechanism group, stacked by outcome; returns the axes."""
    frame = validation_dataframe(report)
    groups = list(dict.fromkeys(frame["group"]))
    if ax is None:
        _, ax = pyplot().subplots(figsize=(6, 3.2), layout="constrained")
    bottom = np.zeros(len(groups))
    for k, outcome in enumerate(("pass", "fail", "error")):
        counts = np.array([((frame["group"] == g) & (frame["outcome"] == outcome)).sum() for g in groups])
        ax.bar(groups, counts, bottom=bottom, color=PALETTE[k], label=outcome)
        bottom += counts
    ax.set_ylabel(axis_label("targets", "count"))
    ax.set_xlabel("mechanism group")
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    from ivigsim.interfaces.style import outside_legend
    outside_legend(ax)
    return ax


def validation_html(report):
    rows = [(r.id, r.quantity[:60], r.simulated, r.unit, r.outcome, r.expected) for r in report.rows]
    svg = small_figure(lambda ax: plot_validation(report, ax=ax))
    return html_block(validation_repr(report), html_table(["id", "quantity", "simulated", "unit", "outcome",
                                                          "expected"], rows), svg)
