"""Tests for ivigsim.core.expressions: the whitelisted rate-law language."""

import ast
import random
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from ivigsim.core.expressions import (
    FUNCTIONS,
    MAX_DEPTH,
    VARIADIC,
    BinOp,
    Call,
    ExpressionError,
    Neg,
    Num,
    Sym,
    evaluate,
    infer_unit,
    parse_expression,
    symbols,
    to_sympy,
    to_text,
)
from ivigsim.core.units import DIMENSIONLESS, UnitError, parse_unit


# ------------------------------------------------------------------ parsing
def test_parse_builds_expected_tree():
    assert parse_expression("k * A^2 - 3") == BinOp(
        "-", BinOp("*", Sym("k"), BinOp("^", Sym("A"), Num(2.0))), Num(3.0)
    )
    assert parse_expression("-x") == Neg(Sym("x"))
    assert parse_expression("+x") == Sym("x")
    assert parse_expression("hill(C, K, n)") == Call("hill", (Sym("C"), Sym("K"), Sym("n")))


def test_caret_and_double_star_are_the_same():
    assert parse_expression("a^b") == parse_expression("a**b") == BinOp("^", Sym("a"), Sym("b"))
    # exponentiation is right-associative and binds tighter than unary minus
    assert parse_expression("a^b^c") == BinOp("^", Sym("a"), BinOp("^", Sym("b"), Sym("c")))
    assert parse_expression("-a^2") == Neg(BinOp("^", Sym("a"), Num(2.0)))


def test_whitespace_and_newlines_are_ignored():
    assert parse_expression("  kel *\n  C ") == parse_expression("kel*C")


def test_nodes_are_immutable_and_hashable():
    node = parse_expression("a + b")
    with pytest.raises(AttributeError):
        node.op = "-"
    assert len({node, parse_expression("a+b")}) == 1


def test_symbols():
    node = parse_expression("kon * IgG * FcRn - koff * complex + hill(IgG, K, 2)")
    assert symbols(node) == frozenset({"kon", "IgG", "FcRn", "koff", "complex", "K"})
    assert symbols(parse_expression("2 * 3")) == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "a + b + c",
        "a - (b - c)",
        "(a - b) - c",
        "a / (b * c)",
        "a / b / c",
        "a * (b + c)",
        "(a + b)^2",
        "a^b^c",
        "(a^b)^c",
        "(-a)^2",
        "-a^2",
        "a^-2",
        "a * -b",
        "--a",
        "-(a + b)",
        "2.5e-3 * x + 1e20 - 0.1",
        "exp(-k * t) * log(x / K)",
        "min(a, b) + max(c, 1) * abs(d - e) + sqrt(f) + pow(g, 0.5)",
        "Vmax * mm(C, Km) * hill(FcRn, K50, n)",
        "piecewise(k * S, all_of(gt(S, 1), none_of(eq(t, 0))), k2, any_of(le(S, 0), neq(a, b)), 0)",
        "sin(a) * cos(b) + tanh(c / d) - atan(lt(a, b) + ge(c, 1))",
    ],
)
def test_round_trip_through_text(text):
    node = parse_expression(text)
    again = parse_expression(to_text(node))
    assert again == node
    assert to_text(again) == to_text(node)


def _random_tree(rng, depth):
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.5:
            return Num(rng.choice([0.0, 1.0, 2.0, 0.1, 3.5e-7, 1.5e22]))
        return Sym(rng.choice(["a", "b", "kel", "IgG_free"]))
    kind = rng.random()
    if kind < 0.15:
        return Neg(_random_tree(rng, depth - 1))
    if kind < 0.8:
        return BinOp(rng.choice("+-*/^"), _random_tree(rng, depth - 1), _random_tree(rng, depth - 1))
    func = rng.choice(sorted(FUNCTIONS))
    arity = 3 if FUNCTIONS[func] == VARIADIC else FUNCTIONS[func]      # piecewise: value, condition, otherwise
    return Call(func, tuple(_random_tree(rng, depth - 1) for _ in range(arity)))


def test_round_trip_random_trees():
    rng = random.Random(20240601)
    refused = 0
    for _ in range(500):
        tree = _random_tree(rng, 5)
        try:
            parsed = parse_expression(to_text(tree))
        except ExpressionError as exc:
            # A part made of numbers only that overflows (exp(1.5e22)) or divides
            # by zero is refused at load; nothing else may be.
            assert "the constant part" in str(exc), to_text(tree)
            refused += 1
            continue
        assert parsed == tree, to_text(tree)
    assert refused < 50


