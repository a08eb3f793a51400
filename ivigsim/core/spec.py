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
                       initial_value, use_values_from_trigger_time (see ivigsim.core.events);
                       a parameter that an event assigns becomes a state (d X/dt = 0), and so
                       does the size of a compartment an event resizes (state X_size)
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
                                       read_parameters, read_species, resize_compartments, rule_compartment,
                                       rule_states, states_of_assigned_parameters, check_resized_doses)
from ivigsim.core._spec_types import (BODY_WEIGHT, TIME_UNIT, Compartment, DoseTarget, ModelSpec, Observable,
                                      Parameter, Reaction, Species)
from ivigsim.core.events import assigned_targets
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
    # A parameter that an event assigns is a state from here on (d P/dt = 0).
    assigned = assigned_targets(data, {p.name for p in parameters})
    if assigned:
        parameters, made_states = states_of_assigned_parameters(names, parameters, assigned, parameter_sets)
        rules += made_states
    compartments = read_compartments(names, data, parameters, expanded)
    # A compartment that an event resizes is sized by a state from here on (d C_size/dt = 0).
    resized = assigned_targets(data, {c.name for c in compartments})
    if resized:
        compartments, size_states = resize_compartments(names, compartments, resized)
        rules += size_states
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
    check_resized_doses(names, doses, species, resized)
    dangling = [s.name for s in species if s.name not in used_species]
    if dangling:
        reader.fail(f"species.{dangling[0]}", "this species takes part in no reaction and receives no dose")
    observables = read_observables(names, data, expanded)
    states = [s.name for s in species]
    for key, node in [(f"reactions.{r.name}.rate", r.rate) for r in reactions] + \
                     [(f"observables.{o.name}.expression", o.expression) for o in observables]:
        varying = rule_lang.varying_delay(node, states)
        if varying:
            reader.fail(key, f"a delay() whose delay reads {varying!r}, which changes during the run: only a "
                             "fixed delay (numbers, parameters) is supported")
    timed = [r.rate for r in reactions] + [o.expression for o in observables]
    reads_time = rule_lang.uses_time(timed)
    if reads_time or rule_lang.uses_delay(timed):
        if header.initial_state == "steady_state":
            reader.fail("model.initial_state", "this model reads `time` (or delay()), so it has no steady "
                                               "state; use initial_state = \"initial\"")
    # delay() reads the past at the time a clock holds: an imported model may bring its own
    if reads_time or (rule_lang.uses_delay(timed) and rule_lang.CLOCK_MECHANISM not in mechanisms):
        if not rate_rules:
            compartments.append(rule_compartment(names))
        time_state, time_reaction = clock(names, mechanisms)
        species.append(time_state)
        reactions.append(time_reaction)
    events = read_model_events(names, data, expanded, observables, species, compartments, resized)
    if events and rule_lang.uses_delay(timed):
        reader.fail(f"events.{events[0].name}", "a model that reads delay() cannot have events yet (the "
                                                "history would miss the state just before an event)")
    for e in events:
        if rule_lang.uses_delay([e.trigger, e.delay, e.priority, *(v for _, v in e.assignments)]):
            reader.fail(f"events.{e.name}", "delay() in an event (its trigger, delay, priority or "
                                            "assignments) is not supported; rate laws, rules and "
                                            "observables may use it")

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
