"""Tests for ivigsim.core.units: parsing unit strings, arithmetic and conversion."""

from fractions import Fraction

import pytest

from ivigsim.core.units import (
    BASE_DIMENSIONS,
    DIMENSIONLESS,
    Unit,
    UnitError,
    known_symbols,
    parse_unit,
)


def dims(g=0, mol=0, L=0, day=0, cell=0):
    return tuple(Fraction(x) for x in (g, mol, L, day, cell))


MASS, AMOUNT, VOLUME, TIME, CELLS = dims(g=1), dims(mol=1), dims(L=1), dims(day=1), dims(cell=1)
MOLAR = dims(mol=1, L=-1)


@pytest.mark.parametrize(
    "text, scale, expected_dims",
    [
        # mass
        ("g", 1.0, MASS), ("kg", 1e3, MASS), ("mg", 1e-3, MASS),
        ("ug", 1e-6, MASS), ("\u00b5g", 1e-6, MASS), ("\u03bcg", 1e-6, MASS), ("ng", 1e-9, MASS),
        # amount
        ("mol", 1.0, AMOUNT), ("mmol", 1e-3, AMOUNT), ("umol", 1e-6, AMOUNT),
        ("\u00b5mol", 1e-6, AMOUNT), ("nmol", 1e-9, AMOUNT), ("pmol", 1e-12, AMOUNT),
        # volume
        ("L", 1.0, VOLUME), ("l", 1.0, VOLUME), ("dL", 0.1, VOLUME), ("mL", 1e-3, VOLUME),
        ("uL", 1e-6, VOLUME), ("\u00b5L", 1e-6, VOLUME),
        # molar concentration
        ("M", 1.0, MOLAR), ("mM", 1e-3, MOLAR), ("uM", 1e-6, MOLAR), ("\u00b5M", 1e-6, MOLAR),
        ("nM", 1e-9, MOLAR), ("pM", 1e-12, MOLAR),
        # time
        ("day", 1.0, TIME), ("days", 1.0, TIME), ("d", 1.0, TIME),
        ("h", 1 / 24, TIME), ("hour", 1 / 24, TIME), ("hours", 1 / 24, TIME),
        ("min", 1 / 1440, TIME), ("s", 1 / 86400, TIME), ("week", 7.0, TIME), ("weeks", 7.0, TIME),
        # cells and pure numbers
        ("cell", 1.0, CELLS), ("cells", 1.0, CELLS),
        ("%", 0.01, dims()), ("dimensionless", 1.0, dims()), ("1", 1.0, dims()), ("", 1.0, dims()),
    ],
)
def test_every_symbol_family(text, scale, expected_dims):
    unit = parse_unit(text)
    assert unit.scale == pytest.approx(scale, rel=1e-15)
    assert unit.dims == expected_dims


def test_base_dimensions_order():
    assert BASE_DIMENSIONS == ("g", "mol", "L", "day", "cell")
    assert DIMENSIONLESS.is_dimensionless and DIMENSIONLESS.scale == 1.0


def test_symbols_are_case_sensitive():
    with pytest.raises(UnitError, match="unknown unit symbol 'MG'"):
        parse_unit("MG")
    assert parse_unit("m" + "M") != parse_unit("M")


def test_micromolar_times_litre_is_micromole():
    product = parse_unit("uM") * parse_unit("L")
    assert product == parse_unit("umol")
    assert product.scale == pytest.approx(1e-6)
    assert product.dims == AMOUNT


def test_equality_tolerates_rounding_but_not_real_differences():
    assert parse_unit("nM") * parse_unit("mL") == parse_unit("pmol")
    assert parse_unit("nM") != parse_unit("uM")
    assert parse_unit("g") != parse_unit("mol")
    assert hash(parse_unit("nM") * parse_unit("mL")) == hash(parse_unit("pmol"))
    # the text a user wrote takes no part in equality
    assert Unit(1e-6, MOLAR, "uM") == Unit(1e-6, MOLAR, "micromolar")


def test_second_order_rate_constant():
    unit = parse_unit("1/(uM*day)")
    assert unit.dims == dims(mol=-1, L=1, day=-1)
    assert unit.scale == pytest.approx(1e6)
    # multiplying by two concentrations and a volume gives an amount per day
    rate = unit * parse_unit("uM") * parse_unit("uM") * parse_unit("L")
    assert rate == parse_unit("umol/day")


def test_division_is_left_associative():
    clearance = parse_unit("L/kg/day")
    assert clearance.dims == dims(g=-1, L=1, day=-1)
    assert clearance.scale == pytest.approx(1e-3)
    assert clearance == parse_unit("L*kg^-1*day^-1") == parse_unit("L / (kg * day)")
    assert parse_unit("g/L/L") == parse_unit("g*L**-2")


