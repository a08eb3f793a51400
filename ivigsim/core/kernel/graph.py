"""A model's mathematics as one shared expression graph, differentiated directly.

Large models cannot go through a symbolic algebra system: a dense n x n
Jacobian in sympy costs minutes and gigabytes at 500 species. Here every
rate law, right-hand side, Jacobian entry and observable is a node of one
hash-consed graph: a node is a tuple ``(op, operand ids...)`` stored once, so
a subexpression that occurs twice (a compartment volume, ``kon * A`` in a
rate and in its derivative) is one node, and common subexpressions are shared
by construction, in time linear in the size of the expressions.

The Jacobian follows the chain rule over the stoichiometry, J = N (dv/dy) / V:
each rate law is differentiated only with respect to the species it reads
(its structural non-zeros, from the rate-law dependency graph), so the work
grows with the number of non-zeros, never with n^2.

Node kinds (``op``): ``const`` (value), ``y`` / ``p`` (index), the arithmetic
``neg add sub mul div pow``, the functions of :data:`UNARY` and
``min max``, the conditions ``lt le gt ge eq neq and or not`` (1.0 or 0.0),
and ``select(value, condition, otherwise)`` for ``piecewise``.
"""

from __future__ import annotations

from ivigsim.core.expressions import BinOp, Call, ExpressionError, Neg, Num, Sym

UNARY = ("exp", "log", "sqrt", "abs", "sign", "sin", "cos", "tan", "asin", "acos", "atan",
         "sinh", "cosh", "tanh")
BINARY = ("add", "sub", "mul", "div", "pow", "min", "max", "lt", "le", "gt", "ge", "eq", "neq",
          "and", "or")
CONDITIONS = ("lt", "le", "gt", "ge", "eq", "neq", "and", "or")
_COMMUTATIVE = ("add", "mul", "min", "max", "eq", "neq", "and", "or")
_FOLD = {
    "neg": lambda a: -a, "add": lambda a, b: a + b, "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
}


