"""The files of a model comparison: tables, figures and ``comparison.md``."""

from __future__ import annotations

from pathlib import Path

from ivigsim.analysis.comparison.core import atol_text, percent, text_table

__all__ = ["write_comparison"]


def write_comparison(comparison, out, shared, specs, plots):
    """Write the tables, the figures (when ``plots``) and ``comparison.md`` into ``out``.

    ``shared`` maps each shared output to its factors to the reference's
    unit (per label); ``specs`` maps labels to the variants' models.
    """
    out.mkdir(parents=True, exist_ok=True)
    comparison.table.to_csv(out / "comparison.csv", index=False)
    comparison.metrics.to_csv(out / "comparison_metrics.csv", index=False)
    comparison.trajectories.to_csv(out / "comparison_trajectories.csv", index=False)
    figures = _draw(comparison, out / "figures", shared, specs) if plots else []
    (out / "comparison.md").write_text(_markdown(comparison, figures, out), encoding="utf-8")


def _draw(comparison, folder, shared, specs):
    from ivigsim.analysis.comparison.plots import metric_scatter, overlay_trajectories

    labels = [v.label for v in comparison.variants]
    ref = labels[0]
    written = []
    ds_ref = comparison.results[ref].trajectories
    regimens = ds_ref["regimen"].values
    t = ds_ref["time"].values
    for regimen in dict.fromkeys(regimens):
        mask = regimens == regimen
        outputs = {name: (str(specs[ref].unit_of(name)),
                          {label: comparison.results[label].trajectories[name].values[mask] * factors[label]
                           for label in labels})
                   for name, factors in shared.items()}
        if outputs:
            written += overlay_trajectories(t, outputs, folder / f"trajectories_{regimen}",
                                            title=f"{comparison.experiment}, regimen {regimen}")
    panels = []
    table = comparison.table
    for metric, verdict in comparison.metric_verdicts.items():
        rows = table[table["metric"] == metric]
        worst = comparison.worst_relative_difference(metric)
        panels.append((metric, rows["unit"].iloc[0], rows[ref].to_numpy(),
                       {label: rows[label].to_numpy() for label in labels[1:]},
                       f"worst {percent(worst)}: {verdict}"))
    written += metric_scatter(panels, folder / "metrics", reference_label=ref)
    return written


def _markdown(comparison, figures, out):
    c = comparison
    lines = [f"# Comparison: {c.experiment}", "",
             f"Reference: **{c.reference.label}** ({c.reference.describe()}).", "", "Variants:", ""]
    for v in c.variants:
        lines.append(f"- `{v.label}`: {v.describe()}; results in `{v.directory}/`")
    lines += ["", f"A metric agrees when |variant - reference| <= {atol_text(c.atol)} + {c.rtol:g} x "
              "|reference| at every point (NaN matches NaN; a point that failed in one variant only "
              "differs).", "", f"**Verdict: {c.verdict}**", "", text_table(*c.summary_rows(), markdown=True), ""]
    if c.notes:
        lines += [f"Note: {note}." for note in c.notes] + [""]
    if c.dropped:
        lines += ["Left out (not shared by every variant):", ""]
        lines += [f"- {what} {', '.join(f'`{n}`' for n in names)}: {why}"
                  for what, names, why in c.dropped_by_reason()]
        lines.append("")
    if not c.trajectories.empty:
        rows = [[r.output, r.unit, r.regimen, r.variant, f"{r.max_abs_diff:.4g}",
                 percent(r.max_diff_rel_to_peak)] for r in c.trajectories.itertuples()]
        lines += ["Trajectories of the shared outputs (largest difference over times and points, "
                  "and that difference over the reference's peak; not part of the verdict):", "",
                  text_table(["output", "unit", "regimen", "variant", "max abs diff", "of peak"], rows,
                              markdown=True), ""]
    lines += ["Files: `comparison.csv` (every metric at every point), `comparison_metrics.csv`, "
              "`comparison_trajectories.csv`" + ("; figures:" if figures else "."), ""]
    lines += [f"- `{Path(p).relative_to(out)}`" for p in figures if str(p).endswith(".png")]
    return "\n".join(lines) + "\n"
