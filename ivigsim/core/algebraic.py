"""Algebraic equations solved for the quantities they determine (index-1 reduction).

An algebraic rule says ``0 = g(x, y)``: it fixes ``x`` (the quantity it
determines) as a function of everything else ``y`` (states, parameters, the
time). A set of such equations is a differential-algebraic system of index 1
when the Jacobian ``dg/dx`` is nonsingular; then ``x = h(y)`` exists, and when
``h`` can be written explicitly the algebraic equations become assignment
rules, evaluated at every instant like any other, and the ODE solver needs no
mass matrix.

:func:`solve` finds ``h`` with SymPy:

* equations linear in the unknowns (the usual case: conserved totals,
  equilibria of first-order reactions) are solved as the linear system
  ``A x = -b``, with ``A = dg/dx`` free of ``x`` and ``det A`` not identically
  zero;
* otherwise equations in which the unknowns appear only in arithmetic,
  powers, ``exp`` and ``log``, that SymPy solves with exactly one solution
  (checked by substitution), are accepted;
* anything else (several roots, no closed form, a singular Jacobian) is
  refused with :class:`Unsolvable`, whose message says which.

Equations that share no unknown are solved apart, in independent blocks.
The solution is returned as expression trees of
:mod:`ivigsim.core.expressions`, together with ``det(dg/dx)`` at the solution:
the solution holds where that determinant is nonzero, so a caller that knows
the values can check it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ivigsim.core.expressions import BinOp, Call, Neg, Num, Sym, symbols, to_sympy
from ivigsim.errors import IvigsimError

#: Largest expression (SymPy operation count) that is simplified before it is
#: written back; bigger ones are kept as solved (simplification can be slow).
MAX_SIMPLIFY_OPS = 400
#: Largest blocks of equations that depend on each other solved symbolically
#: (a symbolic LU of a large block, or SymPy's solve of a large nonlinear one,
#: can take minutes).
MAX_LINEAR_BLOCK = 40
MAX_NONLINEAR_BLOCK = 3
#: Functions of an unknown that nonlinear solving accepts: one-to-one, so that
#: SymPy's solutions are all the solutions (a periodic or a step function of
#: the unknown has many, and SymPy may report one).
MONOTONE = ("exp", "log")


class Unsolvable(IvigsimError):
    """The algebraic equations cannot be reduced to explicit assignments (the message says why)."""


@dataclass(frozen=True)
class Solution:
    """The explicit solution of algebraic equations.

    Attributes
    ----------
    values : dict
        Unknown name -> expression tree of its value (in the other symbols).
    determinant : Node
        ``det(dg/dx)`` at the solution (up to its sign); the solution holds
        where it is nonzero.
    linear : bool
        Whether the equations were linear in the unknowns.
    """

    values: dict
    determinant: object
    linear: bool


def solve(equations, unknowns):
    """Solve ``0 = g_i`` for the unknowns, explicitly.

    Parameters
    ----------
    equations : sequence of Node
        The right-hand sides ``g_i`` of ``0 = g_i``.
    unknowns : sequence of str
        The names the equations determine, as many as there are equations.

    Returns
    -------
    Solution

    Raises
    ------
    Unsolvable
        When an unknown is in no equation, the Jacobian is singular, or the
        equations have no unique explicit solution.
    """
    import sympy

    equations, unknowns = list(equations), list(unknowns)
    if len(equations) != len(unknowns):
        raise Unsolvable(f"{len(equations)} equation(s) for {len(unknowns)} unknown(s) "
                         f"({', '.join(unknowns)}); each equation must determine one quantity")
    names = sorted(set().union(*(symbols(g) for g in equations)) | set(unknowns))
    table = {name: sympy.Symbol(f"s{k}", real=True) for k, name in enumerate(names)}
    back = {sym: name for name, sym in table.items()}
    g = [to_sympy(e, table) for e in equations]
    x = [table[u] for u in unknowns]
    absent = [u for u in unknowns if not any(e.has(table[u]) for e in g)]
    if absent:
        raise Unsolvable(f"{', '.join(absent)} appear(s) in none of the equations, which therefore "
                         f"cannot determine {'it' if len(absent) == 1 else 'them'}")
    values, det, linear = {}, sympy.Integer(1), True
    for block in _blocks(g, x):
        gb, xb = [g[i] for i in block[0]], [x[j] for j in block[1]]
        names_b = [unknowns[j] for j in block[1]]
        if len(gb) != len(xb):
            raise Unsolvable(f"the equations do not determine {', '.join(names_b)}: {len(gb)} equation(s) "
                             f"hold {len(xb)} of the unknowns (an index above 1, or a quantity left free)")
        found, det_b, linear_b = _solve_block(gb, xb, names_b)
        values.update(found)
        det, linear = det * det_b, linear and linear_b
    return Solution({u: from_sympy(values[u], back) for u in unknowns}, from_sympy(_tidy(det), back), linear)


def _blocks(g, x):
    """The equations and unknowns in independent blocks: (equation indices, unknown indices) each.

    Equations that share no unknown, directly or through others, are solved
    apart: the Jacobian is block-diagonal, and each block stays small.
    """
    holds = [{j for j, xj in enumerate(x) if e.has(xj)} for e in g]
    blocks = []
    for i, unknowns_i in enumerate(holds):
        joined = [b for b in blocks if b[1] & unknowns_i]
        merged = ({i} | set().union(*(b[0] for b in joined)), unknowns_i | set().union(*(b[1] for b in joined)))
        blocks = [b for b in blocks if b not in joined] + [merged]
    return [(sorted(e), sorted(u)) for e, u in blocks]


def _solve_block(g, x, unknowns):
    """Solve one block: (unknown name -> SymPy value, the block's Jacobian determinant, linear?)."""
    import sympy

    what = ", ".join(unknowns)
    jacobian = sympy.Matrix(g).jacobian(x)
    if _linear(g, x):
        if len(x) > MAX_LINEAR_BLOCK:
            raise Unsolvable(f"{len(x)} linear equations in {len(x)} unknowns depend on each other, more "
                             f"than the {MAX_LINEAR_BLOCK} solved symbolically")
        b = sympy.Matrix([e.subs({xi: 0 for xi in x}) for e in g])
        det = _tidy(jacobian.det())
        if det == 0:
            raise Unsolvable(f"the equations do not determine {what}: their Jacobian with respect to "
                             f"{'it' if len(x) == 1 else 'them'} is singular (an index above 1, or a "
                             f"quantity left free)")
        solved = jacobian.LUsolve(-b)
        return {u: _tidy(solved[k]) for k, u in enumerate(unknowns)}, det, True
    if len(x) > MAX_NONLINEAR_BLOCK:
        raise Unsolvable(f"{len(x)} nonlinear equations in {what} depend on each other, more than the "
                         f"{MAX_NONLINEAR_BLOCK} solved symbolically")
    values = _nonlinear(g, x, unknowns)
    det = _tidy(jacobian.subs({xi: values[u] for xi, u in zip(x, unknowns)}).det())
    if det == 0:
        raise Unsolvable(f"the Jacobian of the equations with respect to {what} is zero at their solution "
                         f"(an index above 1)")
    return values, det, False


def _linear(g, x):
    """Whether every equation is a polynomial of degree at most 1 in the unknowns."""
    import sympy

    for e in g:
        try:
            poly = sympy.Poly(sympy.expand(e), *x)
        except sympy.PolynomialError:
            return False                       # an unknown inside a function or a denominator
        if poly.total_degree() > 1:
            return False
    return True


def _nonlinear(g, x, unknowns):
    """The one solution SymPy finds for nonlinear equations, checked by substitution."""
    import sympy

    what = ", ".join(unknowns)
    for e in g:
        for sub in sympy.preorder_traversal(e):
            if not (sub.is_Atom or sub.is_Add or sub.is_Mul or sub.is_Pow or type(sub).__name__ in MONOTONE) \
                    and any(sub.has(xi) for xi in x):
                raise Unsolvable(f"{what} appear(s) inside {type(sub).__name__}(), where a solution need not "
                                 f"be unique; only arithmetic, powers, exp and log of it are solved for")
    try:
        found = sympy.solve(g, x, dict=True)
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise Unsolvable(f"the equations are nonlinear in {what} and have no explicit solution ({exc})") from None
    if len(found) != 1 or set(found[0]) != set(x):
        count = "no explicit solution" if not found else f"{len(found)} solutions"
        raise Unsolvable(f"the equations are nonlinear in {what} and have {count}, so they do not "
                         f"determine {what} uniquely (an assignment rule can say which root is meant)")
    solution = found[0]
    for e in g:
        if _tidy(e.subs(solution)) != 0:
            raise Unsolvable(f"the solution SymPy finds for {what} does not satisfy the equations")
    return {u: solution[xi] for u, xi in zip(unknowns, x)}


def _tidy(expr):
    """``expr`` simplified when it is small enough for that to be quick."""
    import sympy

    expr = sympy.cancel(sympy.together(expr)) if not expr.has(sympy.Piecewise) else expr
    if sympy.count_ops(expr) <= MAX_SIMPLIFY_OPS:
        expr = sympy.simplify(expr)
    return expr


# ------------------------------------------------------- SymPy back to a tree
def from_sympy(expr, names):
    """The expression tree of a SymPy expression.

    Parameters
    ----------
    expr : sympy.Basic
    names : dict
        SymPy symbol -> the name it stands for.

    Raises
    ------
    Unsolvable
        If the expression uses something the expression language lacks.
    """
    import sympy

    def conv(e):
        if e.is_Symbol:
            if e not in names:
                raise Unsolvable(f"the solution uses the unknown symbol {e}")
            return Sym(names[e])
        if e.is_Number:
            value = float(e)
            if not math.isfinite(value):
                raise Unsolvable(f"the solution is not finite ({e})")
            return Num(value)
        if e is sympy.E:
            return Num(math.e)
        if e is sympy.pi:
            return Num(math.pi)
        if e.is_Add:
            terms = sorted(e.args, key=lambda t: t.could_extract_minus_sign())
            node = conv(terms[0])
            for t in terms[1:]:
                node = BinOp("-", node, conv(-t)) if t.could_extract_minus_sign() else BinOp("+", node, conv(t))
            return node
        if e.is_Mul:
            if e.could_extract_minus_sign():
                return Neg(conv(-e))
            numer, denom = sympy.fraction(e)
            if denom != 1:
                return BinOp("/", conv(numer), conv(denom))
            node = conv(e.args[0])
            for f in e.args[1:]:
                node = BinOp("*", node, conv(f))
            return node
        if e.is_Pow:
            base, power = e.args
            if power.is_Number and power < 0:
                return BinOp("/", Num(1.0), conv(base ** -power))
            if power == sympy.Rational(1, 2):
                return Call("sqrt", (conv(base),))
            return BinOp("^", conv(base), conv(power))
        if isinstance(e, sympy.Piecewise):
            return _piecewise(e, conv, condition)
        name = type(e).__name__
        simple = {"exp": "exp", "log": "log", "Abs": "abs", "sin": "sin", "cos": "cos", "tan": "tan",
                  "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh",
                  "tanh": "tanh", "floor": "floor", "ceiling": "ceil"}
        if name in simple and len(e.args) == 1:
            return Call(simple[name], (conv(e.args[0]),))
        if name == "gamma":
            return Call("factorial", (conv(e.args[0] - 1),))
        if name in ("Min", "Max"):
            node = conv(e.args[0])
            for a in e.args[1:]:
                node = Call(name.lower(), (node, conv(a)))
            return node
        raise Unsolvable(f"the solution uses {name}, which the expression language lacks")

    def condition(c):
        if c is sympy.true:
            return Num(1.0)
        if c is sympy.false:
            return Num(0.0)
        relational = {"StrictLessThan": "lt", "LessThan": "le", "StrictGreaterThan": "gt",
                      "GreaterThan": "ge", "Equality": "eq", "Unequality": "neq"}
        name = type(c).__name__
        if name in relational:
            return Call(relational[name], (conv(c.args[0]), conv(c.args[1])))
        if name in ("And", "Or"):
            return Call("all_of" if name == "And" else "any_of", tuple(condition(a) for a in c.args))
        if name == "Not":
            return Call("none_of", (condition(c.args[0]),))
        raise Unsolvable(f"the solution uses the condition {c}, which the expression language lacks")

    return conv(expr)


def _piecewise(e, conv, condition):
    import sympy

    pieces = list(e.args)
    if pieces[-1].cond is not sympy.true:
        raise Unsolvable("the solution is a piecewise expression undefined where no condition holds")
    if len(pieces) == 1:
        return conv(pieces[0].expr)
    args = []
    for piece in pieces[:-1]:
        args += [conv(piece.expr), condition(piece.cond)]
    return Call("piecewise", tuple(args) + (conv(pieces[-1].expr),))

