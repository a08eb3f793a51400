"""The readers of a model file's dynamics and outputs: ``[reactions]``, the reactions of rate rules
and of the clock, ``[doses]``, ``[observables]`` and ``[[events]]``.

They run after the declarations (:mod:`ivigsim.core._spec_tables`), when the
unit of every parameter, compartment, species and rule is known. Internal to
:mod:`ivigsim.core.spec`.
"""

from __future__ import annotations

from types import MappingProxyType

from ivigsim.core import rules as rule_lang
from ivigsim.core._spec_reader import Symbols, parse_equation
from ivigsim.core._spec_types import TIME_UNIT, Compartment, DoseTarget, Observable, Reaction, Species
from ivigsim.core.events import read_events
from ivigsim.core.expressions import BinOp, Num, parse_expression
from ivigsim.core.units import UnitError, parse_unit


def read_reactions(names: Symbols, data: dict, species: list[Species], compartments: list[Compartment],
                   mechanisms: dict, expanded: dict) -> tuple[list[Reaction], set[str]]:
    """The ``[reactions]`` table, and the species they involve.

    Every species of a reaction has the same amount unit (so the reaction
    conserves amount) and the rate law is that amount per day. Assignment rules
    are substituted into the rate.
    """
    reader = names.reader
    species_names = {s.name for s in species}
    comp_units = {c.name: c.unit for c in compartments}
    amount_unit = {s.name: s.unit * comp_units[s.compartment] for s in species}
    reactions = []
    used_species = set()
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
        first = amount_unit[involved[0]]
        for n in involved:
            if names.checked and amount_unit[n] != first:
                reader.fail(f"{key}.equation", f"species '{involved[0]}' and '{n}' have different amount "
                                               f"units ({first} and {amount_unit[n]}); a reaction must "
                                               f"conserve amount")
        expected = first / TIME_UNIT
        actual = names.unit_of(rate, f"{key}.rate")
        if names.checked and actual != expected:
            if actual.same_dimension(expected):
                reader.fail(f"{key}.rate", f"the rate law is in {actual}, which is {actual.factor_to(expected):g} "
                                           f"x the expected {expected} (amount of species per day); "
                                           f"convert a parameter's unit")
            reader.fail(f"{key}.rate", f"the rate law has dimension {actual.dimension_text()}, but a rate of "
                                       f"this reaction must be an amount per day ({expected})")
        reactions.append(Reaction(rname, reactants, products, rule_lang.substitute(rate, expanded), mechanism,
                                  entry.get("description", "")))
    return reactions, used_species


def rule_reactions(names: Symbols, rate_rules: list, expanded: dict, mechanisms: dict,
                   taken: set[str]) -> list[Reaction]:
    """One reaction ``-> X`` per rate rule (its rate may be negative), of mechanism ``rate_rules``.

    Adds that mechanism to ``mechanisms`` when there is a rate rule.
    """
    if not rate_rules:
        return []
    names.claim(rule_lang.RATE_RULE_MECHANISM, f"model.mechanisms.{rule_lang.RATE_RULE_MECHANISM}")
    mechanisms[rule_lang.RATE_RULE_MECHANISM] = "the rate rules of [rules] (d X/dt = expression)"
    out = []
    for r in rate_rules:
        rname = f"rate_rule_{r.name}"
        if rname in taken:
            names.reader.fail(f"reactions.{rname}", f"this name is reserved for the rate rule of '{r.name}'")
        out.append(Reaction(rname, (), ((r.name, 1.0),), rule_lang.substitute(r.expression, expanded),
                            rule_lang.RATE_RULE_MECHANISM, f"rate rule: d {r.name}/dt"))
    return out


