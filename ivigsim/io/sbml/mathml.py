"""Rate laws between ivigsim expression trees and SBML MathML (libSBML ASTs).

Writing, every node has a MathML counterpart except ``hill`` and ``mm``, which
are expanded: ``hill(x, K, n) = (x/K)^n / (1 + (x/K)^n)`` (written with the
ratio so that the units of the MathML can be checked) and
``mm(x, K) = x / (K + x)``. ``log`` is the natural logarithm (MathML ``ln``);
``min`` and ``max`` are the MathML functions of SBML Level 3 Version 2.

Reading, only MathML that has a counterpart in the whitelist of
:mod:`ivigsim.core.expressions` is accepted (``piecewise``, comparisons and logic
become ``piecewise``, ``lt`` ... ``neq``, ``all_of``, ``any_of``, ``none_of``;
``sec``, ``csc``, ``cot`` and their hyperbolic forms become reciprocals);
calls of the model's function definitions are inlined, and the time is what
the ``time`` callback makes of it, ``rateOf`` what the ``rate_of``
callback makes of it and ``delay`` what the ``delay`` callback makes of it.
``floor``, ``ceiling``, ``factorial`` and ``rem`` are whitelist functions;
``quotient(a, b)`` becomes ``(a - rem(a, b)) / b``. A ``piecewise`` without
an otherwise value takes its last piece's value when no condition holds
(SBML leaves the value undefined there). Anything else (``delay`` without
its callback, ...) is refused with an
:class:`~ivigsim.errors.IvigsimError` that names the SBML element and quotes
the formula.
"""

from __future__ import annotations

import math

from ivigsim.errors import IvigsimError
from ivigsim.core.expressions import CONDITIONS, FUNCTIONS, BinOp, Call, Neg, Num, Sym, symbols

AVOGADRO = 6.02214179e23        # the value the SBML Level 3 specification fixes (CODATA 2006)

# ivigsim function -> libSBML AST type name
_STEP_AST = {"floor": "AST_FUNCTION_FLOOR", "ceil": "AST_FUNCTION_CEILING",
             "factorial": "AST_FUNCTION_FACTORIAL", "rem": "AST_FUNCTION_REM"}
_TRIG_AST = {"sin": "AST_FUNCTION_SIN", "cos": "AST_FUNCTION_COS", "tan": "AST_FUNCTION_TAN",
             "asin": "AST_FUNCTION_ARCSIN", "acos": "AST_FUNCTION_ARCCOS", "atan": "AST_FUNCTION_ARCTAN",
             "sinh": "AST_FUNCTION_SINH", "cosh": "AST_FUNCTION_COSH", "tanh": "AST_FUNCTION_TANH"}
_RELATIONAL_AST = {"lt": "AST_RELATIONAL_LT", "le": "AST_RELATIONAL_LEQ", "gt": "AST_RELATIONAL_GT",
                   "ge": "AST_RELATIONAL_GEQ", "eq": "AST_RELATIONAL_EQ", "neq": "AST_RELATIONAL_NEQ"}
_LOGICAL_AST = {"all_of": "AST_LOGICAL_AND", "any_of": "AST_LOGICAL_OR", "none_of": "AST_LOGICAL_NOT"}

# ----------------------------------------------------------------- writing


def _new(ast_type):
    import libsbml

    return libsbml.ASTNode(ast_type)


def number_ast(value, units=None):
    """A MathML number; ``units`` (a UnitSId) is written as its ``sbml:units``."""
    import libsbml

    value = float(value)
    if not math.isfinite(value):
        raise IvigsimError(f"cannot write the non-finite number {value!r} to SBML")
    if value.is_integer() and abs(value) < 2**31:
        node = _new(libsbml.AST_INTEGER)
        node.setValue(int(value))
    else:
        node = _new(libsbml.AST_REAL)
        node.setValue(value)
    if units:
        node.setUnits(units)
    return node


def name_ast(name):
    import libsbml

    node = _new(libsbml.AST_NAME)
    node.setName(name)
    return node


def apply_ast(ast_type, *children):
    """An operator or function node with the given children (taken over, not copied)."""
    node = _new(ast_type)
    for child in children:
        node.addChild(child)
    return node


def time_ast():
    import libsbml

    node = _new(libsbml.AST_NAME_TIME)
    node.setName("time")
    return node


