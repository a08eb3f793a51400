"""Infer the units of parameters an SBML file leaves undeclared.

Many SBML files declare units for species and compartments but not for every
rate constant. Where an equation pins a parameter's unit down, it is solved
for: a kinetic law must be an amount per time, so in ``k * S * V`` the unit of
``k`` is (amount / time) / (concentration * volume). The solver walks products,
quotients, sums (each term has the unit of the sum), literal powers and the
functions whose argument units are fixed (``exp`` and ``log`` of a pure
number). It never guesses: a parameter multiplied by another unknown one stays
unknown, and the importer then asks for its unit.
"""

from __future__ import annotations

from fractions import Fraction

from ivigsim.core.expressions import BinOp, Call, Neg, Num, Sym, infer_unit, symbols
from ivigsim.core.units import DIMENSIONLESS, UnitError


def _literal(node):
    sign = 1.0
    while isinstance(node, Neg):
        sign, node = -sign, node.operand
    return sign * node.value if isinstance(node, Num) else None


def _unit(node, known):
    try:
        return infer_unit(node, known.__getitem__)
    except UnitError:
        return None


def solve(node, target, known):
    """Units of the unknown symbols of ``node`` implied by ``node`` having unit ``target``.

    Parameters
    ----------
    node : Node
    target : Unit
    known : dict
        Symbol name -> Unit for every symbol whose unit is known.

    Returns
    -------
    dict
        Name -> Unit for the unknown symbols this equation determines (maybe none).
    """
    unknown = symbols(node) - known.keys()
    if not unknown or target is None:
        return {}
    if isinstance(node, Sym):
        return {node.name: target}
    if isinstance(node, Neg):
        return solve(node.operand, target, known)
    if isinstance(node, BinOp):
        return _solve_binop(node, target, known)
    if isinstance(node, Call):
        if node.func in ("exp", "log"):
            return solve(node.args[0], DIMENSIONLESS, known)
        if node.func == "abs":
            return solve(node.args[0], target, known)
        if node.func == "sqrt":
            return solve(node.args[0], target ** 2, known)
        if node.func in ("min", "max"):
            found = {}
            for arg in node.args:
                found.update(solve(arg, target, known))
            return found
        if node.func == "pow":
            return _solve_binop(BinOp("^", *node.args), target, known)
    return {}


def _solve_binop(node, target, known):
    left_known = not (symbols(node.left) - known.keys())
    right_known = not (symbols(node.right) - known.keys())
    if node.op in ("+", "-"):
        found = solve(node.left, target, known)
        found.update(solve(node.right, target, known))
        return found
    if node.op == "*":
        if left_known and (u := _unit(node.left, known)) is not None:
            return solve(node.right, target / u, known)
        if right_known and (u := _unit(node.right, known)) is not None:
            return solve(node.left, target / u, known)
        return {}
    if node.op == "/":
        if right_known and (u := _unit(node.right, known)) is not None:
            return solve(node.left, target * u, known)
        if left_known and (u := _unit(node.left, known)) is not None:
            return solve(node.right, u / target, known)
        return {}
    if node.op == "^":
        exponent = _literal(node.right)
        if exponent is None or exponent == 0:
            return {}
        root = Fraction(exponent).limit_denominator(1000)
        return solve(node.left, target ** (1 / root), known)
    return {}


def infer_units(equations, known):
    """Solve ``equations`` for unknown units until nothing more can be learnt.

    Parameters
    ----------
    equations : list of (Node, Unit, str)
        Expression, the unit it must have, and the element it comes from.
    known : dict
        Name -> Unit, updated in place.

    Returns
    -------
    dict
        Name -> the element its unit was inferred from.
    """
    origin = {}
    progress = True
    while progress:
        progress = False
        for node, target, where in equations:
            for name, unit in solve(node, target, known).items():
                if name not in known:
                    known[name] = unit
                    origin[name] = where
                    progress = True
    return origin
