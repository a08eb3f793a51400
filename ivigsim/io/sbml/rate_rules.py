"""SBML rate rules, read as reactions of the ivigsim model file.

A rate rule ``d x/dt = f`` sets how a quantity changes in time. The model file
holds it without a construct of its own: the quantity becomes a species, and
the rule a reaction with no reactants, ``-> x``, whose rate is ``f`` as an
amount per model time (times the time conversion, like every kinetic law).
Its rate may be negative. The reaction belongs to a mechanism of its own, so
a rule can be switched off like any reaction.

* A species whose value a rate rule sets: in the SBML the rule gives the rate
  of its concentration (of its amount, with ``hasOnlySubstanceUnits``); in
  the model file a species is a concentration and a rate is an amount per
  time, so a concentration rule is multiplied by the compartment's size.
* A parameter (or a stoichiometry) set by a rate rule becomes a species in a compartment of
  dimensionless size 1 (``rate_rule_states``), where its amount and its value
  are the same number in the same unit.

The simulation time (csymbol time) is a species of the same compartment too,
a clock: it starts at 0 and grows by one model time unit per model time unit
(``-> clock`` at the rate of the time conversion). Its equation is linear, so
the solver integrates it exactly.

A compartment whose size follows a rate rule is a state too; the species in
it are then held as amounts (see :mod:`ivigsim.io.sbml.quantities`), so that no
product rule is needed for their concentrations.

The unit of a quantity that the SBML leaves undeclared is inferred from its
rule with the other equations: ``x / f`` must be a time.
"""

from __future__ import annotations

from ivigsim.core.expressions import BinOp, Num, Sym
from ivigsim.io.sbml.model_file import CompartmentRecord, ReactionRecord, SpeciesRecord
from ivigsim.io.sbml.units import read_sbml_unit, unit_text
from ivigsim.core.units import DIMENSIONLESS

STATE_COMPARTMENT = "rate_rule_states"


def state_compartment(imp):
    """The name of the size-1 compartment of parameters set by rate rules (created once)."""
    if getattr(imp, "_state_compartment", None) is None:
        name = imp.claim(None, STATE_COMPARTMENT)
        imp.unit_of[name] = DIMENSIONLESS
        imp.values[name] = 1.0
        imp.compartments.append(CompartmentRecord(name, None, "1", "holds the SBML parameters that rate "
                                                                   "rules change (dimensionless, size 1)"))
        imp._state_compartment = name
    return imp._state_compartment


def parameter_states(imp):
    """A species record for every global parameter that a rate rule changes."""
    for sbml_id in imp.rate_rules:
        p = imp.model.getParameter(sbml_id)
        ref = imp.model.getElementBySId(sbml_id) if p is None else None
        if ref is not None and ref.getTypeCode() == imp.sb.SBML_SPECIES_REFERENCE:
            # a stoichiometry that a rate rule changes: a dimensionless state
            name = imp.names[sbml_id]
            if ref.isSetStoichiometry():
                imp.values[name] = ref.getStoichiometry()
            imp.unit_of[name] = DIMENSIONLESS
            imp.species.append(SpeciesRecord(name, state_compartment(imp), "1", None, False,
                                             f"the stoichiometry of SBML species reference '{sbml_id}', "
                                             f"changed by {_changer(imp, sbml_id)}"))
            continue
        comp = imp.model.getCompartment(sbml_id) if p is None else None
        if comp is not None:
            # a compartment whose size a rate rule changes: a state in its own unit
            name = imp.names[sbml_id]
            imp.species.append(SpeciesRecord(name, state_compartment(imp),
                                             unit_text(imp.unit_of[name], imp.unit_hint.get(name)), None, False,
                                             comp.getName() or f"the size of SBML compartment '{sbml_id}', "
                                                               f"changed by {_changer(imp, sbml_id)}"))
            continue
        if p is None:
            continue
        name = imp.names[sbml_id]
        comp = state_compartment(imp)
        if p.isSetValue():
            imp.values[name] = p.getValue()
        if p.isSetUnits():
            imp.unit_of[name], imp.unit_hint[name] = read_sbml_unit(imp.model, p.getUnits(),
                                                                    imp.where("parameter", sbml_id))
        else:
            imp.undeclared.add(name)
        imp.species.append(SpeciesRecord(name, comp, "", None, False,
                                         p.getName() or f"SBML parameter '{sbml_id}', changed by {_changer(imp, sbml_id)}"))