def to_ast(node, number_units="dimensionless"):
    """The libSBML AST of an ivigsim expression node.

    Parameters
    ----------
    node : Node
        Expression tree from :func:`~ivigsim.core.expressions.parse_expression`.
    number_units : str or None
        ``sbml:units`` given to every number (ivigsim numbers are dimensionless).

    Returns
    -------
    libsbml.ASTNode
    """
    import libsbml

    def conv(n):
        if isinstance(n, Num):
            return number_ast(n.value, number_units)
        if isinstance(n, Sym):
            return name_ast(n.name)
        if isinstance(n, Neg):
            return apply_ast(libsbml.AST_MINUS, conv(n.operand))
        if isinstance(n, BinOp):
            op = {"+": libsbml.AST_PLUS, "-": libsbml.AST_MINUS, "*": libsbml.AST_TIMES,
                  "/": libsbml.AST_DIVIDE, "^": libsbml.AST_POWER}[n.op]
            return apply_ast(op, conv(n.left), conv(n.right))
        if isinstance(n, Call):
            return call(n.func, n.args)
        raise TypeError(f"not an expression node: {n!r}")

    def call(func, args):
        if func == "hill":
            x, k, h = args
            ratio = BinOp("^", BinOp("/", x, k), h)
            return conv(BinOp("/", ratio, BinOp("+", Num(1.0), ratio)))
        if func == "mm":
            x, k = args
            return conv(BinOp("/", x, BinOp("+", k, x)))
        if func == "sqrt":
            return apply_ast(libsbml.AST_FUNCTION_ROOT, number_ast(2), conv(args[0]))
        if func in CONDITIONS:            # a condition used as a number: 1 or 0
            return apply_ast(libsbml.AST_FUNCTION_PIECEWISE, number_ast(1, number_units),
                             condition(Call(func, args)), number_ast(0, number_units))
        if func == "piecewise":
            children = [condition(a) if k % 2 == 1 and k < len(args) - 1 else conv(a)
                        for k, a in enumerate(args)]
            return apply_ast(libsbml.AST_FUNCTION_PIECEWISE, *children)
        simple = {"exp": libsbml.AST_FUNCTION_EXP, "log": libsbml.AST_FUNCTION_LN,
                  "abs": libsbml.AST_FUNCTION_ABS, "min": libsbml.AST_FUNCTION_MIN,
                  "max": libsbml.AST_FUNCTION_MAX, "pow": libsbml.AST_POWER}
        simple.update({name: getattr(libsbml, kind) for name, kind in _TRIG_AST.items()})
        simple.update({name: getattr(libsbml, kind) for name, kind in _STEP_AST.items()})
        return apply_ast(simple[func], *(conv(a) for a in args))

    def condition(n):
        """A MathML boolean: comparisons and logic as themselves, any other value as ``!= 0``."""
        if isinstance(n, Call) and n.func in _RELATIONAL_AST:
            return apply_ast(getattr(libsbml, _RELATIONAL_AST[n.func]), conv(n.args[0]), conv(n.args[1]))
        if isinstance(n, Call) and n.func in _LOGICAL_AST:
            return apply_ast(getattr(libsbml, _LOGICAL_AST[n.func]), *(condition(a) for a in n.args))
        return apply_ast(libsbml.AST_RELATIONAL_NEQ, conv(n), number_ast(0, number_units))

    return conv(node)


def boolean_ast(node, number_units=None):
    """The MathML boolean of a condition node (``lt``, ``all_of``, ...); another node as ``!= 0``."""
    import libsbml

    ast = to_ast(node, number_units)
    if isinstance(node, Call) and node.func in CONDITIONS:
        return ast.getChild(1).deepCopy()          # to_ast writes a condition as piecewise(1, it, 0)
    return apply_ast(libsbml.AST_RELATIONAL_NEQ, ast, number_ast(0, number_units))


# ----------------------------------------------------------------- reading


