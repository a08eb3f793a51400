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

from ivigsim.core._expression_eval import evaluate, symbols
from ivigsim.core._expression_nodes import (
    COMPARISONS,
    CONDITIONS,
    FUNCTIONS,
    MAX_DEPTH,
    VARIADIC,
    BinOp,
    Call,
    ExpressionError,
    Neg,
    Node,
    Num,
    Sym,
)
from ivigsim.core._expression_parser import parse_expression
from ivigsim.core._expression_text import to_sympy, to_text
from ivigsim.core._expression_units import infer_unit

__all__ = [
    "BinOp",
    "Call",
    "ExpressionError",
    "FUNCTIONS",
    "MAX_DEPTH",
    "VARIADIC",
    "COMPARISONS",
    "CONDITIONS",
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
