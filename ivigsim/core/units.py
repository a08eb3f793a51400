"""Physical units for ivigsim model files.

Quantities in a model (doses, concentrations, volumes, rate constants, cell
counts) are written with unit strings such as ``"mg/kg"``, ``"uM"``,
``"1/(uM*day)"`` or ``"10^9/L"``.  This module turns such strings into
:class:`Unit` objects that record

* a *scale*: the factor that converts a value in this unit to base units, and
* *dimensions*: rational exponents of the five base dimensions
  :data:`BASE_DIMENSIONS` (mass ``g``, amount ``mol``, volume ``L``, time
  ``day`` and cell count ``cell``).

Volume is treated as a base dimension of its own (rather than length cubed)
because pharmacological models never need lengths, and keeping ``L`` as a base
makes dimension messages read naturally (``mol·L^-1`` instead of
``mol·m^-3``).

Grammar of unit strings
-----------------------
::

    unit     := "" | product
    product  := power (("*" | "·" | "/") power)*      # left-associative
    power    := atom [("^" | "**") exponent]
    exponent := ["+" | "-"] INTEGER
              | "(" ["+" | "-"] INTEGER ["/" INTEGER] ")"
    atom     := SYMBOL | NUMBER | "(" product ")"

Whitespace is ignored.  Numbers (``1e9``, ``10^9``, ``0.5``) are pure scale
factors, so ``"10^9/L"`` is "billions per litre".  ``""``, ``"1"`` and
``"dimensionless"`` are all dimensionless.  Two atoms written next to each
other without an operator (``"mg L"``) are rejected, because it is ambiguous
whether a product or a typo was meant.

Examples
--------
>>> parse_unit("uM") * parse_unit("L") == parse_unit("umol")
True
>>> parse_unit("mg/L").factor_to(parse_unit("g/L"))
0.001
>>> str(parse_unit("1/(uM*day)") ** 1)
'1000000·mol^-1·L·day^-1'
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

__all__ = [
    "BASE_DIMENSIONS",
    "DIMENSIONLESS",
    "Unit",
    "UnitError",
    "known_symbols",
    "parse_unit",
]

#: Names of the base dimensions, in the order used by :attr:`Unit.dims`.
BASE_DIMENSIONS: tuple[str, ...] = ("g", "mol", "L", "day", "cell")

_NDIM = len(BASE_DIMENSIONS)
_ZERO_DIMS: tuple[Fraction, ...] = (Fraction(0),) * _NDIM

# Relative tolerance for comparing scales, so that units reached by different
# arithmetic routes (``nM*mL`` versus ``pmol``) compare equal.
_SCALE_RTOL = 1e-12


class UnitError(ValueError):
    """A unit string could not be understood, or two units do not fit together.

    The message is meant to be read by the author of a model file: it names
    the offending symbol or sub-expression and, where possible, says how to
    fix it.
    """


@dataclass(frozen=True, eq=False)
class Unit:
    """A physical unit: a positive scale factor and base-dimension exponents.

    Parameters
    ----------
    scale : float
        Multiply a value expressed in this unit by ``scale`` to obtain the
        value in base units (``g``, ``mol``, ``L``, ``day``, ``cell``).  For
        example ``mg`` has scale ``1e-3`` and ``h`` has scale ``1/24``.
    dims : tuple of Fraction
        Exponents of :data:`BASE_DIMENSIONS`.  ``uM`` has
        ``(0, 1, -1, 0, 0)``.
    text : str, optional
        How the unit was written by the user.  Used by :meth:`__str__` only;
        it takes no part in equality or hashing.

    Notes
    -----
    Two units are equal when their dimensions are identical and their scales
    agree to a relative tolerance of ``1e-12``, so that equal units reached
    through different floating-point arithmetic (``nM*mL`` and ``pmol``)
    compare equal.  The hash depends on the dimensions only, which keeps it
    consistent with this equality.
    """

    scale: float
    dims: tuple[Fraction, ...]
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        try:
            scale = float(self.scale)
        except (TypeError, ValueError) as exc:
            raise UnitError(f"unit scale must be a number, got {self.scale!r}") from exc
        if not math.isfinite(scale) or scale <= 0.0:
            raise UnitError(f"unit scale must be a positive finite number, got {scale!r}")
        dims = tuple(Fraction(d) for d in self.dims)
        if len(dims) != _NDIM:
            raise UnitError(
                f"a unit needs {_NDIM} dimension exponents "
                f"({', '.join(BASE_DIMENSIONS)}), got {len(dims)}"
            )
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "dims", dims)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Unit):
            return NotImplemented
        return self.dims == other.dims and self.same_scale(other)

    def __hash__(self) -> int:
        return hash(self.dims)

    def same_scale(self, other: Unit) -> bool:
        """Return True when the scales agree (to a relative tolerance of 1e-12).

        Parameters
        ----------
        other : Unit

        Returns
        -------
        bool
        """
        return math.isclose(self.scale, other.scale, rel_tol=_SCALE_RTOL)

    # ----------------------------------------------------------- arithmetic
    def __mul__(self, other: Unit) -> Unit:
        if not isinstance(other, Unit):
            return NotImplemented
        return Unit(
            self.scale * other.scale,
            tuple(a + b for a, b in zip(self.dims, other.dims)),
        )

    def __truediv__(self, other: Unit) -> Unit:
        if not isinstance(other, Unit):
            return NotImplemented
        return Unit(
            self.scale / other.scale,
            tuple(a - b for a, b in zip(self.dims, other.dims)),
        )

    def __pow__(self, k: int | Fraction) -> Unit:
        if isinstance(k, bool) or not isinstance(k, (int, Fraction)):
            return NotImplemented
        k = Fraction(k)
        try:
            scale = self.scale ** float(k)
        except OverflowError as exc:
            raise UnitError(f"unit {self} raised to {k} overflows") from exc
        return Unit(scale, tuple(d * k for d in self.dims))

    # ------------------------------------------------------------- queries
    @property
    def is_dimensionless(self) -> bool:
        """True when every dimension exponent is zero (the scale may differ from 1)."""
        return all(d == 0 for d in self.dims)

    def same_dimension(self, other: Unit) -> bool:
        """Return True when ``self`` and ``other`` measure the same kind of quantity.

        Parameters
        ----------
        other : Unit
            Unit to compare with; scales are ignored.

        Returns
        -------
        bool
        """
        return self.dims == other.dims

    def factor_to(self, other: Unit) -> float:
        """Conversion factor from ``self`` to ``other``.

        Parameters
        ----------
        other : Unit
            Target unit; must have the same dimension.

        Returns
        -------
        float
            ``value_in_self * factor == value_in_other``.

        Raises
        ------
        UnitError
            If the two units have different dimensions.

        Examples
        --------
        >>> parse_unit("h").factor_to(parse_unit("day")) == 1 / 24
        True
        """
        if not self.same_dimension(other):
            raise UnitError(
                f"cannot convert {self} to {other}: they measure different "
                f"quantities ({self.dimension_text()} versus {other.dimension_text()})"
            )
        return self.scale / other.scale

    # ------------------------------------------------------------ rendering
    def dimension_text(self) -> str:
        """Render the dimensions only, e.g. ``"mol·L^-1"`` (``"1"`` if none)."""
        parts = []
        for name, exp in zip(BASE_DIMENSIONS, self.dims):
            if exp == 0:
                continue
            if exp == 1:
                parts.append(name)
            elif exp.denominator == 1:
                parts.append(f"{name}^{exp.numerator}")
            else:
                parts.append(f"{name}^({exp})")
        return "·".join(parts) if parts else "1"

    def __str__(self) -> str:
        if self.text:
            return self.text
        dim = self.dimension_text()
        if math.isclose(self.scale, 1.0, rel_tol=_SCALE_RTOL):
            return dim
        scale = f"{self.scale:.12g}"
        return scale if dim == "1" else f"{scale}·{dim}"


#: The unit of pure numbers.
DIMENSIONLESS = Unit(1.0, _ZERO_DIMS, "1")


# ---------------------------------------------------------------- symbols
def _dims(**exps: int) -> tuple[Fraction, ...]:
    return tuple(Fraction(exps.get(name, 0)) for name in BASE_DIMENSIONS)


_MASS = _dims(g=1)
_AMOUNT = _dims(mol=1)
_VOLUME = _dims(L=1)
_TIME = _dims(day=1)
_CELLS = _dims(cell=1)
_MOLAR = _dims(mol=1, L=-1)

_MICRO = ("u", "\u00b5", "\u03bc")  # ASCII u, MICRO SIGN, GREEK SMALL LETTER MU


def _build_symbols() -> dict[str, tuple[float, tuple[Fraction, ...]]]:
    table: dict[str, tuple[float, tuple[Fraction, ...]]] = {}
    prefixed = {
        "g": (_MASS, {"": 1.0, "k": 1e3, "m": 1e-3, "n": 1e-9}, True),
        "mol": (_AMOUNT, {"": 1.0, "m": 1e-3, "n": 1e-9, "p": 1e-12}, True),
        "M": (_MOLAR, {"": 1.0, "m": 1e-3, "n": 1e-9, "p": 1e-12}, True),
        "L": (_VOLUME, {"": 1.0, "d": 1e-1, "m": 1e-3}, True),
    }
    for base, (dims, prefixes, micro) in prefixed.items():
        for prefix, factor in prefixes.items():
            table[prefix + base] = (factor, dims)
        if micro:
            for mu in _MICRO:
                table[mu + base] = (1e-6, dims)
    table["l"] = (1.0, _VOLUME)
    for name in ("day", "days", "d"):
        table[name] = (1.0, _TIME)
    for name in ("h", "hour", "hours"):
        table[name] = (1.0 / 24.0, _TIME)
    table["min"] = (1.0 / 1440.0, _TIME)
    table["s"] = (1.0 / 86400.0, _TIME)
    for name in ("week", "weeks"):
        table[name] = (7.0, _TIME)
    for name in ("cell", "cells"):
        table[name] = (1.0, _CELLS)
    table["%"] = (0.01, _ZERO_DIMS)
    table["dimensionless"] = (1.0, _ZERO_DIMS)
    return table


_SYMBOLS = _build_symbols()


def known_symbols() -> tuple[str, ...]:
    """Return every unit symbol :func:`parse_unit` understands, sorted."""
    return tuple(sorted(_SYMBOLS))


# ---------------------------------------------------------------- parsing
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<pow>\*\*|\^)
  | (?P<mul>[*\u00b7\u22c5])
  | (?P<div>/)
  | (?P<lpar>\()
  | (?P<rpar>\))
  | (?P<sign>[+-])
  | (?P<sym>[A-Za-z\u00b5\u03bc]+|%)
    """,
    re.VERBOSE,
)