class MathReader:
    """Converts SBML MathML into ivigsim expression nodes, refusing what has no counterpart.

    Parameters
    ----------
    functions : dict
        Function definition id -> its lambda ``ASTNode``, for inlining.
    resolve : callable
        ``resolve(sbml_id, where)`` -> the ivigsim node standing for that id
        (a symbol, or an expression to substitute).
    literal : callable
        ``literal(value, units_or_empty, where)`` -> node for a number.
    time : callable, optional
        ``time(where)`` -> the node of the simulation time (csymbol time);
        without it the time is refused.
    rate_of : callable, optional
        ``rate_of(sbml_id, where)`` -> the node of the rate of change of that
        id (``rateOf``); without it ``rateOf`` is refused.
    delay : callable, optional
        ``delay(x, tau, where, x_math)`` -> the node of ``delay(x, tau)`` (x and
        tau already read, tau in model time units; ``x_math`` is x's MathML);
        without it ``delay`` is refused.
    """

    def __init__(self, functions, resolve, literal, time=None, rate_of=None, delay=None):
        self.functions = functions
        self.resolve = resolve
        self.literal = literal
        self.time = time
        self.rate_of = rate_of
        self.delay = delay
        self.time_names = set()
        self.arithmetic = _arithmetic_types()

    def read(self, ast, where):
        """The ivigsim node of ``ast``; ``where`` names the file and SBML element."""
        import libsbml

        if ast is None:
            raise IvigsimError(f"{where}: the element has no math")
        self.where = where
        self.formula = libsbml.formulaToL3String(ast)
        return self._conv(ast, {})

    def refuse(self, what):
        raise IvigsimError(f"{self.where}: {what} is not supported by ivigsim rate laws "
                           f"(in '{self.formula}'); ivigsim accepts + - * / ^, exp, ln, log10, "
                           f"sqrt, abs, min, max, floor, ceiling, factorial, rem, quotient, piecewise, comparisons, and, or, not, xor, trigonometry and the "
                           f"model's function definitions")

    def _conv(self, ast, bound):
        import libsbml

        t = ast.getType()
        kids = [ast.getChild(i) for i in range(ast.getNumChildren())]
        if t in (libsbml.AST_INTEGER, libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL):
            units = ast.getUnits() if ast.isSetUnits() else ""
            return self.literal(ast.getValue(), units, self.where)
        if t == libsbml.AST_NAME:
            name = ast.getName()
            return bound[name] if name in bound else self.resolve(name, self.where)
        if t == libsbml.AST_NAME_TIME and self.time is not None:
            node = self.time(self.where)
            self.time_names |= symbols(node)
            return node
        if t == libsbml.AST_FUNCTION_DELAY and self.delay is not None and len(kids) == 2:
            return self.delay(self._conv(kids[0], bound), self._conv(kids[1], bound), self.where, kids[0])
        if t == libsbml.AST_NAME_AVOGADRO:
            return Num(AVOGADRO)                 # per mole
        if t == libsbml.AST_CONSTANT_E:
            return Num(math.e)
        if t == libsbml.AST_CONSTANT_PI:
            return Num(math.pi)
        args = [self._conv(k, bound) for k in kids] if t in self.arithmetic else None
        if t == libsbml.AST_PLUS:
            return _fold("+", args, Num(0.0))
        if t == libsbml.AST_TIMES:
            return _fold("*", args, Num(1.0))
        if t == libsbml.AST_MINUS:
            return Neg(args[0]) if len(args) == 1 else BinOp("-", args[0], args[1])
        if t == libsbml.AST_DIVIDE:
            return BinOp("/", args[0], args[1])
        if t in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
            return BinOp("^", args[0], args[1])
        if t in (libsbml.AST_FUNCTION_MIN, libsbml.AST_FUNCTION_MAX):
            func = "min" if t == libsbml.AST_FUNCTION_MIN else "max"
            if not args:
                self.refuse(f"{func}() without arguments")
            result = args[0]
            for a in args[1:]:
                result = Call(func, (result, a))
            return result
        simple = {libsbml.AST_FUNCTION_EXP: "exp", libsbml.AST_FUNCTION_LN: "log",
                  libsbml.AST_FUNCTION_ABS: "abs"}
        if t in simple:
            return Call(simple[t], (args[0],))
        if t == libsbml.AST_FUNCTION_ROOT:
            return self._root(args)
        if t == libsbml.AST_FUNCTION_LOG:
            base = args[0] if len(args) == 2 else Num(10.0)
            return BinOp("/", Call("log", (args[-1],)), Call("log", (base,)))
        if t == libsbml.AST_FUNCTION:
            return self._inline(ast, kids, bound)
        if t == getattr(libsbml, "AST_FUNCTION_RATE_OF", -1) and self.rate_of is not None:
            if len(kids) != 1 or kids[0].getType() != libsbml.AST_NAME or kids[0].getName() in bound:
                self.refuse("rateOf() of anything but the id of a model element")
            return self.rate_of(kids[0].getName(), self.where)
        steps = {getattr(libsbml, kind): name for name, kind in _STEP_AST.items()}
        if t in steps:
            args = [self._conv(k, bound) for k in kids]
            if len(args) != FUNCTIONS[steps[t]]:
                self.refuse(f"{steps[t]}() of {len(args)} arguments")
            if any(symbols(a) & self.time_names for a in args):
                # the time is an integrated clock, a rounding error off at a jump
                self.refuse(f"{steps[t]}() of the simulation time (its jumps are not located in time)")
            return Call(steps[t], tuple(args))
        if t in _inverse_trigonometry(libsbml) and len(kids) == 1:
            return _inverse_trigonometry(libsbml)[t](self._conv(kids[0], bound))
        if t == getattr(libsbml, "AST_FUNCTION_QUOTIENT", -1) and len(kids) == 2:
            a, b = (self._conv(k, bound) for k in kids)
            if symbols(a) & self.time_names or symbols(b) & self.time_names:
                self.refuse("quotient() of the simulation time (its jumps are not located in time)")
            # the quotient of a truncating division: (a - rem(a, b)) / b
            return BinOp("/", BinOp("-", a, Call("rem", (a, b))), b)
        found = self._logic_or_trigonometry(libsbml, t, kids, bound)
        if found is not None:
            return found
        self.refuse(_describe(ast))

    def _logic_or_trigonometry(self, libsbml, t, kids, bound):
        """Piecewise, comparisons, logic and trigonometry as whitelist functions; None if ``t`` is none."""
        if t == libsbml.AST_CONSTANT_TRUE:
            return Num(1.0)
        if t == libsbml.AST_CONSTANT_FALSE:
            return Num(0.0)
        trig = {getattr(libsbml, kind): name for name, kind in _TRIG_AST.items()}
        relational = {getattr(libsbml, kind): name for name, kind in _RELATIONAL_AST.items()}
        inverse = {libsbml.AST_FUNCTION_SEC: "cos", libsbml.AST_FUNCTION_CSC: "sin",
                   libsbml.AST_FUNCTION_COT: "tan", libsbml.AST_FUNCTION_SECH: "cosh",
                   libsbml.AST_FUNCTION_CSCH: "sinh", libsbml.AST_FUNCTION_COTH: "tanh"}
        if t not in trig and t not in relational and t not in inverse and t not in (
                libsbml.AST_FUNCTION_PIECEWISE, libsbml.AST_LOGICAL_AND, libsbml.AST_LOGICAL_OR,
                libsbml.AST_LOGICAL_NOT, libsbml.AST_LOGICAL_XOR, getattr(libsbml, "AST_LOGICAL_IMPLIES", -1)):
            return None
        args = [self._conv(k, bound) for k in kids]
        if t in trig:
            return Call(trig[t], (args[0],))
        if t in inverse:
            return BinOp("/", Num(1.0), Call(inverse[t], (args[0],)))
        if t in relational:
            if len(args) < 2:
                self.refuse(f"a comparison of {len(args)} values")
            pairs = [Call(relational[t], (a, b)) for a, b in zip(args, args[1:])]
            return pairs[0] if len(pairs) == 1 else Call("all_of", tuple(pairs))
        if t == libsbml.AST_FUNCTION_PIECEWISE:
            if len(args) % 2 == 0 and len(args) >= 2:
                # SBML leaves the value undefined when no condition holds, so any value is
                # within the standard there: the last piece's value stands in for it
                args = args[:-1]
            elif len(args) % 2 == 0:
                self.refuse("piecewise() without pieces")
            return Call("piecewise", tuple(args)) if len(args) > 1 else args[0]
        if t == libsbml.AST_LOGICAL_NOT:
            return Call("none_of", (args[0],))
        if t == getattr(libsbml, "AST_LOGICAL_IMPLIES", -1):
            return Call("any_of", (Call("none_of", (args[0],)), args[1]))
        if t == libsbml.AST_LOGICAL_XOR:
            result = Num(0.0)
            for a in args:                       # parity: true when an odd number is true
                result = Call("neq", (Call("any_of", (result, Num(0.0))), Call("any_of", (a, Num(0.0)))))
            return result
        empty = Num(1.0) if t == libsbml.AST_LOGICAL_AND else Num(0.0)
        if len(args) < 2:
            return Call("any_of", (args[0], Num(0.0))) if args else empty
        return Call("all_of" if t == libsbml.AST_LOGICAL_AND else "any_of", tuple(args))

    def _root(self, args):
        if len(args) == 1:
            return Call("sqrt", (args[0],))
        degree, x = args
        if degree == Num(2.0):
            return Call("sqrt", (x,))
        return BinOp("^", x, BinOp("/", Num(1.0), degree))

    def _inline(self, ast, kids, bound):
        name = ast.getName()
        if name not in self.functions:
            self.refuse(f"the call of '{name}' (not a function definition of the model)")
        lam = self.functions[name]
        n_args = lam.getNumChildren() - 1
        if n_args != len(kids):
            self.refuse(f"'{name}' called with {len(kids)} arguments instead of {n_args}")
        values = [self._conv(k, bound) for k in kids]
        inner = {lam.getChild(i).getName(): v for i, v in enumerate(values)}
        return self._conv(lam.getChild(n_args), inner)


