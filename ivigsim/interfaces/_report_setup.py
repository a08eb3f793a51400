"""Section 2 of ``report.html``: what was run (model, settings, regimens, sweep, metrics).

Internal to :mod:`ivigsim.interfaces.report`.
"""

from __future__ import annotations

import itertools

from ivigsim.interfaces.experiment_plots import _variable_unit
from ivigsim.analysis.metrics import DEFAULT_PRICE_USD_PER_G, metric_unit
from ivigsim.core.regimen import RegimenError
from ivigsim.core.spec import BODY_WEIGHT
from ivigsim.io.html import Html, escape, fmt_number, html_table, pairs_table, paragraph, section
from ivigsim.interfaces._report_text import (
    BASELINES,
    MAX_CORNER_KEYWORDS,
    METRIC_KINDS,
    SWEEP_METHODS,
)


# ---------------------------------------------------------------------------
# 2. What was run
# ---------------------------------------------------------------------------


def what_was_run(experiment, spec, notes) -> str:
    parts = []
    if notes.get(""):
        parts += ["<h3>Notes from the experiment file</h3>", f"<pre>{escape(notes[''])}</pre>"]
    parts += [_model(experiment, spec), _settings(experiment, spec), _regimens(experiment),
              _sweep(experiment, spec, notes), _metric_definitions(experiment, spec, notes)]
    return section("what-was-run", "What was run", parts)


def _model(experiment, spec) -> str:
    parts = [f"<h3>The model: {escape(spec.name)}</h3>", paragraph(" ".join(spec.description.split())),
             paragraph(f"Model file: {spec.path}; initial state: {spec.initial_state}.", "muted"),
             "<h4>Mechanisms</h4>"]
    rows, classes = [], []
    for name, description in spec.mechanisms.items():
        on = bool(experiment.mechanisms.get(name, True))
        state = "on" if on else "off"
        if name in experiment.mechanisms:
            state += " (set by the experiment)"
        rows.append([name, description, Html(f'<span class="{"on" if on else "off"}">{escape(state)}</span>')])
        classes.append("" if on else "flagged")
    parts.append(html_table(["mechanism", "what it is", "in this experiment"], rows, classes))
    parts.append("<h4>Parameters</h4>")
    usage = _parameter_usage(experiment, spec)
    described = any(p.description for p in spec.parameters)
    parts.append(html_table(
        ["parameter", "value used", "unit", "model default", "plausible range", "source"]
        + (["description"] if described else []),
        [[p.name, usage.get(p.name, fmt_number(p.value)), str(p.unit), p.value,
          f"{fmt_number(p.bounds[0])} to {fmt_number(p.bounds[1])}", p.source] + ([p.description] if described else [])
         for p in spec.parameters]))
    parts.append("<details><summary>Species (state variables) and observables</summary>")
    parts.append(html_table(["species", "unit", "compartment", "description"],
                        [[s.name, str(s.unit), s.compartment, s.description] for s in spec.species]))
    parts.append(html_table(["observable", "unit", "description"],
                        [[o.name, str(o.unit), o.description] for o in spec.observables]))
    parts.append("</details>")
    parts.append("<details><summary>Reactions</summary>")
    parts.append(html_table(["reaction", "equation", "mechanism", "description"],
                        [[r.name, r.equation, r.mechanism, r.description] for r in spec.reactions]))
    parts.append("</details>")
    # generated from the parsed model the kernel compiled; MathML renders offline, with no script
    from ivigsim.core.equations import equations_html
    parts.append("<details><summary>Equations: ODEs, rate laws and observables</summary>")
    parts.append(equations_html(spec, heading=False))
    parts.append("</details>")
    if spec.references:
        parts.append("<h4>References</h4><ul>" + "".join(f"<li>{escape(r)}</li>" for r in spec.references)
                     + "</ul>")
    return "\n".join(parts)


def _parameter_usage(experiment, spec) -> dict:
    """Parameter name -> how the experiment set it, where it differs from the model file."""
    usage = {}
    if BODY_WEIGHT in spec.parameter_names:
        usage[BODY_WEIGHT] = f"{fmt_number(experiment.body_weight_kg)} (the experiment's body weight)"
    for name, value in experiment.parameters.items():
        usage[name] = f"{fmt_number(value)} (fixed by the experiment)"
    for variable in experiment.sweep.variables:
        if variable.target == "parameter":
            usage[variable.name] = f"swept: {variable_values(variable)}"
        elif variable.target == "body_weight" and BODY_WEIGHT in spec.parameter_names:
            usage[BODY_WEIGHT] = f"swept: {variable_values(variable)}"
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
    return "<h3>Simulation settings</h3>\n" + pairs_table(rows)