_DESCRIBE = {
    "num": "a number",
    "pow": "'^'",
    "mul": "'*'",
    "div": "'/'",
    "lpar": "'('",
    "rpar": "')'",
    "sign": "a sign",
    "sym": "a unit symbol",
    "end": "the end of the unit",
}


class _UnitParser:
    """Recursive-descent parser for the unit grammar described in the module docstring."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN_RE.match(text, pos)
            if match is None:
                self.fail(f"unexpected character {text[pos]!r}", pos)
            kind = match.lastgroup
            if kind != "ws":
                self.tokens.append((kind, match.group(), pos))
            pos = match.end()
        self.tokens.append(("end", "", len(text)))
        self.i = 0

    # -- helpers
    def fail(self, what: str, pos: int) -> None:
        raise UnitError(f"malformed unit {self.text!r}: {what} (at position {pos})")

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def describe(self, tok: tuple[str, str, int]) -> str:
        kind, value, _ = tok
        if kind in ("sym", "num"):
            return f"{_DESCRIBE[kind]} {value!r}"
        return _DESCRIBE[kind] if kind != "sign" else f"{value!r}"

    # -- grammar
    def parse(self) -> Unit:
        if self.peek()[0] == "end":
            return DIMENSIONLESS
        unit = self.product()
        tok = self.peek()
        if tok[0] == "rpar":
            self.fail("unmatched ')'", tok[2])
        if tok[0] != "end":
            prev = self.tokens[self.i - 1]
            self.fail(
                f"expected '*' or '/' between {prev[1]!r} and {tok[1]!r}", tok[2]
            )
        return unit

    def product(self) -> Unit:
        unit = self.power()
        while self.peek()[0] in ("mul", "div"):
            kind = self.take()[0]
            rhs = self.power()
            unit = unit * rhs if kind == "mul" else unit / rhs
        return unit

    def power(self) -> Unit:
        base = self.atom()
        if self.peek()[0] != "pow":
            return base
        op = self.take()
        exponent = self.exponent(op)
        if self.peek()[0] == "pow":
            self.fail("chained exponents are not allowed; use parentheses", self.peek()[2])
        return base ** exponent

    def exponent(self, op: tuple[str, str, int]) -> Fraction:
        tok = self.peek()
        if tok[0] == "lpar":
            self.take()
            value = self.signed_integer(op)
            if self.peek()[0] == "div":
                self.take()
                den = self.signed_integer(op, allow_sign=False)
                if den == 0:
                    self.fail("exponent has a zero denominator", self.peek()[2])
                value = Fraction(value, den)
            close = self.take()
            if close[0] != "rpar":
                self.fail(f"expected ')' to close the exponent, found {self.describe(close)}", close[2])
            return Fraction(value)
        return Fraction(self.signed_integer(op))

    def signed_integer(self, op: tuple[str, str, int], allow_sign: bool = True) -> int:
        sign = 1
        tok = self.peek()
        if allow_sign and tok[0] == "sign":
            self.take()
            sign = -1 if tok[1] == "-" else 1
            tok = self.peek()
        if tok[0] != "num":
            self.fail(
                f"{op[1]!r} must be followed by an integer exponent, found {self.describe(tok)}",
                tok[2],
            )
        if not tok[1].isdigit():
            self.fail(f"exponent {tok[1]!r} must be a whole number (or a fraction like (1/2))", tok[2])
        self.take()
        return sign * int(tok[1])

    def atom(self) -> Unit:
        tok = self.take()
        kind, value, pos = tok
        if kind == "sym":
            try:
                scale, dims = _SYMBOLS[value]
            except KeyError:
                raise UnitError(
                    f"unknown unit symbol {value!r} in {self.text!r}; known symbols: "
                    + ", ".join(known_symbols())
                ) from None
            return Unit(scale, dims)
        if kind == "num":
            number = float(value)
            if not math.isfinite(number) or number <= 0.0:
                self.fail(f"the number {value!r} cannot be used as a unit factor (it must be positive and finite)", pos)
            return Unit(number, _ZERO_DIMS)
        if kind == "lpar":
            if self.peek()[0] == "rpar":
                self.fail("empty parentheses", self.peek()[2])
            inner = self.product()
            close = self.take()
            if close[0] != "rpar":
                self.fail(f"missing ')' to match the '(' at position {pos}; found {self.describe(close)}", close[2])
            return inner
        self.fail(f"expected a unit symbol, a number or '(' but found {self.describe(tok)}", pos)
        raise AssertionError("unreachable")  # pragma: no cover


@functools.lru_cache(maxsize=1024)
def parse_unit(text: str) -> Unit:
    """Parse a unit string such as ``"mg/kg"``, ``"1/(uM*day)"`` or ``"10^9/L"``.

    Parameters
    ----------
    text : str
        The unit as written in a model file.  See the module docstring for
        the grammar and :func:`known_symbols` for the accepted symbols.

    Returns
    -------
    Unit
        The parsed unit, whose :attr:`Unit.text` is ``text`` stripped of
        surrounding whitespace.

    Raises
    ------
    UnitError
        If the string contains an unknown symbol or is malformed.

    Examples
    --------
    >>> parse_unit("L/kg/day").dims == parse_unit("L*kg^-1*day^-1").dims
    True
    """
    if not isinstance(text, str):
        raise UnitError(f"a unit must be written as a string, got {text!r}")
    unit = _UnitParser(text).parse()
    return Unit(unit.scale, unit.dims, text.strip())
