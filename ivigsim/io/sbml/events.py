"""SBML events, read as the ``[[events]]`` of the model file (:mod:`ivigsim.core.events`).

Part of the SBML importer (:mod:`ivigsim.io.sbml.importer`). Both follow SBML
Level 3 Version 2 semantics, so the attributes map one to one: the trigger
(``initialValue``, ``persistent``), the delay, the priority,
``useValuesFromTriggerTime`` and the event assignments. What differs:

* times: an SBML delay is in model time units, a model-file delay in days; it
  is divided by the time conversion (model time units per day);
* targets: a model-file event assigns states only. A parameter, compartment
  or stoichiometry that an event assigns is made a state whose rate rule is
  0 (:func:`event_states`); a compartment made a state holds its species as
  amounts (see :mod:`ivigsim.io.sbml.quantities`). A species that no reaction
  changes becomes a state the same way;
* values: a model-file species is a concentration in its compartment (an
  amount in the size-1 compartment of states), so an SBML assignment of an
  amount, or of a concentration to a species held as an amount, is converted;
* a trigger that is not a comparison or logic (a number, a piecewise) is
  read as "is not zero";
* an event without assignments changes nothing and is left out (with a note).
"""

from __future__ import annotations

from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import CONDITIONS, BinOp, Call, Num, Sym, symbols
from ivigsim.core.rules import substitute
from ivigsim.io.sbml import annotation as ann
from ivigsim.io.sbml.model_file import EventRecord
from ivigsim.io.sbml.units import unit_text


def event_states(imp):
    """Give every quantity that an event assigns, and no rule sets, a rate rule of 0 (a state)."""
    import libsbml

    zero = libsbml.parseL3Formula("0")
    for ev in imp.model.getListOfEvents():
        if ann.is_dosing(ev):
            continue
        for ea in ev.getListOfEventAssignments():
            var = ea.getVariable()
            if var in imp.rate_rules or var in imp.rules:
                continue
            element = imp.model.getElementBySId(var)
            if element is None:
                imp.fail("event", ev.getId() or "(no id)", f"it assigns '{var}', which the model does not have")
            kind = element.getTypeCode()
            if kind == imp.sb.SBML_SPECIES and element.getId() in imp.dynamic_by_reactions():
                continue                                # a state already
            if kind in (imp.sb.SBML_PARAMETER, imp.sb.SBML_COMPARTMENT, imp.sb.SBML_SPECIES,
                        imp.sb.SBML_SPECIES_REFERENCE):
                imp.rate_rules[var] = zero
                imp.event_assigned.add(var)
            else:
                imp.fail("event", ev.getId() or "(no id)", f"it assigns '{var}', which is not a species, "
                                                           f"parameter, compartment or stoichiometry")


def read_events(imp):
    """The model file's events for the SBML model's events (in the SBML's order)."""
    records = []
    for ev in imp.model.getListOfEvents():
        if ann.is_dosing(ev):
            continue
        sid = ev.getId() or ev.getMetaId() or f"event_{len(records) + 1}"
        where = imp.where("event", sid)
        trigger = ev.getTrigger()
        if trigger is None or not trigger.isSetMath():
            imp.fail("event", sid, "its trigger has no math")
        if ev.getNumEventAssignments() == 0:
            imp.notes.append(f"SBML event '{sid}' assigns nothing and was left out.")
            continue
        condition = imp.read_math(trigger.getMath(), "trigger of event", sid)
        if not (isinstance(condition, Call) and condition.func in CONDITIONS):
            condition = Call("neq", (condition, Num(0.0)))
        delay = None
        if ev.isSetDelay() and ev.getDelay().isSetMath():
            delay = imp.read_math(ev.getDelay().getMath(), "delay of event", sid)      # model time units
        priority = None
        if ev.isSetPriority() and ev.getPriority().isSetMath():
            priority = imp.read_math(ev.getPriority().getMath(), "priority of event", sid)
        # values that cannot change between the trigger and the execution (numbers and constants)
        # are the same whichever moment they are computed at: then computing them at the execution
        # lets a concentration be turned into an amount with the compartment size of that moment
        invariant = ev.isSetDelay() and _values_invariant(imp, ev)
        assignments = []
        for ea in ev.getListOfEventAssignments():
            if not ea.isSetMath():
                continue                               # SBML Level 3 Version 2: no math, no assignment
            assignments.append((imp.names[ea.getVariable()], _state_value(imp, ev, ea, sid, where, invariant)))
        if not assignments:
            imp.notes.append(f"SBML event '{sid}' assigns nothing and was left out.")
            continue
        name = imp.reaction_name(f"event_{sid}") if not ev.isSetId() else _event_name(imp, sid)
        records.append(EventRecord(
            name, condition, assignments, delay, priority,
            persistent=trigger.getPersistent() if trigger.isSetPersistent() else True,
            initial_value=trigger.getInitialValue() if trigger.isSetInitialValue() else True,
            use_values_from_trigger_time=((ev.getUseValuesFromTriggerTime()
                                           if ev.isSetUseValuesFromTriggerTime() else True) and not invariant),
            description=ev.getName() or f"SBML event '{sid}'"))
        records[-1].sbml_id = sid
    return records


