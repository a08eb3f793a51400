"""An imported model as plain records, and its text as an ivigsim model file (TOML).

The SBML reader fills these records; :func:`model_file_text` writes them in the
layout of ``models/*.toml``. Nothing here knows SBML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ivigsim.core.expressions import to_text


@dataclass
class ParameterRecord:
    name: str
    value: float
    unit: str
    source: str
    bounds: tuple[float, float] | None = None     # None: value/100 .. value*100
    description: str = ""


@dataclass
class CompartmentRecord:
    name: str
    volume: object            # expression node
    unit: str
    description: str = ""


@dataclass
class SpeciesRecord:
    name: str
    compartment: str
    unit: str
    initial: object           # expression node
    cumulative: bool = False
    description: str = ""


@dataclass
class ReactionRecord:
    name: str
    reactants: list           # [(species, coefficient), ...]
    products: list
    rate: object              # expression node, amount per day
    mechanism: str
    description: str = ""


@dataclass
class ObservableRecord:
    name: str
    expression: object
    unit: str
    description: str = ""


@dataclass
class DoseRecord:
    product: str
    routes: dict              # route -> {species: fraction expression node}
    mass_per_amount: object


@dataclass
class EventRecord:
    name: str
    trigger: object                  # condition node
    assignments: list                # [(target name, value node)]
    delay: object = None             # node in days
    priority: object = None
    persistent: bool = True
    initial_value: bool = True
    use_values_from_trigger_time: bool = True
    description: str = ""
    sbml_id: str = ""                # the SBML event's id, for messages


@dataclass
class ModelRecord:
    name: str
    description: str
    references: list = field(default_factory=list)
    mechanisms: dict = field(default_factory=dict)
    initial_state: str = "initial"
    compartments: list = field(default_factory=list)
    species: list = field(default_factory=list)
    parameters: list = field(default_factory=list)
    reactions: list = field(default_factory=list)
    observables: list = field(default_factory=list)
    doses: list = field(default_factory=list)
    events: list = field(default_factory=list)
    notes: list = field(default_factory=list)      # lines for the header comment
    units: str = "checked"                         # "unchecked": the file's units did not fit together


def default_bounds(value):
    """Bounds for a parameter the source gives none for: two decades either side.

    A value of zero gets ``[0, 1]`` (its unit); a negative value the mirror
    image of the positive rule.
    """
    def tidy(x):
        return float(f"{x:.12g}")

    if value > 0:
        return (tidy(value / 100.0), tidy(value * 100.0))
    if value < 0:
        return (tidy(value * 100.0), tidy(value / 100.0))
    return (0.0, 1.0)


def _string(text):
    """A TOML basic string."""
    return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")


def _number(value):
    value = float(value)
    return str(int(value)) + ".0" if value.is_integer() and abs(value) < 1e16 else repr(value)


def _coefficient(value):
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _side(terms):
    return " + ".join(name if c == 1 else f"{_coefficient(c)} {name}" for name, c in terms)


def _table(lines, header, fields):
    lines.append(f"[{header}]")
    for key, value in fields:
        if value is None or value == "":
            continue
        lines.append(f"{key} = {value}")
    lines.append("")


def model_file_text(model):
    """The TOML text of an ivigsim model file for a :class:`ModelRecord`."""
    lines = [f"# {line}".rstrip() for line in model.notes] + ([""] if model.notes else [])
    lines.append("[model]")
    lines.append(f"name = {_string(model.name)}")
    if model.description:
        lines.append(f"description = {_string(model.description)}")
    if model.references:
        lines.append("references = [")
        lines += [f"    {_string(r)}," for r in model.references]
        lines.append("]")
    for name, text in model.mechanisms.items():
        lines.append(f"mechanisms.{name} = {_string(text)}")
    lines.append(f"initial_state = {_string(model.initial_state)}")
    if model.units != "checked":
        lines.append(f"units = {_string(model.units)}")
    lines.append("")
    for c in model.compartments:
        _table(lines, f"compartments.{c.name}", [
            ("volume", _string(to_text(c.volume))), ("unit", _string(c.unit)),
            ("description", _string(c.description) if c.description else None)])
    for s in model.species:
        _table(lines, f"species.{s.name}", [
            ("compartment", _string(s.compartment)), ("unit", _string(s.unit)),
            ("initial", _string(to_text(s.initial))), ("cumulative", "true" if s.cumulative else None),
            ("description", _string(s.description) if s.description else None)])
    for p in model.parameters:
        fits = p.bounds is not None and p.bounds[0] <= p.value <= p.bounds[1]
        low, high = p.bounds if fits else default_bounds(p.value)
        _table(lines, f"parameters.{p.name}", [
            ("value", _number(p.value)), ("unit", _string(p.unit)),
            ("bounds", f"[{_number(low)}, {_number(high)}]"), ("source", _string(p.source)),
            ("description", _string(p.description) if p.description else None)])
    for r in model.reactions:
        _table(lines, f"reactions.{r.name}", [
            ("equation", _string(f"{_side(r.reactants)} -> {_side(r.products)}".strip())),
            ("rate", _string(to_text(r.rate))), ("mechanism", _string(r.mechanism)),
            ("description", _string(r.description) if r.description else None)])
    for o in model.observables:
        _table(lines, f"observables.{o.name}", [
            ("expression", _string(to_text(o.expression))), ("unit", _string(o.unit)),
            ("description", _string(o.description) if o.description else None)])
    for d in model.doses:
        fields = [(route, "{ " + ", ".join(f"{s} = {_string(to_text(f))}" for s, f in targets.items()) + " }")
                  for route, targets in d.routes.items()]
        _table(lines, f"doses.{d.product}", fields + [("mass_per_amount", _string(to_text(d.mass_per_amount)))])
    for e in model.events:
        lines.append("[[events]]")
        for key, value in (("name", _string(e.name)), ("trigger", _string(to_text(e.trigger))),
                           ("delay", _string(to_text(e.delay)) if e.delay is not None else None),
                           ("priority", _string(to_text(e.priority)) if e.priority is not None else None),
                           ("persistent", None if e.persistent else "false"),
                           ("initial_value", None if e.initial_value else "false"),
                           ("use_values_from_trigger_time", None if e.use_values_from_trigger_time else "false"),
                           ("description", _string(e.description) if e.description else None)):
            if value is not None:
                lines.append(f"{key} = {value}")
        lines.append("[events.assignments]")
        lines += [f"{target} = {_string(to_text(node))}" for target, node in e.assignments]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