def test_to_text_is_canonical():
    assert to_text(parse_expression("a*(b)+  c**2")) == "a*b + c^2"
    assert to_text(parse_expression("2.0 * x")) == "2*x"


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os').system('x')", r"only calls of the allowed functions \(exp, log"),
        ("__import__('os')", r"function '__import__' is not allowed; allowed functions: exp, log"),
        ("().__class__", r"attribute access \('\.'\) is not allowed.*\(\)\.__class__"),
        ("a.b", r"attribute access .* \(found 'a\.b'\)"),
        ("a[0]", r"subscripts .* not allowed"),
        ("lambda: 1", "lambda functions are not allowed"),
        ("'s'", "strings cannot be used in rate laws"),
        ("True", "boolean True cannot be used"),
        ("a < b", r"comparisons are not allowed in rate laws \(found '<'"),
        ("f(x)", r"function 'f' is not allowed; allowed functions: exp, log, sqrt"),
        ("open('x')", "function 'open' is not allowed"),
        ("eval('1')", "function 'eval' is not allowed"),
        ("exp(x, y)", r"exp\(\) takes 1 argument but 2 were given"),
        ("hill(x, K)", r"hill\(\) takes 3 arguments but 2 were given"),
        ("exp(x=1)", "keyword arguments are not allowed"),
        ("1e999", r"too large \(not finite\).*1e999"),
        ("_hidden", "names starting with '_' are not allowed"),
        ("x if y else z", "conditional expressions"),
        ("", "empty expression"),
        ("   ", "empty expression"),
        ("a +", "invalid expression 'a \\+'"),
        ("x = 1", "invalid expression"),
        ("a // b", "floor division"),
        ("a % b", "modulo"),
        ("a and b", "boolean operators"),
        ("not a", "'not' is not allowed"),
        ("1j", "complex numbers"),
        ("(a, b)", "tuples"),
        ("[a]", "lists"),
        ("exp(*x)", "star arguments"),
        ("(y := 2)", "assignment expressions"),
        ("exp + 1", "'exp' is a function name and cannot be used as a symbol"),
        ("\uff41 + 1", "ASCII"),
        ("None", "None cannot be used"),
    ],
)
def test_refusals(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text)


def test_refusal_points_at_the_offending_part():
    with pytest.raises(ExpressionError, match=r"'b\.c' at column 9 of 'a \^ 2 \+ b\.c'"):
        parse_expression("a ^ 2 + b.c")


def test_non_string_input_is_refused():
    with pytest.raises(ExpressionError, match="must be a string"):
        parse_expression(42)


def test_excessive_nesting_is_refused():
    with pytest.raises(ExpressionError, match="nested"):
        parse_expression("exp(" * (MAX_DEPTH + 10) + "a" + ")" * (MAX_DEPTH + 10))
    with pytest.raises(ExpressionError):
        parse_expression("-" * (sys.getrecursionlimit() * 20) + "1")
    # a long but reasonable sum is fine
    assert len(symbols(parse_expression(" + ".join(f"x{i}" for i in range(100))))) == 100


def test_expression_error_is_a_value_error():
    assert issubclass(ExpressionError, ValueError)


# --------------------------------------------------------------- evaluation
@pytest.mark.parametrize(
    "text, env, expected",
    [
        ("1 + 2 * 3", {}, 7.0),
        ("(1 + 2) * 3", {}, 9.0),
        ("2^3^2", {}, 512.0),
        ("-2^2", {}, -4.0),
        ("(-2)^2", {}, 4.0),
        ("a / b / c", {"a": 12, "b": 3, "c": 2}, 2.0),
        ("a - b - c", {"a": 10, "b": 3, "c": 2}, 5.0),
        ("k * A * V", {"k": 0.5, "A": 4.0, "V": 3.0}, 6.0),
        ("pow(x, 0.5)", {"x": 9.0}, 3.0),
        ("x ** 3", {"x": 2.0}, 8.0),
        ("min(a, b) + max(a, b)", {"a": 2.0, "b": 7.0}, 9.0),
        ("min(a, b) * 10", {"a": -1.0, "b": 7.0}, -10.0),
        ("abs(a - b)", {"a": 2.0, "b": 7.0}, 5.0),
        ("sqrt(16)", {}, 4.0),
        ("exp(log(5))", {}, 5.0),
        ("log(exp(2))", {}, 2.0),
        ("hill(2, 2, 3)", {}, 0.5),
        ("hill(x, K, n)", {"x": 3.0, "K": 1.0, "n": 2.0}, 9.0 / 10.0),
        ("hill(x, K, n)", {"x": 1.0, "K": 2.0, "n": 1.5}, 1.0 / (2.0**1.5 + 1.0)),
        ("mm(x, K)", {"x": 3.0, "K": 1.0}, 0.75),
        ("Vmax * mm(C, Km)", {"Vmax": 10.0, "C": 1.0, "Km": 4.0}, 2.0),
    ],
)
def test_evaluate(text, env, expected):
    assert evaluate(parse_expression(text), env) == pytest.approx(expected, rel=1e-14)