def _random_order(imp, records):
    """Refuse events whose order SBML leaves to chance and that decide each other's outcome.

    Events due at one time with equal priorities run in random order in SBML; the model file runs
    them in file order, one of the orders SBML allows. That is the same result unless one event
    assigns what a non-persistent event's trigger reads (then the first to run cancels the other).
    """
    from ivigsim.core.expressions import to_text

    sbml_of = {name: sid for sid, name in imp.names.items()}

    def fixed(e):
        """Whether the priority keeps one value through the run: it reads only numbers and
        constant parameters or compartments (whose value an initial assignment may set)."""
        for name in symbols(e.priority):
            element = imp.model.getElementBySId(sbml_of.get(name, name))
            if element is None or not (hasattr(element, "getConstant") and element.getConstant()):
                return False
        return True

    def value(e):
        """The priority's number when the file gives it outright, else None."""
        try:
            return float(to_text(e.priority))
        except ValueError:
            return None

    def may_tie(e, f):
        """Whether two events' priorities can be equal when both are due. Two different numbers
        keep events apart; a fixed priority the file does not give outright (SBML Test Suite
        01588: ``k1``, set to 0.01 by an initial assignment, against ``0.01``) may equal any fixed
        other; a priority that changes in time (``time``) ties only with the same expression."""
        if e.priority is None or f.priority is None:
            return e.priority is None and f.priority is None
        if to_text(e.priority) == to_text(f.priority):
            return True
        if not (fixed(e) and fixed(f)):
            return False
        a, b = value(e), value(f)
        return a is None or b is None or a == b

    reads = {id(f): symbols(f.trigger) for f in records if not f.persistent}
    for e in records:
        targets = {t for t, _ in e.assignments}
        for f in records:
            if f is not e and id(f) in reads and targets & reads[id(f)] and may_tie(e, f):
                imp.fail("event", e.sbml_id, f"it assigns what the trigger of event '{f.sbml_id}' reads, "
                                             f"which is not persistent and has (or may have) the same "
                                             f"priority: SBML runs the two in random order, ivigsim in file "
                                             f"order, which is not supported here")


def finish_events(imp, records):
    """Once every unit is known: delays in days, and each expression's unit checked."""
    _random_order(imp, records)
    for e in records:
        sid = e.sbml_id
        if imp.unit_check(e.trigger) is None:
            imp.unit_fail("event", sid, "the units of its trigger do not fit together")
        if e.delay is not None:
            e.delay = _delay(imp, e.delay, sid)
        if e.priority is not None:
            unit = imp.unit_check(e.priority)
            if unit is None or not unit.is_dimensionless:
                imp.unit_fail("event", sid, "its priority is not a pure number")
        for target, node in e.assignments:
            _check_value(imp, sid, target, node)
    return records


def _event_name(imp, sid):
    """A valid event name, unique among events."""
    taken = imp.__dict__.setdefault("_event_names", set())
    import re
    base = re.sub(r"[^A-Za-z0-9_]", "_", sid).lstrip("_") or "event"
    base = base if re.match(r"^[A-Za-z]", base) else f"e_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _delay(imp, node, sid):
    """An SBML delay (model time units) in days."""
    conversion = imp.time_conversion()
    unit = imp.unit_check(node)
    if not symbols(node) and (unit is None or unit.is_dimensionless):
        # a number: in model time units, which the model file cannot tell from days
        return node if conversion is None else BinOp("/", node, Num(imp.params[conversion].value))
    if unit != imp.time_unit:
        imp.unit_fail("event", sid, f"its delay is in {unit_text(unit) if unit else 'unknown units'}, not the "
                                    f"model's time unit")
    return node if conversion is None else BinOp("/", node, Sym(conversion))


