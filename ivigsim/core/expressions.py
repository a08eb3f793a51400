"""A small, whitelisted arithmetic language for rate laws and observables.

Model files describe reaction rates and observables as strings such as
``"kon * IgG * FcRn - koff * complex"`` or ``"Vmax * mm(C, Km)"``.  Those
strings come from users and must never reach :func:`eval`.  Instead
:func:`parse_expression` runs Python's own parser (``ast.parse``) and then
walks the syntax tree, accepting only

* numbers (``int``/``float`` literals, which must be finite),
* symbol names (ASCII identifiers that do not start with ``_`` and are not
  function names),
* ``+``, ``-``, ``*``, ``/``, ``^`` (``**`` is accepted as a synonym),
  unary ``-`` and ``+``, parentheses, and
* calls of the functions in :data:`FUNCTIONS` with the right number of
  positional arguments: among them the conditions ``lt(a, b)``, ``le``,
  ``gt``, ``ge``, ``eq``, ``neq`` (1 when true, 0 when false), ``all_of(c1,
  c2, ...)``, ``any_of(...)``, ``none_of(c)`` (any nonzero value counts as
  true), and ``piecewise(v1, c1, v2, c2, ..., otherwise)``: the first ``v``
  whose condition is true, else ``otherwise``.

Everything else (attribute access, subscripts, comparisons, lambdas,
strings, booleans, keyword arguments, unknown functions, ...) is refused with
an :class:`ExpressionError` that says what was found and where.

The result is an immutable tree of :class:`Num`, :class:`Sym`, :class:`Neg`,
:class:`BinOp` and :class:`Call` nodes, on which this module offers
evaluation (:func:`evaluate`), dimension analysis (:func:`infer_unit`),
symbolic conversion (:func:`to_sympy`) and canonical printing
(:func:`to_text`).

Examples
--------
>>> node = parse_expression("kel * C^2 / (1 + C)")
>>> sorted(symbols(node))
['C', 'kel']
>>> evaluate(node, {"kel": 0.5, "C": 3.0})
1.125
>>> to_text(node)
'kel*C^2/(1 + C)'
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Union

from .units import DIMENSIONLESS, Unit, UnitError

if TYPE_CHECKING:  # pragma: no cover
    import sympy

__all__ = [
    "BinOp",
    "Call",
    "ExpressionError",
    "FUNCTIONS",
    "MAX_DEPTH",
    "Neg",
    "Node",
    "Num",
    "Sym",
    "evaluate",
    "infer_unit",
    "parse_expression",
    "symbols",
    "to_sympy",
    "to_text",
]

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
}

#: Functions that give a condition (1 or 0), and the comparisons among them.
COMPARISONS = ("lt", "le", "gt", "ge", "eq", "neq")
CONDITIONS = COMPARISONS + ("all_of", "any_of", "none_of")
_TRIGONOMETRY = ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh")

#: Deepest nesting of operations that :func:`parse_expression` accepts.  It
#: keeps every recursive walk in this module far from Python's recursion limit.
MAX_DEPTH = 200

_BINOPS = ("+", "-", "*", "/", "^")


class ExpressionError(ValueError):
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


# ----------------------------------------------------------------- parsing
_AST_BINOPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "^",
}

# Python operators a user might try, and a human name for the refusal.
_FORBIDDEN_BINOPS: dict[type, str] = {
    ast.FloorDiv: "floor division '//'",
    ast.Mod: "the modulo operator '%'",
    ast.MatMult: "matrix multiplication '@'",
    ast.BitAnd: "the bitwise operator '&'",
    ast.BitOr: "the bitwise operator '|'",
    ast.BitXor: "the bitwise operator '^'",
    ast.LShift: "the shift operator '<<'",
    ast.RShift: "the shift operator '>>'",
}

_COMPARE_SYMBOLS: dict[type, str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}

# Syntax nodes that are refused outright, with the message to show.
_FORBIDDEN_NODES: dict[type, str] = {
    ast.Attribute: "attribute access ('.') is not allowed in rate laws",
    ast.Subscript: "subscripts ('[...]') are not allowed in rate laws",
    ast.Lambda: "lambda functions are not allowed in rate laws",
    ast.IfExp: "conditional expressions ('... if ... else ...') are not allowed in rate laws",
    ast.BoolOp: "boolean operators ('and'/'or') are not allowed in rate laws",
    ast.NamedExpr: "assignment expressions (':=') are not allowed in rate laws",
    ast.Tuple: "tuples (a comma outside a function call) are not allowed in rate laws",
    ast.List: "lists ('[...]') are not allowed in rate laws",
    ast.Set: "sets ('{...}') are not allowed in rate laws",
    ast.Dict: "dictionaries ('{...: ...}') are not allowed in rate laws",
    ast.ListComp: "comprehensions are not allowed in rate laws",
    ast.SetComp: "comprehensions are not allowed in rate laws",
    ast.DictComp: "comprehensions are not allowed in rate laws",
    ast.GeneratorExp: "generator expressions are not allowed in rate laws",
    ast.JoinedStr: "strings are not allowed in rate laws",
    ast.Starred: "star arguments ('*x') are not allowed in rate laws",
    ast.Await: "'await' is not allowed in rate laws",
    ast.Yield: "'yield' is not allowed in rate laws",
    ast.YieldFrom: "'yield' is not allowed in rate laws",
    ast.Slice: "slices are not allowed in rate laws",
}


class _Converter:
    """Translate a Python ``ast`` tree into expression nodes, refusing anything unsafe.

    Parameters
    ----------
    original : str
        The text as the user wrote it (used in error messages).

    Attributes
    ----------
    source : str
        What is handed to :func:`ast.parse`: ``original`` with every ``^``
        replaced by ``**``, every whitespace character (newlines included)
        replaced by a space, and leading blanks removed.
    back : list of int
        ``back[i]`` is the index in ``original`` of character ``i`` of
        ``source``; used to point error messages at the user's own text.
    """

    def __init__(self, original: str) -> None:
        self.original = original
        self.constants: dict[int, float] = {}     # id(node) -> value of parts made of numbers only
        self.keep: list = []
        chars: list[str] = []
        back: list[int] = []
        for i, ch in enumerate(original):
            if ch == "^":
                chars.append("**")
                back.extend((i, i))
            else:
                chars.append(" " if ch.isspace() else ch)
                back.append(i)
        source = "".join(chars)
        lead = len(source) - len(source.lstrip(" "))
        self.source = source[lead:]
        self.back = back[lead:] + [len(original)]

    # -- locations
    def original_index(self, source_index: int) -> int:
        """Index in ``original`` corresponding to ``source_index`` in :attr:`source`."""
        return self.back[min(max(source_index, 0), len(self.back) - 1)]

    def _char_index(self, col_bytes: int) -> int:
        """Convert an ``ast`` UTF-8 byte column into a character index of :attr:`source`."""
        return len(self.source.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        """Start and end index of ``node`` in the original text."""
        start = self.original_index(self._char_index(node.col_offset))
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return start, self.original_index(self._char_index(end_col))

    def snippet(self, node: ast.AST) -> str:
        """The part of the original text that ``node`` was parsed from."""
        start, end = self.span(node)
        return self.original[start:end]

    def where(self, node: ast.AST) -> str:
        """Describe where ``node`` sits in the original text."""
        start, end = self.span(node)
        snippet = self.original[start:end].strip()
        if snippet and snippet != self.original.strip():
            return f"{_shorten(snippet)!r} at column {start + 1} of {_shorten(self.original.strip())!r}"
        if snippet:
            return f"{_shorten(snippet)!r}"
        return f"column {start + 1} of {_shorten(self.original)!r}"

    def fail(self, what: str, node: ast.AST) -> None:
        raise ExpressionError(f"{what} (found {self.where(node)})")

    # -- conversion
    def convert(self, node: ast.AST, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            self.fail(f"expression is nested more than {MAX_DEPTH} levels deep", node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return Sym(self.name(node))
        if isinstance(node, ast.BinOp):
            op = _AST_BINOPS.get(type(node.op))
            if op is None:
                desc = _FORBIDDEN_BINOPS.get(type(node.op), type(node.op).__name__)
                self.fail(f"{desc} is not allowed in rate laws; allowed operators: + - * / ^", node)
            if op != "^":
                return self.chain(node, op, depth)
            return self.folded(BinOp(op, self.convert(node.left, depth + 1),
                                     self.convert(node.right, depth + 1)), node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self.folded(Neg(self.convert(node.operand, depth + 1)), node)
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, depth + 1)
            desc = "'not'" if isinstance(node.op, ast.Not) else "the bitwise operator '~'"
            self.fail(f"{desc} is not allowed in rate laws", node)
        if isinstance(node, ast.Call):
            return self.folded(self.call(node, depth), node)
        if isinstance(node, ast.Compare):
            ops = " ".join(_COMPARE_SYMBOLS.get(type(o), "?") for o in node.ops)
            raise ExpressionError(
                f"comparisons are not allowed in rate laws (found {ops!r} in {self.where(node)})"
            )
        message = _FORBIDDEN_NODES.get(
            type(node), f"Python syntax '{type(node).__name__}' is not allowed in rate laws"
        )
        self.fail(message, node)
        raise AssertionError("unreachable")  # pragma: no cover

    def chain(self, node: ast.BinOp, op: str, depth: int) -> Node:
        """A run of ``+``/``-`` (or ``*``/``/``) operations, converted without recursion.

        A flat sum such as ``a1 + a2 + ... + a500`` is one level of nesting,
        not 500; a run longer than :data:`_BALANCE_AFTER` terms is rebuilt as a
        balanced tree (positive terms minus negative terms, or numerator over
        denominator) so that every later walk of the tree stays shallow.
        """
        group = ("+", "-") if op in ("+", "-") else ("*", "/")
        operands = []          # (op applied to the operand, ast operand), right to left
        sub = node
        while isinstance(sub, ast.BinOp) and _AST_BINOPS.get(type(sub.op)) in group:
            operands.append((_AST_BINOPS[type(sub.op)], sub.right, sub))
            sub = sub.left
        operands.reverse()
        result = self.convert(sub, depth + 1)
        if len(operands) < _BALANCE_AFTER:
            for this_op, right, ast_node in operands:
                result = self.folded(BinOp(this_op, result, self.convert(right, depth + 1)), ast_node)
            return result
        kept, inverted = [result], []
        for this_op, right, _ in operands:
            (kept if this_op == group[0] else inverted).append(self.convert(right, depth + 1))
        combined = _balanced(group[0], kept)
        if inverted:
            combined = BinOp(group[1], combined, _balanced(group[0], inverted))
        return self.folded(combined, node)

    def folded(self, result: Node, node: ast.AST) -> Node:
        """Check that a part made of numbers only evaluates to a finite number.

        ``10^400``, ``10^10^10`` or ``1/0`` are refused here, at load time and
        with the file's key, instead of hanging the symbolic algebra or
        reaching the compiled kernel. The tree itself is not rewritten.
        """
        children = _children(result)
        if not all(isinstance(c, Num) or id(c) in self.constants for c in children):
            return result
        values = [c.value if isinstance(c, Num) else self.constants[id(c)] for c in children]
        try:
            value = _apply(result, values)
        except (OverflowError, ZeroDivisionError, ValueError) as exc:
            why = {OverflowError: "is too large to be a number (overflow)",
                   ZeroDivisionError: "divides by zero"}.get(type(exc), "is not defined")
            self.fail(f"the constant part {why}", node)
        if not (isinstance(value, float) and math.isfinite(value)):
            self.fail("the constant part is not a finite real number", node)
        self.constants[id(result)] = value
        self.keep.append(result)          # ids stay unique while the tree is built
        return result

    def constant(self, node: ast.Constant) -> Num:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if isinstance(value, bool):
                kind = f"boolean {value!r}"
            elif isinstance(value, str):
                kind = "strings"
            elif isinstance(value, complex):
                kind = "complex numbers"
            else:
                kind = f"the constant {value!r}"
            self.fail(f"{kind} cannot be used in rate laws; only real numbers are allowed", node)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.fail("the number is too large (not finite)", node)
        return Num(number)

    def name(self, node: ast.Name) -> str:
        name = node.id
        if name.startswith("_"):
            self.fail(f"names starting with '_' are not allowed ({name!r})", node)
        if name.lower() in ("nan", "inf", "infinity"):
            self.fail(f"'{name}' is not a finite number; give a finite value", node)
        # Python folds identifiers with NFKC (e.g. fullwidth 'ａ' becomes 'a');
        # insist that what the user wrote is exactly the plain ASCII name.
        if not name.isascii() or self.snippet(node) != name:
            self.fail("symbol names must use only ASCII letters, digits and '_'", node)
        if name in FUNCTIONS:
            self.fail(f"{name!r} is a function name and cannot be used as a symbol; call it as {name}(...)", node)
        return name

    def call(self, node: ast.Call, depth: int) -> Call:
        allowed = ", ".join(FUNCTIONS)
        if not isinstance(node.func, ast.Name):
            self.fail(f"only calls of the allowed functions ({allowed}) are permitted", node.func)
        func = node.func.id
        if func not in FUNCTIONS:
            self.fail(f"function {func!r} is not allowed; allowed functions: {allowed}", node.func)
        if node.keywords:
            self.fail(f"keyword arguments are not allowed; call {func}() with positional arguments only", node)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail("star arguments ('*x') are not allowed", arg)
        arity = FUNCTIONS[func]
        if arity == VARIADIC:
            n = len(node.args)
            if func == "piecewise" and (n < 3 or n % 2 == 0):
                self.fail(f"piecewise() takes value, condition pairs and a last 'otherwise' value (an odd "
                          f"number of arguments, at least 3) but {n} were given", node)
            if n < 2:
                self.fail(f"{func}() takes at least 2 arguments but {n} were given", node)
        elif len(node.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            self.fail(f"{func}() takes {arity} {plural} but {len(node.args)} were given", node)
        return Call(func, tuple(self.convert(arg, depth + 1) for arg in node.args))


def parse_expression(text: str) -> Node:
    """Parse a rate law or observable into an expression tree.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"kdeg * IgG * (1 - hill(FcRn, K, 2))"``.  Both
        ``^`` and ``**`` mean exponentiation.

    Returns
    -------
    Node
        An immutable tree of :class:`Num`, :class:`Sym`, :class:`Neg`,
        :class:`BinOp` and :class:`Call` nodes.

    Raises
    ------
    ExpressionError
        If the text is empty, is not valid syntax, or uses anything outside
        the whitelist described in the module docstring.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("empty expression: a rate law or observable needs a formula")
    converter = _Converter(text)
    try:
        tree = ast.parse(converter.source, mode="eval")
    except SyntaxError as exc:
        where = ""
        if exc.offset is not None and (exc.lineno or 1) == 1:
            where = f" at column {converter.original_index(exc.offset - 1) + 1}"
        raise ExpressionError(f"invalid expression {_shorten(text)!r}: {exc.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression {_shorten(text)!r} ({len(text):,} characters) is too long or "
                              f"nested too deeply for the parser (about {_PARSER_CHAIN:,} operations in a "
                              f"row, or {MAX_DEPTH} levels of parentheses, at most); split it into "
                              f"observables") from None
    return converter.convert(tree.body)


