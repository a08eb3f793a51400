"""Assignment, rate and algebraic rules, and the simulation time in the model file.

A ``[rules.NAME]`` table defines a named quantity in one of three ways::

    [rules.k_eff]                 # an assignment rule: k_eff = expression, at every instant
    assignment = "k0 * (1 + amplitude * sin(6.283185307 * time / period))"
    unit = "1/day"

    [rules.tolerance]             # a rate rule: d tolerance/dt = expression (unit per day)
    rate = "(IgG_plasma / igg_ref - tolerance) / tau_tol"
    initial = "0"                 # its value at t = 0, from parameters (default 0)
    unit = "1"

    [rules.free_receptor]         # an algebraic rule: 0 = expression, which determines NAME
    algebraic = "free_receptor * (1 + IgG_plasma / kd) - receptor_total"
    unit = "umol/L"

An algebraic rule is solved for its quantity when the model is read
(:mod:`ivigsim.core.algebraic`): a rule linear in it (a conserved total, the
equilibrium of a fast binding step) becomes the assignment rule of its
solution, here ``free_receptor = receptor_total / (1 + IgG_plasma / kd)``.
Several algebraic rules that use each other's quantities are solved together.
Assignment rules are substituted first, so an algebraic rule may use them, and
they may use its quantity. The model is then an index-1 differential-algebraic
system reduced to ODEs: the rule holds at every instant, from the start. A rule
that does not contain its quantity, whose Jacobian in its quantities is
singular (index above 1), or that is nonlinear without a unique explicit
solution (``x^2 = c``, ``sin(x) = c``) is refused with the reason. Its solution
divides by ``d(expression)/d(NAME)``, which must stay nonzero during the run
(where it is zero the rule does not determine its quantity, and the
simulation stops with a non-finite value).

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

from ivigsim.core import algebraic as algebraic_solver
from ivigsim.core.expressions import BinOp, Call, Neg, Num, Sym, symbols, to_text

TIME = "time"
RULE_COMPARTMENT = "rule_states"
RATE_RULE_MECHANISM = "rate_rules"
CLOCK_MECHANISM = "model_time"
KINDS = ("assignment", "rate", "algebraic")


@dataclass(frozen=True)
class Rule:
    """One rule of the model file, as written (before substitution)."""

    name: str
    kind: str                # "assignment" or "rate" (an algebraic rule is read as its solved assignment)
    expression: object       # expression node: the value, or the rate of change per day
    unit: object             # Unit of the quantity
    initial: object = None   # rate rules: the value at t = 0 (expression of parameters)
    description: str = ""
    algebraic: object = None  # algebraic rules: the written expression of 0 = expression


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
        reader.check_keys(entry, key, ("assignment", "rate", "algebraic", "initial", "unit", "description"),
                          required=("unit",))
        kinds = [k for k in KINDS if k in entry]
        if len(kinds) != 1:
            reader.fail(key, "give exactly one of assignment = \"expression\" (the value), "
                             "rate = \"expression\" (its rate of change per day) or algebraic = "
                             "\"expression\" (0 = expression determines it)")
        kind = kinds[0]
        if kind != "rate" and "initial" in entry:
            reader.fail(f"{key}.initial", f"an {kind} rule has no initial value (it holds at every instant, "
                                          f"from the start); use rate = ... for a quantity that evolves")
        expression = reader.expression(entry[kind], f"{key}.{kind}")
        initial = reader.expression(entry.get("initial", 0.0), f"{key}.initial") if kind == "rate" else None
        description = reader.text(entry, key, "description", "")
        rules.append(Rule(name, kind, expression, parse_unit_of(entry, key), initial, description))
    if any(r.kind == "algebraic" for r in rules):
        rules = reduce_algebraic(reader, rules)
    return tuple(rules)


def reduce_algebraic(reader, rules):
    """``rules`` with each algebraic rule replaced by the assignment rule of its solution.

    Assignment rules are substituted into the algebraic ones first (they may
    use the algebraic quantities, which are free symbols at this stage). Rules
    that use each other's quantities are solved together, the others one by
    one, so that a refusal names the rules it concerns.
    """
    assignments = {r.name: r for r in rules if r.kind == "assignment"}
    expanded = {}
    for name in dependency_order(reader, assignments):
        expanded[name] = substitute(assignments[name].expression, expanded)
    algebraic = {r.name: r for r in rules if r.kind == "algebraic"}
    residuals = {name: substitute(r.expression, expanded) for name, r in algebraic.items()}
    solved = {}
    for group in _coupled(residuals):
        try:
            solution = algebraic_solver.solve([residuals[n] for n in group], group)
        except algebraic_solver.Unsolvable as exc:
            keys = ", ".join(f"rules.{n}" for n in group)
            reader.fail(f"rules.{group[0]}.algebraic",
                        f"the algebraic rule{'s' if len(group) > 1 else ''} ({keys}) cannot be solved for "
                        f"{', '.join(group)}: {exc}")
        solved.update(solution.values)
    out = []
    for r in rules:
        if r.kind != "algebraic":
            out.append(r)
            continue
        description = r.description or f"algebraic rule 0 = {to_text(r.expression)}, solved for {r.name}"
        out.append(Rule(r.name, "assignment", solved[r.name], r.unit, None, description, r.expression))
    return out


def _coupled(residuals):
    """The algebraic rules in groups that must be solved together (each group in file order)."""
    names = list(residuals)
    group_of = {n: {n} for n in names}
    for n in names:
        for other in symbols(residuals[n]) & residuals.keys():
            if group_of[other] is not group_of[n]:
                merged = group_of[n] | group_of[other]
                for m in merged:
                    group_of[m] = merged
    groups, seen = [], set()
    for n in names:
        if n not in seen:
            seen |= group_of[n]
            groups.append([m for m in names if m in group_of[n]])
    return groups


def uses_time(nodes):
    """Whether any of the expression nodes reads the simulation time."""
    return any(TIME in symbols(n) for n in nodes)


def delays(node):
    """The ``delay(x, tau)`` calls in an expression node, outermost first."""
    if isinstance(node, Call):
        inner = [d for a in node.args for d in delays(a)]
        return [node, *inner] if node.func == "delay" else inner
    if isinstance(node, BinOp):
        return delays(node.left) + delays(node.right)
    if isinstance(node, Neg):
        return delays(node.operand)
    return []


def uses_delay(nodes):
    """Whether any of the expression nodes (None allowed) holds a ``delay(x, tau)``."""
    return any(n is not None and delays(n) for n in nodes)


def varying_delay(node, states):
    """The first name among ``states`` (and the time) that a delay's ``tau`` in ``node`` reads, or None.

    The history is read at ``t - tau`` with steps no longer than the shortest
    delay, so ``tau`` must be fixed for the run.
    """
    for call in delays(node):
        read = symbols(call.args[1]) & (set(states) | {TIME})
        if read:
            return sorted(read)[0]
    return None
