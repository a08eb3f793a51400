"""Reading typed values out of TOML tables, and the names a model file declares.

:class:`TableReader` reads one field at a time and fails with the file and the
key (agent and experiment files use it too); :class:`Symbols` is what the
table readers of a model file share: the names claimed so far and the unit of
every symbol. Internal to :mod:`ivigsim.core.spec`, which re-exports
:class:`TableReader` and :func:`read_toml`.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from pathlib import Path

from ivigsim.errors import ModelFileError
from ivigsim.core.expressions import ExpressionError, infer_unit, parse_expression, symbols
from ivigsim.core.units import Unit, UnitError, parse_unit

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class TableReader:
    """Reads typed values out of the TOML tables, failing with file and key."""

    error = ModelFileError       # subclasses reading other files raise their own kind

    def __init__(self, path):
        self.path = path

    def fail(self, key, message):
        raise self.error(self.path, key, message)

    def table(self, data, key, required=True):
        value = data.get(key.split(".")[-1])
        if value is None:
            if required:
                self.fail(key, "this table is required")
            return {}
        if not isinstance(value, dict):
            self.fail(key, f"expected a table, got {type(value).__name__}")
        return value

    def check_keys(self, entry, key, allowed, required=()):
        if not isinstance(entry, dict):
            self.fail(key, f"expected a table of fields, got {entry!r}")
        for k in required:
            if k not in entry:
                self.fail(f"{key}.{k}", "this field is required")
        for k in entry:
            if k not in allowed:
                hint = difflib.get_close_matches(k, allowed, n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.fail(f"{key}.{k}", f"unknown field{more}; allowed: {', '.join(allowed)}")

    def text(self, entry, key, field_name, default=None):
        value = entry.get(field_name, default)
        if not isinstance(value, str):
            self.fail(f"{key}.{field_name}", f"expected text, got {value!r}")
        return value

    def bounded_value(self, entry, key):
        """``(value, low, high)`` of a parameter table with value, unit, bounds and source."""
        self.check_keys(entry, key, ("value", "unit", "bounds", "source", "description", "ci95", "fitted_in"),
                        required=("value", "unit", "bounds", "source"))
        value = self.number(entry["value"], f"{key}.value")
        bounds = entry["bounds"]
        if not (isinstance(bounds, list) and len(bounds) == 2):
            self.fail(f"{key}.bounds", f"expected [low, high], got {bounds!r}")
        low, high = (self.number(b, f"{key}.bounds") for b in bounds)
        if low > high:
            self.fail(f"{key}.bounds", f"low bound {low} is above high bound {high}")
        if not low <= value <= high:
            self.fail(f"{key}.value", f"{value} lies outside its bounds [{low}, {high}]")
        return value, low, high

    def fit_record(self, entry, key, value):
        """``(ci95, fitted_in)`` of a fitted parameter: its 95 % interval (or None) and its fit problem."""
        ci95 = entry.get("ci95")
        if ci95 is not None:
            if not (isinstance(ci95, list) and len(ci95) == 2):
                self.fail(f"{key}.ci95", f"expected [low, high], got {ci95!r}")
            ci95 = tuple(self.number(b, f"{key}.ci95") for b in ci95)
            if not ci95[0] <= value <= ci95[1]:
                self.fail(f"{key}.ci95", f"the interval [{ci95[0]}, {ci95[1]}] excludes the value {value}")
        fitted_in = self.text(entry, key, "fitted_in", "")
        if ci95 is not None and not fitted_in.strip():
            self.fail(f"{key}.fitted_in", "a parameter with a ci95 needs the fit problem it came from")
        return ci95, fitted_in

    def number(self, value, key):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(key, f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            self.fail(key, f"expected a finite number, got {value!r}")
        return value

    def unit(self, entry, key):
        text = entry.get("unit")
        if not isinstance(text, str):
            self.fail(f"{key}.unit", f"expected a unit such as 'g/L' or '1/day', got {text!r}")
        try:
            return parse_unit(text)
        except UnitError as exc:
            self.fail(f"{key}.unit", str(exc))

    def expression(self, value, key):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                self.fail(key, f"expected a finite number, got {value!r}")
            value = repr(float(value))
        if not isinstance(value, str):
            self.fail(key, f"expected an expression (text) or a number, got {value!r}")
        try:
            return parse_expression(value)
        except ExpressionError as exc:
            self.fail(key, str(exc))

    def name(self, name, key):
        if not _NAME_RE.match(name):
            self.fail(key, f"'{name}' is not a valid name (letters, digits and _, starting with a letter)")
        return name


def parse_equation(reader, text, key, species_names):
    """The reactants and products of ``"a + 2 b -> c"``: two tuples of (species, coefficient)."""
    if not isinstance(text, str) or text.count("->") != 1 or "<->" in text:
        reader.fail(key, f"expected one irreversible equation 'a + b -> c' (write a reverse "
                         f"reaction separately), got {text!r}")
    left, right = text.split("->")
    sides = []
    for side in (left, right):
        terms = []
        for term in filter(None, (t.strip() for t in side.split("+"))):
            parts = term.split()
            coeff, name = (1.0, parts[0]) if len(parts) == 1 else (parts[0], parts[-1])
            if len(parts) > 2:
                reader.fail(key, f"cannot read the term {term!r}")
            try:
                coeff = float(coeff)
            except ValueError:
                reader.fail(key, f"stoichiometric coefficient {coeff!r} in {term!r} is not a number")
            if not (coeff > 0 and math.isfinite(coeff)):
                reader.fail(key, f"stoichiometric coefficient in {term!r} must be positive")
            if name not in species_names:
                reader.fail(key, f"unknown species '{name}' in equation {text!r}")
            terms.append((name, coeff))
        sides.append(tuple(terms))
    if not sides[0] and not sides[1]:
        reader.fail(key, "an equation needs at least one species")
    return sides


def read_toml(path, error=ModelFileError):
    """The tables of a TOML data file; a missing or malformed file raises ``error(path, "", why)``."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(path, "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(path, "", f"not valid TOML: {exc}") from None


