"""Walking an expression tree: its symbols and its value.

Internal to :mod:`ivigsim.core.expressions`, which re-exports the public names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from ivigsim.core._expression_nodes import (
    BinOp,
    Call,
    ExpressionError,
    Neg,
    Node,
    Num,
    Sym,
    shorten,
)
from ivigsim.core._expression_text import to_text


def child_nodes(node: Node) -> tuple:
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return (object(),)        # Num and Sym are leaves: nothing to fold


def apply_node(node: Node, values: list) -> float:
    """The float value of ``node`` given the values of its children."""
    if isinstance(node, Neg):
        return -values[0]
    if isinstance(node, BinOp):
        a, b = values
        if node.op == "^":
            return math.pow(a, b)
        return {"+": a + b, "-": a - b, "*": a * b}[node.op] if node.op != "/" else a / b
    return float(_PY_FUNCS[node.func](*values))


def _piecewise(*args: float) -> float:
    for k in range(0, len(args) - 1, 2):
        if args[k + 1] != 0.0:
            return args[k]
    return args[-1]


# --------------------------------------------------------------- traversal
def symbols(node: Node) -> frozenset[str]:
    """Return the names of every :class:`Sym` used in ``node``.

    Parameters
    ----------
    node : Node

    Returns
    -------
    frozenset of str
    """
    if isinstance(node, Sym):
        return frozenset((node.name,))
    if isinstance(node, Num):
        return frozenset()
    if isinstance(node, Neg):
        return symbols(node.operand)
    if isinstance(node, BinOp):
        return symbols(node.left) | symbols(node.right)
    if isinstance(node, Call):
        return frozenset().union(*(symbols(a) for a in node.args))
    raise TypeError(f"not an expression node: {node!r}")


def _hill(x: float, k: float, n: float) -> float:
    xn = math.pow(x, n)
    return xn / (math.pow(k, n) + xn)


_PY_FUNCS: dict[str, Callable[..., float]] = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "min": min,
    "max": max,
    "pow": math.pow,
    "hill": _hill,
    "mm": lambda x, k: x / (k + x),
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos,
    "atan": math.atan, "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh,
    "lt": lambda a, b: float(a < b), "le": lambda a, b: float(a <= b),
    "gt": lambda a, b: float(a > b), "ge": lambda a, b: float(a >= b),
    "eq": lambda a, b: float(a == b), "neq": lambda a, b: float(a != b),
    "all_of": lambda *a: float(all(x != 0.0 for x in a)),
    "any_of": lambda *a: float(any(x != 0.0 for x in a)),
    "none_of": lambda a: float(a == 0.0),
    "piecewise": _piecewise,
    "floor": lambda x: float(math.floor(x)) if math.isfinite(x) else x,
    "ceil": lambda x: float(math.ceil(x)) if math.isfinite(x) else x,
    "factorial": lambda x: math.gamma(x + 1.0),
    "rem": math.fmod,
    # the value at the start, which is all a single evaluation can know: before the start the
    # past is the initial value (the kernel reads the run's history, ivigsim.core.kernel.history)
    "delay": lambda x, tau: x,
}


def evaluate(node: Node, env: Mapping[str, float]) -> float:
    """Evaluate ``node`` with plain Python floating-point arithmetic.

    Parameters
    ----------
    node : Node
        Expression tree from :func:`parse_expression`.
    env : Mapping[str, float]
        Value of every symbol used in ``node``.

    Returns
    -------
    float

    Raises
    ------
    ExpressionError
        If a symbol is missing from ``env`` (``"undefined symbol 'x'"``) or an
        operation is mathematically invalid (division by zero, log of a
        non-positive number, overflow, ...); the message names the failing
        sub-expression.
    """
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Sym):
        try:
            return float(env[node.name])
        except KeyError:
            raise ExpressionError(f"undefined symbol {node.name!r}") from None
    if isinstance(node, Neg):
        return -evaluate(node.operand, env)
    if isinstance(node, BinOp):
        a = evaluate(node.left, env)
        b = evaluate(node.right, env)
        try:
            if node.op == "+":
                return a + b
            if node.op == "-":
                return a - b
            if node.op == "*":
                return a * b
            if node.op == "/":
                return a / b
            if node.op == "^":
                return math.pow(a, b)
        except (ArithmeticError, ValueError) as exc:
            raise ExpressionError(f"cannot evaluate {shorten(to_text(node))!r} with values {a!r}, {b!r}: "
                                  f"{exc}") from None
        raise ExpressionError(f"unknown operator {node.op!r}")
    if isinstance(node, Call) and node.func == "piecewise":
        # only the branch taken is evaluated: log(x) behind gt(x, 0) is fine at x = 0
        for k in range(0, len(node.args) - 1, 2):
            if evaluate(node.args[k + 1], env) != 0.0:
                return evaluate(node.args[k], env)
        return evaluate(node.args[-1], env)
    if isinstance(node, Call):
        args = [evaluate(a, env) for a in node.args]
        try:
            return float(_PY_FUNCS[node.func](*args))
        except KeyError:
            raise ExpressionError(f"function {node.func!r} is not allowed") from None
        except (ArithmeticError, ValueError) as exc:
            shown = ", ".join(repr(a) for a in args)
            raise ExpressionError(f"cannot evaluate {shorten(to_text(node))!r} with arguments ({shown}): "
                                  f"{exc}") from None
    raise TypeError(f"not an expression node: {node!r}")