def _check_value(imp, sid, target, node):
    """An event assignment's value against its target's unit."""
    want = imp.unit_of.get(target)
    unit = imp.unit_check(node)
    if unit != want and not (unit is not None and unit.is_dimensionless and not symbols(node)):
        imp.unit_fail("event", sid, f"it assigns '{target}' a value in "
                                    f"{unit_text(unit) if unit else 'unknown units'}, not "
                                    f"{unit_text(want) if want else 'its unit'}")


def _values_invariant(imp, ev):
    """Whether every assignment of ``ev`` is made of numbers and constant quantities only, so
    that its value at the trigger time and at the execution time are the same."""
    return all(_constant_math(imp, ea.getMath()) for ea in ev.getListOfEventAssignments() if ea.isSetMath())


def _constant_math(imp, ast):
    """Whether a MathML tree reads nothing that changes in time (no time, delay, rateOf, or
    quantity whose ``constant`` attribute is false)."""
    import libsbml

    t = ast.getType()
    if t == libsbml.AST_NAME:
        element = imp.model.getElementBySId(ast.getName())
        return element is not None and hasattr(element, "getConstant") and bool(element.getConstant())
    if t in (libsbml.AST_NAME_TIME, libsbml.AST_FUNCTION_DELAY,
             getattr(libsbml, "AST_FUNCTION_RATE_OF", libsbml.AST_FUNCTION_DELAY)):
        return False
    # a call of a function definition reads only its arguments (SBML function bodies see
    # nothing but their own arguments), so the children are all there is to check
    return all(_constant_math(imp, ast.getChild(k)) for k in range(ast.getNumChildren()))


def _size_after(imp, ev, comp, sid, where):
    """The size of ``comp`` after event ``ev``'s assignments, as an expression of the values before it.

    SBML computes every assigned value before applying any. A concentration the event sets is turned
    into an amount with the compartment's size of that moment: when the same event assigns the
    compartment itself, the size before the event counts (SBML Test Suite cases 01506, 01779 and
    01780: the new concentration is the amount over the new size). When the size is computed by a
    rule from a quantity the event assigns (how ``export-sbml`` writes a compartment that events
    resize), the rule's new value counts, as libRoadRunner computes it, so that a model file's
    "set the concentration in the new size" survives the round trip.
    """
    size = imp.resolve(comp, where)
    mapping = {}
    for other in ev.getListOfEventAssignments():
        var = other.getVariable()
        species = imp.model.getSpecies(var)
        if var == comp:
            continue              # the compartment itself: its size before the event counts
        if not other.isSetMath() or var not in imp.names or (species is not None and (
                species.getCompartment() in imp.varying or imp.amount_differs(species))):
            continue              # a species' state is not its assigned value; it cannot size a compartment
        mapping[imp.names[var]] = imp.read_math(other.getMath(), "event assignment of event", sid)
    return substitute(size, mapping) if mapping else size


def _state_value(imp, ev, ea, sid, where, invariant=False):
    """The value an event assignment gives, in the unit of its target's state; ``invariant``:
    the event's values are the same at the trigger and at the execution, so it computes them
    at the execution."""
    var = ea.getVariable()
    node = imp.read_math(ea.getMath(), "event assignment of event", sid)
    species = imp.model.getSpecies(var)
    if species is None:
        return node
    comp = species.getCompartment()
    if comp in imp.varying:
        # the state is an amount: a concentration is multiplied by the size at execution, which the
        # model file cannot take apart from values computed at the trigger time
        if species.getHasOnlySubstanceUnits():
            return node
        early = not ev.isSetUseValuesFromTriggerTime() or ev.getUseValuesFromTriggerTime()
        if early and ev.isSetDelay() and not invariant:
            raise IvigsimError(f"{where}: it assigns the concentration of '{var}' with values from the trigger "
                               f"time, while the size of its compartment '{comp}' may change before the "
                               f"assignment; this is not supported")
        return BinOp("*", node, _size_after(imp, ev, comp, sid, where))
    if imp.amount_differs(species):
        return BinOp("/", node, Sym(imp.names[comp]))
    if var not in imp.dynamic:
        raise IvigsimError(f"{where}: it assigns species '{var}', which is not a state of the model")
    return node
