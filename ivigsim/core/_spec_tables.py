"""The model-file reader: one function per TOML table, and :func:`load_model_file`.

The tables are read in dependency order: parameters first (everything else
refers to them), then compartments, species, reactions, doses and
observables.  A :class:`_Names` object carries what the tables share: the
names already claimed and the unit of every symbol so far.  Internal to
:mod:`ivigsim.core.spec`, which re-exports :func:`load_model_file`.
"""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path
from types import MappingProxyType

from ivigsim.core._spec_reader import TableReader, parse_equation, read_toml
from ivigsim.core._spec_types import (
    TIME_UNIT,
    Compartment,
    DoseTarget,
    ModelSpec,
    Observable,
    Parameter,
    Reaction,
    Species,
)
from ivigsim.core.expressions import ExpressionError, evaluate, infer_unit, symbols
from ivigsim.core.parameter_sets import read_parameter_sets
from ivigsim.core.units import DIMENSIONLESS, UnitError, parse_unit

INITIAL_STATES = ("steady_state", "initial")
UNIT_CHECKS = ("checked", "unchecked")
TOP_LEVEL = ("model", "compartments", "species", "parameters", "reactions", "observables", "doses",
             "parameter_sets")


class _Names:
    """The names claimed so far and the unit of every symbol, shared by the table readers."""

    def __init__(self, reader: TableReader, checked: bool) -> None:
        self.reader = reader
        self.checked = checked
        self.seen: dict[str, str] = {}
        self.units: dict = {}

    def claim(self, entry_name, key):
        self.reader.name(entry_name, key)
        if entry_name in self.seen:
            self.reader.fail(key, f"the name '{entry_name}' is already used by [{self.seen[entry_name]}]")
        self.seen[entry_name] = key

    def checked_unit(self, node, key, table=None):
        """Unit of an expression whose symbols must all be in ``table`` (default: all so far)."""
        reader = self.reader
        table = self.units if table is None else table

        def lookup(symbol):
            if symbol not in table:
                hint = difflib.get_close_matches(symbol, list(table), n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else ""
                reader.fail(key, f"undefined symbol '{symbol}'{more}")
            return table[symbol]
        try:
            return infer_unit(node, lookup)
        except UnitError as exc:
            if not self.checked:
                for sym in symbols(node):
                    lookup(sym)                  # an undefined symbol is an error all the same
                return None
            reader.fail(key, f"inconsistent units: {exc}")


def read_header(reader: TableReader, data: dict, path: Path) -> dict:
    """The ``[model]`` table: name, description, references, mechanisms, initial state, unit checks."""
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
        # stacklevel 3: the warning names the caller of load_model_file.
        warnings.warn(f"{path}: units = \"unchecked\": the dimensions of rate laws, volumes, initial values and "
                      f"observables are not checked, so a wrong unit is not caught; values are used as "
                      f"written in the declared units", UserWarning, stacklevel=3)
    return {"name": name, "description": description, "references": references,
            "mechanisms": mechanisms, "initial_state": initial_state, "units": unit_checks}


def read_parameters(names: _Names, data: dict) -> list:
    """The ``[parameters]`` table: value, unit, bounds and source of each."""
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


def read_compartments(names: _Names, data: dict, parameters: list) -> list:
    """The ``[compartments]`` table: a volume computed from the parameters, and its unit."""
    reader = names.reader
    compartments = []
    for cname, entry in reader.table(data, "compartments").items():
        key = f"compartments.{cname}"
        names.claim(cname, key)
        reader.check_keys(entry, key, ("volume", "unit", "description"), required=("volume", "unit"))
        volume = reader.expression(entry["volume"], f"{key}.volume")
        declared = reader.unit(entry, key)
        for sym in symbols(volume):
            if sym not in {p.name for p in parameters}:
                reader.fail(f"{key}.volume", f"a volume may use parameters only; '{sym}' is not one")
        actual = names.checked_unit(volume, f"{key}.volume")
        if names.checked and actual != declared:
            reader.fail(f"{key}.volume", f"the expression has unit {actual}, but unit = {declared}")
        try:
            size = evaluate(volume, {p.name: p.value for p in parameters})
        except ExpressionError as exc:
            reader.fail(f"{key}.volume", f"cannot be computed from the parameter values: {exc}")
        if not size > 0:
            reader.fail(f"{key}.volume", f"the volume is {size:g} {declared} with the parameter values "
                                         f"of this file; a compartment volume must be positive")
        compartments.append(Compartment(cname, volume, declared, entry.get("description", "")))
    names.units.update({c.name: c.unit for c in compartments})
    return compartments


def read_species(names: _Names, data: dict, compartments: list, static_units: dict) -> list:
    """The ``[species]`` table: compartment, unit and initial value (from parameters only)."""
    reader = names.reader
    species = []
    for sname, entry in reader.table(data, "species").items():
        key = f"species.{sname}"
        names.claim(sname, key)
        reader.check_keys(entry, key, ("compartment", "unit", "initial", "cumulative", "description"),
                          required=("compartment", "unit"))
        comp = reader.text(entry, key, "compartment")
        if comp not in {c.name for c in compartments}:
            reader.fail(f"{key}.compartment", f"unknown compartment '{comp}'")
        sunit = reader.unit(entry, key)
        initial = reader.expression(entry.get("initial", 0.0), f"{key}.initial")
        iu = names.checked_unit(initial, f"{key}.initial", static_units)   # parameters only
        if names.checked and not (iu == sunit or (iu.is_dimensionless and not symbols(initial))):
            reader.fail(f"{key}.initial", f"the expression has unit {iu}, but the species is in {sunit}")
        cumulative = entry.get("cumulative", False)
        if not isinstance(cumulative, bool):
            reader.fail(f"{key}.cumulative", f"expected true or false, got {cumulative!r}")
        species.append(Species(sname, comp, sunit, initial, entry.get("description", ""), cumulative))
    if not species:
        reader.fail("species", "a model needs at least one species")
    names.units.update({s.name: s.unit for s in species})
    return species


def read_reactions(names: _Names, data: dict, species: list, comp_units: dict, mechanisms,
                   used_species: set) -> list:
    """The ``[reactions]`` table: equation, rate law (an amount per day) and mechanism."""
    reader = names.reader
    species_names = {s.name for s in species}
    reactions = []
    for rname, entry in reader.table(data, "reactions").items():
        key = f"reactions.{rname}"
        reader.name(rname, key)          # reactions are not symbols: their own namespace
        reader.check_keys(entry, key, ("equation", "rate", "mechanism", "description"),
                          required=("equation", "rate", "mechanism"))
        reactants, products = parse_equation(reader, entry["equation"], f"{key}.equation", species_names)
        rate = reader.expression(entry["rate"], f"{key}.rate")
        mechanism = reader.text(entry, key, "mechanism")
        if mechanism not in mechanisms:
            reader.fail(f"{key}.mechanism", f"'{mechanism}' is not declared in [model.mechanisms] "
                                            f"({', '.join(mechanisms)})")
        involved = [n for n, _ in reactants + products]
        used_species.update(involved)
        amount_units = {n: next(s.unit for s in species if s.name == n)
                        * comp_units[next(s.compartment for s in species if s.name == n)]
                        for n in involved}
        first = amount_units[involved[0]]
        for n, u in amount_units.items():
            if names.checked and u != first:
                reader.fail(f"{key}.equation", f"species '{involved[0]}' and '{n}' have different amount "
                                               f"units ({first} and {u}); a reaction must conserve amount")
        expected = first / TIME_UNIT
        actual = names.checked_unit(rate, f"{key}.rate")
        if names.checked and actual != expected:
            if actual.same_dimension(expected):
                reader.fail(f"{key}.rate", f"the rate law is in {actual}, which is {actual.factor_to(expected):g} "
                                           f"x the expected {expected} (amount of species per day); "
                                           f"convert a parameter's unit")
            reader.fail(f"{key}.rate", f"the rate law has dimension {actual.dimension_text()}, but a rate of "
                                       f"this reaction must be an amount per day ({expected})")
        reactions.append(Reaction(rname, reactants, products, rate, mechanism, entry.get("description", "")))
    return reactions


def read_doses(names: _Names, data: dict, species: list, comp_units: dict, static_units: dict,
               used_species: set) -> dict:
    """The ``[doses]`` table: the species each route of a product enters, and its mass per amount."""
    reader = names.reader
    species_names = {s.name for s in species}
    doses = {}
    for product, entry in reader.table(data, "doses", required=False).items():
        key = f"doses.{product}"
        reader.name(product, key)
        reader.check_keys(entry, key, ("iv", "sc", "mass_per_amount", "description"),
                          required=("mass_per_amount",))
        routes = {}
        for route in ("iv", "sc"):
            if route not in entry:
                continue
            spec_route = entry[route]
            if isinstance(spec_route, str):          # one species takes the whole dose
                spec_route = {spec_route: 1.0}
            if not isinstance(spec_route, dict) or not spec_route:
                reader.fail(f"{key}.{route}", "expected a species name, or a table species = fraction")
            targets = []
            for target, fraction in spec_route.items():
                if target not in species_names:
                    reader.fail(f"{key}.{route}", f"unknown species '{target}'")
                node = reader.expression(fraction, f"{key}.{route}.{target}")
                fraction_unit = names.checked_unit(node, f"{key}.{route}.{target}", static_units)
                if names.checked and not fraction_unit.is_dimensionless:
                    reader.fail(f"{key}.{route}.{target}", "a dose fraction must be dimensionless")
                targets.append((target, node))
                used_species.add(target)
            routes[route] = tuple(targets)
        if not routes:
            reader.fail(key, "name at least one route: iv = \"species\" or sc = \"species\"")
        mpa = reader.expression(entry["mass_per_amount"], f"{key}.mass_per_amount")
        mpa_unit = names.checked_unit(mpa, f"{key}.mass_per_amount", static_units)
        for route, targets in routes.items():
            for target, _ in targets:
                sp = next(s for s in species if s.name == target)
                want = parse_unit("g") / (sp.unit * comp_units[sp.compartment])
                if names.checked and not mpa_unit.same_dimension(want):
                    reader.fail(f"{key}.mass_per_amount", f"expected a mass per amount of '{target}' "
                                                          f"(like {want}), got {mpa_unit}")
        doses[product] = DoseTarget(product, MappingProxyType(routes), mpa, mpa_unit)
    return doses


def read_observables(names: _Names, data: dict) -> list:
    """The ``[observables]`` table: an expression, the unit to show it in, and the conversion factor."""
    reader = names.reader
    observables = []
    for oname, entry in reader.table(data, "observables", required=False).items():
        key = f"observables.{oname}"
        names.claim(oname, key)
        reader.check_keys(entry, key, ("expression", "unit", "description"), required=("expression", "unit"))
        expr = reader.expression(entry["expression"], f"{key}.expression")
        declared = reader.unit(entry, key)
        actual = names.checked_unit(expr, f"{key}.expression")
        try:
            factor = actual.factor_to(declared) if names.checked else 1.0
        except UnitError:
            reader.fail(f"{key}.expression", f"the expression has dimension {actual.dimension_text()}, "
                                             f"which cannot be shown in {declared}")
        observables.append(Observable(oname, expr, declared, factor, entry.get("description", "")))
    return observables


def load_model_file(path):
    """Parse and validate one model file into a :class:`ModelSpec`."""
    path = Path(path)
    reader = TableReader(path)
    data = read_toml(path)
    for k in data:
        if k not in TOP_LEVEL:
            reader.fail(k, "unknown top-level table")

    head = read_header(reader, data, path)
    mechanisms = head["mechanisms"]
    names = _Names(reader, head["units"] == "checked")
    parameters = read_parameters(names, data)
    parameter_sets = read_parameter_sets(reader, data, parameters)
    compartments = read_compartments(names, data, parameters)
    static_units = dict(names.units)
    for m in mechanisms:                 # a mechanism's name in a rate law is its 0/1 switch
        names.claim(m, f"model.mechanisms.{m}")
        names.units[m] = DIMENSIONLESS
    species = read_species(names, data, compartments, static_units)
    comp_units = {c.name: c.unit for c in compartments}
    used_species: set = set()
    reactions = read_reactions(names, data, species, comp_units, mechanisms, used_species)
    doses = read_doses(names, data, species, comp_units, static_units, used_species)
    dangling = [s.name for s in species if s.name not in used_species]
    if dangling:
        reader.fail(f"species.{dangling[0]}", "this species takes part in no reaction and receives no dose")
    observables = read_observables(names, data)

    index = MappingProxyType({
        "species": {s.name: i for i, s in enumerate(species)},
        "parameters": {p.name: i for i, p in enumerate(parameters)},
        "observables": {o.name: i for i, o in enumerate(observables)},
        "compartments": {c.name: c for c in compartments},
    })
    return ModelSpec(
        name=head["name"], description=head["description"], references=tuple(head["references"]),
        mechanisms=MappingProxyType(dict(mechanisms)), initial_state=head["initial_state"],
        compartments=tuple(compartments), species=tuple(species), parameters=tuple(parameters),
        reactions=tuple(reactions), observables=tuple(observables), doses=MappingProxyType(doses),
        path=str(path), units=head["units"], _index=index, parameter_sets=parameter_sets,
    )
