"""Dimension analysis of an expression tree.

Internal to :mod:`ivigsim.core.expressions`, which re-exports the public names.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from ivigsim.core.units import DIMENSIONLESS, Unit, UnitError, parse_unit
from ivigsim.core._expression_text import to_text
from ivigsim.core._expression_nodes import (
    BinOp,
    COMPARISONS,
    CONDITIONS,
    Call,
    Neg,
    Node,
    Num,
    Sym,
    TRIGONOMETRY,
)

_DAY = parse_unit("day")


# ------------------------------------------------------- dimension analysis
def _require_same_unit(a: Unit, b: Unit, left: Node, right: Node, context: Node, verb: str) -> None:
    """Raise :class:`UnitError` unless ``a`` and ``b`` are the same unit (dimension and scale)."""
    lt, rt, ct = to_text(left), to_text(right), to_text(context)
    if not a.same_dimension(b):
        raise UnitError(
            f"cannot {verb} {lt!r} [{a}] and {rt!r} [{b}] in {ct!r}: they measure different "
            f"quantities ({a.dimension_text()} versus {b.dimension_text()})"
        )
    if not a.same_scale(b):
        factor = a.factor_to(b)
        raise UnitError(
            f"cannot {verb} {lt!r} [{a}] and {rt!r} [{b}] in {ct!r}: same dimension but different "
            f"units (1 {a} = {factor:g} {b}); express both in one unit, e.g. multiply {lt!r} by {factor:g} to have it in {b}"
        )


def _require_pure_number(u: Unit, arg: Node, context: Node, what: str) -> None:
    """Raise :class:`UnitError` unless ``u`` is dimensionless with scale 1."""
    if not u.is_dimensionless:
        raise UnitError(
            f"{what} must be dimensionless, but {to_text(arg)!r} has unit {u} in "
            f"{to_text(context)!r}; divide it by a reference value in the same unit"
        )
    if not u.same_scale(DIMENSIONLESS):
        raise UnitError(
            f"{what} must be a pure number, but {to_text(arg)!r} has the scaled dimensionless "
            f"unit {u} (= {u.scale:g}) in {to_text(context)!r}; convert it to a plain ratio first"
        )


def _literal_value(node: Node) -> float | None:
    """Value of a numeric literal or negated literal, else None."""
    sign = 1.0
    while isinstance(node, Neg):
        sign, node = -sign, node.operand
    return sign * node.value if isinstance(node, Num) else None


def _power_unit(base: Unit, exponent: Node, exp_unit: Unit, context: Node) -> Unit:
    _require_pure_number(exp_unit, exponent, context, "an exponent")
    value = _literal_value(exponent)
    if base.is_dimensionless and base.same_scale(DIMENSIONLESS):
        return DIMENSIONLESS
    if value is None:
        kind = "has unit" if not base.is_dimensionless else "is a scaled dimensionless quantity"
        raise UnitError(
            f"in {to_text(context)!r} the base {kind} {base}, so the exponent must be a number "
            f"written literally, not {to_text(exponent)!r}"
        )
    frac = Fraction(value).limit_denominator(1000)
    try:
        scale = base.scale ** value
    except OverflowError:
        raise UnitError(f"the unit of {to_text(context)!r} overflows") from None
    return Unit(scale, tuple(d * frac for d in base.dims))


def infer_unit(node: Node, unit_of: Callable[[str], Unit]) -> Unit:
    """Infer the unit of an expression and check it is dimensionally consistent.

    Parameters
    ----------
    node : Node
        Expression tree from :func:`parse_expression`.
    unit_of : callable
        Returns the :class:`~ivigsim.core.units.Unit` of a symbol name.  A
        ``KeyError`` from it is reported as an unknown symbol.

    Returns
    -------
    Unit
        The unit of the expression's value.

    Raises
    ------
    UnitError
        If the expression adds or compares quantities of different units,
        applies ``exp``/``log`` to a dimensional quantity, raises a
        dimensional quantity to a non-literal power, and so on.  The message
        names the failing sub-expression.

    Notes
    -----
    Numeric literals are dimensionless.  ``+``, ``-``, ``min`` and ``max``
    need identical units (dimension *and* scale); ``exp``, ``log`` and
    exponents need pure numbers (dimensionless with scale 1); a dimensional
    base may only be raised to a literal power, whose value is turned into
    a rational dimension exponent with ``Fraction.limit_denominator(1000)``.
    """
    if isinstance(node, Num):
        return DIMENSIONLESS
    if isinstance(node, Sym):
        try:
            return unit_of(node.name)
        except KeyError:
            raise UnitError(f"no unit is known for symbol {node.name!r}") from None
    if isinstance(node, Neg):
        return infer_unit(node.operand, unit_of)
    if isinstance(node, BinOp):
        a = infer_unit(node.left, unit_of)
        b = infer_unit(node.right, unit_of)
        if node.op in ("+", "-"):
            _require_same_unit(a, b, node.left, node.right, node, "add" if node.op == "+" else "subtract")
            return a
        if node.op == "*":
            return a * b
        if node.op == "/":
            return a / b
        if node.op == "^":
            return _power_unit(a, node.right, b, node)
        raise UnitError(f"unknown operator {node.op!r}")
    if isinstance(node, Call):
        units = [infer_unit(a, unit_of) for a in node.args]
        f, args = node.func, node.args
        if f in ("exp", "log"):
            _require_pure_number(units[0], args[0], node, f"the argument of {f}()")
            return DIMENSIONLESS
        if f == "sqrt":
            u = units[0]
            return Unit(math.sqrt(u.scale), tuple(d * Fraction(1, 2) for d in u.dims))
        if f in ("abs", "floor", "ceil"):
            return units[0]
        if f == "factorial":
            _require_pure_number(units[0], args[0], node, "the argument of factorial()")
            return DIMENSIONLESS
        if f in ("min", "max", "rem"):
            _require_same_unit(units[0], units[1], args[0], args[1], node, f"take {f}() of")
            return units[0]
        if f == "pow":
            return _power_unit(units[0], args[1], units[1], node)
        if f == "hill":
            _require_same_unit(units[0], units[1], args[0], args[1], node, "compare")
            _require_pure_number(units[2], args[2], node, "the Hill coefficient")
            return DIMENSIONLESS
        if f == "mm":
            _require_same_unit(units[0], units[1], args[0], args[1], node, "compare")
            return DIMENSIONLESS
        if f in TRIGONOMETRY:
            _require_pure_number(units[0], args[0], node, f"the argument of {f}()")
            return DIMENSIONLESS
        if f in COMPARISONS:
            if _literal_value(args[0]) is None and _literal_value(args[1]) is None:
                _require_same_unit(units[0], units[1], args[0], args[1], node, "compare")
            return DIMENSIONLESS
        if f in CONDITIONS:
            return DIMENSIONLESS
        if f == "piecewise":
            return _piecewise_unit(node, units)
        if f == "delay":            # the value of x, tau days ago: a number is days, like an event's delay
            if _literal_value(args[1]) is None and units[1] != _DAY:
                raise UnitError(f"the delay in {to_text(node)} is in {units[1]}, not in days")
            return units[0]
        raise UnitError(f"function {f!r} is not allowed")
    raise TypeError(f"not an expression node: {node!r}")


def _piecewise_unit(node: Call, units: list) -> Unit:
    """The unit shared by the values of a piecewise (a number written literally fits any)."""
    values = [(a, u) for k, (a, u) in enumerate(zip(node.args, units)) if k % 2 == 0 or k == len(units) - 1]
    typed = [(a, u) for a, u in values if _literal_value(a) is None]
    if not typed:
        return DIMENSIONLESS
    first, unit = typed[0]
    for a, u in typed[1:]:
        _require_same_unit(unit, u, first, a, node, "choose between")
    return unit