class Graph:
    """A hash-consed expression graph; nodes are created children first.

    ``nodes[k]`` is the tuple of node ``k``; every operand id is smaller than
    ``k``, so the id order is a valid evaluation order.
    """

    def __init__(self):
        self.nodes = []
        self._ids = {}
        self._species = {}
        self._derivative = {}
        self.zero = self.const(0.0)
        self.one = self.const(1.0)

    # --- construction, with the simplifications that keep derivatives small
    def _node(self, key):
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.nodes)
            self.nodes.append(key)
        return found

    def const(self, value):
        value = float(value)
        return self._node(("const", 0.0 if value == 0.0 else value))   # -0.0 and 0.0: one node

    def y(self, index):
        return self._node(("y", int(index)))

    def p(self, index):
        return self._node(("p", int(index)))

    def value(self, a):
        """The number a ``const`` node holds, else None."""
        node = self.nodes[a]
        return node[1] if node[0] == "const" else None

    def op(self, op, *args):
        """Node ``op(*args)``, simplified where that is exact (x + 0, x * 1, x * 0, 2 * 3)."""
        values = [self.value(a) for a in args]
        if op == "neg":
            if values[0] is not None:
                return self.const(-values[0])
            inner = self.nodes[args[0]]
            if inner[0] == "neg":
                return inner[1]
        elif op in ("add", "sub"):
            a, b = args
            if values[1] == 0.0:
                return a
            if values[0] == 0.0:
                return b if op == "add" else self.op("neg", b)
        elif op == "mul":
            a, b = args
            if values[0] == 0.0 or values[1] == 0.0:
                return self.zero
            if values[0] == 1.0:
                return b
            if values[1] == 1.0:
                return a
            if values[0] == -1.0:
                return self.op("neg", b)
            if values[1] == -1.0:
                return self.op("neg", a)
        elif op == "div":
            if values[0] == 0.0:            # 0 / x is 0, as sympy has it
                return self.zero
            if values[1] == 1.0:
                return args[0]
        elif op == "pow":
            if values[1] == 1.0:
                return args[0]
        elif op == "select":
            if values[1] is not None:
                return args[0] if values[1] != 0.0 else args[2]
            if args[0] == args[2]:
                return args[0]
        if op in _FOLD and all(v is not None for v in values):
            return self.const(_FOLD[op](*values))
        if op in _COMMUTATIVE:
            args = tuple(sorted(args))
        return self._node((op, *args))

    def sum(self, terms):
        """The sum of ``terms`` (0 for none), as a balanced tree: depth log2 of the count,
        so that walks over a species touched by hundreds of reactions stay shallow."""
        terms = list(terms) or [self.zero]
        while len(terms) > 1:
            terms = [self.op("add", terms[k], terms[k + 1]) if k + 1 < len(terms) else terms[k]
                     for k in range(0, len(terms), 2)]
        return terms[0]

    # --- structure
    def species_of(self, a):
        """The species indices node ``a`` depends on (a frozenset)."""
        found = self._species.get(a)
        if found is None:
            node = self.nodes[a]
            if node[0] == "y":
                found = frozenset((node[1],))
            elif node[0] in ("const", "p"):
                found = frozenset()
            else:
                found = frozenset().union(*(self.species_of(c) for c in node[1:]))
            self._species[a] = found
        return found

    # --- differentiation
    def derivative(self, a, j):
        """Node of d(node a)/d(y[j])."""
        if j not in self.species_of(a):
            return self.zero
        key = (a, j)
        found = self._derivative.get(key)
        if found is None:
            found = self._derivative[key] = self._differentiate(a, j)
        return found

    def _differentiate(self, a, j):
        node = self.nodes[a]
        op, args = node[0], node[1:]
        if op == "y":
            return self.one
        o = self.op
        d = [self.derivative(c, j) for c in args] if op not in CONDITIONS else []
        if op == "neg":
            return o("neg", d[0])
        if op in ("add", "sub"):
            return o(op, d[0], d[1])
        if op == "mul":
            return o("add", o("mul", d[0], args[1]), o("mul", args[0], d[1]))
        if op == "div":
            u, v = args
            return o("sub", o("div", d[0], v), o("div", o("mul", u, d[1]), o("mul", v, v)))
        if op == "pow":
            u, v = args
            exponent = self.value(v)
            if exponent is not None:        # u^c: c u^(c-1) u'
                lower = u if exponent == 2.0 else o("pow", u, self.const(exponent - 1.0))
                return o("mul", o("mul", v, lower), d[0])
            if not self.species_of(v):
                # An exponent free of the states (a parameter): the power rule v u^(v-1) u'.
                # The general rule below goes through ln u and u'/u, which is 0 * NaN at
                # u = 0, where a Hill term (x/K)^n starts, although the derivative is finite.
                return o("mul", o("mul", v, o("pow", u, o("sub", v, self.one))), d[0])
            return o("mul", a, o("add", o("mul", d[1], o("log", u)), o("div", o("mul", v, d[0]), u)))
        if op in CONDITIONS:
            return self.zero                # piecewise constant: zero almost everywhere
        if op == "select":
            return o("select", d[0], args[1], d[2])
        if op in ("min", "max"):
            u, v = args
            return o("select", d[0], o("le" if op == "min" else "ge", u, v), d[1])
        return o("mul", _OUTER[op](self, a, args[0]), d[0])


def _inverse_sqrt_one_minus_square(g, u):
    return g.op("div", g.one, g.op("sqrt", g.op("sub", g.one, g.op("mul", u, u))))


#: d f(u) / du of each function of one argument, given the graph, the node a = f(u) and u.
_OUTER = {
    "exp": lambda g, a, u: a,
    "log": lambda g, a, u: g.op("div", g.one, u),
    "sqrt": lambda g, a, u: g.op("div", g.const(0.5), a),
    "abs": lambda g, a, u: g.op("sign", u),
    "sign": lambda g, a, u: g.zero,
    "sin": lambda g, a, u: g.op("cos", u),
    "cos": lambda g, a, u: g.op("neg", g.op("sin", u)),
    "tan": lambda g, a, u: g.op("add", g.one, g.op("mul", a, a)),
    "asin": lambda g, a, u: _inverse_sqrt_one_minus_square(g, u),
    "acos": lambda g, a, u: g.op("neg", _inverse_sqrt_one_minus_square(g, u)),
    "atan": lambda g, a, u: g.op("div", g.one, g.op("add", g.one, g.op("mul", u, u))),
    "sinh": lambda g, a, u: g.op("cosh", u),
    "cosh": lambda g, a, u: g.op("sinh", u),
    "tanh": lambda g, a, u: g.op("sub", g.one, g.op("mul", a, a)),
}