def _inverse_trigonometry(libsbml):
    """The inverse functions that the whitelist lacks, written with the ones it has."""
    def recip(x):
        return BinOp("/", Num(1.0), x)

    def asinh(x):
        return Call("log", (BinOp("+", x, Call("sqrt", (BinOp("+", BinOp("*", x, x), Num(1.0)),))),))

    def acosh(x):
        return Call("log", (BinOp("+", x, Call("sqrt", (BinOp("-", BinOp("*", x, x), Num(1.0)),))),))

    def atanh(x):
        return BinOp("*", Num(0.5), Call("log", (BinOp("/", BinOp("+", Num(1.0), x), BinOp("-", Num(1.0), x)),)))

    return {libsbml.AST_FUNCTION_ARCSEC: lambda x: Call("acos", (recip(x),)),
            libsbml.AST_FUNCTION_ARCCSC: lambda x: Call("asin", (recip(x),)),
            libsbml.AST_FUNCTION_ARCCOT: lambda x: Call("atan", (recip(x),)),
            libsbml.AST_FUNCTION_ARCSINH: asinh, libsbml.AST_FUNCTION_ARCCOSH: acosh,
            libsbml.AST_FUNCTION_ARCTANH: atanh,
            libsbml.AST_FUNCTION_ARCSECH: lambda x: acosh(recip(x)),
            libsbml.AST_FUNCTION_ARCCSCH: lambda x: asinh(recip(x)),
            libsbml.AST_FUNCTION_ARCCOTH: lambda x: atanh(recip(x))}


