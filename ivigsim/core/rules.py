"""Assignment rules, rate rules and the simulation time in the model file.

A ``[rules.NAME]`` table defines a named quantity in one of two ways::

    [rules.k_eff]                 # an assignment rule: k_eff = expression, at every instant
    assignment = "k0 * (1 + amplitude * sin(6.283185307 * time / period))"
    unit = "1/day"

    [rules.tolerance]             # a rate rule: d tolerance/dt = expression (unit per day)
    rate = "(IgG_plasma / igg_ref - tolerance) / tau_tol"
    initial = "0"                 # its value at t = 0, from parameters (default 0)
    unit = "1"

An assignment rule may use parameters, compartments, species, the states of
rate rules, other assignment rules and ``time`` (days since the start of the
simulation); rate laws, observables, event triggers and other rules may use
it. Rules are resolved in dependency order; a cycle is refused with the
cycle named. A compartment volume may use assignment rules that depend on
parameters only (a volume that changes in time would need the product rule
for the concentrations in it, which the model format does not write).

A rate rule makes its quantity a state of the model: it is integrated with
the species, appears among the result's states, is solved for when the model
starts from its steady state, and events may assign it. In the kernel it is
a species of the size-1 compartment ``rule_states``, changed by a reaction
``-> NAME`` of the mechanism ``rate_rules`` (switching that mechanism off
freezes every rate-rule state). A quantity an event changes but that is
otherwise constant is a rate rule with ``rate = "0"``.

``time`` in a rate law, observable or rule is a clock species of the same
compartment (``d time/dt = 1``, from 0; its equation is linear, so the solver
integrates it exactly). A model that reads the time starts from its initial
values: a steady state of a time-dependent model is not defined.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivigsim.core.expressions import BinOp, Call, Neg, Num, Sym, symbols

TIME = "time"
RULE_COMPARTMENT = "rule_states"
RATE_RULE_MECHANISM = "rate_rules"
CLOCK_MECHANISM = "model_time"
KINDS = ("assignment", "rate")


@dataclass(frozen=True)
class Rule:
    """One rule of the model file, as written (before substitution)."""

    name: str
    kind: str                # "assignment" or "rate"
    expression: object       # expression node: the value, or the rate of change per day
    unit: object             # Unit of the quantity
    initial: object = None   # rate rules: the value at t = 0 (expression of parameters)
    description: str = ""


def substitute(node, mapping):
    """``node`` with every symbol in ``mapping`` replaced by its expression node."""
    if isinstance(node, Sym):
        return mapping.get(node.name, node)
    if isinstance(node, Num):
        return node
    if isinstance(node, Neg):
        return Neg(substitute(node.operand, mapping))
    if isinstance(node, BinOp):
        return BinOp(node.op, substitute(node.left, mapping), substitute(node.right, mapping))
    if isinstance(node, Call):
        return Call(node.func, tuple(substitute(a, mapping) for a in node.args))
    raise TypeError(f"not an expression node: {node!r}")


def dependency_order(reader, assignments):
    """Names of the assignment rules, each after the rules it uses; a cycle fails naming it."""
    order, state = [], {}

    def visit(name, path):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            reader.fail(f"rules.{name}", f"the assignment rules form a cycle: {' -> '.join(cycle)}; "
                                         f"a rule cannot depend on itself")
        state[name] = "visiting"
        for dep in sorted(symbols(assignments[name].expression) & assignments.keys()):
            visit(dep, path + [name])
        state[name] = "done"
        order.append(name)

    for name in assignments:
        visit(name, [])
    return order


def expansions(reader, rules):
    """Name -> expression of every assignment rule, with the rules it uses substituted."""
    assignments = {r.name: r for r in rules if r.kind == "assignment"}
    expanded = {}
    for name in dependency_order(reader, assignments):
        expanded[name] = substitute(assignments[name].expression, expanded)
    return expanded


def read_rules(reader, data, claim, parse_unit_of):
    """The ``[rules]`` table as :class:`Rule` objects (names claimed, units read, not yet checked)."""
    rules = []
    for name, entry in reader.table(data, "rules", required=False).items():
        key = f"rules.{name}"
        claim(name, key)
        reader.check_keys(entry, key, ("assignment", "rate", "initial", "unit", "description"),
                          required=("unit",))
        kinds = [k for k in KINDS if k in entry]
        if len(kinds) != 1:
            reader.fail(key, "give exactly one of assignment = \"expression\" (the value) or "
                             "rate = \"expression\" (its rate of change per day)")
        kind = kinds[0]
        if kind == "assignment" and "initial" in entry:
            reader.fail(f"{key}.initial", "an assignment rule has no initial value (it is its expression "
                                          "at every instant); use rate = ... for a quantity that evolves")
        expression = reader.expression(entry[kind], f"{key}.{kind}")
        initial = reader.expression(entry.get("initial", 0.0), f"{key}.initial") if kind == "rate" else None
        description = reader.text(entry, key, "description", "")
        rules.append(Rule(name, kind, expression, parse_unit_of(entry, key), initial, description))
    return tuple(rules)


def uses_time(nodes):
    """Whether any of the expression nodes reads the simulation time."""
    return any(TIME in symbols(n) for n in nodes)
