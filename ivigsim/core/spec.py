"""Model specification: species, parameters, reactions and observables from TOML.

A model file is data a biologist can read. Loading it parses every rate law
from a whitelist (nothing is evaluated), checks every symbol, and checks the
units of every rate law; errors name the file and the key.

File layout (see ``models/fcrn_pk.toml`` for a worked example)::

    [model]            name, description, references, mechanisms, initial_state, units
    [compartments.X]   volume (an expression), unit, description
    [species.X]        compartment, unit, initial (expression), description
    [parameters.X]     value, unit, bounds = [low, high], source, description;
                       a fitted one may add ci95 = [low, high] and fitted_in (the fit problem)
    [reactions.X]      equation ("a + b -> c"), rate (expression), mechanism
    [observables.X]    expression, unit, description
    [doses.PRODUCT]    iv = species, sc = species, mass_per_amount (expression)
    [rules.X]          assignment = expression, or rate = expression with initial; unit, description
                       (see ivigsim.core.rules); ``time`` is the simulation time in days
    [[events]]         name, trigger (a condition), assignments.X, delay, priority, persistent,
                       initial_value, use_values_from_trigger_time (see ivigsim.core.events)
    [parameter_sets.S] description, references, parameters.X (value, unit, bounds, source):
                       the same equations with other values (see ivigsim.core.parameter_sets)

Species are concentrations in their compartment; a reaction rate is an amount
per day (concentration x volume / day), so transport between compartments of
different volume conserves mass. Time is in days.

``units = "unchecked"`` in ``[model]`` (for a model imported from a file that
leaves units out) skips the dimension checks, with one warning; symbols are
still checked, and every value is still read in its declared unit. Shipped
models are fully checked.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from ivigsim.core import rules as rule_lang
from ivigsim.core._spec_reactions import (clock, read_doses, read_model_events, read_observables, read_reactions,
                                          rule_reactions)
from ivigsim.core._spec_reader import Symbols, TableReader, read_toml
from ivigsim.core._spec_tables import (check_rule_units, claim_mechanisms, read_compartments, read_header,
                                       read_parameters, read_species, rule_compartment, rule_states)
from ivigsim.core._spec_types import (BODY_WEIGHT, TIME_UNIT, Compartment, DoseTarget, ModelSpec, Observable,
                                      Parameter, Reaction, Species)
from ivigsim.core.parameter_sets import read_parameter_sets

__all__ = ["BODY_WEIGHT", "TIME_UNIT", "Compartment", "DoseTarget", "ModelSpec", "Observable", "Parameter",
           "Reaction", "Species", "TableReader", "load_model_file", "read_toml"]

TOP_LEVEL = ("model", "compartments", "species", "parameters", "reactions", "observables", "doses",
             "parameter_sets", "rules", "events")


def load_model_file(path):
    """Parse and validate one model file into a :class:`ModelSpec`.

    The tables are read in dependency order, each by its own reader (in
    ``_spec_tables`` and ``_spec_reactions``): a table may refer only to what
    the tables before it declare. Rate rules and ``time`` become states, with
    one reaction each, after the species of the file.

    Raises
    ------
    ModelFileError
        For anything wrong in the file, naming the file and the key.
    """
    path = Path(path)
    reader = TableReader(path)
    data = read_toml(path)
    for k in data:
        if k not in TOP_LEVEL:
            reader.fail(k, "unknown top-level table")
    header = read_header(reader, data, path)
    names = Symbols(reader, header.checked, {rule_lang.TIME: "the simulation time, a reserved name"})

    # Parameters first: everything else refers to them.
    parameters = read_parameters(names, data)
    rules = rule_lang.read_rules(reader, data, names.claim, reader.unit)
    expanded = rule_lang.expansions(reader, rules)
    parameter_sets = read_parameter_sets(reader, data, parameters)
    compartments = read_compartments(names, data, parameters, expanded)
    static_units = dict(names.units)     # parameters and volumes: what initial values may use
    claim_mechanisms(names, header.mechanisms)
    species = read_species(names, data, compartments, static_units)
    rate_rules = [r for r in rules if r.kind == "rate"]
    if rate_rules:
        compartments.append(rule_compartment(names))
        species += rule_states(names, rate_rules, static_units)
    names.units.update({s.name: s.unit for s in species})
    names.units.update({r.name: r.unit for r in rules})
    names.units[rule_lang.TIME] = TIME_UNIT
    check_rule_units(names, rules)

    mechanisms = dict(header.mechanisms)
    reactions, used_species = read_reactions(names, data, species, compartments, mechanisms, expanded)
    reactions += rule_reactions(names, rate_rules, expanded, mechanisms, {r.name for r in reactions})
    used_species.update(r.name for r in rate_rules)
    doses, dosed = read_doses(names, data, species, compartments, static_units)
    used_species |= dosed
    dangling = [s.name for s in species if s.name not in used_species]
    if dangling:
        reader.fail(f"species.{dangling[0]}", "this species takes part in no reaction and receives no dose")
    observables = read_observables(names, data, expanded)
    if rule_lang.uses_time([r.rate for r in reactions] + [o.expression for o in observables]):
        if header.initial_state == "steady_state":
            reader.fail("model.initial_state", "this model reads `time`, so it has no steady state; "
                                               "use initial_state = \"initial\"")
        if not rate_rules:
            compartments.append(rule_compartment(names))
        time_state, time_reaction = clock(names, mechanisms)
        species.append(time_state)
        reactions.append(time_reaction)
    events = read_model_events(names, data, expanded, observables, species, parameters, compartments)

    index = MappingProxyType({
        "species": {s.name: i for i, s in enumerate(species)},
        "parameters": {p.name: i for i, p in enumerate(parameters)},
        "observables": {o.name: i for i, o in enumerate(observables)},
        "compartments": {c.name: c for c in compartments},
    })
    return ModelSpec(
        name=header.name, description=header.description, references=tuple(header.references),
        mechanisms=MappingProxyType(mechanisms), initial_state=header.initial_state,
        compartments=tuple(compartments), species=tuple(species), parameters=tuple(parameters),
        reactions=tuple(reactions), observables=tuple(observables), doses=MappingProxyType(doses),
        path=str(path), units=header.units, _index=index, parameter_sets=parameter_sets,
        rules=rules, events=events,
    )
