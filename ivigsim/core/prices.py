"""Default prices of the therapies: one registry, ``ivigsim/core/data/prices.toml``.

Every cost ivigsim computes (the ``cost_usd`` and ``therapy_cost_usd``
metrics, the demo, the reports) takes its price as an input; this module
gives the sourced defaults. A price no published source gives is NaN, so a
cost that needs it is NaN ("not priced") rather than a made-up number.

>>> from ivigsim.core.prices import price
>>> price("ivig").value, price("ivig").unit
(151.0, 'USD/g')
"""

from __future__ import annotations

import difflib
import functools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ivigsim.errors import IvigsimError

REGISTRY_PATH = Path(__file__).parent / "data" / "prices.toml"
#: Units a registry price may have.
UNITS = ("USD/g", "USD/mg", "USD/session")


class PriceError(IvigsimError, KeyError):
    """An unknown priced item, or a malformed registry entry."""

    def __str__(self):          # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Price:
    """One default price.

    Attributes
    ----------
    name : str
        ``"ivig"``, ``"plasma_exchange_session"`` or a drug name.
    value : float
        In ``unit``; NaN where no published price was found.
    unit : str
        One of :data:`UNITS`.
    source : str
    range : tuple of float or None
        Published low and high, where known.
    """

    name: str
    value: float
    unit: str
    source: str
    range: tuple | None = None

    @property
    def priced(self) -> bool:
        """Whether a published price exists."""
        return math.isfinite(self.value)


@functools.lru_cache(maxsize=1)
def registry() -> dict[str, Price]:
    """Every default price, by name."""
    data = tomllib.loads(REGISTRY_PATH.read_text(encoding="utf-8"))
    out = {}
    for name, entry in data.items():
        where = f"{REGISTRY_PATH}: [{name}]"
        missing = {"value", "unit", "source"} - set(entry)
        if missing:
            raise PriceError(f"{where}: missing {', '.join(sorted(missing))}")
        value = float(entry["value"])
        if entry["unit"] not in UNITS:
            raise PriceError(f"{where}.unit: expected one of {', '.join(UNITS)}, got {entry['unit']!r}")
        if value < 0:
            raise PriceError(f"{where}.value: a price must be >= 0 (or nan), got {value:g}")
        span = tuple(float(v) for v in entry["range"]) if "range" in entry else None
        out[name] = Price(name, value, entry["unit"], entry["source"], span)
    return out


def price(name) -> Price:
    """The default price of ``name``, or an error with a "did you mean"."""
    known = registry()
    if name not in known:
        hint = difflib.get_close_matches(str(name), list(known), n=1)
        more = f" Did you mean '{hint[0]}'?" if hint else ""
        raise PriceError(f"price: nothing called {name!r} is priced.{more} Priced: {', '.join(known)}")
    return known[name]


def drug_price_usd_per_mg(drug: str) -> float:
    """Default price of an FcRn antagonist, US$ per mg (NaN where not priced or not listed)."""
    entry = registry().get(drug)
    return entry.value if entry is not None and entry.unit == "USD/mg" else math.nan


#: IVIG, US$ per gram (target PK-35).
IVIG_USD_PER_G = price("ivig").value
#: One plasma-exchange (or immunoadsorption) session, US$.
SESSION_USD = price("plasma_exchange_session").value
