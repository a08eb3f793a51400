"""The validation report on disk: ``summary.csv``, ``report.md``, ``report.html``, ``figures/<ID>.png``.

Each target gets one figure: on the left, where the check supplies one, the
curve its quantity comes from (a trajectory, a dose-response, a histogram),
with the published range as a band when the curve is in the quantity's unit;
on the right, one gauge per criterion, the accepted range as a band and the
simulated value as a marker (green when met, vermilion when not).
matplotlib is imported inside the functions that draw.
"""

from __future__ import annotations

import base64
import csv
import html
import math
import textwrap
from pathlib import Path

import numpy as np

from ivigsim.interfaces.plotting import PALETTE

__all__ = ["format_summary", "render_figure", "write_report"]

_MET, _NOT_MET, _BAND = "#009E73", "#D55E00", "#56B4E9"
_CSV_COLUMNS = ("id", "group", "quantity", "published", "accepted", "simulated", "unit", "outcome", "expected",
                "as_expected", "calibrated", "reason", "source", "models")


def format_summary(report):
    """Targets passed / total per mechanism group, as a Markdown table (also readable as plain text)."""
    lines = ["| mechanism group | passed / total | expected failures | errors | outcome as expected |",
             "|---|---:|---:|---:|---:|"]
    for s in report.summary():
        name = "**all**" if s.group == "all" else s.group
        lines.append(f"| {name} | {s.passed} / {s.total} | {s.expected_failures} | {s.errors} | "
                     f"{s.total - s.unexpected} / {s.total} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def _band_in_check_units(row, criterion):
    """The criterion's range in the unit the check's curves are drawn in."""
    from ivigsim.analysis.validation.runner import _convert
    check_unit = row.units.get(criterion.output, criterion.unit)
    factor = _convert(1.0, check_unit, criterion.unit, row.id)
    return criterion.low / factor, criterion.high / factor


def _draw_curves(ax, figure):
    n_bars = sum(c.kind == "bar" for c in figure.curves)
    width, j = 0.8 / max(1, n_bars), 0
    for k, curve in enumerate(figure.curves):
        colour = PALETTE[k % len(PALETTE)]
        label = curve.label or None
        if curve.kind == "bar":
            positions = np.arange(len(curve.x)) + (j - (n_bars - 1) / 2) * width
            j += 1
            ax.bar(positions, curve.y, width=width, color=colour, label=label)
            ax.set_xticks(np.arange(len(curve.x)), [str(x) for x in curve.x], fontsize=8)
        elif curve.kind == "points":
            ax.plot(curve.x, curve.y, "o", ms=5, color=colour, label=label)
        elif curve.kind == "step":
            ax.step(curve.x, curve.y, where="post", color=colour, lw=1.5, label=label)
        else:
            many = len(figure.curves) > 8
            ax.plot(curve.x, curve.y, color=PALETTE[0] if many else colour, lw=0.8 if many else 1.6,
                    alpha=0.6 if many else 1.0, label=label)


def _draw_context(ax, row, figure):
    _draw_curves(ax, figure)
    if figure.log_x:
        ax.set_xscale("log")
    if figure.log_y:
        ax.set_yscale("log")
    if figure.shade_x:
        x0, x1, label = figure.shade_x
        ax.axvspan(x0, x1, color="0.85", alpha=0.5, label=label)
    for k, (y, label) in enumerate(figure.hlines):
        ax.axhline(y, color="0.3", ls=":", lw=1.0, label=label)
    for k, (x, label) in enumerate(figure.vlines):
        ax.axvline(x, color=PALETTE[(k + 3) % len(PALETTE)], ls="--", lw=1.0, label=label)
    criterion = next((c.criterion for c in row.criteria if c.criterion.output == figure.range_on), None)
    if criterion is not None and not criterion.is_direction:
        low, high = _band_in_check_units(row, criterion)
        y0, y1 = ax.get_ylim()
        low = y0 if math.isinf(low) else low
        high = max(y1, low) * 1.05 if math.isinf(high) else high
        ax.axhspan(low, high, color=_BAND, alpha=0.25, label="published range")
        ax.set_ylim(min(y0, low - 0.05 * abs(high - low)), max(y1, high + 0.05 * abs(high - low)))
    if figure.marker is not None:
        colour = _MET if row.criteria and row.criteria[0].passed else _NOT_MET
        ax.plot(*figure.marker, "D", ms=8, color=colour, label="simulated", zorder=5)
    ax.set_title(textwrap.fill(figure.title, 70), fontsize=9)
    ax.set_xlabel(figure.x_label, fontsize=9)
    ax.set_ylabel(figure.y_label, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=7)


def _draw_gauge(ax, judged):
    criterion = judged.criterion
    colour = _MET if judged.passed else _NOT_MET
    ax.set_title(textwrap.fill(criterion.quantity, 60), fontsize=8, loc="left")
    ax.set_yticks([])
    if criterion.is_direction or judged.simulated is None:
        ax.set_xticks([])
        mark = "✓" if judged.passed else "✗"
        verdict = f"simulated: {judged.describe_simulated()} {mark}" if judged.simulated is not None \
            else "not modelled"
        ax.text(0.5, 0.5, f"{textwrap.fill(criterion.describe_range(), 55)}\n{verdict}", ha="center",
                va="center", fontsize=8, color=colour, transform=ax.transAxes)
        return
    value, low, high = float(judged.simulated), criterion.low, criterion.high
    finite = [x for x in (low, high, value) if math.isfinite(x)]
    span = (max(finite) - min(finite)) or abs(value) or 1.0
    left, right = min(finite) - 0.25 * span, max(finite) + 0.25 * span
    ax.axvspan(max(low, left), min(high, right), color=_BAND, alpha=0.35)
    ax.plot([value], [0.5], "D", ms=9, color=colour)
    ax.set_xlim(left, right)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"simulated {judged.describe_simulated()}; accepted {criterion.describe_range()}", fontsize=7)
    ax.tick_params(labelsize=7)


