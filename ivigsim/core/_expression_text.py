"""Converting an expression tree to SymPy and to canonical text.

Internal to :mod:`ivigsim.core.expressions`, which re-exports the public names.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ivigsim.core._expression_nodes import (
    BinOp,
    COMPARISONS,
    CONDITIONS,
    Call,
    ExpressionError,
    Neg,
    Node,
    Num,
    Sym,
    shorten,
)

if TYPE_CHECKING:  # pragma: no cover
    import sympy


# --------------------------------------------------------------- conversion
#: Functions that are constant between jumps (``factorial`` is defined on whole
#: numbers only). Their derivative is taken as zero, which is exact between the
#: jumps, so that the Jacobian needs nothing the kernel cannot print.
_STEPS = ("floor", "ceil", "factorial", "rem")


@functools.lru_cache(maxsize=1)
def _step_functions() -> dict:
    """SymPy forms of :data:`_STEPS` (classes made once, on first use)."""
    import sympy

    # named as SymPy's own functions, so that the code printer writes math.floor, ...
    floor = type("floor", (sympy.floor,), {"fdiff": lambda self, argindex=1: sympy.S.Zero})
    ceiling = type("ceiling", (sympy.ceiling,), {"fdiff": lambda self, argindex=1: sympy.S.Zero})
    gamma = type("gamma", (sympy.gamma,), {"fdiff": lambda self, argindex=1: sympy.S.Zero})

    def rem(a, b):
        # the remainder of a truncating division: it has the sign of a (C's fmod)
        q = a / b
        return a - b * sympy.Piecewise((ceiling(q), q < 0), (floor(q), True))

    return {"floor": floor, "ceil": ceiling, "factorial": lambda x: gamma(x + 1), "rem": rem}


def to_sympy(node: Node, symbol_map: Mapping[str, "sympy.Symbol"]) -> "sympy.Expr":
    """Convert ``node`` to a SymPy expression (SymPy is imported lazily).

    Parameters
    ----------
    node : Node
        Expression tree from :func:`parse_expression`.
    symbol_map : Mapping[str, sympy.Symbol]
        SymPy symbol (or any SymPy expression) to substitute for each name.

    Returns
    -------
    sympy.Expr
        ``hill`` and ``mm`` are expanded to their formulas; ``min``/``max``
        become ``sympy.Min``/``sympy.Max`` and ``abs`` becomes ``sympy.Abs``.

    Raises
    ------
    ExpressionError
        If a symbol has no entry in ``symbol_map``.
    """
    import sympy

    def conv(n: Node) -> "sympy.Expr":
        if isinstance(n, Num):
            v = n.value
            if v.is_integer() and abs(v) < 2**53:
                return sympy.Integer(int(v))
            return sympy.Float(v)
        if isinstance(n, Sym):
            try:
                return symbol_map[n.name]
            except KeyError:
                raise ExpressionError(f"no SymPy symbol given for {n.name!r}") from None
        if isinstance(n, Neg):
            return -conv(n.operand)
        if isinstance(n, BinOp):
            a, b = conv(n.left), conv(n.right)
            if n.op == "^":
                return _sympy_power(a, b)
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                    "/": lambda: a / b}[n.op]()
        if isinstance(n, Call):
            args = [conv(a) for a in n.args]
            if n.func == "hill":
                x, k, h = args
                return x**h / (k**h + x**h)
            if n.func == "mm":
                x, k = args
                return x / (k + x)
            if n.func in CONDITIONS:
                return sympy.Piecewise((sympy.Integer(1), condition(n)), (sympy.Integer(0), True))
            if n.func == "piecewise":
                pairs = [(args[k], condition(n.args[k + 1])) for k in range(0, len(args) - 1, 2)]
                return sympy.Piecewise(*pairs, (args[-1], True))
            if n.func in _STEPS:
                return _step_functions()[n.func](*args)
            if n.func == "delay":   # left whole: the kernel reads x's states from the past
                return sympy.Function("delay")(*args)
            funcs = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
                     "min": sympy.Min, "max": sympy.Max, "pow": sympy.Pow, "sin": sympy.sin,
                     "cos": sympy.cos, "tan": sympy.tan, "asin": sympy.asin, "acos": sympy.acos,
                     "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh}
            return funcs[n.func](*args)
        raise TypeError(f"not an expression node: {n!r}")

    def condition(n: Node):
        """A SymPy boolean: comparisons and logic as themselves, any other value as ``!= 0``."""
        if isinstance(n, Call) and n.func in COMPARISONS:
            a, b = conv(n.args[0]), conv(n.args[1])
            return {"lt": sympy.Lt, "le": sympy.Le, "gt": sympy.Gt, "ge": sympy.Ge, "eq": sympy.Eq,
                    "neq": sympy.Ne}[n.func](a, b)
        if isinstance(n, Call) and n.func in ("all_of", "any_of"):
            return (sympy.And if n.func == "all_of" else sympy.Or)(*(condition(a) for a in n.args))
        if isinstance(n, Call) and n.func == "none_of":
            return sympy.Not(condition(n.args[0]))
        return sympy.Ne(conv(n), 0)

    return conv(node)


#: Largest integer exponent of a number that SymPy evaluates exactly; beyond it
#: ``(1/3)^(10^10)`` would be a rational with billions of digits.
MAX_EXACT_EXPONENT = 64


def _sympy_power(a, b):
    """``a^b`` in SymPy, exact only for small integer exponents of numbers."""
    import sympy
    if a.is_Number and b.is_Number and not (b.is_Integer and abs(int(b)) <= MAX_EXACT_EXPONENT):
        try:
            value = math.pow(float(a), float(b))
        except (OverflowError, ValueError, ZeroDivisionError):
            value = math.nan
        if not math.isfinite(value):
            raise ExpressionError(f"the power {shorten(str(a))}^{shorten(str(b))} is not a finite number")
        return sympy.Float(value)
    return sympy.Pow(a, b)


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}
_NEG_PRECEDENCE = 3
_ATOM_PRECEDENCE = 5


def _precedence(node: Node) -> int:
    if isinstance(node, BinOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, Neg) or (isinstance(node, Num) and node.value < 0):
        return _NEG_PRECEDENCE
    return _ATOM_PRECEDENCE


def _format_number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _wrap(node: Node, needs_parens: bool) -> str:
    text = to_text(node)
    return f"({text})" if needs_parens else text


def to_text(node: Node) -> str:
    """Render ``node`` as canonical text that :func:`parse_expression` reads back.

    Parameters
    ----------
    node : Node

    Returns
    -------
    str
        Uses ``^`` for powers, spaces around ``+`` and ``-`` only, and the
        fewest parentheses that preserve the tree structure, so that
        ``parse_expression(to_text(n)) == n`` for every parsed ``n``.
    """
    if isinstance(node, Num):
        return _format_number(node.value)
    if isinstance(node, Sym):
        return node.name
    if isinstance(node, Neg):
        return "-" + _wrap(node.operand, _precedence(node.operand) < _NEG_PRECEDENCE)
    if isinstance(node, BinOp):
        p = _PRECEDENCE[node.op]
        if node.op == "^":  # right-associative
            left = _wrap(node.left, _precedence(node.left) <= p)
            right = _wrap(node.right, _precedence(node.right) < p)
            return f"{left}^{right}"
        left = _wrap(node.left, _precedence(node.left) < p)
        right = _wrap(node.right, _precedence(node.right) <= p)
        sep = f" {node.op} " if p == 1 else node.op
        return f"{left}{sep}{right}"
    if isinstance(node, Call):
        return f"{node.func}({', '.join(to_text(a) for a in node.args)})"
    raise TypeError(f"not an expression node: {node!r}")
