"""State-triggered dosing: "give D when observable X falls below T, at most every N days".

A :class:`TriggeredDose` is part of a :class:`~ivigsim.core.regimen.Regimen`
(built by :meth:`Regimen.when_below <ivigsim.core.regimen.Regimen.when_below>`).
It is simulated as a model event: :func:`with_triggered_doses` returns the
model with, for each triggered dose ``k``,

* parameters ``when_below_k_threshold`` (the observable's unit),
  ``when_below_k_dose`` (g/kg), ``when_below_k_interval`` and
  ``when_below_k_start`` (days), holding the regimen's numbers, so one
  compiled kernel serves every threshold, dose and interval;
* two states of the size-1 compartment ``rule_states``:
  ``when_below_k_since`` (days since the last triggered dose, growing at one
  day per day from the interval, so the first dose is not held back) and
  ``when_below_k_doses`` (how many were given);
* the event ``when_below_k``: trigger ``all_of(lt(X, threshold), ge(since,
  interval), ge(time, start))``, true before t = 0 is not assumed
  (``initial_value = false``: a patient below the threshold at the start is
  dosed at once), assignments that add the dose to the product's target
  species exactly as a bolus of the regimen would, reset ``since`` and count
  the dose.

A triggered dose is a bolus, or, with ``infusion_hours``, an infusion at a
constant rate from the moment it is triggered (see :func:`_infusion`: a state
switches a zero-order reaction into each target species on, and the event
``when_below_k_end`` switches it off when the infusion time has passed). The
doses actually given (their times come from the event log) make up
:func:`realised_regimen`, from which grams, cost and schedules are computed as
for any fixed regimen; an infusion still running at the end of a simulation
counts as given in full there.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from types import MappingProxyType

from ivigsim.errors import ParameterError
from ivigsim.core._regimen_triggered import TriggeredDose, check_triggered_dose  # noqa: F401  (their home before)
from ivigsim.core.events import Event
from ivigsim.core.expressions import BinOp, Call, Num, Sym
from ivigsim.core.rules import RULE_COMPARTMENT, TIME
from ivigsim.core.spec import BODY_WEIGHT, Compartment, Parameter, Reaction, Species
from ivigsim.core.units import DIMENSIONLESS, UnitError, parse_unit

PREFIX = "when_below"
MECHANISM = "triggered_dosing"
_DAY = parse_unit("day")


def _names(k):
    base = f"{PREFIX}_{k}"
    return base, f"{base}_threshold", f"{base}_dose", f"{base}_interval", f"{base}_start", \
        f"{base}_since", f"{base}_doses"


def _parameter(name, value, unit, description):
    value = float(value)
    return Parameter(name, value, unit, (value, value), "the regimen (Regimen.when_below)", description)


def with_triggered_doses(spec, triggered):
    """``spec`` with the parameters, states and events of the triggered doses (see the module)."""
    if not triggered:
        return spec
    if BODY_WEIGHT not in spec.parameter_names:
        raise ParameterError(f"model '{spec.name}' has no body weight, so it cannot take doses in g/kg "
                             f"(Regimen.when_below)")
    parameters, species, reactions, events = list(spec.parameters), list(spec.species), list(spec.reactions), \
        list(spec.events)
    compartments = list(spec.compartments)
    mechanisms = dict(spec.mechanisms)
    if RULE_COMPARTMENT not in spec._index["compartments"]:
        compartments.append(Compartment(RULE_COMPARTMENT, Num(1.0), DIMENSIONLESS,
                                        "holds the states of rate rules and the clock (dimensionless, size 1)"))
    mechanisms[MECHANISM] = "the clocks of state-triggered doses (days since the last dose)"
    taken = set(spec.parameter_names) | set(spec.species_names) | set(spec.observable_names)
    for k, dose in enumerate(triggered, start=1):
        event, threshold, amount, interval, start, since, count = _names(k)
        if taken & {event, threshold, amount, interval, start, since, count}:
            raise ParameterError(f"model '{spec.name}' already uses the name '{event}'; it is reserved for "
                                 f"a state-triggered dose")
        if dose.observable not in spec.observable_names:
            raise ParameterError(f"Regimen.when_below: model '{spec.name}' has no observable "
                                 f"'{dose.observable}' (observables: {', '.join(spec.observable_names)})")
        obs = spec.observables[spec._index["observables"][dose.observable]]
        scale = 1.0
        if dose.unit:
            try:
                scale = parse_unit(dose.unit).factor_to(obs.unit)
            except UnitError as exc:
                raise ParameterError(f"Regimen.when_below: the threshold's unit {dose.unit!r} does not fit "
                                     f"observable '{dose.observable}' (in {obs.unit}): {exc}") from None
        parameters += [
            _parameter(threshold, dose.threshold * scale, obs.unit, f"dose when {dose.observable} falls below"),
            _parameter(amount, dose.dose_g_per_kg, parse_unit("g/kg"), "the triggered dose"),
            _parameter(interval, dose.min_interval_days, _DAY, "least time between triggered doses"),
            _parameter(start, dose.start_day, _DAY, "no triggered dose before this day"),
        ]
        # cumulative: left out of an untreated steady state and set to their initial values at t = 0
        species += [Species(since, RULE_COMPARTMENT, _DAY, Sym(interval), "days since the last triggered dose",
                            cumulative=True),
                    Species(count, RULE_COMPARTMENT, DIMENSIONLESS, Num(0.0), "triggered doses given",
                            cumulative=True)]
        reactions.append(Reaction(f"{since}_clock", (), ((since, 1.0),), Num(1.0), MECHANISM,
                                  "days since the last triggered dose advance one per day"))
        value = obs.expression if obs.factor == 1.0 else BinOp("*", Num(obs.factor), obs.expression)
        trigger = Call("all_of", (Call("lt", (value, Sym(threshold))), Call("ge", (Sym(since), Sym(interval))),
                                  Call("ge", (Sym(TIME), Sym(start)))))
        ending = []
        if dose.infusion_hours:
            dosing, ending = _infusion(spec, dose, k, amount, parameters, species, reactions, taken)
        else:
            dosing = _dose_assignments(spec, dose, amount)
        assignments = dosing + [(since, Num(0.0)), (count, BinOp("+", Sym(count), Num(1.0)))]
        events.append(Event(event, trigger, tuple(assignments), initial_value=False,
                            description=dose.describe(), written=f"all_of(lt({dose.observable}, {threshold}), "
                                                                 f"ge({since}, {interval}), ge(time, {start}))"))
        events += ending
    index = MappingProxyType({
        "species": {s.name: i for i, s in enumerate(species)},
        "parameters": {p.name: i for i, p in enumerate(parameters)},
        "observables": dict(spec._index["observables"]),
        "compartments": {c.name: c for c in compartments},
    })
    return dataclasses.replace(spec, parameters=tuple(parameters), species=tuple(species),
                               reactions=tuple(reactions), events=tuple(events), compartments=tuple(compartments),
                               mechanisms=MappingProxyType(mechanisms), _index=index)


def _dose_assignments(spec, dose, amount):
    """target = target + grams x fraction / (mass per amount x volume), per target species (as a bolus)."""
    target = _dose_target(spec, dose)
    grams = BinOp("*", Sym(amount), Sym(BODY_WEIGHT))
    out = []
    for name, fraction in target.routes[dose.route]:
        sp = spec.species[spec.species_index(name)]
        factor = (parse_unit("g") / target.mass_per_amount_unit).factor_to(spec.amount_unit(name))
        per = BinOp("/", BinOp("*", Num(factor), fraction),
                    BinOp("*", target.mass_per_amount, Sym(sp.compartment)))
        out.append((name, BinOp("+", Sym(name), BinOp("*", grams, per))))
    return out


def _infusion(spec, dose, k, amount, parameters, species, reactions, taken):
    """Add what infuses triggered dose ``k``; return the start event's assignments and the end event.

    A state ``when_below_k_infusing`` (0 or 1) switches one zero-order
    reaction per target species, ``-> target`` at grams / duration converted to
    the target's amount per day; the start event sets it to 1, and the event
    ``when_below_k_end`` sets it back to 0 when ``since`` (reset to 0 at the
    start) reaches the duration. Both edges are located by root finding, so the
    grams infused are the dose (to the solver's tolerance on a linear clock).
    """
    base, *_, since, _count = _names(k)
    duration, infusing, end = f"{base}_duration", f"{base}_infusing", f"{base}_end"
    target = _dose_target(spec, dose)
    names = {duration, infusing, end} | {f"{base}_infusion_{name}" for name, _ in target.routes[dose.route]}
    if taken & names:
        raise ParameterError(f"model '{spec.name}' already uses one of the names {', '.join(sorted(names))}; "
                             f"they are reserved for a state-triggered infusion")
    parameters.append(_parameter(duration, dose.infusion_hours / 24.0, _DAY, "infusion time of the triggered dose"))
    species.append(Species(infusing, RULE_COMPARTMENT, DIMENSIONLESS, Num(0.0),
                           "1 while a triggered dose is infused, else 0", cumulative=True))
    grams_per_day = BinOp("/", BinOp("*", Sym(amount), Sym(BODY_WEIGHT)), Sym(duration))
    for name, fraction in target.routes[dose.route]:
        factor = (parse_unit("g") / target.mass_per_amount_unit).factor_to(spec.amount_unit(name))
        rate = BinOp("*", Sym(infusing), BinOp("/", BinOp("*", grams_per_day, BinOp("*", Num(factor), fraction)),
                                                target.mass_per_amount))
        reactions.append(Reaction(f"{base}_infusion_{name}", (), ((name, 1.0),), rate, MECHANISM,
                                  f"the triggered infusion into {name} (amount per day while infusing)"))
    stop = Event(end, Call("all_of", (Call("gt", (Sym(infusing), Num(0.5))), Call("ge", (Sym(since), Sym(duration))))),
                 ((infusing, Num(0.0)),), description=f"end of the infusion of {base}",
                 written=f"all_of(gt({infusing}, 0.5), ge({since}, {duration}))")
    return [(infusing, Num(1.0))], [stop]


def _dose_target(spec, dose):
    """The model's dose target for the dose's product, checked to take its route."""
    if dose.product not in spec.doses:
        raise ParameterError(f"Regimen.when_below: model '{spec.name}' has no dose target for product "
                             f"'{dose.product}' (it accepts: {', '.join(spec.doses) or 'none'})")
    target = spec.doses[dose.product]
    if dose.route not in target.routes:
        raise ParameterError(f"Regimen.when_below: model '{spec.name}' cannot give '{dose.product}' by the "
                             f"{dose.route} route (routes: {', '.join(target.routes)})")
    return target


def realised_regimen(regimen, model_events):
    """``regimen`` with its triggered doses replaced by the boluses given (from the event log)."""
    from ivigsim.core.regimen import Administration, Regimen
    if not regimen.triggered:
        return regimen
    given = []
    for t, name in model_events:
        number = name[len(PREFIX) + 1:]
        if not (name.startswith(PREFIX + "_") and number.isdigit()):
            continue                  # not a dose (the end of an infusion, or a model's own event)
        dose = regimen.triggered[int(number) - 1]
        given.append(Administration(t, dose.dose_g_per_kg, True, dose.infusion_hours / 24.0, dose.route,
                                    dose.product))
    return Regimen(tuple(regimen.administrations) + tuple(given), name=regimen.name, sessions=regimen.sessions)