class Symbols:
    """The names a model file has claimed so far, and the unit of each symbol.

    Every table reader claims its names here, so a name used twice is refused
    with both keys; ``units`` grows as tables are read, so an expression can
    only use what was declared before it (parameters, then compartments, ...).

    Parameters
    ----------
    reader : TableReader
        Reports failures with the file and key.
    checked : bool
        False for ``units = "unchecked"``: symbols are looked up, units not compared.
    reserved : dict
        Names taken before any table is read (name -> why).
    """

    def __init__(self, reader: TableReader, checked: bool, reserved: dict[str, str]) -> None:
        self.reader = reader
        self.checked = checked
        self.seen: dict[str, str] = dict(reserved)
        self.units: dict[str, Unit] = {}

    def claim(self, entry_name: str, key: str) -> None:
        """Take ``entry_name`` for the entry at ``key``; refuse an invalid or duplicate name."""
        self.reader.name(entry_name, key)
        if entry_name in self.seen:
            self.reader.fail(key, f"the name '{entry_name}' is already used by [{self.seen[entry_name]}]")
        self.seen[entry_name] = key

    def unit_of(self, node, key: str, table: dict | None = None) -> Unit | None:
        """Unit of an expression whose symbols must all be in ``table`` (default: all so far).

        Returns None in an unchecked model when the units do not fit together.
        """
        reader = self.reader
        table = self.units if table is None else table

        def lookup(symbol):
            if symbol not in table:
                hint = difflib.get_close_matches(symbol, list(table), n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else ""
                reader.fail(key, f"undefined symbol '{symbol}'{more}")
            return table[symbol]
        try:
            return infer_unit(node, lookup)
        except UnitError as exc:
            if not self.checked:
                for sym in symbols(node):
                    lookup(sym)                  # an undefined symbol is an error all the same
                return None
            reader.fail(key, f"inconsistent units: {exc}")