def read_doses(names: Symbols, data: dict, species: list[Species], compartments: list[Compartment],
               static_units: dict) -> tuple[dict[str, DoseTarget], set[str]]:
    """The ``[doses]`` table (where each product goes, by route), and the species that receive a dose."""
    reader = names.reader
    by_name = {s.name: s for s in species}
    comp_units = {c.name: c.unit for c in compartments}
    doses = {}
    dosed = set()
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
                if target not in by_name:
                    reader.fail(f"{key}.{route}", f"unknown species '{target}'")
                node = reader.expression(fraction, f"{key}.{route}.{target}")
                fraction_unit = names.unit_of(node, f"{key}.{route}.{target}", static_units)
                if names.checked and not fraction_unit.is_dimensionless:
                    reader.fail(f"{key}.{route}.{target}", "a dose fraction must be dimensionless")
                targets.append((target, node))
                dosed.add(target)
            routes[route] = tuple(targets)
        if not routes:
            reader.fail(key, "name at least one route: iv = \"species\" or sc = \"species\"")
        mpa = reader.expression(entry["mass_per_amount"], f"{key}.mass_per_amount")
        mpa_unit = names.unit_of(mpa, f"{key}.mass_per_amount", static_units)
        for targets in routes.values():
            for target, _ in targets:
                sp = by_name[target]
                want = parse_unit("g") / (sp.unit * comp_units[sp.compartment])
                if names.checked and not mpa_unit.same_dimension(want):
                    reader.fail(f"{key}.mass_per_amount", f"expected a mass per amount of '{target}' "
                                                          f"(like {want}), got {mpa_unit}")
        doses[product] = DoseTarget(product, MappingProxyType(routes), mpa, mpa_unit)
    return doses, dosed


def read_observables(names: Symbols, data: dict, expanded: dict) -> list[Observable]:
    """The ``[observables]`` table: each expression, its declared unit and the factor into it."""
    reader = names.reader
    observables = []
    for oname, entry in reader.table(data, "observables", required=False).items():
        key = f"observables.{oname}"
        names.claim(oname, key)
        reader.check_keys(entry, key, ("expression", "unit", "description"), required=("expression", "unit"))
        expr = reader.expression(entry["expression"], f"{key}.expression")
        declared = reader.unit(entry, key)
        actual = names.unit_of(expr, f"{key}.expression")
        try:
            factor = actual.factor_to(declared) if names.checked else 1.0
        except UnitError:
            reader.fail(f"{key}.expression", f"the expression has dimension {actual.dimension_text()}, "
                                             f"which cannot be shown in {declared}")
        observables.append(Observable(oname, rule_lang.substitute(expr, expanded), declared, factor,
                                      entry.get("description", "")))
    return observables


def clock(names: Symbols, mechanisms: dict) -> tuple[Species, Reaction]:
    """The state ``time`` and the reaction that advances it one day per day, of mechanism ``clock``.

    Adds that mechanism to ``mechanisms``.
    """
    names.claim(rule_lang.CLOCK_MECHANISM, f"model.mechanisms.{rule_lang.CLOCK_MECHANISM}")
    mechanisms[rule_lang.CLOCK_MECHANISM] = "the simulation time advances (d time/dt = 1)"
    state = Species(rule_lang.TIME, rule_lang.RULE_COMPARTMENT, TIME_UNIT, parse_expression("0"),
                    "the simulation time (days since the start), a clock")
    reaction = Reaction(f"{rule_lang.CLOCK_MECHANISM}_clock", (), ((rule_lang.TIME, 1.0),),
                        parse_expression("1"), rule_lang.CLOCK_MECHANISM, "the clock of `time`: one day per day")
    return state, reaction


def read_model_events(names: Symbols, data: dict, expanded: dict, observables: list[Observable],
                      species: list[Species], parameters: list, compartments: list[Compartment]) -> tuple:
    """The ``[[events]]`` array (see :func:`ivigsim.core.events.read_events`).

    A trigger or assignment may use observables (substituted, in their declared
    unit) as well as every other symbol.
    """
    observable_units = {**names.units, **{o.name: o.unit for o in observables}}
    observable_map = {**expanded, **{o.name: o.expression if o.factor == 1.0 else
                                     BinOp("*", Num(o.factor), o.expression) for o in observables}}
    return read_events(
        # unchecked units: symbols are still looked up, but no unit is compared
        names.reader, data, lambda node, key: names.unit_of(node, key, observable_units) if names.checked else
        (names.unit_of(node, key, observable_units) and None),
        lambda node: rule_lang.substitute(node, observable_map),
        {s.name: s.unit for s in species if s.name != rule_lang.TIME},
        {p.name for p in parameters}, {c.name for c in compartments})