#: Longest expression text repeated in an error message.
_SHOWN_CHARS = 80
#: Runs of +/- or *,/ longer than this are rebuilt as balanced trees.
_BALANCE_AFTER = 32
#: Roughly the longest run of binary operations Python's parser accepts.
_PARSER_CHAIN = 2900


def _shorten(text: str) -> str:
    """``text`` cut to :data:`_SHOWN_CHARS` characters, so a 1 MB rate law gives a short message."""
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS - 1] + "…"


def _balanced(op: str, nodes: list) -> Node:
    """``nodes[0] op nodes[1] op ...`` as a balanced tree (depth log2 of the count)."""
    while len(nodes) > 1:
        nodes = [BinOp(op, nodes[i], nodes[i + 1]) if i + 1 < len(nodes) else nodes[i]
                 for i in range(0, len(nodes), 2)]
    return nodes[0]


def _children(node: Node) -> tuple:
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return (object(),)        # Num and Sym are leaves: nothing to fold


def _apply(node: Node, values: list) -> float:
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
            raise ExpressionError(f"cannot evaluate {_shorten(to_text(node))!r} with values {a!r}, {b!r}: "
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
            raise ExpressionError(f"cannot evaluate {_shorten(to_text(node))!r} with arguments ({shown}): "
                                  f"{exc}") from None
    raise TypeError(f"not an expression node: {node!r}")


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
        if f in _TRIGONOMETRY:
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


# --------------------------------------------------------------- conversion
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
            raise ExpressionError(f"the power {_shorten(str(a))}^{_shorten(str(b))} is not a finite number")
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
