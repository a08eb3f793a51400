"""The readers of a model file's declarations: ``[model]``, ``[parameters]``,
``[compartments]``, ``[species]`` and the units of ``[rules]``.

Each reader takes the parsed TOML and the shared :class:`Symbols` (names
claimed so far, unit of each symbol), checks its table and returns the parts it
builds. :func:`ivigsim.core.spec.load_model_file` calls them in dependency
order. Internal to :mod:`ivigsim.core.spec`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from ivigsim.core import rules as rule_lang
from ivigsim.core._spec_reader import Symbols, TableReader
from ivigsim.core._spec_types import TIME_UNIT, Compartment, Parameter, Species
from ivigsim.core.expressions import ExpressionError, evaluate, parse_expression, symbols, to_text
from ivigsim.core.units import DIMENSIONLESS

INITIAL_STATES = ("steady_state", "initial")
UNIT_CHECKS = ("checked", "unchecked")


@dataclass(frozen=True)
class Header:
    """The ``[model]`` table."""

    name: str
    description: str
    references: list
    mechanisms: dict          # name -> description, as written
    initial_state: str        # one of INITIAL_STATES
    units: str                # one of UNIT_CHECKS

    @property
    def checked(self) -> bool:
        return self.units == "checked"


def read_header(reader: TableReader, data: dict, path: Path) -> Header:
    """The ``[model]`` table: name, description, references, mechanisms, initial state, unit checks.

    Warns once (naming the caller of ``load_model_file``) when units are unchecked.
    """
    header = reader.table(data, "model")
    reader.check_keys(header, "model", ("name", "description", "references", "mechanisms",
                                        "initial_state", "units"), required=("name", "mechanisms"))
    name = reader.name(reader.text(header, "model", "name"), "model.name")
    description = reader.text(header, "model", "description", "")
    references = header.get("references", [])
    if not (isinstance(references, list) and all(isinstance(r, str) for r in references)):
        reader.fail("model.references", "expected a list of citations (text)")
    mechanisms = header["mechanisms"]
    if not isinstance(mechanisms, dict) or not mechanisms:
        reader.fail("model.mechanisms", "expected a table: mechanism name = \"what it does\"")
    for m in mechanisms:
        reader.name(m, f"model.mechanisms.{m}")
    initial_state = header.get("initial_state", "initial")
    if initial_state not in INITIAL_STATES:
        reader.fail("model.initial_state", f"expected one of {INITIAL_STATES}, got {initial_state!r}")
    unit_checks = header.get("units", "checked")
    if unit_checks not in UNIT_CHECKS:
        reader.fail("model.units", f"expected one of {UNIT_CHECKS}, got {unit_checks!r}")
    if unit_checks != "checked":
        # stacklevel 3: the warning names the caller of load_model_file
        warnings.warn(f"{path}: units = \"unchecked\": the dimensions of rate laws, volumes, initial values and "
                      f"observables are not checked, so a wrong unit is not caught; values are used as "
                      f"written in the declared units", UserWarning, stacklevel=3)
    return Header(name, description, references, mechanisms, initial_state, unit_checks)


def read_parameters(names: Symbols, data: dict) -> list[Parameter]:
    """The ``[parameters]`` table: value, unit, bounds and source of each (and a fit record)."""
    reader = names.reader
    parameters = []
    for pname, entry in reader.table(data, "parameters").items():
        key = f"parameters.{pname}"
        names.claim(pname, key)
        value, low, high = reader.bounded_value(entry, key)
        source = reader.text(entry, key, "source")
        if not source.strip():
            reader.fail(f"{key}.source", "every parameter needs a source (a citation, or how it was derived)")
        parameters.append(Parameter(pname, value, reader.unit(entry, key), (low, high), source,
                                    entry.get("description", ""), *reader.fit_record(entry, key, value)))
    names.units.update({p.name: p.unit for p in parameters})
    return parameters


def read_compartments(names: Symbols, data: dict, parameters: list[Parameter],
                      expanded: dict) -> list[Compartment]:
    """The ``[compartments]`` table: each volume an expression of parameters, positive at their values.

    ``expanded`` maps assignment-rule names to their expressions, so a volume may use a rule of parameters.
    """
    reader = names.reader
    parameter_names = {p.name for p in parameters}
    values = {p.name: p.value for p in parameters}
    compartments = []
    for cname, entry in reader.table(data, "compartments").items():
        key = f"compartments.{cname}"
        names.claim(cname, key)
        reader.check_keys(entry, key, ("volume", "unit", "description"), required=("volume", "unit"))
        volume = rule_lang.substitute(reader.expression(entry["volume"], f"{key}.volume"), expanded)
        declared = reader.unit(entry, key)
        for sym in symbols(volume):
            if sym not in parameter_names:
                reader.fail(f"{key}.volume", f"a volume may use parameters (and assignment rules of "
                                             f"parameters) only; '{sym}' is not a parameter")
        actual = names.unit_of(volume, f"{key}.volume")
        if names.checked and actual != declared:
            reader.fail(f"{key}.volume", f"the expression has unit {actual}, but unit = {declared}")
        try:
            size = evaluate(volume, values)
        except ExpressionError as exc:
            reader.fail(f"{key}.volume", f"cannot be computed from the parameter values: {exc}")
        if not size > 0:
            reader.fail(f"{key}.volume", f"the volume is {size:g} {declared} with the parameter values "
                                         f"of this file; a compartment volume must be positive")
        compartments.append(Compartment(cname, volume, declared, entry.get("description", "")))
    names.units.update({c.name: c.unit for c in compartments})
    return compartments


def claim_mechanisms(names: Symbols, mechanisms: dict) -> None:
    """A mechanism's name in a rate law is its 0/1 switch: claim each as a dimensionless symbol."""
    for m in mechanisms:
        names.claim(m, f"model.mechanisms.{m}")
        names.units[m] = DIMENSIONLESS


