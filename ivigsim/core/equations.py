"""A model's mathematics written out: ODEs, rate laws and observables.

Everything here is generated from the parsed :class:`~ivigsim.core.spec.ModelSpec`,
the same object the kernel compiles, so the equations a reader sees cannot
drift from the ones that are integrated.  The kernel builds

    d[species]/dt = (Σ_k stoichiometry[species, k] × switch_k × v_k) / V_compartment

and so do these renderers: plain text for the terminal, Markdown, LaTeX for a
paper's supplement and MathML for HTML (rendered by the browser, offline).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ivigsim.core.expressions import BinOp, Call, Neg, Num, Sym, to_text

FORMATS = ("text", "md", "html", "tex")


@dataclass(frozen=True)
class Ode:
    """d[species]/dt = (Σ coefficient × v_reaction) / volume."""

    species: str
    unit: str                                 # species unit per day
    terms: tuple[tuple[float, str], ...]      # (net stoichiometric coefficient, reaction name)
    volume: str | None                        # compartment name, or None for amounts


@dataclass(frozen=True)
class RateLaw:
    reaction: str
    equation: str                             # "igg_p -> igg_i"
    mechanism: str
    rate: object                              # expression node
    unit: str                                 # amount per day


@dataclass(frozen=True)
class ObservableLaw:
    name: str
    unit: str
    expression: object
    factor: float                             # declared unit = factor × natural unit


def _amount_unit_text(spec, species):
    sp = spec.species[spec.species_index(species)]
    comp = spec.compartment(sp.compartment)
    return str(sp.unit) if comp.unit.is_dimensionless else f"{sp.unit}·{comp.unit}"


def model_equations(spec):
    """The ODEs, rate laws and observables of ``spec``.

    Returns
    -------
    tuple of (list of Ode, list of RateLaw, list of ObservableLaw)
    """
    stoich = spec.stoichiometry()
    odes = []
    for i, s in enumerate(spec.species):
        terms = tuple((float(stoich[i, k]), r.name) for k, r in enumerate(spec.reactions) if stoich[i, k] != 0)
        comp = spec.compartment(s.compartment)
        unit_volume = isinstance(comp.volume, Num) and comp.volume.value == 1.0 and comp.unit.is_dimensionless
        odes.append(Ode(s.name, f"{s.unit}/day", terms, None if unit_volume else comp.name))
    rates = []
    for r in spec.reactions:
        anchor = (r.reactants or r.products)[0][0] if (r.reactants or r.products) else None
        unit = f"{_amount_unit_text(spec, anchor)}/day" if anchor else "amount/day"
        rates.append(RateLaw(r.name, r.equation, r.mechanism, r.rate, unit))
    observables = [ObservableLaw(o.name, str(o.unit), o.expression, o.factor) for o in spec.observables]
    return odes, rates, observables


# --------------------------------------------------------------- expression printers
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}


def _prec(node):
    if isinstance(node, BinOp):
        return _PREC[node.op]
    if isinstance(node, Neg) or (isinstance(node, Num) and node.value < 0):
        return 3
    return 5


def _number(value):
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else f"{value:g}"


def _latex_name(name):
    return r"\mathit{" + name.replace("_", r"\_") + "}"


def to_latex(node):
    """LaTeX of an expression node; names are kept verbatim (``\\mathit{igg\\_p}``)."""
    if isinstance(node, Num):
        text = _number(node.value)
        if "e" in text:
            mant, exp = text.split("e")
            text = rf"{mant} \times 10^{{{int(exp)}}}"
        return text
    if isinstance(node, Sym):
        return _latex_name(node.name)
    if isinstance(node, Neg):
        inner = to_latex(node.operand)
        return "-" + (rf"\left({inner}\right)" if _prec(node.operand) < 3 else inner)
    if isinstance(node, BinOp):
        if node.op == "/":
            return rf"\frac{{{to_latex(node.left)}}}{{{to_latex(node.right)}}}"
        p = _PREC[node.op]
        left, right = to_latex(node.left), to_latex(node.right)
        if node.op == "^":
            if _prec(node.left) <= p:
                left = rf"\left({left}\right)"
            return f"{{{left}}}^{{{right}}}"
        if _prec(node.left) < p:
            left = rf"\left({left}\right)"
        if _prec(node.right) <= p and not (node.op in "+*" and _prec(node.right) == p):
            right = rf"\left({right}\right)"
        sep = {"+": " + ", "-": " - ", "*": r" \, "}[node.op]
        return f"{left}{sep}{right}"
    if isinstance(node, Call):
        args = ", ".join(to_latex(a) for a in node.args)
        return rf"\operatorname{{{node.func}}}\left({args}\right)"
    raise TypeError(f"not an expression node: {node!r}")


def _mi(name):
    return f"<mi>{html.escape(name)}</mi>"


def to_mathml(node):
    """Presentation MathML (without the outer ``<math>``) of an expression node."""
    if isinstance(node, Num):
        return f"<mn>{html.escape(_number(node.value))}</mn>"
    if isinstance(node, Sym):
        return _mi(node.name)
    if isinstance(node, Neg):
        inner = to_mathml(node.operand)
        if _prec(node.operand) < 3:
            inner = f"<mo>(</mo>{inner}<mo>)</mo>"
        return f"<mrow><mo>−</mo>{inner}</mrow>"
    if isinstance(node, BinOp):
        if node.op == "/":
            return f"<mfrac><mrow>{to_mathml(node.left)}</mrow><mrow>{to_mathml(node.right)}</mrow></mfrac>"
        p = _PREC[node.op]
        left, right = to_mathml(node.left), to_mathml(node.right)
        if node.op == "^":
            if _prec(node.left) <= p:
                left = f"<mrow><mo>(</mo>{left}<mo>)</mo></mrow>"
            return f"<msup><mrow>{left}</mrow><mrow>{right}</mrow></msup>"
        if _prec(node.left) < p:
            left = f"<mo>(</mo>{left}<mo>)</mo>"
        if _prec(node.right) <= p and not (node.op in "+*" and _prec(node.right) == p):
            right = f"<mo>(</mo>{right}<mo>)</mo>"
        op = {"+": "+", "-": "−", "*": "&#x22C5;"}[node.op]
        return f"<mrow>{left}<mo>{op}</mo>{right}</mrow>"
    if isinstance(node, Call):
        args = "<mo>,</mo>".join(to_mathml(a) for a in node.args)
        return f"<mrow><mi>{node.func}</mi><mo>(</mo>{args}<mo>)</mo></mrow>"
    raise TypeError(f"not an expression node: {node!r}")


# --------------------------------------------------------------- ODE right-hand sides
def _sum_text(terms):
    parts = []
    for coef, name in terms:
        mag = "" if abs(coef) == 1 else f"{_number(abs(coef))}·"
        sign = "-" if coef < 0 else "+"
        parts.append((sign, f"{mag}v_{name}"))
    if not parts:
        return "0"
    text = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    for sign, body in parts[1:]:
        text += f" {sign} {body}"
    return text


def ode_text(ode):
    """``d[igg_p]/dt = (v_a - v_b) / plasma``."""
    total = _sum_text(ode.terms)
    if ode.volume and ode.terms:
        total = f"({total}) / {ode.volume}" if len(ode.terms) > 1 else f"{total} / {ode.volume}"
    return f"d[{ode.species}]/dt = {total}"


def _ode_latex(ode):
    parts = []
    for coef, name in ode.terms:
        mag = "" if abs(coef) == 1 else _number(abs(coef)) + r"\,"
        parts.append(("-" if coef < 0 else "+", f"{mag}v_{{{_latex_name(name)}}}"))
    total = "0" if not parts else ("-" if parts[0][0] == "-" else "") + parts[0][1] + \
        "".join(f" {s} {b}" for s, b in parts[1:])
    if ode.volume and parts:
        total = rf"\frac{{{total}}}{{{_latex_name(ode.volume)}}}"
    return rf"\frac{{\mathrm{{d}}[{_latex_name(ode.species)}]}}{{\mathrm{{d}}t}} = {total}"


def _ode_mathml(ode):
    parts = []
    for k, (coef, name) in enumerate(ode.terms):
        if coef < 0 or k:
            parts.append(f"<mo>{'−' if coef < 0 else '+'}</mo>")
        if abs(coef) != 1:
            parts.append(f"<mn>{_number(abs(coef))}</mn><mo>&#x22C5;</mo>")
        parts.append(f"<msub><mi>v</mi><mi>{html.escape(name)}</mi></msub>")
    total = "<mrow>" + ("".join(parts) or "<mn>0</mn>") + "</mrow>"
    if ode.volume and parts:
        total = f"<mfrac>{total}{_mi(ode.volume)}</mfrac>"
    lhs = (f"<mfrac><mrow><mi mathvariant='normal'>d</mi><mo>[</mo>{_mi(ode.species)}<mo>]</mo></mrow>"
           "<mrow><mi mathvariant='normal'>d</mi><mi>t</mi></mrow></mfrac>")
    return f"<math displaystyle='true'><mrow>{lhs}<mo>=</mo>{total}</mrow></math>"


def _factor_text(factor):
    return "" if factor == 1.0 else f"{_number(factor)} × "


# --------------------------------------------------------------- whole sections
_NOTE = ("Each rate v is multiplied by its mechanism's 0/1 switch; V is the compartment volume, "
         "so a rate in amount per day changes a concentration by v / V.")


def equations_text(spec, markdown=False):
    """The equations as readable plain text (or Markdown with ``markdown=True``)."""
    odes, rates, observables = model_equations(spec)
    code = "`" if markdown else ""
    bullet = "- " if markdown else "  "
    lines = ["## Equations", "", _NOTE, "", "### ODEs"]
    lines += [f"{bullet}{code}{ode_text(o)}{code}   [{o.unit}]" for o in odes]
    lines += ["", "### Rate laws"]
    lines += [f"{bullet}{code}v_{r.reaction} = {to_text(r.rate)}{code}   [{r.unit}]  "
              f"({r.equation}; mechanism {r.mechanism})" for r in rates]
    lines += ["", "### Observables"]
    lines += [f"{bullet}{code}{o.name} = {_factor_text(o.factor)}"
              f"{'(' + to_text(o.expression) + ')' if o.factor != 1.0 else to_text(o.expression)}{code}"
              f"   [{o.unit}]" for o in observables]
    if spec.rules:
        lines += ["", "### Rules", _RULES_NOTE]
        lines += [f"{bullet}{code}{lhs} = {to_text(rule.expression)}{code}   [{unit}]"
                  for rule, lhs, unit in _rules(spec)]
    if spec.events:
        lines += ["", "### Events"]
        lines += [f"{bullet}{code}{e.name}: when {e.trigger_text}{_event_timing(e)} -> "
                  f"{'; '.join(f'{t} = {to_text(v)}' for t, v in e.assignments)}{code}" for e in spec.events]
    return "\n".join(lines)


_RULES_NOTE = ("Assignment rules hold at every instant (the rate laws above show them substituted); "
               "a rate rule's quantity is a state of the model.")


def _rules(spec):
    """(rule, left-hand side in text, unit) of every rule."""
    return [(r, r.name if r.kind == "assignment" else f"d{r.name}/dt",
             str(r.unit) if r.kind == "assignment" else f"{r.unit}/day") for r in spec.rules]


def _event_timing(event):
    """', after delay ...; priority ...; ...' for the options of an event that differ from the defaults."""
    parts = []
    if event.delay is not None:
        parts.append(f"after {to_text(event.delay)} days")
    if event.priority is not None:
        parts.append(f"priority {to_text(event.priority)}")
    if not event.persistent:
        parts.append("cancelled if the trigger turns false before")
    if not event.initial_value:
        parts.append("fires at t = 0 if true then")
    if not event.use_values_from_trigger_time:
        parts.append("values at execution")
    return f" ({'; '.join(parts)})" if parts else ""


def equations_latex(spec):
    """A LaTeX fragment (``align*`` environments) to paste into a supplement."""
    odes, rates, observables = model_equations(spec)
    unit = lambda u: r"\quad\text{[" + u.replace("_", r"\_").replace("%", r"\%") + "]}"  # noqa: E731
    lines = [r"% generated by ivigsim from the model file; " + _NOTE, r"\paragraph{ODEs}", r"\begin{align*}"]
    lines += [_ode_latex(o).replace(" = ", " &= ", 1) + unit(o.unit) + r" \\" for o in odes]
    lines += [r"\end{align*}", r"\paragraph{Rate laws}", r"\begin{align*}"]
    lines += [f"v_{{{_latex_name(r.reaction)}}} &= {to_latex(r.rate)}" + unit(r.unit) + r" \\" for r in rates]
    lines += [r"\end{align*}", r"\paragraph{Observables}", r"\begin{align*}"]
    for o in observables:
        factor = "" if o.factor == 1.0 else f"{_number(o.factor)}" + r" \times \left("
        close = "" if o.factor == 1.0 else r"\right)"
        lines.append(f"{_latex_name(o.name)} &= {factor}{to_latex(o.expression)}{close}" + unit(o.unit) + r" \\")
    lines.append(r"\end{align*}")
    if spec.rules:
        lines += [r"\paragraph{Rules} % " + _RULES_NOTE, r"\begin{align*}"]
        for rule, lhs, u in _rules(spec):
            left = (_latex_name(rule.name) if rule.kind == "assignment"
                    else rf"\frac{{\mathrm{{d}}{_latex_name(rule.name)}}}{{\mathrm{{d}}t}}")
            lines.append(f"{left} &= {to_latex(rule.expression)}" + unit(u) + r" \\")
        lines.append(r"\end{align*}")
    if spec.events:
        lines += [r"\paragraph{Events}", r"\begin{itemize}"]
        for e in spec.events:
            assigned = ", ".join(f"${_latex_name(t)} := {to_latex(v)}$" for t, v in e.assignments)
            lines.append(rf"\item \texttt{{{e.name.replace('_', chr(92) + '_')}}}: when ${to_latex(e.trigger)}$"
                         f"{_event_timing(e).replace('_', chr(92) + '_')}: {assigned}")
        lines.append(r"\end{itemize}")
    return "\n".join(lines)


def equations_html(spec, heading=True):
    """An HTML block with the equations in MathML (no script, renders offline); ``heading`` adds an <h2>."""
    odes, rates, observables = model_equations(spec)
    esc = html.escape
    rows = ["<div class='ivigsim-equations'>" + ("<h2>Equations</h2>" if heading else ""), f"<p>{esc(_NOTE)}</p>",
            "<h3>ODEs</h3>", "<table>"]
    rows += [f"<tr><td>{_ode_mathml(o)}</td><td>[{esc(o.unit)}]</td></tr>" for o in odes]
    rows += ["</table>", "<h3>Rate laws</h3>", "<table>"]
    for r in rates:
        lhs = f"<msub><mi>v</mi><mi>{esc(r.reaction)}</mi></msub>"
        rows.append(f"<tr><td><math displaystyle='true'><mrow>{lhs}<mo>=</mo>{to_mathml(r.rate)}</mrow></math></td>"
                    f"<td>[{esc(r.unit)}]</td><td>{esc(r.equation)}; {esc(r.mechanism)}</td></tr>")
    rows += ["</table>", "<h3>Observables</h3>", "<table>"]
    for o in observables:
        body = to_mathml(o.expression)
        if o.factor != 1.0:
            body = f"<mrow><mn>{_number(o.factor)}</mn><mo>&#x00D7;</mo><mo>(</mo>{body}<mo>)</mo></mrow>"
        rows.append(f"<tr><td><math displaystyle='true'><mrow>{_mi(o.name)}<mo>=</mo>{body}</mrow></math></td>"
                    f"<td>[{esc(o.unit)}]</td></tr>")
    rows.append("</table>")
    if spec.rules:
        rows += ["<h3>Rules</h3>", f"<p>{esc(_RULES_NOTE)}</p>", "<table>"]
        for rule, lhs, unit in _rules(spec):
            rows.append(f"<tr><td><math displaystyle='true'><mrow><mi>{esc(lhs)}</mi><mo>=</mo>"
                        f"{to_mathml(rule.expression)}</mrow></math></td><td>[{esc(unit)}]</td></tr>")
        rows.append("</table>")
    if spec.events:
        rows += ["<h3>Events</h3>", "<ul>"]
        rows += [f"<li><b>{esc(e.name)}</b>: when <code>{esc(e.trigger_text)}</code>{esc(_event_timing(e))}: "
                 f"{esc('; '.join(f'{t} = {to_text(v)}' for t, v in e.assignments))}</li>" for e in spec.events]
        rows.append("</ul>")
    rows += ["</div>"]
    return "\n".join(rows)