def _changer(imp, sbml_id):
    return "events" if sbml_id in getattr(imp, "event_assigned", ()) else "a rate rule"


def model_clock(imp):
    """The name of the clock species that stands for the simulation time (created once)."""
    if getattr(imp, "_clock", None) is None:
        name = imp.claim(None, "sbml_time")
        comp = state_compartment(imp)
        imp.unit_of[name] = imp.time_unit
        imp.unit_hint[name] = imp.time_hint
        imp.values[name] = 0.0
        imp.species.append(SpeciesRecord(name, comp, unit_text(imp.time_unit, imp.time_hint), None, False,
                                         "the simulation time of the SBML model, in its time unit"))
        imp._clock = name
    return imp._clock


def clock_reactions(imp):
    """The reaction that advances the clock, if the model reads the time."""
    name = getattr(imp, "_clock", None)
    if name is None:
        return []
    conversion = imp.time_conversion()
    mechanism = imp.claim(None, "model_time")
    return [ReactionRecord(imp.reaction_name("clock"), [], [(name, 1.0)],
                           Num(1.0) if conversion is None else Sym(conversion), mechanism,
                           "the simulation time advances: one model time unit per model time unit")]


class RateRuleReader:
    """One SBML rate rule, as a reaction ``-> x``."""

    def __init__(self, importer, variable):
        imp = self.imp = importer
        self.variable = variable
        self.name = imp.names[variable]
        rule = imp.read_math(imp.rate_rules[variable], "rate rule", variable)
        species = imp.model.getSpecies(variable)
        if species is None:
            self.compartment = state_compartment(imp)
            amount, self.rate = Sym(self.name), rule
        elif species.getCompartment() in imp.varying:
            # held as an amount N = c V: dN/dt = V dc/dt + c dV/dt for a concentration c
            self.compartment = state_compartment(imp)
            amount, self.rate = Sym(self.name), rule
            if not species.getHasOnlySubstanceUnits():
                where = imp.where("rate rule", variable)
                size = imp.resolve(species.getCompartment(), where)
                self.rate = BinOp("+", BinOp("*", rule, size),
                                  BinOp("*", BinOp("/", Sym(self.name), size),
                                        imp.rate_of(species.getCompartment(), where)))
        else:
            self.compartment = imp.names[species.getCompartment()]
            amount = BinOp("*", Sym(self.name), Sym(self.compartment))
            self.rate = rule if species.getHasOnlySubstanceUnits() else BinOp("*", rule, Sym(self.compartment))
        self.amount = amount
        imp.equations.append((BinOp("/", amount, self.rate), imp.time_unit, f"rate rule '{variable}'"))

    def finish(self, imp):
        """The reaction record; the species record of a parameter gets its (possibly inferred) unit."""
        unit = imp.unit_of.get(self.name)
        if unit is None and imp.unchecked:
            unit = imp.unit_of[self.name] = DIMENSIONLESS
        if unit is None:
            imp.unit_fail("rate rule", self.variable, "the unit of its variable is not declared and cannot be "
                                                 "inferred from the equations")
        record = next(s for s in imp.species if s.name == self.name)
        if not record.unit:
            record.unit = unit_text(unit, imp.unit_hint.get(self.name))
        actual = imp.unit_check(BinOp("/", self.amount, self.rate))
        if actual != imp.time_unit and not imp.unchecked:
            what = f"{unit_text(actual)}" if actual is not None else "unknown units"
            imp.unit_fail("rate rule", self.variable, f"its variable divided by its rate is in {what}, not the "
                                                      f"model's time unit ({unit_text(imp.time_unit)})",
                          BinOp("/", self.amount, self.rate))
        mechanism = imp.claim(None, f"rate_rule_{self.name}")
        conversion = imp.time_conversion()
        rate = self.rate if conversion is None else BinOp("*", self.rate, Sym(conversion))
        return [ReactionRecord(imp.reaction_name(f"rate_rule_{self.name}"), [], [(self.name, 1.0)], rate,
                               mechanism, f"SBML rate rule: d {self.variable}/dt (its rate may be negative)")]