def render_figure(row, path):
    """Draw one target's figure (context curve and one gauge per criterion) to ``path`` (PNG)."""
    from ivigsim.interfaces.plotting import _pyplot
    plt = _pyplot()
    gauges = max(1, len(row.criteria))
    rows = max(3, gauges)                      # a lone gauge keeps the height of one row
    context = row.figure is not None and bool(row.figure.curves)
    width, height = (11.0 if context else 6.5), max(3.4, 1.2 * rows + 1.5)
    fig = plt.figure(figsize=(width, height))
    grid = fig.add_gridspec(rows, 2 if context else 1, width_ratios=[1.5, 1] if context else [1],
                            left=0.8 / width, right=1 - 0.2 / width, top=1 - 0.95 / height, bottom=0.6 / height,
                            wspace=0.2, hspace=1.3)
    try:
        if context:
            _draw_context(fig.add_subplot(grid[:, 0]), row, row.figure)
        column = 1 if context else 0
        if row.criteria:
            for k, judged in enumerate(row.criteria):
                _draw_gauge(fig.add_subplot(grid[k, column]), judged)
        else:
            ax = fig.add_subplot(grid[0, column])
            ax.axis("off")
            ax.text(0.5, 0.5, textwrap.fill(f"{row.outcome}: {row.reason}", 70), ha="center", va="center",
                    fontsize=9, color=_NOT_MET, transform=ax.transAxes)
        if not context and rows > gauges and row.reason:
            ax = fig.add_subplot(grid[gauges:, column])
            ax.axis("off")
            ax.text(0.0, 0.9, textwrap.fill(row.reason, 85), ha="left", va="top", fontsize=8,
                    transform=ax.transAxes)
        verdict = f"{row.outcome} (expected {row.expected})"
        fig.suptitle(textwrap.fill(f"{row.id}: {row.quantity} — {verdict}", int(9 * width)), fontsize=10)
        fig.savefig(path, dpi=90)
    finally:
        plt.close(fig)
    return Path(path)


# ---------------------------------------------------------------------------
# text reports
# ---------------------------------------------------------------------------

def _header(report):
    from ivigsim import __version__
    total = len(report.rows)
    expected = total - len(report.unexpected)
    return (f"ivigsim {__version__}; targets from `{report.targets_path}`; {total} targets, "
            f"{report.simulations} simulations, {report.seconds:.1f} s. "
            f"{expected} of {total} targets have the outcome the targets file expects.")