class Converter:
    """Expression trees of one model -> graph nodes.

    ``names`` maps a name to a node id (species, parameters, switches) or to
    an expression tree (a compartment's volume, converted on first use).
    """

    def __init__(self, graph, names):
        self.graph = graph
        self.names = dict(names)

    def __call__(self, node):
        g = self.graph
        if isinstance(node, Num):
            return g.const(node.value)
        if isinstance(node, Sym):
            try:
                target = self.names[node.name]
            except KeyError:
                raise ExpressionError(f"the kernel has no value for {node.name!r}") from None
            if not isinstance(target, int):
                target = self.names[node.name] = self(target)
            return target
        if isinstance(node, Neg):
            return g.op("neg", self(node.operand))
        if isinstance(node, BinOp):
            a, b = self(node.left), self(node.right)
            return g.op({"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}[node.op], a, b)
        if isinstance(node, Call):
            return self.call(node.func, [self(a) for a in node.args])
        raise TypeError(f"not an expression node: {node!r}")

    def call(self, func, args):
        g, o = self.graph, self.graph.op
        if func == "hill":
            x, k, n = args
            xn = o("pow", x, n)
            return o("div", xn, o("add", o("pow", k, n), xn))
        if func == "mm":
            x, k = args
            return o("div", x, o("add", k, x))
        if func in ("all_of", "any_of"):
            result = self.truth(args[0])
            for a in args[1:]:
                result = o("and" if func == "all_of" else "or", result, self.truth(a))
            return result
        if func == "none_of":
            return o("eq", args[0], g.zero)
        if func == "piecewise":
            result = args[-1]
            for k in range(len(args) - 3, -1, -2):
                result = o("select", args[k], args[k + 1], result)
            return result
        if func in ("min", "max", "pow", "lt", "le", "gt", "ge", "eq", "neq") or func in UNARY:
            return o(func, *args)
        raise ExpressionError(f"function {func!r} has no kernel form")

    def truth(self, a):
        """``a`` as a condition node (its value 1.0 or 0.0)."""
        g = self.graph
        return a if g.nodes[a][0] in CONDITIONS else g.op("neq", a, g.zero)


def power_rule_diff(expr, symbol):
    """d expr / d symbol in sympy, with the power rule for exponents free of ``symbol``.

    Sympy differentiates ``u**v`` with a symbolic ``v`` as ``v*u**v/u`` (through
    ln u), which is 0/0 = NaN at u = 0 although the derivative ``v*u**(v-1)*u'``
    is finite there (a Hill term ``(x/K)**n`` at x = 0). Each such power is
    differentiated as an opaque function with that derivative, then restored.
    Numeric exponents already get the power rule from sympy and are left alone.
    """
    import sympy as sp

    def state_power(e):
        return e.is_Pow and not e.exp.is_Number and symbol not in e.exp.free_symbols \
            and symbol in e.base.free_symbols

    if not any(state_power(e) for e in expr.atoms(sp.Pow)):
        return sp.diff(expr, symbol)

    class _Power(sp.Function):
        nargs = 2

        def fdiff(self, argindex=1):
            if argindex != 1:
                raise sp.ArgumentIndexError(self, argindex)
            base, exponent = self.args
            return exponent * base ** (exponent - 1)

    opaque = expr.replace(state_power, lambda e: _Power(e.base, e.exp))
    return sp.diff(opaque, symbol).replace(lambda e: isinstance(e, _Power), lambda e: e.args[0] ** e.args[1])
