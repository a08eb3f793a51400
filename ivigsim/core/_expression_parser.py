"""Parsing expression text into a tree, refusing everything outside the whitelist.

Internal to :mod:`ivigsim.core.expressions`, which re-exports the public names.
"""

from __future__ import annotations

import ast
import math

from ivigsim.core._expression_nodes import (
    BinOp,
    Call,
    ExpressionError,
    FUNCTIONS,
    MAX_DEPTH,
    Neg,
    Node,
    Num,
    Sym,
    VARIADIC,
    shorten,
)
from ivigsim.core._expression_eval import apply_node, child_nodes


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
            return f"{shorten(snippet)!r} at column {start + 1} of {shorten(self.original.strip())!r}"
        if snippet:
            return f"{shorten(snippet)!r}"
        return f"column {start + 1} of {shorten(self.original)!r}"

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
        children = child_nodes(result)
        if not all(isinstance(c, Num) or id(c) in self.constants for c in children):
            return result
        values = [c.value if isinstance(c, Num) else self.constants[id(c)] for c in children]
        try:
            value = apply_node(result, values)
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
        raise ExpressionError(f"invalid expression {shorten(text)!r}: {exc.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression {shorten(text)!r} ({len(text):,} characters) is too long or "
                              f"nested too deeply for the parser (about {_PARSER_CHAIN:,} operations in a "
                              f"row, or {MAX_DEPTH} levels of parentheses, at most); split it into "
                              f"observables") from None
    return converter.convert(tree.body)


#: Runs of +/- or *,/ longer than this are rebuilt as balanced trees.
_BALANCE_AFTER = 32
#: Roughly the longest run of binary operations Python's parser accepts.
_PARSER_CHAIN = 2900


def _balanced(op: str, nodes: list) -> Node:
    """``nodes[0] op nodes[1] op ...`` as a balanced tree (depth log2 of the count)."""
    while len(nodes) > 1:
        nodes = [BinOp(op, nodes[i], nodes[i + 1]) if i + 1 < len(nodes) else nodes[i]
                 for i in range(0, len(nodes), 2)]
    return nodes[0]