def _regimens(experiment) -> str:
    price = next((m.price_usd_per_g for m in experiment.metrics if m.kind == "cost_usd" and m.price_usd_per_g),
                 DEFAULT_PRICE_USD_PER_G)
    weight = experiment.body_weight_kg
    rows, classes = [], []
    for regimen_spec in experiment.regimens:
        for label, overrides in regimen_variants(experiment, regimen_spec):
            row, ok = _regimen_row(regimen_spec, label, overrides, weight, price)
            rows.append(row)
            classes.append("" if ok else "flagged")
    parts = ["<h3>Regimens</h3>",
             paragraph(f"Grams of immunoglobulin, cost (IgG at US${price:g} per gram, FcRn antagonists at their "
                f"list price, plasma exchange at US${_session_price():.0f} per session; NaN where no "
                f"price is known) and safety flags for a {weight:g} kg patient. "
                "A regimen keyword that the sweep varies is shown at the ends of its range.")]
    if experiment.sweep.body_weight is not None or any(v.target == "body_weight"
                                                       for v in experiment.sweep.variables):
        parts.append(paragraph("Body weight varies across the sweep, and with it the grams and cost of "
                        "per-kg doses: see the metric table for each point."))
    parts.append(html_table(["regimen", "kind", "swept keywords at", "in words", "grams", "cost (USD)",
                         "fastest infusion (mg/kg/min)", "safety flags"], rows, classes))
    return "\n".join(parts)


def regimen_variants(experiment, regimen_spec):
    """(label, overrides): the regimen as written, or at the corners of its swept keywords."""
    swept = [v for v in experiment.sweep.variables
             if v.target == "regimen" and regimen_spec.accepts(v.name)]
    if not swept:
        return [("as written", {})]
    ends = [sorted({min(v.extremes()), max(v.extremes())}) for v in swept]
    if len(swept) > MAX_CORNER_KEYWORDS:
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
    flag_html = Html("<br>".join(f'<span class="flag">{escape(f)}</span>' for f in flags) or "none")
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


def variable_values(variable) -> str:
    if variable.values is not None:
        return ", ".join(f"{v:g}" for v in variable.values)
    text = f"{variable.low:g} to {variable.high:g}"
    if variable.count is not None:
        text += f", {variable.count} values"
    return text + f", {variable.scale} scale"


def variable_target(experiment, spec, variable) -> str:
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
    parts = ["<h3>Sweep</h3>", pairs_table([
        ("method", f"{sweep.method}: {SWEEP_METHODS.get(sweep.method, '')}"),
        ("points per regimen", sweep.size),
        ("regimens", len(experiment.regimens)),
        ("replicates", experiment.replicates),
        ("simulations in all", experiment.n_points),
        ("seed", experiment.seed)])]
    if sweep.variables:
        parts.append(html_table(["variable", "what it is", "values", "unit", "note in the file"], [
            [v.name, variable_target(experiment, spec, v), variable_values(v),
             _variable_unit(experiment, v.name), notes.get(f"sweep.variables.{v.name}", "")]
            for v in sweep.variables]))
    if sweep.variability:
        parts.append(paragraph("Inter-individual variability: each patient's value is the model's value "
                        "times exp(eta), eta normal with mean 0, so that CV is the coefficient of "
                        "variation."))
        parts.append(html_table(["parameter", "model value", "unit", "CV"], [
            [v.parameter, spec.parameters[spec.parameter_index(v.parameter)].value,
             str(spec.unit_of(v.parameter)), f"{100 * v.cv:g} %"] for v in sweep.variability]))
    if sweep.correlations:
        parts.append(html_table(["between", "and", "correlation r"],
                            [[c.a, c.b, c.r] for c in sweep.correlations]))
    if sweep.body_weight is not None:
        bw = sweep.body_weight
        parts.append(paragraph(f"Body weight: normal, mean {bw.mean:g} kg, SD {bw.sd:g} kg, "
                        f"truncated to {bw.low:g}-{bw.high:g} kg."))
    return "\n".join(parts)


def output_text(spec, name) -> str:
    for item in tuple(spec.observables) + tuple(spec.species):
        if item.name == name:
            return f"{name} ({item.description})" if item.description else name
    return name


def metric_unit_of(spec, metric) -> str:
    return metric_unit(metric, str(spec.unit_of(metric.output)) if metric.output else "")


def metric_definition(experiment, spec, metric) -> str:
    output_unit = str(spec.unit_of(metric.output)) if metric.output else ""
    template = METRIC_KINDS.get(metric.kind, metric.kind)
    text = template.format(output=output_text(spec, metric.output) if metric.output else "",
                           at_day=metric.at_day or 0.0, threshold=metric.threshold or 0.0,
                           output_unit=output_unit,
                           price=metric.price_usd_per_g or DEFAULT_PRICE_USD_PER_G,
                           baseline=BASELINES.get(metric.baseline, metric.baseline))
    if metric.output and metric.kind not in ("value_at",):
        if metric.window_days:
            text += f", between day {metric.window_days[0]:g} and day {metric.window_days[1]:g}"
        else:
            text += f", over days 0-{experiment.t_end_days:g}"
    return text


def _metric_definitions(experiment, spec, notes) -> str:
    rows = [[m.name, metric_definition(experiment, spec, m), metric_unit_of(spec, m), m.kind,
             notes.get(f"metrics.{m.name}", "")] for m in experiment.metrics]
    return "<h3>Metrics</h3>\n" + paragraph("One number per simulation, computed from its trajectory or its "
                                      "regimen.") + "\n" + html_table(
        ["metric", "definition", "unit", "kind", "note in the file"], rows)