def test_numbers_are_scale_factors():
    platelets = parse_unit("10^9/L")
    assert platelets.dims == dims(L=-1)
    assert platelets.scale == pytest.approx(1e9)
    assert parse_unit("1e9/L") == platelets
    assert parse_unit("10^9 cells/L".replace(" ", "*")).dims == dims(L=-1, cell=1)
    assert parse_unit("10^-3").scale == pytest.approx(1e-3)
    assert parse_unit("0.5*g") == parse_unit("500 * mg")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("L^-1", dims(L=-1)),
        ("L**-1", dims(L=-1)),
        ("L^(-1)", dims(L=-1)),
        ("day^2", dims(day=2)),
        ("(mol/L)^2", dims(mol=2, L=-2)),
        ("g^(1/2)", dims(g=Fraction(1, 2))),
        ("  mg  /  ( kg * day ) ", dims(day=-1)),
    ],
)
def test_exponents_and_whitespace(text, expected):
    assert parse_unit(text).dims == expected


def test_text_is_kept_and_canonical_rendering_parses_back():
    assert str(parse_unit(" mg/L ")) == "mg/L"
    derived = parse_unit("uM") * parse_unit("L") / parse_unit("day")
    assert derived.text == ""
    rendered = str(derived)
    assert "mol" in rendered and "day^-1" in rendered
    assert parse_unit(rendered) == derived
    assert str(Unit(1.0, dims(mol=1, L=-1))) == "mol·L^-1"


def test_factor_to():
    assert parse_unit("mg/L").factor_to(parse_unit("g/L")) == pytest.approx(1e-3)
    assert parse_unit("h").factor_to(parse_unit("day")) == pytest.approx(1 / 24)
    assert parse_unit("day").factor_to(parse_unit("h")) == pytest.approx(24)
    assert parse_unit("mg/dL").factor_to(parse_unit("g/L")) == pytest.approx(1e-2)
    assert parse_unit("nM").factor_to(parse_unit("uM")) == pytest.approx(1e-3)
    assert parse_unit("%").factor_to(DIMENSIONLESS) == pytest.approx(0.01)


def test_factor_to_refuses_different_dimensions():
    with pytest.raises(UnitError, match=r"cannot convert mg/L to uM.*different"):
        parse_unit("mg/L").factor_to(parse_unit("uM"))


def test_unit_arithmetic():
    g, L = parse_unit("g"), parse_unit("L")
    assert (g / L) * L == g
    assert (g / L) ** 2 == g * g / (L * L)
    assert (g ** Fraction(1, 2)).dims == dims(g=Fraction(1, 2))
    assert parse_unit("mg") ** -1 == parse_unit("1/mg")
    assert (parse_unit("uM") / parse_unit("nM")).is_dimensionless
    assert parse_unit("uM").same_dimension(parse_unit("M"))
    assert not parse_unit("uM").same_dimension(parse_unit("umol"))


def test_parse_unit_is_cached():
    assert parse_unit("mg/kg") is parse_unit("mg/kg")


def test_unknown_symbol_names_symbol_and_string():
    with pytest.raises(UnitError, match=r"unknown unit symbol 'foo' in 'foo/L'; known symbols: .*mg"):
        parse_unit("foo/L")
    with pytest.raises(UnitError, match="unknown unit symbol 'month'"):
        parse_unit("1/month")
    assert "month" not in known_symbols() and "uM" in known_symbols()


@pytest.mark.parametrize(
    "text, message",
    [
        ("g//L", r"expected a unit symbol, a number or '\(' but found '/'"),
        ("g^", r"'\^' must be followed by an integer exponent"),
        ("(g", r"missing '\)'"),
        ("g)", r"unmatched '\)'"),
        ("mg L", r"expected '\*' or '/' between 'mg' and 'L'"),
        ("g^1.5", "must be a whole number"),
        ("g^2^3", "chained exponents"),
        ("0/L", "must be positive"),
        ("g&L", "unexpected character '&'"),
        ("()", "empty parentheses"),
        ("g^(1/0)", "zero denominator"),
        ("*g", "expected a unit symbol"),
    ],
)
def test_malformed_units(text, message):
    with pytest.raises(UnitError, match=message) as info:
        parse_unit(text)
    assert f"malformed unit {text!r}" in str(info.value)


def test_unit_error_is_a_value_error():
    assert issubclass(UnitError, ValueError)
    with pytest.raises(ValueError):
        parse_unit("bogus")


def test_invalid_unit_construction():
    with pytest.raises(UnitError, match="positive"):
        Unit(0.0, dims())
    with pytest.raises(UnitError, match="5 dimension exponents"):
        Unit(1.0, (Fraction(1),))
