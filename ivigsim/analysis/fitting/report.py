"""``report.html`` of a fit: one self-contained page (inline styles, figures as base64 PNG).

Every piece of text that comes from the problem's files is escaped.
"""

from __future__ import annotations

import base64
import html

import numpy as np

from ivigsim.analysis.fitting.tables import write_text

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1.2em; color: #1d1d1f; line-height: 1.45; }
h2 { border-bottom: 2px solid #0072b2; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #d0d0d5; padding: 0.25em 0.55em; text-align: left; vertical-align: top; }
th { background: #eef3f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fdecea; } .muted { color: #666; font-size: 0.92em; }
figure img { max-width: min(100%, 900px); border: 1px solid #e0e0e0; }
pre { background: #f6f8fa; padding: 0.8em; white-space: pre-wrap; }
"""

_CAPTIONS = {
    "fit.png": "Best-fit model curves (line) over the data (points), one panel per condition and observable.",
    "residuals.png": "Weighted residuals on the observable's transformed scale, in units of sigma; "
                     "about 95 % should lie within the dashed lines at +/-2.",
    "waterfall.png": "Final objective of every start above the best, sorted (linear up to 0.1, logarithmic "
                     "beyond): starts on the zero line, below the dashed one, reached the best optimum; "
                     "steps above it are other local optima.",
    "profiles.png": "Profile likelihoods: the objective after re-optimising the other parameters, against "
                    "the profiled one; the dashed line is the 95 % threshold (1.92).",
}


def _e(text):
    return html.escape(str(text))


def _num(value):
    return "" if not np.isfinite(value) else f"{value:.4g}"


def _table(header, rows, flagged=()):
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for k, row in enumerate(rows):
        cells = "".join(f"<td class='num'>{_num(v)}</td>" if isinstance(v, float) else f"<td>{_e(v)}</td>"
                        for v in row)
        body.append(f"<tr{' class=flagged' if k in flagged else ''}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_report(result, directory, prov):
    """Write ``report.html`` into ``directory`` (its figures must be there already)."""
    problem = result.problem
    rows = result.intervals()
    flagged = [k for k, row in enumerate(rows) if not row[7]]
    sections = [f"<h1>Fit: {_e(problem.name)}</h1>",
                f"<p>Model <b>{_e(problem.spec.name)}</b>; {len(result.objective.names)} estimated parameters, "
                f"{result.objective.n_data} data in {len(problem.conditions)} condition(s). Best negative "
                f"log-likelihood <b>{result.value:.8g}</b>, reached by {result.n_converged} of "
                f"{len(result.starts)} starts (seed {problem.seed}).</p>"]
    sections.append("<h2>Estimates</h2>" + _table(
        ["parameter", "unit", "estimate", "95 % CI lower (profile)", "95 % CI upper (profile)",
         "Wald lower", "Wald upper", "identifiable", "note"],
        [(*row[:7], "yes" if row[7] else "no", row[8]) for row in rows], flagged))
    pairs = result.correlated_pairs()
    names = result.objective.names
    corr = result.wald.correlation
    text = ("<p>Strongly correlated pairs (|r| &gt; 0.95), whose combination the data constrain better than "
            "either alone (with a flat profile, they cannot be told apart): " +
            ", ".join(f"{_e(a)} / {_e(b)} (r = {r:.3f})" for a, b, r in pairs) + ".</p>") if pairs else \
        "<p>No pair of estimates is correlated beyond |r| = 0.95.</p>"
    sections.append("<h2>Correlations at the optimum</h2>" + text +
                    _table(["", *names], [(n, *map(float, row)) for n, row in zip(names, corr)]) +
                    f"<p class='muted'>Condition number of the Fisher information: "
                    f"{result.wald.condition_number:.3g}.</p>")
    sections.append("<h2>Figures</h2>")
    for name, caption in _CAPTIONS.items():
        path = directory / name
        if path.is_file():
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            sections.append(f"<figure><img alt='{_e(name)}' src='data:image/png;base64,{data}'>"
                            f"<figcaption>{_e(caption)}</figcaption></figure>")
    starts = sorted(result.starts, key=lambda s: (s.objective, s.index))
    sections.append("<h2>Starts</h2>" + _table(
        ["rank", "start", "objective", "status", "evaluations", "seconds", "reason"],
        [(k + 1, s.index, float(s.objective), "ok" if s.ok else "failed", s.n_evaluations, float(s.seconds),
          s.reason) for k, s in enumerate(starts)],
        [k for k, s in enumerate(starts) if not s.ok]))
    sections.append("<h2>Best parameters</h2><p>As an override table (also in best_parameters.toml):</p><pre>" +
                    "\n".join(f"{_e(n)} = {v:.10g}" for n, v in result.best_parameters.items()) + "</pre>")
    if problem.readme:
        sections.append(f"<h2>The problem</h2><pre>{_e(problem.readme)}</pre>")
    sections.append("<h2>Provenance</h2>" + _table(
        ["key", "value"], [(k, v if not isinstance(v, dict) else ", ".join(f"{a}: {b}" for a, b in v.items()))
                           for k, v in prov.items()]))
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Fit: {_e(problem.name)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(sections)}</body></html>\n")
    write_text(directory / "report.html", page)
    return directory / "report.html"