def test_evaluate_undefined_symbol():
    with pytest.raises(ExpressionError, match="undefined symbol 'y'"):
        evaluate(parse_expression("x + y"), {"x": 1.0})


@pytest.mark.parametrize(
    "text, env, message",
    [
        ("a / b", {"a": 1.0, "b": 0.0}, r"cannot evaluate 'a/b'.*division by zero"),
        ("log(x)", {"x": -1.0}, r"cannot evaluate 'log\(x\)'"),
        ("exp(x)", {"x": 1e6}, r"cannot evaluate 'exp\(x\)'"),
        ("x ^ 0.5", {"x": -4.0}, r"cannot evaluate 'x\^0\.5'"),
    ],
)
def test_evaluate_math_errors_name_the_subexpression(text, env, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate(parse_expression(text), env)


# ------------------------------------------------------- dimension analysis
UNITS = {
    "k": "1/day",
    "A": "uM",
    "B": "uM",
    "N": "nM",
    "V": "L",
    "kon": "1/(uM*day)",
    "K": "uM",
    "Kn": "nM",
    "n": "1",
    "t": "day",
    "dose": "mg",
    "frac": "%",
}


def unit_of(name):
    return parse_unit(UNITS[name])


def infer(text):
    return infer_unit(parse_expression(text), unit_of)


def test_mass_action_rate_has_amount_per_time():
    rate = infer("k * A * V")
    assert rate == parse_unit("umol/day")
    assert rate.scale == pytest.approx(1e-6)
    assert infer("kon * A * B * V") == parse_unit("umol/day")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A + B", "uM"),
        ("A - B", "uM"),
        ("-A", "uM"),
        ("2 * A", "uM"),
        ("A / B", "1"),
        ("A^2", "uM^2"),
        ("A^-1", "1/uM"),
        ("A^(-1)", "1/uM"),
        ("pow(A, 2)", "uM^2"),
        ("sqrt(A * B)", "uM"),
        ("abs(A - B)", "uM"),
        ("min(A, B)", "uM"),
        ("max(A, B)", "uM"),
        ("exp(-k * t)", "1"),
        ("log(A / K)", "1"),
        ("(A / K)^n", "1"),
        ("pow(A / K, n)", "1"),
        ("hill(A, K, n)", "1"),
        ("hill(A, K, 2)", "1"),
        ("mm(A, K)", "1"),
        ("k * A * V * hill(N, Kn, n)", "umol/day"),
        ("dose / V", "mg/L"),
    ],
)
def test_infer_unit(text, expected):
    assert infer(text) == parse_unit(expected)


def test_infer_unit_fractional_power():
    unit = infer("A^0.5")
    assert unit.dims == (parse_unit("uM") ** Fraction(1, 2)).dims
    assert unit.scale == pytest.approx(1e-3)
    assert infer("sqrt(A)") == unit


def test_literals_are_dimensionless():
    assert infer_unit(parse_expression("3.5"), unit_of) == DIMENSIONLESS


@pytest.mark.parametrize(
    "text, message",
    [
        ("A + N", r"cannot add 'A' \[uM\] and 'N' \[nM\] in 'A \+ N'.*1 uM = 1000 nM"),
        ("A - V", r"cannot subtract 'A' \[uM\] and 'V' \[L\].*different quantities"),
        ("exp(A)", r"argument of exp\(\) must be dimensionless, but 'A' has unit uM"),
        ("log(A)", r"argument of log\(\) must be dimensionless"),
        ("log(frac)", r"pure number.*'frac'.*%"),
        ("hill(A, Kn, n)", r"'A' \[uM\] and 'Kn' \[nM\] in 'hill\(A, Kn, n\)'"),
        ("hill(A, V, n)", "different quantities"),
        ("hill(A, K, t)", r"Hill coefficient must be dimensionless, but 't' has unit day"),
        ("mm(A, V)", r"mm\(A, V\)"),
        ("min(A, N)", r"take min\(\) of 'A' \[uM\] and 'N' \[nM\]"),
        ("A^n", r"exponent must be a number written literally, not 'n'"),
        ("pow(A, k * t)", r"exponent must be a number written literally, not 'k\*t'"),
        ("2^A", r"an exponent must be dimensionless, but 'A' has unit uM"),
        ("k * A + A", r"cannot add 'k\*A' \[.*\] and 'A' \[uM\]"),
    ],
)
def test_dimension_errors(text, message):
    with pytest.raises(UnitError, match=message):
        infer(text)


def test_unknown_symbol_in_unit_lookup():
    with pytest.raises(UnitError, match="no unit is known for symbol 'zzz'"):
        infer("zzz * A")


def test_unit_lookup_errors_other_than_keyerror_propagate():
    class Stop(Exception):
        pass

    def lookup(name):
        raise Stop(name)

    with pytest.raises(Stop):
        infer_unit(parse_expression("x"), lookup)


