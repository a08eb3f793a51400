"""Units between ivigsim and SBML: unit definitions out, unit strings back.

An ivigsim :class:`~ivigsim.core.units.Unit` is a scale times powers of five base
dimensions (g, mol, L, day, cell). SBML writes a unit as a product of base
kinds, each ``(multiplier * 10^scale * kind)^exponent``. The two map one to
one: g is ``gram``, mol ``mole``, L ``litre``, day ``second`` with multiplier
86400 and cell ``item``; the overall scale is folded into one of the factors.

Reading SBML back, the same kinds (and ``kilogram``, ``metre`` as a cube
root of 1000 L, ``hertz``, ``dimensionless`` and ``avogadro``) are turned into
a :class:`Unit`, which is then written as a unit string that
:func:`~ivigsim.core.units.parse_unit` reads back to exactly the same unit.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from ivigsim.errors import IvigsimError
from ivigsim.core.units import BASE_DIMENSIONS, DIMENSIONLESS, Unit, UnitError, parse_unit

SECONDS_PER_DAY = 86400.0
AVOGADRO = 6.02214076e23

# ivigsim base dimension -> (SBML kind name, multiplier of that kind)
_KINDS = {"g": ("gram", 1.0), "mol": ("mole", 1.0), "L": ("litre", 1.0),
          "day": ("second", SECONDS_PER_DAY), "cell": ("item", 1.0)}
# Which factor carries the overall scale, first choice first.
_SCALE_CARRIERS = ("mol", "g", "cell", "L", "day")

# SBML kind -> (scale in ivigsim base units, ivigsim dims as {base: exponent})
_SBML_KINDS = {
    "gram": (1.0, {"g": 1}), "kilogram": (1e3, {"g": 1}), "mole": (1.0, {"mol": 1}),
    "litre": (1.0, {"L": 1}), "metre": (10.0, {"L": Fraction(1, 3)}),
    "second": (1.0 / SECONDS_PER_DAY, {"day": 1}), "hertz": (SECONDS_PER_DAY, {"day": -1}),
    "item": (1.0, {"cell": 1}), "dimensionless": (1.0, {}), "avogadro": (AVOGADRO, {}),
}

# Unit strings tried first when writing a unit back as text (most readable first).
_PREFERRED = (
    "1", "%", "g", "kg", "mg", "ug", "ng", "mol", "mmol", "umol", "nmol", "pmol",
    "L", "mL", "dL", "uL", "M", "mM", "uM", "nM", "pM", "cell", "day", "h", "min", "s", "week",
    "g/L", "mg/L", "ug/L", "ng/L", "mg/mL", "ug/mL", "ng/mL", "g/mol", "mg/umol", "kg/mol",
    "1/day", "1/h", "1/min", "1/s", "L/day", "L/h", "mL/min", "L/kg", "L/kg/day", "mg/kg/day",
    "mol/day", "mmol/day", "umol/day", "nmol/day", "mol/s", "umol/s", "nmol/h", "g/day", "mg/day",
    "cell/L", "cell/mL", "cell/uL", "cell/day", "1/cell", "1/(cell*day)", "10^9*cell/L",
    "M/s", "mM/s", "uM/s", "uM/day", "nM/day", "nM/h", "mM/min", "uM/min", "nM/min",
    "1/(M*s)", "1/(mM*s)", "1/(uM*s)", "1/(nM*s)", "1/(M*day)", "1/(uM*day)", "1/(nM*day)",
    "1/(uM*h)", "1/(nM*h)", "1/(mM*min)", "1/(uM*min)", "1/(nM*min)",
)

_QUANTITIES = ("g", "mg", "ug", "ng", "kg", "mol", "mmol", "umol", "nmol", "pmol", "L", "mL", "uL",
               "cell", "M", "mM", "uM", "nM", "pM", "g/L", "mg/L", "ug/L", "ng/mL", "cell/L", "cell/mL")
_TIMES = ("day", "h", "min", "s")


def _candidates():
    """Readable unit strings, most common first: the table above, then rates of quantities."""
    if not hasattr(_candidates, "cache"):
        rates = [f"{q}/{t}" for t in _TIMES for q in _QUANTITIES]
        second_order = [f"1/({q}*{t})" for t in _TIMES for q in _QUANTITIES]
        _candidates.cache = tuple(dict.fromkeys(_PREFERRED + tuple(rates) + tuple(second_order)))
    return _candidates.cache


# Kinds an SBML UnitSId may not be named after.
SBML_KIND_NAMES = frozenset(_SBML_KINDS) | {
    "ampere", "becquerel", "candela", "celsius", "coulomb", "farad", "gray", "henry", "joule",
    "katal", "kelvin", "lumen", "lux", "meter", "liter", "newton", "ohm", "pascal", "radian",
    "siemens", "sievert", "steradian", "tesla", "volt", "watt", "weber",
}


def _power_of_ten(value):
    """The integer ``k`` with ``value == 10**k`` (to 1e-12), or None."""
    k = round(math.log10(value))
    return k if math.isclose(value, 10.0 ** k, rel_tol=1e-12) else None


def sbml_factors(unit):
    """SBML factors ``(kind, exponent, scale, multiplier)`` whose product is ``unit``.

    Parameters
    ----------
    unit : Unit

    Returns
    -------
    list of tuple (str, float, int, float)
    """
    dims = dict(zip(BASE_DIMENSIONS, unit.dims))
    present = [b for b in BASE_DIMENSIONS if dims[b] != 0]
    if not present:
        k = _power_of_ten(unit.scale)
        return [("dimensionless", 1.0, k, 1.0) if k is not None else
                ("dimensionless", 1.0, 0, unit.scale)]
    carrier = next(b for b in _SCALE_CARRIERS if b in present)
    factors = []
    for base in present:
        kind, multiplier = _KINDS[base]
        exponent = dims[base]
        if base == carrier:
            multiplier *= unit.scale ** (1.0 / float(exponent))
        k = _power_of_ten(multiplier)
        factors.append((kind, float(exponent), k, 1.0) if k is not None else
                       (kind, float(exponent), 0, multiplier))
    return factors


def unit_from_factors(factors, where):
    """The :class:`Unit` of SBML factors ``(kind, exponent, scale, multiplier)``.

    Raises
    ------
    IvigsimError
        For a kind ivigsim has no dimension for (kelvin, ampere, ...), naming ``where``.
    """
    scale = 1.0
    dims = {b: Fraction(0) for b in BASE_DIMENSIONS}
    for kind, exponent, ten_power, multiplier in factors:
        if kind not in _SBML_KINDS:
            raise IvigsimError(f"{where}: the SBML unit kind '{kind}' has no ivigsim dimension "
                               f"(ivigsim knows mass, amount, volume, time and cell counts)")
        base_scale, base_dims = _SBML_KINDS[kind]
        exp = Fraction(exponent).limit_denominator(1000)
        if kind == "metre" and (exp * 3).denominator != 1:
            raise IvigsimError(f"{where}: lengths and areas (metre^{exponent:g}) have no ivigsim "
                               f"dimension; only volumes (metre^3) do")
        scale *= (multiplier * 10.0 ** ten_power * base_scale) ** float(exp)
        for base, e in base_dims.items():
            dims[base] += Fraction(e) * exp
    return Unit(scale, tuple(dims[b] for b in BASE_DIMENSIONS))


def _generic_text(unit):
    """A unit string for any :class:`Unit`: ``scale*num/(den)`` from base symbols."""
    def power(base, exp):
        if exp == 1:
            return base
        return f"{base}^{exp.numerator}" if exp.denominator == 1 else f"{base}^({exp})"

    num = [power(b, d) for b, d in zip(BASE_DIMENSIONS, unit.dims) if d > 0]
    den = [power(b, -d) for b, d in zip(BASE_DIMENSIONS, unit.dims) if d < 0]
    parts = [] if math.isclose(unit.scale, 1.0, rel_tol=1e-12) else [repr(unit.scale)]
    text = "*".join(parts + num) or "1"
    if den:
        text += "/" + (den[0] if len(den) == 1 else f"({'*'.join(den)})")
    return text


def unit_text(unit, hint=None):
    """A unit string that :func:`parse_unit` reads back as ``unit``.

    Parameters
    ----------
    unit : Unit
    hint : str, optional
        A string to use if it means exactly ``unit`` (e.g. the name an SBML
        unit definition was given).

    Returns
    -------
    str
    """
    for text in ((hint,) if hint else ()) + _candidates():
        try:
            candidate = parse_unit(text)
        except UnitError:
            continue
        if candidate == unit:
            return text
    for text in _PREFERRED:                  # a power of ten times a readable unit
        base = parse_unit(text)
        if base.same_dimension(unit) and not base.is_dimensionless:
            ratio = unit.scale / base.scale
            k = _power_of_ten(ratio)
            if k is not None and abs(k) >= 2:
                return f"10^{k}*{text}"
    text = _generic_text(unit)
    if parse_unit(text) != unit:                       # pragma: no cover - guards the renderer
        raise IvigsimError(f"cannot write the unit {unit} as text")
    return text


def unit_id(text):
    """An SBML UnitSId derived from a unit string (``"1/(uM*day)"`` -> ``"per_uM_per_day"``)."""
    ident = text.strip()
    ident = re.sub(r"^1/", "per_", ident)
    for old, new in (("%", "percent"), ("/", "_per_"), ("*", "_"), ("·", "_"), ("^", "_pow_"),
                     ("(", ""), (")", ""), ("-", "m"), (".", "p"), (" ", "")):
        ident = ident.replace(old, new)
    ident = re.sub(r"[^A-Za-z0-9_]", "_", ident)
    ident = re.sub(r"_+", "_", ident).strip("_") or "dimensionless_unit"
    if ident[0].isdigit() or ident in SBML_KIND_NAMES:
        ident = f"u_{ident}"
    return ident


class UnitTable:
    """The unit definitions of one SBML model being written, one per distinct unit."""

    def __init__(self, sbml_model):
        self.model = sbml_model
        self.ids = {}                 # (dims, rounded scale) -> id
        self.taken = set()

    def id_for(self, unit, text=None):
        """The UnitSId of ``unit`` (its definition is added on first use).

        Parameters
        ----------
        unit : Unit
        text : str, optional
            The unit string as the model file writes it; becomes the definition's name.
        """
        if unit == DIMENSIONLESS:
            return "dimensionless"
        key = (unit.dims, float(f"{unit.scale:.12e}"))
        if key in self.ids:
            return self.ids[key]
        text = text if text and parse_unit(text) == unit else unit_text(unit)
        ident, n = unit_id(text), 2
        while ident in self.taken:
            ident, n = f"{unit_id(text)}_{n}", n + 1
        import libsbml

        definition = self.model.createUnitDefinition()
        definition.setId(ident)
        definition.setName(text)
        for kind, exponent, scale, multiplier in sbml_factors(unit):
            factor = definition.createUnit()
            factor.setKind(libsbml.UnitKind_forName(kind))
            factor.setExponent(exponent)
            factor.setScale(scale)
            factor.setMultiplier(multiplier)
        self.taken.add(ident)
        self.ids[key] = ident
        return ident


def read_sbml_unit(sbml_model, ref, where):
    """The :class:`Unit` an SBML units attribute names, and the name to prefer as its text.

    Parameters
    ----------
    sbml_model : libsbml.Model
    ref : str
        A UnitSId of the model or a base kind (``"second"``, ``"litre"``, ...).
    where : str
        File and element, for error messages.

    Returns
    -------
    (Unit, str or None)
    """
    import libsbml

    definition = sbml_model.getUnitDefinition(ref)
    if definition is not None:
        factors = [(libsbml.UnitKind_toString(u.getKind()), u.getExponentAsDouble(), u.getScale(),
                    u.getMultiplier()) for u in definition.getListOfUnits()]
        return unit_from_factors(factors, f"{where} (unit definition '{ref}')"), definition.getName()
    if ref in _SBML_KINDS:
        return unit_from_factors([(ref, 1.0, 0, 1.0)], where), None
    raise IvigsimError(f"{where}: the unit '{ref}' is neither a unit definition of the model "
                       f"nor an SBML base unit ivigsim can use")
