"""Rate laws between ivigsim expression trees and SBML MathML (libSBML ASTs).

Writing, every node has a MathML counterpart except ``hill`` and ``mm``, which
are expanded: ``hill(x, K, n) = (x/K)^n / (1 + (x/K)^n)`` (written with the
ratio so that the units of the MathML can be checked) and
``mm(x, K) = x / (K + x)``. ``log`` is the natural logarithm (MathML ``ln``);
``min`` and ``max`` are the MathML functions of SBML Level 3 Version 2.

Reading, only MathML that has a counterpart in the whitelist of
:mod:`ivigsim.expressions` is accepted; calls of the model's function
definitions are inlined. Anything else (``piecewise``, comparisons, ``delay``,
``time``, trigonometry, ``rateOf``, ...) is refused with an
:class:`~ivigsim.errors.IvigsimError` that names the SBML element and quotes
the formula.
"""

from __future__ import annotations

import math

from ivigsim.errors import IvigsimError
from ivigsim.expressions import BinOp, Call, Neg, Num, Sym

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
        Expression tree from :func:`~ivigsim.expressions.parse_expression`.
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
        simple = {"exp": libsbml.AST_FUNCTION_EXP, "log": libsbml.AST_FUNCTION_LN,
                  "abs": libsbml.AST_FUNCTION_ABS, "min": libsbml.AST_FUNCTION_MIN,
                  "max": libsbml.AST_FUNCTION_MAX, "pow": libsbml.AST_POWER}
        return apply_ast(simple[func], *(conv(a) for a in args))

    return conv(node)


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
    """

    def __init__(self, functions, resolve, literal, time=None):
        self.functions = functions
        self.resolve = resolve
        self.literal = literal
        self.time = time
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
                           f"sqrt, abs, min, max and the model's function definitions")

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
            return self.time(self.where)
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
        self.refuse(_describe(ast))

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
