"""Sections 3 to 5 of ``report.html``: figures, results and provenance.

Internal to :mod:`ivigsim.interfaces.report`.
"""

from __future__ import annotations

import datetime as _dt
import json

import numpy as np

from ivigsim.interfaces.experiment_plots import variable_unit
from ivigsim.sweep.sensitivity import SENSITIVITY_METHODS
from ivigsim.interfaces._report_setup import metric_definition, metric_unit_of, output_text
from ivigsim.interfaces._report_text import FEW_POINTS, MAX_LISTED_FAILURES
from ivigsim.io.html import (
    embed_png,
    escape,
    fmt_number,
    html_table,
    pairs_table,
    paragraph,
    section,
)


# ---------------------------------------------------------------------------
# 3. Figures
# ---------------------------------------------------------------------------


def figures(experiment, spec, directory) -> str:
    shown, parts = set(), []
    for plot in experiment.plots:
        candidates = [(directory / f"{plot.name}.png", None)]
        candidates += [(directory / f"{plot.name}_{r.name}.png", r.name) for r in experiment.regimens]
        for png, regimen in candidates:
            if png.is_file() and png not in shown:
                shown.add(png)
                parts.append(embed_png(png, _caption(experiment, spec, plot, regimen)))
    for png in sorted(directory.glob("*.png")) if directory.is_dir() else ():
        if png not in shown:
            parts.append(embed_png(png, png.stem))
    if not parts:
        parts.append(paragraph("No figures: the experiment file asks for none ([plots.*])."))
    return section("figures", "Figures", parts)


def _caption(experiment, spec, plot, regimen=None) -> str:
    metric = next((m for m in experiment.metrics if m.name == plot.metric), None)
    what = ""
    if metric is not None:
        unit = metric_unit_of(spec, metric)
        what = f"{metric.name}{f' [{unit}]' if unit else ''}: {metric_definition(experiment, spec, metric)}"
    if plot.kind == "dose_response":
        text = f"{what}; against {plot.x}, one marker per sweep point"
        if len(experiment.regimens) > 1:
            text += ", one curve per regimen"
    elif plot.kind == "heatmap":
        text = f"{what}; over {plot.x} (x) and {plot.y} (y)"
    elif plot.kind == "fan":
        text = (f"{output_text(spec, plot.output)} over time across all points: median line, "
                "25-75 % and 5-95 % bands")
    elif plot.kind == "bars":
        text = f"{what}; per regimen (mean, with the standard deviation where a regimen has several points)"
    elif plot.kind == "tornado":
        text = f"{what}; mean in the lowest vs the highest quartile of each swept variable"
    elif plot.kind == "sensitivity":
        indices = ("Morris mu* (mean absolute elementary effect) and sigma" if experiment.sweep.method
                   == "morris" else "Sobol first-order (S1) and total-order (ST) indices")
        text = f"{indices} of {what}"
    else:
        text = what or plot.name
    if regimen:
        text += f" (regimen {regimen})"
    return f"{plot.name}: {text}."


# ---------------------------------------------------------------------------
# 4. Results
# ---------------------------------------------------------------------------


def results_section(experiment, spec, results) -> str:
    frame = results.metrics
    parts = [_all_points(experiment, spec, frame) if len(frame) <= FEW_POINTS
             else _per_regimen(experiment, spec, frame),
             _failures(experiment, frame)]
    if experiment.sweep.method in SENSITIVITY_METHODS:
        parts.append(_sensitivity(results))
    notes = list(results.provenance.get("sampler_notes", ()))
    if notes:
        parts.append("<h3>Notes from the sampler</h3><ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes)
                     + "</ul>")
    return section("results", "Results", parts)


def swept_header(experiment, swept):
    return [f"{n} [{u}]" if (u := variable_unit(experiment, n)) else n for n in swept]


def metric_header(experiment, spec):
    return [f"{m.name} [{u}]" if (u := metric_unit_of(spec, m)) else m.name for m in experiment.metrics]


def _all_points(experiment, spec, frame) -> str:
    swept = [n for n in experiment.sweep.names if n in frame.columns]
    header = ["point", "regimen"] + (["replicate"] if experiment.replicates > 1 else [])
    header += swept_header(experiment, swept)
    header += metric_header(experiment, spec) + ["status"]
    rows, classes = [], []
    for _, row in frame.iterrows():
        cells = [int(row["point_id"]), row["regimen"]]
        cells += [int(row["replicate"])] if experiment.replicates > 1 else []
        cells += [float(row[n]) for n in swept] + [float(row[m.name]) for m in experiment.metrics]
        rows.append(cells + [row["status"]])
        classes.append("" if row["status"] == "ok" else "flagged")
    return ("<h3>Every point</h3>\n" + paragraph("One row per simulation; a dash marks a metric of a failed "
                                          "point.") + "\n" + html_table(header, rows, classes))


