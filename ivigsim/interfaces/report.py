"""``report.html``: one finished sweep as a page a reader can follow without the files.

:func:`write_report` writes a single self-contained HTML file into a sweep's
run directory: styles inline, figures embedded as base64 PNG, no external
requests, so it can be mailed or archived on its own.  Everything on the page
is generated from the experiment file, the model file and the results, so it
cannot drift from what was run.  The sections:

1. the question: the experiment's name and description, and how many
   simulations were run;
2. what was run: the notes at the top of the experiment file, the model (mechanisms on or off as used, species,
   parameters with units and sources, observables, the equations, references), the
   simulation settings, the regimens in words with grams, cost and safety
   flags, the sweep and the metrics with their definitions and units;
3. the figures the experiment asks for, with captions;
4. the results: the metrics per regimen (median and 5-95 % range) or, for a
   small sweep, every point; the failed points with their reasons; Sobol or
   Morris indices for a sensitivity sweep;
5. provenance: versions, git commit, file hash, model fingerprint, solver
   settings, executor, timing and platform.

Every piece of text that comes from a file is escaped, so a description
cannot inject markup into the page.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import itertools
import json
import math
import re
from pathlib import Path

import numpy as np

from ivigsim.interfaces.experiment_plots import _variable_unit
from ivigsim.analysis.metrics import DEFAULT_PRICE_USD_PER_G, metric_unit
from ivigsim.core.regimen import RegimenError
from ivigsim.sweep.sensitivity import SENSITIVITY_METHODS
from ivigsim.core.spec import BODY_WEIGHT

__all__ = ["write_report", "REPORT_NAME"]

#: File name of the report inside a run directory.
REPORT_NAME = "report.html"
#: Up to this many points the result table lists every point; above, a summary per regimen.
FEW_POINTS = 30
#: Failed points listed one by one on the page (all of them are in metrics.csv).
MAX_LISTED_FAILURES = 200
#: Swept regimen keywords beyond which only the all-low and all-high regimens are shown.
_MAX_CORNER_KEYWORDS = 3

_SWEEP_METHODS = {
    "grid": "a full grid: every combination of the listed values, the last variable varying fastest",
    "latin_hypercube": "a Latin hypercube: each variable's range is cut into n equally likely strata "
                       "and every stratum is sampled once",
    "sobol": "a scrambled Sobol sequence: n points spread evenly over the ranges",
    "sobol_indices": "Saltelli sampling for variance-based (Sobol) sensitivity indices: "
                     "N base samples x (d + 2) runs for d variables",
    "morris": "Morris elementary-effects screening: N trajectories x (d + 1) runs for d variables",
    "virtual_population": "a virtual population: parameters vary log-normally between patients "
                          "around the model's values",
    "none": "no sweep: each regimen is simulated once, as written",
}

_METRIC_KINDS = {
    "value_at": "{output} on day {at_day:g}",
    "max": "highest {output}",
    "min": "lowest {output}",
    "time_of_max": "day on which {output} first reaches its highest value",
    "time_of_min": "day on which {output} first reaches its lowest value",
    "percent_change_min": "deepest fall of {output}: change of its minimum from {baseline}",
    "percent_change_max": "largest rise of {output}: change of its maximum from {baseline}",
    "auc": "area under the {output} curve",
    "time_above": "days with {output} above {threshold:g} {output_unit}",
    "time_below": "days with {output} below {threshold:g} {output_unit}",
    "half_life": "half-life of {output} from a log-linear fit",
    "max_rate_of_rise": "steepest rise of {output} between two output times",
    "grams_given": "immunoglobulin given over the whole regimen, for the patient's body weight",
    "cost_usd": "grams given x US${price:g} per gram",
    "max_infusion_rate_mg_per_kg_per_min": "fastest infusion of the regimen",
    "antagonist_mg_given": "FcRn antagonist given over the whole regimen, for the patient's body weight",
    "apheresis_sessions": "plasma exchange or immunoadsorption sessions",
    "therapy_cost_usd": "IgG grams x US${price:g} per gram + antagonist mg x its price per mg + "
                        "sessions x the price per session",
    "thrombosis_flag": "1 if some day has 35 g or more of immunoglobulin (PK-33), else 0",
    "hyperviscosity_band": "hyperviscosity band of the highest {output}: 0 below 3 cP, 1, 2, 3 from "
                           "3, 4, 5 cP (Crawford et al. 1985)",
    "auc_change_pct": "change of the area under the {output} curve from {baseline}",
}
_BASELINES = {"start": "its value on day 0",
              "untreated": "the same patient untreated, at the same time"}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1.2em; color: #1d1d1f; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #0072b2; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.6em; color: #0b4f7c; }
.lead { font-size: 1.15em; } .muted { color: #666; font-size: 0.92em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #d0d0d5; padding: 0.25em 0.55em; vertical-align: top; text-align: left; }
th { background: #eef3f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.flagged td { background: #fdecea; } .off { color: #b00020; font-weight: bold; } .on { color: #1b7f3b; }
.flag { color: #b00020; } code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.92em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; white-space: pre-wrap; }
figure { margin: 1.2em 0; } figure img { max-width: min(100%, 760px); border: 1px solid #e0e0e0; }
.scroll { overflow-x: auto; }
figcaption { font-size: 0.92em; color: #333; margin-top: 0.3em; }
nav ul { columns: 2; } details summary { cursor: pointer; color: #0b4f7c; }
"""