def read_species(names: Symbols, data: dict, compartments: list[Compartment],
                 static_units: dict) -> list[Species]:
    """The ``[species]`` table: compartment, unit, initial value (of parameters only) and cumulative flag."""
    reader = names.reader
    compartment_names = {c.name for c in compartments}
    species = []
    for sname, entry in reader.table(data, "species").items():
        key = f"species.{sname}"
        names.claim(sname, key)
        reader.check_keys(entry, key, ("compartment", "unit", "initial", "cumulative", "description"),
                          required=("compartment", "unit"))
        comp = reader.text(entry, key, "compartment")
        if comp not in compartment_names:
            reader.fail(f"{key}.compartment", f"unknown compartment '{comp}'")
        sunit = reader.unit(entry, key)
        initial = reader.expression(entry.get("initial", 0.0), f"{key}.initial")
        iu = names.unit_of(initial, f"{key}.initial", static_units)   # parameters only
        if names.checked and not (iu == sunit or (iu.is_dimensionless and not symbols(initial))):
            reader.fail(f"{key}.initial", f"the expression has unit {iu}, but the species is in {sunit}")
        cumulative = entry.get("cumulative", False)
        if not isinstance(cumulative, bool):
            reader.fail(f"{key}.cumulative", f"expected true or false, got {cumulative!r}")
        species.append(Species(sname, comp, sunit, initial, entry.get("description", ""), cumulative))
    if not species:
        reader.fail("species", "a model needs at least one species")
    return species


def rule_compartment(names: Symbols) -> Compartment:
    """The size-1 compartment that holds the states of rate rules and the clock."""
    names.claim(rule_lang.RULE_COMPARTMENT, f"compartments.{rule_lang.RULE_COMPARTMENT}")
    return Compartment(rule_lang.RULE_COMPARTMENT, parse_expression("1"), DIMENSIONLESS,
                       "holds the states of rate rules and the clock (dimensionless, size 1)")


def rule_states(names: Symbols, rate_rules: list, static_units: dict) -> list[Species]:
    """One species (in the rule compartment) per rate rule, its initial value checked against its unit."""
    reader = names.reader
    out = []
    for r in rate_rules:
        iu = names.unit_of(r.initial, f"rules.{r.name}.initial", static_units)
        if names.checked and not (iu == r.unit or (iu.is_dimensionless and not symbols(r.initial))):
            reader.fail(f"rules.{r.name}.initial", f"the expression has unit {iu}, but the rule is in {r.unit}")
        out.append(Species(r.name, rule_lang.RULE_COMPARTMENT, r.unit, r.initial,
                           r.description or f"rate rule: d {r.name}/dt = {to_text(r.expression)}"))
    return out


def check_rule_units(names: Symbols, rules) -> None:
    """An assignment rule is in its unit, a rate rule in its unit per day (all symbols now known)."""
    for r in rules:
        want = r.unit if r.kind == "assignment" else r.unit / TIME_UNIT
        got = names.unit_of(r.expression, f"rules.{r.name}.{r.kind}")
        if names.checked and got != want and not (got.is_dimensionless and not symbols(r.expression)):
            names.reader.fail(f"rules.{r.name}.{r.kind}", f"the expression has unit {got}, but the rule needs "
                                                          f"{want}" + (" (its unit per day)" if r.kind == "rate"
                                                                       else ""))
