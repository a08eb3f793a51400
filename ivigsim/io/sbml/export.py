"""Write an ivigsim model, for one patient and one regimen, as SBML Level 3 Version 2.

The conventions of the two agree: an ivigsim species is a concentration in its
compartment and a reaction rate is an amount per day, which is how SBML reads a
species with ``hasOnlySubstanceUnits="false"`` and a kinetic law when the time
unit is the day. So each reaction is written as it is, times its mechanism's
0/1 switch (a constant parameter named after the mechanism), and every
quantity carries its unit as an SBML unit definition.

What the SBML holds for one patient:

* parameter values as resolved for ``params`` and ``body_weight_kg``;
  compartment volumes as initial assignments from them (and as numbers);
* initial concentrations: by default where ivigsim starts, the untreated
  steady state for models that declare ``initial_state = "steady_state"``;
* observables as assignment rules, converted to their declared units;
* the model's rules as the model file resolves them: assignment rules
  substituted where they are used, rate rules (and ``time``) as the states of
  the size-1 compartment they live in, with their reactions ``-> X``;
* the model's own events (``[[events]]``) as SBML events with the same
  trigger, delay (days, the model's time unit), priority, persistence,
  initial value, ``useValuesFromTriggerTime`` and assignments;
* the regimen, if one is given: one infusion-rate parameter (g/day) per
  product and route, set by time-triggered events at every infusion start and
  stop, feeding one zero-order reaction per target species (the dose table's
  fractions and grams-to-amount conversion written out); boluses are events
  adding to the target species. Events are persistent, use values from the
  trigger time, and have triggers that are false initially, so a dose at
  ``t = 0`` is given at ``t = 0``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ivigsim.io.atomic import atomic_write_text
from ivigsim.io.sbml import annotation as ann
from ivigsim.core.catalogue import load_model
from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import evaluate, infer_unit, symbols, to_text
from ivigsim.core.regimen import Regimen
from ivigsim.io.sbml.mathml import apply_ast, boolean_ast, name_ast, number_ast, time_ast, to_ast
from ivigsim.io.sbml.units import UnitTable
from ivigsim.core.schedule import build_schedule
from ivigsim.core.simulation import (DEFAULT_ATOL, prepare, resolve_mechanisms, resolve_parameters,
                                     start_state, vary)
from ivigsim.core.spec import BODY_WEIGHT, TIME_UNIT
from ivigsim.core.units import DIMENSIONLESS, parse_unit

INITIAL_CHOICES = ("steady_state", "file")
STEADY_STATE_RTOL = 1e-10
_GRAM = parse_unit("g")
_GRAM_PER_DAY = parse_unit("g/day")


def require_libsbml():
    """Import python-libsbml, or say how to install it."""
    try:
        import libsbml
    except ImportError:
        raise IvigsimError('SBML support needs python-libsbml: pip install "ivigsim[sbml]"') from None
    return libsbml


def export_sbml(model, path=None, regimen=None, body_weight_kg=None, params=None, mechanisms=None,
                initial="steady_state"):
    """Write a model as SBML Level 3 Version 2, for one patient and optionally one regimen.

    Parameters
    ----------
    model : str, path or ModelSpec
        A model name (``"fcrn_pk"``), a model file or a loaded model.
    path : str or path, optional
        Where to write the SBML; the text is returned either way.
    regimen : Regimen, optional
        Dosing written as events (default: none).
    body_weight_kg : float, kg, optional
        Sets ``body_weight`` and converts per-kg doses to grams.
    params : dict, optional
        Parameter overrides by name, as for :func:`ivigsim.simulate`.
    mechanisms : dict, optional
        ``{"mechanism": False}`` writes that mechanism's switch as 0.
    initial : {"steady_state", "file"}
        ``"steady_state"`` (default): the state :func:`ivigsim.simulate` starts
        from, i.e. the untreated steady state of these parameters and
        mechanisms for models with ``initial_state = "steady_state"``, their
        initial values otherwise. ``"file"``: the model file's initial values,
        as initial assignments where they are expressions.

    Returns
    -------
    str
        The SBML document.

    Notes
    -----
    A steady state written as numbers is one for these parameter values only:
    a tool that changes a parameter of the SBML starts off steady state.
    """
    libsbml = require_libsbml()
    if initial not in INITIAL_CHOICES:
        raise IvigsimError(f"initial must be one of {INITIAL_CHOICES}, got {initial!r}")
    if path is not None and Path(path).is_dir():
        raise IvigsimError(f"OUT {path} is a directory; give a file name, e.g. {Path(path) / 'model.xml'}")
    spec = load_model(model)
    regimen = Regimen.none() if regimen is None else regimen
    if regimen.sessions:
        raise IvigsimError("SBML export of plasma exchange or immunoadsorption sessions is not "
                           "supported (their removal rates switch per session); export without them")
    values = resolve_parameters(spec, {**regimen.model_parameters(), **dict(params or {})},
                                body_weight_kg)
    switches = resolve_mechanisms(spec, mechanisms)
    env = spec.environment(values)
    weight = env.get(BODY_WEIGHT, body_weight_kg)
    doses = regimen.doses(weight) if regimen.administrations else ()
    if doses:                       # checks products, routes and fractions as simulate does
        build_schedule(spec, env, doses, 0.0, max(d.end_day for d in doses) + 1.0)
    y0 = _initial_values(spec, values, switches, initial, env)

    writer = _Writer(libsbml, spec, values, switches, env)
    writer.header(regimen, weight)
    writer.compartments()
    writer.parameters()
    writer.species(y0, initial)
    writer.reactions()
    writer.observables()
    writer.model_events()
    writer.dosing(doses)
    text = libsbml.writeSBMLToString(writer.document)
    if path is not None:
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            raise IvigsimError(f"cannot write {path}: {exc.strerror or exc}") from None
    return text


def _initial_values(spec, values, switches, initial, env):
    if initial == "file" or spec.initial_state != "steady_state":
        return np.array([evaluate(s.initial, env) for s in spec.species])
    # the state simulate starts from, found at a tighter tolerance
    problem = prepare(spec, None, 1.0, rtol=STEADY_STATE_RTOL, atol=DEFAULT_ATOL)
    return start_state(vary(problem, values, switches))


class _Writer:
    """Builds the SBML document of one model, one element kind at a time."""

    def __init__(self, libsbml, spec, values, switches, env):
        self.sb = libsbml
        self.spec = spec
        self.values = values
        self.switches = switches
        self.env = env
        self.document = libsbml.SBMLDocument(3, 2)
        self.model = self.document.createModel()
        self.units = UnitTable(self.model)
        self.taken = set(spec.parameter_names) | set(spec.species_names) | set(spec.observable_names) \
            | {c.name for c in spec.compartments} | set(spec.mechanisms)
        self.unit_of = {p.name: p.unit for p in spec.parameters}
        self.unit_of.update({c.name: c.unit for c in spec.compartments})
        self.unit_of.update({s.name: s.unit for s in spec.species})
        self.unit_of.update({m: DIMENSIONLESS for m in spec.mechanisms})
        self.amount_units = [spec.amount_unit(s.name) for s in spec.species]

    def fresh_id(self, wanted):
        ident, n = wanted, 2
        while ident in self.taken:
            ident, n = f"{wanted}_{n}", n + 1
        self.taken.add(ident)
        return ident

    def unit_id(self, unit):
        return self.units.id_for(unit, unit.text or None)

    def check(self, status, what):
        if status != self.sb.LIBSBML_OPERATION_SUCCESS:
            raise IvigsimError(f"model '{self.spec.name}': libSBML refused {what} "
                               f"({self.sb.OperationReturnValue_toString(status)})")

    # --- elements -------------------------------------------------------
    def header(self, regimen, weight):
        spec, m = self.spec, self.model
        m.setId(spec.name)
        m.setName(spec.description.strip() or spec.name)
        m.setTimeUnits(self.unit_id(TIME_UNIT))
        m.setVolumeUnits("litre")
        common = max(set(self.amount_units), key=self.amount_units.count)
        m.setSubstanceUnits(self.unit_id(common))
        if all(self.amount_units[spec.species_index(r.reactants[0][0] if r.reactants else r.products[0][0])]
               == common for r in spec.reactions):
            m.setExtentUnits(self.unit_id(common))
        dosing = f"Regimen: {regimen.describe()}" + (f" for {weight:g} kg" if weight else "")
        ann.notes(m, [f"ivigsim model '{spec.name}': {spec.description.strip()}",
                      dosing if regimen.administrations else "Untreated (no regimen).",
                      *(f"Reference: {r}" for r in spec.references)])
        doses = [ann.element("dose", {"product": t.product, "mass_per_amount": to_text(t.mass_per_amount)},
                             [ann.element("route", {"name": route, "species": name, "fraction": to_text(f)})
                              for route, targets in t.routes.items() for name, f in targets])
                 for t in spec.doses.values()]
        refs = [ann.element("reference", {"text": r}) for r in spec.references]
        ann.annotate(m, "model", {"name": spec.name, "initial_state": spec.initial_state}, refs + doses)

    def compartments(self):
        for c in self.spec.compartments:
            comp = self.model.createCompartment()
            self.check(comp.setId(c.name), f"the compartment id '{c.name}'")
            comp.setConstant(True)
            comp.setSize(self.env[c.name])
            comp.setUnits(self.unit_id(c.unit))
            if c.unit.same_dimension(parse_unit("L")):
                comp.setSpatialDimensions(3)
            if c.description:
                comp.setName(c.description)
            if symbols(c.volume) & set(self.spec.species_names):
                # sized by a state that events change: the size follows it (SBML keeps the amounts)
                comp.setConstant(False)
                rule = self.model.createAssignmentRule()
                rule.setVariable(c.name)
                rule.setMath(to_ast(c.volume))
            elif symbols(c.volume):
                self.initial_assignment(c.name, to_ast(c.volume))
            ann.annotate(comp, "compartment", {"unit": str(c.unit), "volume": to_text(c.volume)})

    def parameters(self):
        for p, value in zip(self.spec.parameters, self.values):
            par = self.model.createParameter()
            self.check(par.setId(p.name), f"the parameter id '{p.name}'")
            par.setValue(float(value))
            par.setUnits(self.unit_id(p.unit))
            par.setConstant(True)
            ann.notes(par, [p.description, f"Source: {p.source}"])
            ann.annotate(par, "parameter", {"unit": str(p.unit), "low": repr(p.bounds[0]),
                                            "high": repr(p.bounds[1]), "source": p.source,
                                            "description": p.description or None})
        for (name, description), on in zip(self.spec.mechanisms.items(), self.switches):
            par = self.model.createParameter()
            self.check(par.setId(name), f"the mechanism switch id '{name}'")
            par.setValue(float(on))
            par.setUnits("dimensionless")
            par.setConstant(True)
            ann.notes(par, [f"Mechanism switch (1 on, 0 off): {description}"])
            ann.annotate(par, "mechanism", {"description": description})

    def species(self, y0, initial):
        for s, value, amount in zip(self.spec.species, y0, self.amount_units):
            sp = self.model.createSpecies()
            self.check(sp.setId(s.name), f"the species id '{s.name}'")
            sp.setCompartment(s.compartment)
            sp.setInitialConcentration(float(value))
            sp.setSubstanceUnits(self.unit_id(amount))
            sp.setHasOnlySubstanceUnits(False)
            sp.setBoundaryCondition(False)
            sp.setConstant(False)
            if s.description:
                sp.setName(s.description)
            if initial == "file" and symbols(s.initial):
                self.initial_assignment(s.name, to_ast(s.initial))
            ann.annotate(sp, "species", {"unit": str(s.unit), "cumulative": str(s.cumulative).lower(),
                                         "initial": to_text(s.initial)})

    def initial_assignment(self, target, math):
        ia = self.model.createInitialAssignment()
        ia.setSymbol(target)
        ia.setMath(math)

    def reactions(self):
        species = set(self.spec.species_names)
        for r in self.spec.reactions:
            rx = self.model.createReaction()
            rx.setId(self.fresh_id(r.name if r.name not in self.taken else f"{r.name}_reaction"))
            rx.setName(r.name)
            rx.setReversible(False)
            for name, coeff in r.reactants:
                self.reference(rx.createReactant(), name, coeff)
            for name, coeff in r.products:
                self.reference(rx.createProduct(), name, coeff)
            involved = {n for n, _ in r.reactants + r.products}
            for name in sorted((symbols(r.rate) & species) - involved):
                rx.createModifier().setSpecies(name)
            law = rx.createKineticLaw()
            law.setMath(apply_ast(self.sb.AST_TIMES, name_ast(r.mechanism), to_ast(r.rate)))
            ann.annotate(rx, "reaction", {"name": r.name, "mechanism": r.mechanism, "rate": to_text(r.rate),
                                          "description": r.description or None})

    @staticmethod
    def reference(ref, species, coeff):
        ref.setSpecies(species)
        ref.setStoichiometry(float(coeff))
        ref.setConstant(True)

    def model_events(self):
        """The model's own events (its [[events]]), with the same SBML semantics; times are days."""
        for e in self.spec.events:
            ev = self.model.createEvent()
            self.check(ev.setId(self.fresh_id(e.name)), f"the event id '{e.name}'")
            ev.setUseValuesFromTriggerTime(e.use_values_from_trigger_time)
            if e.description:
                ev.setName(e.description)
            trigger = ev.createTrigger()
            trigger.setInitialValue(e.initial_value)
            trigger.setPersistent(e.persistent)
            trigger.setMath(boolean_ast(e.trigger))
            if e.delay is not None:
                ev.createDelay().setMath(to_ast(e.delay))
            if e.priority is not None:
                ev.createPriority().setMath(to_ast(e.priority))
            for target, value in e.assignments:
                ea = ev.createEventAssignment()
                ea.setVariable(target)
                ea.setMath(to_ast(value))

    def observables(self):
        for o in self.spec.observables:
            par = self.model.createParameter()
            self.check(par.setId(o.name), f"the observable id '{o.name}'")
            par.setUnits(self.unit_id(o.unit))
            par.setConstant(False)
            if o.description:
                par.setName(o.description)
            math = to_ast(o.expression)
            if o.factor != 1.0:
                natural = infer_unit(o.expression, self.unit_of.__getitem__)
                factor = number_ast(o.factor, self.unit_id(o.unit / natural))
                math = apply_ast(self.sb.AST_TIMES, factor, math)
            rule = self.model.createAssignmentRule()
            rule.setVariable(o.name)
            rule.setMath(math)
            ann.annotate(par, "observable", {"unit": str(o.unit), "expression": to_text(o.expression),
                                             "description": o.description or None})

    # --- dosing -----------------------------------------------------------
    def dosing(self, doses):
        """Infusion-rate parameters, infusion reactions and dosing events."""
        streams = sorted({(d.product, d.route) for d in doses if d.duration_day > 0})
        rate_ids = {}
        for product, route in streams:
            rate_ids[(product, route)] = self.infusion(product, route, doses)
        times = sorted({t for d in doses for t in ((d.time_day, d.end_day) if d.duration_day > 0
                                                     else (d.time_day,))})
        previous = {k: _infusion_rate(doses, k, 0.0) for k in streams}
        for n, t in enumerate(times):
            rates = {k: _infusion_rate(doses, k, t) for k in streams}
            changed = {k: v for k, v in rates.items() if v != previous[k] and t > 0.0}
            boluses = [d for d in doses if d.duration_day == 0 and d.time_day == t]
            previous = rates
            if changed or boluses:
                self.event(n, t, {rate_ids[k]: v for k, v in changed.items()}, boluses)

    def infusion(self, product, route, doses):
        """The rate parameter (g/day) of one product and route, and its infusion reactions."""
        par = self.model.createParameter()
        rate_id = self.fresh_id(f"infusion_rate_{product}_{route}")
        par.setId(rate_id)
        par.setValue(_infusion_rate(doses, (product, route), 0.0))
        par.setUnits(self.unit_id(_GRAM_PER_DAY))
        par.setConstant(False)
        ann.notes(par, [f"Infusion rate of {product} ({route}), g/day; set by the dosing events."])
        ann.annotate(par, "dosing")
        for name, per_gram in self.per_gram(product, route):
            rx = self.model.createReaction()
            rx.setId(self.fresh_id(f"infusion_{product}_{route}_{name}"))
            rx.setReversible(False)
            self.reference(rx.createProduct(), name, 1.0)
            rx.createKineticLaw().setMath(apply_ast(self.sb.AST_TIMES, name_ast(rate_id), per_gram))
            ann.annotate(rx, "dosing")
        return rate_id

    def per_gram(self, product, route):
        """(species, AST of its amount per gram of product) for each target of a dose."""
        target = self.spec.doses[product]
        out = []
        for name, fraction in target.routes[route]:
            amount = self.amount_units[self.spec.species_index(name)]
            per_mass = _GRAM / target.mass_per_amount_unit
            factor = number_ast(per_mass.factor_to(amount), self.unit_id(amount / per_mass))
            math = apply_ast(self.sb.AST_DIVIDE,
                             apply_ast(self.sb.AST_TIMES, to_ast(fraction), factor),
                             to_ast(target.mass_per_amount))
            out.append((name, math))
        return out

    def event(self, n, t, rate_changes, boluses):
        ev = self.model.createEvent()
        ev.setId(self.fresh_id(f"dosing_{n}"))
        ev.setName(f"dosing at day {t:g}")
        ev.setUseValuesFromTriggerTime(True)
        trigger = ev.createTrigger()
        trigger.setInitialValue(False)
        trigger.setPersistent(True)
        trigger.setMath(apply_ast(self.sb.AST_RELATIONAL_GEQ, time_ast(),
                                  number_ast(t, self.unit_id(TIME_UNIT))))
        for rate_id, value in rate_changes.items():
            ea = ev.createEventAssignment()
            ea.setVariable(rate_id)
            ea.setMath(number_ast(value, self.unit_id(_GRAM_PER_DAY)))
        grams = {}
        for d in boluses:
            grams[(d.product, d.route)] = grams.get((d.product, d.route), 0.0) + d.amount_g
        for (product, route), amount_g in grams.items():
            for name, per_gram in self.per_gram(product, route):
                compartment = self.spec.species[self.spec.species_index(name)].compartment
                added = apply_ast(self.sb.AST_DIVIDE,
                                  apply_ast(self.sb.AST_TIMES, number_ast(amount_g, self.unit_id(_GRAM)),
                                            per_gram),
                                  name_ast(compartment))
                ea = ev.createEventAssignment()
                ea.setVariable(name)
                ea.setMath(apply_ast(self.sb.AST_PLUS, name_ast(name), added))
        ann.annotate(ev, "dosing")


def _infusion_rate(doses, stream, t):
    """Total infusion rate (g/day) of one (product, route) on the segment starting at ``t``."""
    return float(sum(d.amount_g / d.duration_day for d in doses
                     if d.duration_day > 0 and (d.product, d.route) == stream
                     and d.time_day <= t < d.end_day))