def _group_table(rows):
    lines = ["| ID | quantity | published | accepted | simulated | outcome | expected |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        mark = "" if r.as_expected else " ⚠"
        calibrated = " (calibrated)" if r.calibrated else ""
        lines.append(f"| [{r.id}](#{r.id.lower()}) | {_cell(r.quantity)} | {_cell(r.published)} | "
                     f"{_cell(r.accepted)} | {_cell(r.simulated)} | **{r.outcome}**{calibrated}{mark} | "
                     f"{r.expected} |")
    return lines


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _criteria_table(row):
    lines = ["| criterion | accepted | simulated | met |", "|---|---|---|---|"]
    for c in row.criteria:
        basis = f" ({c.criterion.range_basis})" if c.criterion.range_basis else ""
        lines.append(f"| {_cell(c.criterion.quantity)} | {_cell(c.criterion.describe_range() + basis)} | "
                     f"{_cell(c.describe_simulated())} | {'yes' if c.passed else 'no'} |")
    return lines


def _markdown(report):
    lines = ["# ivigsim: literature validation", "", _header(report), "", "## Summary", "", format_summary(report)]
    for group, description in report.groups.items():
        rows = [r for r in report.rows if r.group == group]
        if rows:
            lines += ["", f"## {group}", "", description, ""] + _group_table(rows)
    lines += ["", "## Targets"]
    for r in report.rows:
        lines += ["", f"### {r.id}", "", f"**{r.quantity}** — {r.group}; models: {', '.join(r.models)}", "",
                  f"- published: {r.published}", f"- source: {r.source}",
                  f"- outcome: **{r.outcome}** (expected {r.expected})"
                  + (" — calibrated to this target" if r.calibrated else "")]
        if r.reason:
            lines.append(f"- reason: {r.reason}")
        if r.note:
            lines.append(f"- note: {r.note}")
        lines += [f"- computed: {n}" for n in r.notes]
        if r.criteria:
            lines += [""] + _criteria_table(r)
        lines += ["", f"![{r.id}](figures/{r.id}.png)"]
    return "\n".join(lines) + "\n"


def _html_table(header, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(report, figures):
    esc = html.escape
    summary_rows = [[esc("all" if s.group == "all" else s.group), f"{s.passed} / {s.total}",
                     str(s.expected_failures), str(s.errors), f"{s.total - s.unexpected} / {s.total}"]
                    for s in report.summary()]
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>ivigsim validation</title><style>",
             "body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em;line-height:1.4}"
             "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;"
             "font-size:90%;vertical-align:top}.pass{color:#007a5a;font-weight:bold}"
             ".fail{color:#b34700;font-weight:bold}.error{color:#b00;font-weight:bold}img{max-width:100%}",
             "</style></head><body><h1>ivigsim: literature validation</h1>",
             f"<p>{esc(_header(report))}</p><h2>Summary</h2>",
             _html_table(["mechanism group", "passed / total", "expected failures", "errors",
                          "outcome as expected"], summary_rows)]
    for group, description in report.groups.items():
        rows = [r for r in report.rows if r.group == group]
        if not rows:
            continue
        parts.append(f"<h2>{esc(group)}</h2><p>{esc(description)}</p>")
        parts.append(_html_table(["ID", "quantity", "published", "accepted", "simulated", "outcome", "expected"], [
            [f"<a href='#{esc(r.id)}'>{esc(r.id)}</a>", esc(r.quantity), esc(r.published), esc(r.accepted),
             esc(r.simulated), f"<span class='{r.outcome}'>{r.outcome}</span>"
             + (" (calibrated)" if r.calibrated else "") + ("" if r.as_expected else " ⚠"), esc(r.expected)]
            for r in rows]))
    parts.append("<h2>Targets</h2>")
    for r in report.rows:
        items = [f"published: {esc(r.published)}", f"source: {esc(r.source)}",
                 f"outcome: <span class='{r.outcome}'>{r.outcome}</span> (expected {esc(r.expected)})"
                 + (" — calibrated to this target" if r.calibrated else "")]
        items += [f"reason: {esc(r.reason)}"] if r.reason else []
        items += [f"note: {esc(r.note)}"] if r.note else []
        items += [f"computed: {esc(n)}" for n in r.notes]
        parts.append(f"<h3 id='{esc(r.id)}'>{esc(r.id)}: {esc(r.quantity)}</h3>"
                     f"<p>{esc(r.group)}; models: {esc(', '.join(r.models))}</p>"
                     "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
        if r.criteria:
            parts.append(_html_table(["criterion", "accepted", "simulated", "met"], [
                [esc(c.criterion.quantity), esc(c.criterion.describe_range()
                                                + (f" ({c.criterion.range_basis})" if c.criterion.range_basis else "")),
                 esc(c.describe_simulated()), "yes" if c.passed else "no"] for c in r.criteria]))
        data = base64.b64encode(figures[r.id].read_bytes()).decode("ascii")
        parts.append(f"<img alt='{esc(r.id)}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _write_csv(report, path):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(_CSV_COLUMNS)
        for r in report.rows:
            writer.writerow([r.id, r.group, r.quantity, r.published, r.accepted, r.simulated, r.unit, r.outcome,
                             r.expected, r.as_expected, r.calibrated, r.reason, r.source, ";".join(r.models)])
    return path


def write_report(report, out):
    """Write every file of the report under ``out``; returns name -> path."""
    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    figures = {r.id: render_figure(r, out / "figures" / f"{r.id}.png") for r in report.rows}
    paths = {"summary.csv": _write_csv(report, out / "summary.csv"),
             "report.md": out / "report.md", "report.html": out / "report.html"}
    paths["report.md"].write_text(_markdown(report), encoding="utf-8")
    paths["report.html"].write_text(_html(report, figures), encoding="utf-8")
    return {**paths, **{f"figures/{k}.png": v for k, v in figures.items()}}