class _Html(str):
    """Markup built here from escaped parts: not escaped again."""


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def write_report(experiment, spec, results, path) -> Path:
    """Write ``report.html`` for a finished sweep.

    Parameters
    ----------
    experiment : ivigsim.sweep.experiment.Experiment
        The experiment that was run.
    spec : ivigsim.core.spec.ModelSpec
        The model it was run on.
    results : ivigsim.sweep.run.ExperimentResults
        Its metrics, provenance and (for a sensitivity sweep) indices.
    path : str or Path
        The run directory (the report is written into it as ``report.html``)
        or the ``.html`` file to write.  Figures are read from the
        ``figures/`` folder beside the report.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    if path.suffix.lower() != ".html":
        path = path / REPORT_NAME
    run_dir = path.parent
    notes = _file_notes(_experiment_text(experiment, run_dir))
    sections = [
        _what_was_run(experiment, spec, notes),
        _figures(experiment, spec, run_dir / "figures"),
        _results(experiment, spec, results),
        _provenance(results.provenance),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    page = _page(f"{experiment.name}: ivigsim report", _question(experiment, spec, results), sections)
    path.write_text(page, encoding="utf-8")
    return path


def _page(title, header, sections) -> str:
    nav = "".join(f'<li><a href="#{anchor}">{_e(heading)}</a></li>'
                  for anchor, heading in (("what-was-run", "What was run"), ("figures", "Figures"),
                                          ("results", "Results"), ("provenance", "Provenance")))
    return ("<!DOCTYPE html>\n"
            f'<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{_e(title)}</title>\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{header}\n"
            f"<nav><ul>{nav}</ul></nav>\n" + "\n".join(sections) + "\n</main>\n</body>\n</html>\n")


# ---------------------------------------------------------------------------
# Markup helpers
# ---------------------------------------------------------------------------


def _e(value) -> str:
    """Escaped text (markup built here passes through)."""
    if isinstance(value, _Html):
        return value
    return html.escape(str(value), quote=True)


def _num(value) -> str:
    """A number for a table: whole numbers as they are, others to 4 significant digits
    (thousands separated), NaN as a dash."""
    if value is None:
        return "—"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        return "—"
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value):,}"
    if 1e3 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    if abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.4g}"


def _cell(value) -> str:
    """A table cell: numbers right-aligned and formatted, anything else escaped."""
    if value is None or (isinstance(value, (float, int, np.floating, np.integer))
                         and not isinstance(value, bool)):
        return f'<td class="num">{_num(value)}</td>'
    return f"<td>{_e(value)}</td>"


def _table(header, rows, row_classes=None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for k, row in enumerate(rows):
        css = f' class="{row_classes[k]}"' if row_classes and row_classes[k] else ""
        body.append(f"<tr{css}>" + "".join(_cell(v) for v in row) + "</tr>")
    return (f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(body)
            + "\n</tbody>\n</table></div>")


def _pairs(rows) -> str:
    """A two-column table of label and value."""
    return "<table>\n<tbody>\n" + "\n".join(
        f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>" for label, value in rows) + "\n</tbody>\n</table>"


def _section(anchor, heading, parts) -> str:
    return f'<section id="{anchor}">\n<h2>{_e(heading)}</h2>\n' + "\n".join(p for p in parts if p) + "\n</section>"


def _count(n, noun) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _p(text, css=None) -> str:
    return f'<p class="{css}">{_e(text)}</p>' if css else f"<p>{_e(text)}</p>"


# ---------------------------------------------------------------------------
# The experiment file's own notes
# ---------------------------------------------------------------------------


def _experiment_text(experiment, run_dir) -> str:
    for candidate in (Path(experiment.path), run_dir / "experiment.toml"):
        try:
            return candidate.read_text(encoding="utf-8")
        except OSError:
            continue
    return ""


def _file_notes(text) -> dict:
    """The comment block at the top of an experiment file and the comments on its table headers.

    Returns ``{"": header comment, "metrics.nadir": comment, ...}``.
    """
    notes, header = {}, []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            header.append(stripped[1:][1:] if stripped[1:2] == " " else stripped[1:])
        elif stripped:
            break
        elif header:
            header.append("")
    notes[""] = "\n".join(header).strip()
    for match in re.finditer(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*#\s?(.*)$", text, re.M):
        notes[match.group(1)] = match.group(2).strip()
    return notes


# ---------------------------------------------------------------------------
# 1. The question
# ---------------------------------------------------------------------------


def _question(experiment, spec, results) -> str:
    frame = results.metrics
    n_failed = int((frame["status"] == "failed").sum())
    n_undefined = int((frame["status"] == "undefined").sum())
    sweep = experiment.sweep
    summary = (f"{_count(len(frame), 'simulation')} of the model {spec.name} "
               f"({_count(len(experiment.regimens), 'regimen')} x {_count(sweep.size, 'sweep point')} x "
               f"{_count(experiment.replicates, 'replicate')}), each over {experiment.t_end_days:g} days; "
               f"{n_failed} failed"
               + (f", {n_undefined} with a metric that has no value there (status undefined)." if n_undefined
                  else "."))
    parts = [f"<h1>{_e(experiment.name)}</h1>"]
    if experiment.description:
        parts.append(_p(experiment.description, "lead"))
    parts.append(_p(summary))
    return "<header>\n" + "\n".join(parts) + "\n</header>"


# ---------------------------------------------------------------------------
# 2. What was run
# ---------------------------------------------------------------------------


def _what_was_run(experiment, spec, notes) -> str:
    parts = []
    if notes.get(""):
        parts += ["<h3>Notes from the experiment file</h3>", f"<pre>{_e(notes[''])}</pre>"]
    parts += [_model(experiment, spec), _settings(experiment, spec), _regimens(experiment),
              _sweep(experiment, spec, notes), _metric_definitions(experiment, spec, notes)]
    return _section("what-was-run", "What was run", parts)


def _model(experiment, spec) -> str:
    parts = [f"<h3>The model: {_e(spec.name)}</h3>", _p(" ".join(spec.description.split())),
             _p(f"Model file: {spec.path}; initial state: {spec.initial_state}.", "muted"),
             "<h4>Mechanisms</h4>"]
    rows, classes = [], []
    for name, description in spec.mechanisms.items():
        on = bool(experiment.mechanisms.get(name, True))
        state = "on" if on else "off"
        if name in experiment.mechanisms:
            state += " (set by the experiment)"
        rows.append([name, description, _Html(f'<span class="{"on" if on else "off"}">{_e(state)}</span>')])
        classes.append("" if on else "flagged")
    parts.append(_table(["mechanism", "what it is", "in this experiment"], rows, classes))
    parts.append("<h4>Parameters</h4>")
    usage = _parameter_usage(experiment, spec)
    described = any(p.description for p in spec.parameters)
    parts.append(_table(
        ["parameter", "value used", "unit", "model default", "plausible range", "source"]
        + (["description"] if described else []),
        [[p.name, usage.get(p.name, _num(p.value)), str(p.unit), p.value,
          f"{_num(p.bounds[0])} to {_num(p.bounds[1])}", p.source] + ([p.description] if described else [])
         for p in spec.parameters]))
    parts.append("<details><summary>Species (state variables) and observables</summary>")
    parts.append(_table(["species", "unit", "compartment", "description"],
                        [[s.name, str(s.unit), s.compartment, s.description] for s in spec.species]))
    parts.append(_table(["observable", "unit", "description"],
                        [[o.name, str(o.unit), o.description] for o in spec.observables]))
    parts.append("</details>")
    parts.append("<details><summary>Reactions</summary>")
    parts.append(_table(["reaction", "equation", "mechanism", "description"],
                        [[r.name, r.equation, r.mechanism, r.description] for r in spec.reactions]))
    parts.append("</details>")
    # generated from the parsed model the kernel compiled; MathML renders offline, with no script
    from ivigsim.core.equations import equations_html
    parts.append("<details><summary>Equations: ODEs, rate laws and observables</summary>")
    parts.append(equations_html(spec, heading=False))
    parts.append("</details>")
    if spec.references:
        parts.append("<h4>References</h4><ul>" + "".join(f"<li>{_e(r)}</li>" for r in spec.references)
                     + "</ul>")
    return "\n".join(parts)


def _parameter_usage(experiment, spec) -> dict:
    """Parameter name -> how the experiment set it, where it differs from the model file."""
    usage = {}
    if BODY_WEIGHT in spec.parameter_names:
        usage[BODY_WEIGHT] = f"{_num(experiment.body_weight_kg)} (the experiment's body weight)"
    for name, value in experiment.parameters.items():
        usage[name] = f"{_num(value)} (fixed by the experiment)"
    for variable in experiment.sweep.variables:
        if variable.target == "parameter":
            usage[variable.name] = f"swept: {_variable_values(variable)}"
        elif variable.target == "body_weight" and BODY_WEIGHT in spec.parameter_names:
            usage[BODY_WEIGHT] = f"swept: {_variable_values(variable)}"
    for variability in experiment.sweep.variability:
        usage[variability.parameter] = f"varies between patients, CV {100 * variability.cv:g} %"
    if experiment.sweep.body_weight is not None and BODY_WEIGHT in spec.parameter_names:
        usage[BODY_WEIGHT] = "varies between patients (see the sweep)"
    return usage


def _settings(experiment, spec) -> str:
    rows = [("simulated time", f"{experiment.t_end_days:g} days"),
            ("output every", f"{experiment.output_step_days:g} days"),
            ("relative tolerance of the solver", f"{experiment.rtol:g}"),
            ("body weight", f"{experiment.body_weight_kg:g} kg"),
            ("replicates per point", experiment.replicates),
            ("seed", experiment.seed)]
    rows += [(f"parameter {name} fixed at", f"{value:g} {spec.unit_of(name)}")
             for name, value in experiment.parameters.items()]
    rows += [(f"mechanism {name}", "on" if on else "off") for name, on in experiment.mechanisms.items()]
    return "<h3>Simulation settings</h3>\n" + _pairs(rows)


def _regimens(experiment) -> str:
    price = next((m.price_usd_per_g for m in experiment.metrics if m.kind == "cost_usd" and m.price_usd_per_g),
                 DEFAULT_PRICE_USD_PER_G)
    weight = experiment.body_weight_kg
    rows, classes = [], []
    for regimen_spec in experiment.regimens:
        for label, overrides in _regimen_variants(experiment, regimen_spec):
            row, ok = _regimen_row(regimen_spec, label, overrides, weight, price)
            rows.append(row)
            classes.append("" if ok else "flagged")
    parts = ["<h3>Regimens</h3>",
             _p(f"Grams of immunoglobulin, cost (IgG at US${price:g} per gram, FcRn antagonists at their "
                f"list price, plasma exchange at US${_session_price():.0f} per session; NaN where no "
                f"price is known) and safety flags for a {weight:g} kg patient. "
                "A regimen keyword that the sweep varies is shown at the ends of its range.")]
    if experiment.sweep.body_weight is not None or any(v.target == "body_weight"
                                                       for v in experiment.sweep.variables):
        parts.append(_p("Body weight varies across the sweep, and with it the grams and cost of "
                        "per-kg doses: see the metric table for each point."))
    parts.append(_table(["regimen", "kind", "swept keywords at", "in words", "grams", "cost (USD)",
                         "fastest infusion (mg/kg/min)", "safety flags"], rows, classes))
    return "\n".join(parts)


def _regimen_variants(experiment, regimen_spec):
    """(label, overrides): the regimen as written, or at the corners of its swept keywords."""
    swept = [v for v in experiment.sweep.variables
             if v.target == "regimen" and regimen_spec.accepts(v.name)]
    if not swept:
        return [("as written", {})]
    ends = [sorted({min(v.extremes()), max(v.extremes())}) for v in swept]
    if len(swept) > _MAX_CORNER_KEYWORDS:
        corners = [tuple(e[0] for e in ends), tuple(e[-1] for e in ends)]
    else:
        corners = list(itertools.product(*ends))
    variants = []
    for corner in corners:
        overrides = {v.name: value for v, value in zip(swept, corner)}
        variants.append((", ".join(f"{k} = {value:g}" for k, value in overrides.items()), overrides))
    return variants


def _session_price():
    from ivigsim.core.apheresis import DEFAULT_PRICE_USD_PER_SESSION
    return DEFAULT_PRICE_USD_PER_SESSION


def _antagonist_names():
    from ivigsim.core.antagonists import catalogue
    return set(catalogue())


def _regimen_row(regimen_spec, label, overrides, weight, price):
    try:
        regimen = regimen_spec.build(overrides)
        doses = regimen.doses(weight)
        known = _antagonist_names()
        grams = float(sum(d.amount_g for d in doses if d.product not in known))    # IgG only
        rate = regimen.max_rate_mg_per_kg_per_min(weight) if doses else 0.0
        flags = regimen.safety_flags(weight) if doses else []
    except RegimenError as exc:
        return [regimen_spec.name, regimen_spec.kind, label, f"cannot be built: {exc}", None, None, None,
                ""], False
    flag_html = _Html("<br>".join(f'<span class="flag">{_e(f)}</span>' for f in flags) or "none")
    return [regimen_spec.name, regimen_spec.kind, label, regimen.describe(), grams,
            _therapy_cost(regimen, doses, grams, price), rate, flag_html], True


def _therapy_cost(regimen, doses, grams, price):
    """IgG at ``price`` per gram, an antagonist at its list price, sessions at their default cost."""
    from ivigsim.core.antagonists import price_usd_per_mg
    from ivigsim.core.apheresis import DEFAULT_PRICE_USD_PER_SESSION
    cost = grams * price + len(regimen.sessions) * DEFAULT_PRICE_USD_PER_SESSION
    if regimen.antagonist:
        drug_mg = 1000.0 * sum(d.amount_g for d in doses if d.product == regimen.antagonist)
        cost += drug_mg * price_usd_per_mg(regimen.antagonist)
    return cost


def _variable_values(variable) -> str:
    if variable.values is not None:
        return ", ".join(f"{v:g}" for v in variable.values)
    text = f"{variable.low:g} to {variable.high:g}"
    if variable.count is not None:
        text += f", {variable.count} values"
    return text + f", {variable.scale} scale"


def _variable_target(experiment, spec, variable) -> str:
    if variable.target == "parameter":
        parameter = spec.parameters[spec.parameter_index(variable.name)]
        default = f"model parameter (default {parameter.value:g} {parameter.unit})"
        return f"{default}: {parameter.description}" if parameter.description else default
    if variable.target == "body_weight":
        return "the patient's body weight (per-kg doses scale with it)"
    names = [r.name for r in experiment.regimens if r.accepts(variable.name)]
    return f"regimen keyword of {', '.join(names)}"


def _sweep(experiment, spec, notes) -> str:
    sweep = experiment.sweep
    parts = ["<h3>Sweep</h3>", _pairs([
        ("method", f"{sweep.method}: {_SWEEP_METHODS.get(sweep.method, '')}"),
        ("points per regimen", sweep.size),
        ("regimens", len(experiment.regimens)),
        ("replicates", experiment.replicates),
        ("simulations in all", experiment.n_points),
        ("seed", experiment.seed)])]
    if sweep.variables:
        parts.append(_table(["variable", "what it is", "values", "unit", "note in the file"], [
            [v.name, _variable_target(experiment, spec, v), _variable_values(v),
             _variable_unit(experiment, v.name), notes.get(f"sweep.variables.{v.name}", "")]
            for v in sweep.variables]))
    if sweep.variability:
        parts.append(_p("Inter-individual variability: each patient's value is the model's value "
                        "times exp(eta), eta normal with mean 0, so that CV is the coefficient of "
                        "variation."))
        parts.append(_table(["parameter", "model value", "unit", "CV"], [
            [v.parameter, spec.parameters[spec.parameter_index(v.parameter)].value,
             str(spec.unit_of(v.parameter)), f"{100 * v.cv:g} %"] for v in sweep.variability]))
    if sweep.correlations:
        parts.append(_table(["between", "and", "correlation r"],
                            [[c.a, c.b, c.r] for c in sweep.correlations]))
    if sweep.body_weight is not None:
        bw = sweep.body_weight
        parts.append(_p(f"Body weight: normal, mean {bw.mean:g} kg, SD {bw.sd:g} kg, "
                        f"truncated to {bw.low:g}-{bw.high:g} kg."))
    return "\n".join(parts)


def _output_text(spec, name) -> str:
    for item in tuple(spec.observables) + tuple(spec.species):
        if item.name == name:
            return f"{name} ({item.description})" if item.description else name
    return name


def _metric_unit(spec, metric) -> str:
    return metric_unit(metric, str(spec.unit_of(metric.output)) if metric.output else "")


def _metric_definition(experiment, spec, metric) -> str:
    output_unit = str(spec.unit_of(metric.output)) if metric.output else ""
    template = _METRIC_KINDS.get(metric.kind, metric.kind)
    text = template.format(output=_output_text(spec, metric.output) if metric.output else "",
                           at_day=metric.at_day or 0.0, threshold=metric.threshold or 0.0,
                           output_unit=output_unit,
                           price=metric.price_usd_per_g or DEFAULT_PRICE_USD_PER_G,
                           baseline=_BASELINES.get(metric.baseline, metric.baseline))
    if metric.output and metric.kind not in ("value_at",):
        if metric.window_days:
            text += f", between day {metric.window_days[0]:g} and day {metric.window_days[1]:g}"
        else:
            text += f", over days 0-{experiment.t_end_days:g}"
    return text


def _metric_definitions(experiment, spec, notes) -> str:
    rows = [[m.name, _metric_definition(experiment, spec, m), _metric_unit(spec, m), m.kind,
             notes.get(f"metrics.{m.name}", "")] for m in experiment.metrics]
    return "<h3>Metrics</h3>\n" + _p("One number per simulation, computed from its trajectory or its "
                                      "regimen.") + "\n" + _table(
        ["metric", "definition", "unit", "kind", "note in the file"], rows)


# ---------------------------------------------------------------------------
# 3. Figures
# ---------------------------------------------------------------------------


def _figures(experiment, spec, directory) -> str:
    shown, parts = set(), []
    for plot in experiment.plots:
        candidates = [(directory / f"{plot.name}.png", None)]
        candidates += [(directory / f"{plot.name}_{r.name}.png", r.name) for r in experiment.regimens]
        for png, regimen in candidates:
            if png.is_file() and png not in shown:
                shown.add(png)
                parts.append(_figure(png, _caption(experiment, spec, plot, regimen)))
    for png in sorted(directory.glob("*.png")) if directory.is_dir() else ():
        if png not in shown:
            parts.append(_figure(png, png.stem))
    if not parts:
        parts.append(_p("No figures: the experiment file asks for none ([plots.*])."))
    return _section("figures", "Figures", parts)


def _figure(png, caption) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (f'<figure>\n<img alt="{_e(caption)}" src="data:image/png;base64,{data}">\n'
            f"<figcaption>{_e(caption)}</figcaption>\n</figure>")


def _caption(experiment, spec, plot, regimen=None) -> str:
    metric = next((m for m in experiment.metrics if m.name == plot.metric), None)
    what = ""
    if metric is not None:
        unit = _metric_unit(spec, metric)
        what = f"{metric.name}{f' [{unit}]' if unit else ''}: {_metric_definition(experiment, spec, metric)}"
    if plot.kind == "dose_response":
        text = f"{what}; against {plot.x}, one marker per sweep point"
        if len(experiment.regimens) > 1:
            text += ", one curve per regimen"
    elif plot.kind == "heatmap":
        text = f"{what}; over {plot.x} (x) and {plot.y} (y)"
    elif plot.kind == "fan":
        text = (f"{_output_text(spec, plot.output)} over time across all points: median line, "
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


def _results(experiment, spec, results) -> str:
    frame = results.metrics
    parts = [_all_points(experiment, spec, frame) if len(frame) <= FEW_POINTS
             else _per_regimen(experiment, spec, frame),
             _failures(experiment, frame)]
    if experiment.sweep.method in SENSITIVITY_METHODS:
        parts.append(_sensitivity(results))
    notes = list(results.provenance.get("sampler_notes", ()))
    if notes:
        parts.append("<h3>Notes from the sampler</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes)
                     + "</ul>")
    return _section("results", "Results", parts)


def _swept_header(experiment, swept):
    return [f"{n} [{u}]" if (u := _variable_unit(experiment, n)) else n for n in swept]


def _metric_header(experiment, spec):
    return [f"{m.name} [{u}]" if (u := _metric_unit(spec, m)) else m.name for m in experiment.metrics]


def _all_points(experiment, spec, frame) -> str:
    swept = [n for n in experiment.sweep.names if n in frame.columns]
    header = ["point", "regimen"] + (["replicate"] if experiment.replicates > 1 else [])
    header += _swept_header(experiment, swept)
    header += _metric_header(experiment, spec) + ["status"]
    rows, classes = [], []
    for _, row in frame.iterrows():
        cells = [int(row["point_id"]), row["regimen"]]
        cells += [int(row["replicate"])] if experiment.replicates > 1 else []
        cells += [float(row[n]) for n in swept] + [float(row[m.name]) for m in experiment.metrics]
        rows.append(cells + [row["status"]])
        classes.append("" if row["status"] == "ok" else "flagged")
    return ("<h3>Every point</h3>\n" + _p("One row per simulation; a dash marks a metric of a failed "
                                          "point.") + "\n" + _table(header, rows, classes))


def _per_regimen(experiment, spec, frame) -> str:
    ok = frame["status"] == "ok"
    regimens = [r.name for r in experiment.regimens]
    header = ["metric"] + [f"{name} (n = {int((ok & (frame['regimen'] == name)).sum())})" for name in regimens]
    rows = []
    for metric, label in zip(experiment.metrics, _metric_header(experiment, spec)):
        row = [label]
        for name in regimens:
            values = frame.loc[ok & (frame["regimen"] == name), metric.name].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if values.size == 0:
                row.append("—")
                continue
            p5, median, p95 = np.quantile(values, [0.05, 0.5, 0.95])
            row.append(f"{_num(median)} ({_num(p5)} to {_num(p95)})")
        rows.append(row)
    return ("<h3>Metrics per regimen</h3>\n"
            + _p("Median over the successful points, with the 5-95 % range in brackets; n counts the "
                 "successful points. Every point is in metrics.csv.") + "\n" + _table(header, rows))


def _failures(experiment, frame) -> str:
    failed = frame[frame["status"] != "ok"]
    if failed.empty:
        return "<h3>Failures</h3>\n" + _p("No point failed.")
    swept = [n for n in experiment.sweep.names if n in frame.columns]
    rows = [[int(row["point_id"]), row["regimen"]] + [float(row[n]) for n in swept] + [row["reason"]]
            for _, row in failed.head(MAX_LISTED_FAILURES).iterrows()]
    n_undefined = int((failed["status"] == "undefined").sum())
    undefined = (f" ({n_undefined} of them ran but have a metric with no value: status undefined)"
                 if n_undefined else "")
    parts = ["<h3>Failures</h3>", _p(f"{len(failed)} of {len(frame)} points failed{undefined}; the others "
                                     "are unaffected."),
             _table(["point", "regimen"] + _swept_header(experiment, swept) + ["reason"], rows,
                    ["flagged"] * len(rows))]
    if len(failed) > MAX_LISTED_FAILURES:
        parts.append(_p(f"... and {len(failed) - MAX_LISTED_FAILURES} more: see metrics.csv.", "muted"))
    return "\n".join(parts)


def _sensitivity(results) -> str:
    table = results.sensitivity
    parts = ["<h3>Sensitivity indices</h3>"]
    if table is None or len(table) == 0:
        parts.append(_p("No indices could be computed."))
    else:
        columns = list(table.columns)
        parts.append(_table(columns, [[row[c] for c in columns] for _, row in table.iterrows()]))
    notes = results.provenance.get("sensitivity_notes", ())
    parts += [_p(note, "muted") for note in notes]
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# 5. Provenance
# ---------------------------------------------------------------------------


def _provenance(prov) -> str:
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
    return _section("provenance", "Provenance", [
        _pairs(rows),
        f"<details><summary>provenance.json</summary>\n<pre>{_e(raw)}</pre>\n</details>"])
