"""The expression language's vocabulary: its functions, its error and its tree nodes.

Internal to :mod:`ivigsim.core.expressions`, which re-exports the public names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ivigsim.errors import IvigsimError


#: The arity of a function that takes any number of arguments (``piecewise``
#: an odd number, at least 3; ``all_of`` and ``any_of`` at least 2).
VARIADIC = -1

#: Allowed functions and their number of arguments.
#:
#: ``hill(x, K, n) = x^n / (K^n + x^n)`` is a Hill activation and
#: ``mm(x, K) = x / (K + x)`` a Michaelis–Menten saturation; both are
#: dimensionless.
FUNCTIONS: dict[str, int] = {
    "exp": 1,
    "log": 1,
    "sqrt": 1,
    "abs": 1,
    "min": 2,
    "max": 2,
    "pow": 2,
    "hill": 3,
    "mm": 2,
    "sin": 1, "cos": 1, "tan": 1, "asin": 1, "acos": 1, "atan": 1,
    "sinh": 1, "cosh": 1, "tanh": 1,
    "floor": 1, "ceil": 1, "factorial": 1, "rem": 2,
    "lt": 2, "le": 2, "gt": 2, "ge": 2, "eq": 2, "neq": 2,
    "all_of": VARIADIC, "any_of": VARIADIC, "none_of": 1,
    "piecewise": VARIADIC,
    "delay": 2,
}

#: Functions that give a condition (1 or 0), and the comparisons among them.
COMPARISONS = ("lt", "le", "gt", "ge", "eq", "neq")
CONDITIONS = COMPARISONS + ("all_of", "any_of", "none_of")
TRIGONOMETRY = ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh")

#: Deepest nesting of operations that :func:`parse_expression` accepts.  It
#: keeps every recursive walk in this module far from Python's recursion limit.
MAX_DEPTH = 200

BINOPS = ("+", "-", "*", "/", "^")


class ExpressionError(IvigsimError, ValueError):
    """A rate-law or observable expression is invalid, forbidden or cannot be evaluated."""


# ------------------------------------------------------------------- nodes
@dataclass(frozen=True)
class Num:
    """A numeric literal."""

    value: float


@dataclass(frozen=True)
class Sym:
    """A reference to a named quantity (species, parameter, compartment, ...)."""

    name: str


@dataclass(frozen=True)
class Neg:
    """Arithmetic negation ``-operand``."""

    operand: "Node"


@dataclass(frozen=True)
class BinOp:
    """A binary operation; ``op`` is one of ``"+"``, ``"-"``, ``"*"``, ``"/"``, ``"^"``."""

    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Call:
    """A call of one of the :data:`FUNCTIONS`; ``args`` is a tuple of nodes."""

    func: str
    args: tuple["Node", ...]


Node = Union[Num, Sym, Neg, BinOp, Call]


#: Longest expression text repeated in an error message.
SHOWN_CHARS = 80
def shorten(text: str) -> str:
    """``text`` cut to :data:`SHOWN_CHARS` characters, so a 1 MB rate law gives a short message."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"
