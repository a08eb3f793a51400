"""Write an ivigsim :class:`~ivigsim.core.spec.ModelSpec` as an Antimony model (for libRoadRunner).

Only the benchmarks use this. The conventions of the two match: an ivigsim
species is a concentration in its compartment and a reaction rate is an amount
per day, which is exactly how SBML/Antimony read ``species X in comp`` and a
rate law. So each reaction is copied as it is (times its mechanism's on/off
switch), compartments get their volumes and parameters their values as plain
numbers (evaluated for one parameter vector, e.g. the 70 kg patient), and the
species get their initial concentrations.

Dosing is not written as events. Each infusion target gets one zero-order
reaction ``-> X; ivs_u<k> * compartment`` whose rate parameter ``ivs_u<k>``
(species unit per day, as in :class:`~ivigsim.core.schedule.DosingSchedule`) the
caller sets between segments; boluses are jumps the caller applies between
segments. See ``simulate_roadrunner`` in ``bench_solver.py``.
"""

from __future__ import annotations

import math

from ivigsim.core.expressions import BinOp, Call, Neg, Num, Sym, evaluate

# Words Antimony or libSBML's infix parser give a meaning of their own.
_RESERVED = {
    "after", "and", "at", "compartment", "const", "delete", "DNA", "e", "end", "exp", "false",
    "formula", "function", "gene", "has", "import", "in", "is", "ln", "log", "model", "module",
    "not", "operator", "or", "pi", "priority", "reaction", "species", "substanceOnly", "t0",
    "time", "true", "unit", "var", "xor", "avogadro", "inf", "INF", "nan", "NaN", "notanumber",
    "infinity", "exponentiale", "piecewise", "abs", "sqrt", "min", "max", "pow", "ceil", "floor",
    "delay", "rate", "rem", "quotient", "import", "units", "assert", "fromTrigger", "persistent",
}

_FUNCTIONS = """\
function ivs_hill(x, K, n)
  x^n/(K^n + x^n)
end

function ivs_mm(x, K)
  x/(K + x)
end

"""


def antimony_name(name):
    """The name used for ``name`` in the Antimony text (unchanged unless reserved)."""
    return f"{name}_" if name in _RESERVED else name


def _number(value):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot write the non-finite number {value!r} to Antimony")
    return repr(value)


def expression_text(node):
    """Antimony infix text of an ivigsim expression node (fully parenthesised)."""
    if isinstance(node, Num):
        text = _number(node.value)
        return f"({text})" if node.value < 0 else text
    if isinstance(node, Sym):
        return antimony_name(node.name)
    if isinstance(node, Neg):
        return f"(-{expression_text(node.operand)})"
    if isinstance(node, BinOp):
        return f"({expression_text(node.left)} {node.op} {expression_text(node.right)})"
    if isinstance(node, Call):
        args = [expression_text(a) for a in node.args]
        f = node.func
        if f == "hill":
            return f"ivs_hill({', '.join(args)})"
        if f == "mm":
            return f"ivs_mm({', '.join(args)})"
        if f == "log":                      # natural log (libSBML may read log() as log10)
            return f"ln({args[0]})"
        if f == "pow":
            return f"(({args[0]})^({args[1]}))"
        if f == "min":
            return f"piecewise({args[0]}, {args[0]} <= {args[1]}, {args[1]})"
        if f == "max":
            return f"piecewise({args[0]}, {args[0]} >= {args[1]}, {args[1]})"
        if f in ("exp", "sqrt", "abs"):
            return f"{f}({args[0]})"
        raise ValueError(f"no Antimony translation for function {f!r}")
    raise TypeError(f"not an expression node: {node!r}")


def _stoich_side(terms):
    parts = []
    for name, coeff in terms:
        parts.append(antimony_name(name) if coeff == 1 else f"{_number(coeff)} {antimony_name(name)}")
    return " + ".join(parts)


def switch_name(mechanism):
    return f"ivs_sw_{mechanism}"


def input_name(k):
    return f"ivs_u{k}"


def to_antimony(spec, values, initial=None, switches=None, input_target=(), model_name=None):
    """Antimony text of ``spec``.

    values : parameter values, in declaration order (``resolve_parameters``)
    initial : initial concentrations in species units, in species order
        (default: the file's ``initial`` expressions)
    switches : 0/1 per mechanism (default all on)
    input_target : species indices of the infusion inputs (``schedule.input_target``);
        input ``k`` is the parameter ``ivs_u<k>``, initially 0
    """
    env = spec.environment(values)
    if initial is None:
        initial = [evaluate(s.initial, env) for s in spec.species]
    if switches is None:
        switches = [1.0] * len(spec.mechanisms)
    name = model_name or f"ivigsim_{spec.name}"
    lines = [f"// Generated from ivigsim model '{spec.name}' ({spec.path}) by benchmarks/_antimony.py",
             _FUNCTIONS + f"model {name}()", ""]
    lines.append("  // compartments (volumes evaluated for this parameter set)")
    for c in spec.compartments:
        lines.append(f"  compartment {antimony_name(c.name)} = {_number(env[c.name])};")
    lines.append("")
    lines.append("  // species: initial concentrations in the species' declared unit")
    for s, y in zip(spec.species, initial):
        lines.append(f"  species {antimony_name(s.name)} in {antimony_name(s.compartment)};")
        lines.append(f"  {antimony_name(s.name)} = {_number(y)};")
    lines.append("")
    lines.append("  // parameters")
    for p, v in zip(spec.parameters, values):
        lines.append(f"  {antimony_name(p.name)} = {_number(v)};")
    for m, on in zip(spec.mechanisms, switches):
        lines.append(f"  {switch_name(m)} = {_number(on)};")
    for k in range(len(input_target)):
        lines.append(f"  {input_name(k)} = 0.0;")
    lines.append("")
    lines.append("  // reactions: rates are amounts per day, species are concentrations")
    # A model file keeps reactions apart from other names, so a reaction may
    # share its name with a parameter (fcra_extravasation); Antimony has one
    # namespace, so such a reaction gets the SBML exporter's suffix.
    taken = {c.name for c in spec.compartments} | {s.name for s in spec.species} | {p.name for p in spec.parameters}
    for r in spec.reactions:
        eq = f"{_stoich_side(r.reactants)} -> {_stoich_side(r.products)}"
        label = f"{r.name}_reaction" if r.name in taken else r.name
        lines.append(f"  {antimony_name(label)}: {eq}; "
                     f"{switch_name(r.mechanism)} * {expression_text(r.rate)};")
    for k, i in enumerate(input_target):
        s = spec.species[int(i)]
        lines.append(f"  ivs_infusion{k}: -> {antimony_name(s.name)}; "
                     f"{input_name(k)} * {antimony_name(s.compartment)};")
    lines.append("end")
    return "\n".join(lines) + "\n"