# ---------------------------------------------------------------- sympy
sympy = pytest.importorskip("sympy")


def test_to_sympy_expands_hill_and_mm():
    x, K, n = sympy.symbols("x K n", positive=True)
    smap = {"x": x, "K": K, "n": n}
    hill = to_sympy(parse_expression("hill(x, K, n)"), smap)
    assert sympy.simplify(hill - x**n / (K**n + x**n)) == 0
    mm = to_sympy(parse_expression("mm(x, K)"), smap)
    assert sympy.simplify(mm - x / (K + x)) == 0


def test_to_sympy_functions():
    a, b = sympy.symbols("a b", real=True)
    smap = {"a": a, "b": b}
    assert to_sympy(parse_expression("min(a, b)"), smap) == sympy.Min(a, b)
    assert to_sympy(parse_expression("max(a, b)"), smap) == sympy.Max(a, b)
    assert to_sympy(parse_expression("abs(a)"), smap) == sympy.Abs(a)
    assert to_sympy(parse_expression("exp(a) + log(b) + sqrt(a)"), smap) == (
        sympy.exp(a) + sympy.log(b) + sympy.sqrt(a)
    )
    assert to_sympy(parse_expression("pow(a, 2) - a^2"), smap) == 0


def test_to_sympy_missing_symbol():
    with pytest.raises(ExpressionError, match="no SymPy symbol given for 'y'"):
        to_sympy(parse_expression("y + 1"), {})


@pytest.mark.parametrize(
    "text",
    [
        "kon * A * B - koff * C",
        "Vmax * mm(A, Km) * hill(B, K, n)",
        "exp(-k * A) * log(B / K) + sqrt(A * B) / (1 + A^2)",
        "pow(A / K, n) - max(A, 0.1) * B",
    ],
)
def test_sympy_derivative_matches_finite_differences(text):
    node = parse_expression(text)
    env = {"kon": 0.7, "koff": 0.2, "A": 1.3, "B": 0.8, "C": 0.4, "Vmax": 5.0, "Km": 0.6,
           "K": 0.9, "n": 2.4, "k": 0.3}
    names = sorted(symbols(node))
    smap = {name: sympy.Symbol(name, positive=True) for name in names}
    expr = to_sympy(node, smap)
    # the symbolic expression evaluates like the tree itself
    at = {smap[name]: env[name] for name in names}
    assert float(expr.subs(at)) == pytest.approx(evaluate(node, env), rel=1e-12)
    for wrt in ("A", "B"):
        if wrt not in names:
            continue
        symbolic = float(sympy.diff(expr, smap[wrt]).subs(at))
        h = 1e-6
        up = dict(env, **{wrt: env[wrt] + h})
        down = dict(env, **{wrt: env[wrt] - h})
        numeric = (evaluate(node, up) - evaluate(node, down)) / (2 * h)
        assert symbolic == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_sympy_and_numba_are_not_imported_at_module_level():
    """Only ``to_sympy`` may import sympy (lazily); numba is never used here."""
    import ivigsim.core.expressions
    import ivigsim.core.units

    for module in (ivigsim.core.expressions, ivigsim.core.units):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for stmt in tree.body:
            if isinstance(stmt, ast.If):  # the ``if TYPE_CHECKING:`` block is not executed
                continue
            for node in ast.walk(stmt):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                else:
                    continue
                if isinstance(stmt, ast.FunctionDef) and all(n.split(".")[0] == "sympy" for n in names):
                    continue  # a lazy import inside a function body
                assert not any(n.split(".")[0] in ("sympy", "numba") for n in names), (module, names)


def test_step_functions_evaluate_check_units_and_differentiate_to_zero():
    import sympy

    from ivigsim.core.expressions import evaluate, infer_unit, parse_expression, to_sympy
    from ivigsim.core.units import parse_unit
    node = parse_expression("floor(x) + ceil(x) + rem(x, 3) + rem(-7, 3) + factorial(n)")
    # floor(-7.5) + ceil(-7.5) + fmod(-7.5, 3) + fmod(-7, 3) + 3! = -8 - 7 - 1.5 - 1 + 6
    assert evaluate(node, {"x": -7.5, "n": 3.0}) == -11.5
    x, n = sympy.symbols("x n")
    expr = to_sympy(node, {"x": x, "n": n})
    assert float(expr.subs({x: -7.5, n: 3})) == -11.5
    assert expr.diff(n) == 0 and expr.diff(x) == 1          # the rem's own a, nothing from the steps
    mg = parse_unit("mg")
    assert infer_unit(parse_expression("floor(a) + rem(a, b)"), lambda s: mg) == mg
    with pytest.raises(Exception, match="factorial"):
        infer_unit(parse_expression("factorial(a)"), lambda s: mg)