def _per_regimen(experiment, spec, frame) -> str:
    ok = frame["status"] == "ok"
    regimens = [r.name for r in experiment.regimens]
    header = ["metric"] + [f"{name} (n = {int((ok & (frame['regimen'] == name)).sum())})" for name in regimens]
    rows = []
    for metric, label in zip(experiment.metrics, metric_header(experiment, spec)):
        row = [label]
        for name in regimens:
            values = frame.loc[ok & (frame["regimen"] == name), metric.name].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if values.size == 0:
                row.append("—")
                continue
            p5, median, p95 = np.quantile(values, [0.05, 0.5, 0.95])
            row.append(f"{fmt_number(median)} ({fmt_number(p5)} to {fmt_number(p95)})")
        rows.append(row)
    return ("<h3>Metrics per regimen</h3>\n"
            + paragraph("Median over the successful points, with the 5-95 % range in brackets; n counts the "
                 "successful points. Every point is in metrics.csv.") + "\n" + html_table(header, rows))


def _failures(experiment, frame) -> str:
    failed = frame[frame["status"] != "ok"]
    if failed.empty:
        return "<h3>Failures</h3>\n" + paragraph("No point failed.")
    swept = [n for n in experiment.sweep.names if n in frame.columns]
    rows = [[int(row["point_id"]), row["regimen"]] + [float(row[n]) for n in swept] + [row["reason"]]
            for _, row in failed.head(MAX_LISTED_FAILURES).iterrows()]
    n_undefined = int((failed["status"] == "undefined").sum())
    n_failed = len(failed) - n_undefined
    # A point with an undefined metric ran: say so rather than count it as failed.
    what = f"{n_failed} of {len(frame)} points failed"
    if n_undefined:
        what += (f"; {n_undefined} ran but {'has' if n_undefined == 1 else 'have'} a metric with no value "
                 "(status undefined)")
    parts = ["<h3>Failures</h3>", paragraph(f"{what}; the others are unaffected."),
             html_table(["point", "regimen"] + swept_header(experiment, swept) + ["reason"], rows,
                    ["flagged"] * len(rows))]
    if len(failed) > MAX_LISTED_FAILURES:
        parts.append(paragraph(f"... and {len(failed) - MAX_LISTED_FAILURES} more: see metrics.csv.", "muted"))
    return "\n".join(parts)


def _sensitivity(results) -> str:
    table = results.sensitivity
    parts = ["<h3>Sensitivity indices</h3>"]
    if table is None or len(table) == 0:
        parts.append(paragraph("No indices could be computed."))
    else:
        columns = list(table.columns)
        parts.append(html_table(columns, [[row[c] for c in columns] for _, row in table.iterrows()]))
    notes = results.provenance.get("sensitivity_notes", ())
    parts += [paragraph(note, "muted") for note in notes]
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# 5. Provenance
# ---------------------------------------------------------------------------


def provenance(prov) -> str:
    solver = prov.get("solver", {})
    done_now = prov.get("points_run_now")
    wall = prov.get("wall_seconds")
    timing = "—" if wall is None else f"{wall:g} s"
    if done_now is not None and done_now != prov.get("n_points"):
        timing += f" for the {done_now} points run in the last session (the run was resumed)"
    rows = [
        ("ivigsim version", prov.get("ivigsim_version", "—")),
        ("git commit", prov.get("git_commit") or "not a git checkout"),
        ("experiment file", prov.get("experiment_file", "—")),
        ("experiment sha256", prov.get("experiment_sha256", "—")),
        ("model", prov.get("model", "—")),
        ("model file", prov.get("model_file", "—")),
        ("model fingerprint", prov.get("model_fingerprint", "—")),
        ("seed", prov.get("seed", "—")),
        ("solver", f"{solver.get('method', '—')}, rtol {solver.get('rtol', '—')}, "
                   f"atol {solver.get('atol', '—')}"),
        ("executor", f"{prov.get('executor', '—')}, workers: {prov.get('workers') or 'all cores'}, "
                     f"chunks of {prov.get('chunk_size', '—')} points"),
        ("started", prov.get("started", "—")),
        ("finished", prov.get("finished", "—")),
        ("wall time", timing),
        ("simulations per second", prov.get("simulations_per_second", "—")),
        ("Python, NumPy, SciPy, Numba", ", ".join(str(prov.get(k, "—"))
                                                   for k in ("python", "numpy", "scipy", "numba"))),
        ("platform", prov.get("platform", "—")),
        ("report written", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")),
    ]
    raw = json.dumps(prov, indent=2, default=str)
    return section("provenance", "Provenance", [
        pairs_table(rows),
        f"<details><summary>provenance.json</summary>\n<pre>{escape(raw)}</pre>\n</details>"])
