"""Events of the model file: discrete changes of the state when a condition becomes true.

An event is written as one entry of the ``[[events]]`` array::

    [[events]]
    name = "reset"
    trigger = "lt(A, A_low)"          # a condition of state, parameters, rules, observables and time
    delay = "0.5"                     # days from trigger to execution (default: none)
    priority = "1"                    # the higher runs first among events due together (default 0)
    persistent = true                 # false: a delayed event is cancelled if its trigger turns false
    initial_value = true              # the trigger's value just before t = 0
    use_values_from_trigger_time = true
    description = "..."
    [events.assignments]
    A = "A + A_dose"                  # species, rate-rule states and parameters, in their units

The semantics are SBML's (Level 3 Version 2, section 4.12):

* an event is *triggered* when its trigger goes from false to true; with
  ``initial_value = false`` a trigger that is true at t = 0 triggers at 0;
* it *executes* after its delay; the values assigned are computed at the
  trigger time when ``use_values_from_trigger_time`` (the default), else at
  execution;
* among events due at the same instant the one of highest priority runs
  first, then every trigger is evaluated again (an assignment may trigger or,
  for a non-persistent event, cancel others); equal priorities run in file
  order, so results are reproducible;
* the state is right-continuous: an output at an event time shows the state
  after the event.

The trigger is a condition: ``lt``, ``le``, ``gt``, ``ge``, ``eq``, ``neq``,
``all_of``, ``any_of`` or ``none_of`` (see :mod:`ivigsim.core.expressions`).
Its crossing is located by root finding on the solver's dense output (see
:mod:`ivigsim.core.solvers.events`), not stepped over.

An event assigns species, the states of rate rules, parameters and
compartment sizes. A parameter that an event assigns is not a constant
(SBML's ``constant = false``): the model file makes it a state, the rate rule
``d P/dt = 0`` from its declared value (:func:`parameter_states`), so it keeps
its value between events and the solver sees each change. Being a state, it
is no longer among the parameters of the model: its value at the start is
the file's, and neither ``params`` nor a parameter set may change it.

A compartment ``C`` that an event resizes is sized by the state ``C_size``
(d/dt = 0, from the volume as written, so parameter overrides still set its
start; :func:`compartment_states`). As in SBML, resizing keeps the amounts in
it: the event also assigns ``s = s * C / C_new`` to each of its species that
it does not assign itself (values are computed before any is applied, so
``s`` and ``C`` are those before the event), and between events ``d s/dt =
rates / C`` holds because the size is constant there. A delayed resize must
compute its values at execution (``use_values_from_trigger_time = false``), a
resized compartment may not receive doses (a dose is converted at a fixed
volume), and the size-1 compartment of rule states is not resizable.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivigsim.core.expressions import CONDITIONS, BinOp, Call, Num, Sym, symbols, to_text
from ivigsim.core.rules import Rule
from ivigsim.core.units import parse_unit

_FIELDS = ("name", "trigger", "delay", "priority", "persistent", "initial_value",
           "use_values_from_trigger_time", "assignments", "description")
DAY = parse_unit("day")


@dataclass(frozen=True)
class Event:
    """One model event. Expressions are as the kernel sees them (rules and observables substituted)."""

    name: str
    trigger: object                        # condition node
    assignments: tuple                     # ((target species name, value node), ...)
    delay: object = None                   # node in days, or None (no delay)
    priority: object = None                # node (dimensionless), or None (0)
    persistent: bool = True
    initial_value: bool = True
    use_values_from_trigger_time: bool = True
    description: str = ""
    written: str = ""                      # the trigger as written in the file

    @property
    def trigger_text(self):
        return self.written or to_text(self.trigger)


def _flag(reader, entry, key, field_name, default):
    value = entry.get(field_name, default)
    if not isinstance(value, bool):
        reader.fail(f"{key}.{field_name}", f"expected true or false, got {value!r}")
    return value


def read_events(reader, data, unit_of, expand, assignable, compartments, resized=None):
    """The ``[[events]]`` array as :class:`Event` objects, every expression checked.

    ``unit_of(node, key)`` is the unit of an expression (failing on undefined
    symbols or inconsistent units), ``expand(node)`` substitutes assignment
    rules and observables, ``assignable`` maps the names an event may assign
    to their units (resized compartments included). ``resized`` maps each
    compartment that events resize to its size state and the species in it
    (see :func:`compartment_states`); an assignment to it sets the state and
    keeps the amounts of its species.
    """
    resized = resized or {}
    entries = data.get("events", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        reader.fail("events", "expected an array of tables: write each event as [[events]]")
    events, names = [], set()
    for k, entry in enumerate(entries):
        key = f"events[{k}]"
        reader.check_keys(entry, key, _FIELDS, required=("name", "trigger", "assignments"))
        name = reader.name(reader.text(entry, key, "name"), f"{key}.name")
        key = f"events.{name}"
        if name in names:
            reader.fail(f"{key}.name", f"another event is already named '{name}'")
        names.add(name)
        raw = entry["trigger"]
        trigger = reader.expression(raw, f"{key}.trigger")
        if not (isinstance(trigger, Call) and trigger.func in CONDITIONS):
            reader.fail(f"{key}.trigger", f"a trigger is a condition such as \"lt(A, 0.5)\" or "
                                          f"\"all_of(gt(time, 7), lt(A, 1))\" ({', '.join(CONDITIONS)}); "
                                          f"got {raw!r}")
        unit_of(trigger, f"{key}.trigger")
        delay = None
        if "delay" in entry:
            delay = reader.expression(entry["delay"], f"{key}.delay")
            du = unit_of(delay, f"{key}.delay")
            if du is not None and not (du == DAY or (du.is_dimensionless and not symbols(delay))):
                reader.fail(f"{key}.delay", f"a delay is a time in days; the expression has unit {du}")
            delay = expand(delay)
        priority = None
        if "priority" in entry:
            priority = reader.expression(entry["priority"], f"{key}.priority")
            pu = unit_of(priority, f"{key}.priority")
            if pu is not None and not pu.is_dimensionless:
                reader.fail(f"{key}.priority", f"a priority is a pure number; the expression has unit {pu}")
            priority = expand(priority)
        assignments = entry["assignments"]
        if not isinstance(assignments, dict) or not assignments:
            reader.fail(f"{key}.assignments", "expected a table: target = \"expression\", at least one")
        pairs, sizes = [], []
        for target, text in assignments.items():
            akey = f"{key}.assignments.{target}"
            if target not in assignable:
                if target in compartments:
                    why = f"'{target}' holds the states of rate rules and the clock; its size is fixed at 1"
                else:
                    why = (f"'{target}' is not a species, the state of a rate rule, a parameter or a compartment "
                           f"(assignable: {', '.join(sorted(assignable)) or 'none'})")
                reader.fail(akey, why)
            node = reader.expression(text, akey)
            au = unit_of(node, akey)
            want = assignable[target]
            if au is not None and au != want and not (au.is_dimensionless and not symbols(node)):
                reader.fail(akey, f"the expression has unit {au}, but '{target}' is in {want}")
            if target in resized:
                sizes.append((target, expand(node)))
                pairs.append((resized[target][0], sizes[-1][1]))
            else:
                pairs.append((target, expand(node)))
        use_trigger_values = _flag(reader, entry, key, "use_values_from_trigger_time", True)
        if sizes and delay is not None and use_trigger_values:
            reader.fail(f"{key}.use_values_from_trigger_time",
                        f"this delayed event resizes compartment '{sizes[0][0]}', which keeps the amounts in it "
                        f"at the moment it runs; set use_values_from_trigger_time = false")
        pairs += _keep_amounts(sizes, resized, {t for t, _ in pairs})
        events.append(Event(
            name=name, trigger=expand(trigger), assignments=tuple(pairs), delay=delay, priority=priority,
            persistent=_flag(reader, entry, key, "persistent", True),
            initial_value=_flag(reader, entry, key, "initial_value", True),
            use_values_from_trigger_time=use_trigger_values,
            description=reader.text(entry, key, "description", ""), written=to_text(trigger)))
    return tuple(events)


def _keep_amounts(sizes, resized, assigned):
    """``s = s * C / C_new`` for each species of each resized compartment that the event does not assign.

    Values are computed before any is applied (SBML), so ``s`` and ``C`` are
    the values before the event: the amount ``s C`` is kept. A species the
    event assigns takes the assigned concentration, in the new size.
    """
    out = []
    for compartment, size in sizes:
        for species in resized[compartment][1]:
            if species not in assigned:
                out.append((species, BinOp("*", Sym(species), BinOp("/", Sym(compartment), size))))
    return out


def assigned_targets(data, names):
    """The names among ``names`` (in file order) that some event of the file assigns.

    Reads the raw ``[[events]]`` array leniently: whatever is malformed there is
    reported by :func:`read_events` later, with its key.
    """
    entries = data.get("events", [])
    found = []
    for entry in entries if isinstance(entries, list) else ():
        assignments = entry.get("assignments") if isinstance(entry, dict) else None
        for target in assignments if isinstance(assignments, dict) else ():
            if target in names and target not in found:
                found.append(target)
    return found


def parameter_states(parameters):
    """The rate rule ``d P/dt = 0``, from P's declared value, for each parameter that events assign.

    Parameters
    ----------
    parameters : sequence of ivigsim.core.spec.Parameter
        The parameters that events assign.

    Returns
    -------
    tuple of ivigsim.core.rules.Rule
        Rate rules of the same names and units; the description keeps the
        parameter's own and its source.
    """
    return tuple(Rule(p.name, "rate", Num(0.0), p.unit, Num(p.value),
                      f"{p.description + '; ' if p.description else ''}a parameter that events assign "
                      f"(constant between events, from {p.value:g} {p.unit}; source: {p.source})")
                 for p in parameters)


def size_state(compartment):
    """The name of the state that holds the size of a compartment that events resize."""
    return f"{compartment}_size"


def compartment_states(compartments):
    """The rate rule ``d size/dt = 0``, from the volume as written, for each compartment that events resize.

    Parameters
    ----------
    compartments : sequence of ivigsim.core.spec.Compartment
        The compartments that events resize (volumes of parameters only).

    Returns
    -------
    tuple of ivigsim.core.rules.Rule
        Rate rules named :func:`size_state` of each, in the compartment's unit,
        starting from its volume expression (so parameter overrides reach it).
    """
    return tuple(Rule(size_state(c.name), "rate", Num(0.0), c.unit, c.volume,
                      f"the size of compartment {c.name}, which events change (constant between events)")
                 for c in compartments)