def _fold(op, args, empty):
    if not args:
        return empty
    result = args[0]
    for a in args[1:]:
        result = BinOp(op, result, a)
    return result


def _describe(ast):
    """What a refused MathML node is, in words."""
    import libsbml

    t = ast.getType()
    words = {
        libsbml.AST_FUNCTION_PIECEWISE: "piecewise()",
        libsbml.AST_FUNCTION_DELAY: "delay()",
        libsbml.AST_NAME_TIME: "the simulation time (csymbol time)",
        libsbml.AST_NAME_AVOGADRO: "the Avogadro constant (csymbol avogadro)",
        libsbml.AST_FUNCTION_RATE_OF: "rateOf()",
        libsbml.AST_CONSTANT_TRUE: "the constant true",
        libsbml.AST_CONSTANT_FALSE: "the constant false",
    }
    if t in words:
        return words[t]
    if ast.isRelational():
        return f"the comparison '{ast.getName() or libsbml.formulaToL3String(ast)}'"
    if ast.isLogical():
        return f"the logical operator '{ast.getName()}'"
    return f"the MathML function '{ast.getName() or libsbml.formulaToL3String(ast)}'"


def _arithmetic_types():
    import libsbml

    return frozenset({
        libsbml.AST_PLUS, libsbml.AST_TIMES, libsbml.AST_MINUS, libsbml.AST_DIVIDE,
        libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER, libsbml.AST_FUNCTION_MIN,
        libsbml.AST_FUNCTION_MAX, libsbml.AST_FUNCTION_EXP, libsbml.AST_FUNCTION_LN,
        libsbml.AST_FUNCTION_ABS, libsbml.AST_FUNCTION_ROOT, libsbml.AST_FUNCTION_LOG,
    })




def normalised(node):
    """``node`` as it reads back from MathML: ``hill`` and ``mm`` expanded, products and sums
    regrouped the way libSBML writes and reads them. Two nodes with equal normalised forms
    are the same MathML."""
    import libsbml

    text = libsbml.writeMathMLToString(to_ast(node, None))
    reader = MathReader({}, lambda name, where: Sym(name), lambda value, units, where: Num(float(value)))
    return reader.read(libsbml.readMathMLFromString(text), "an ivigsim expression")
