"""FcRn antagonists as products: the drug catalogue and its checks.

The parameter set of each drug lives in ``ivigsim/core/data/fcrn_antagonists.toml``
(value, unit, bounds and source per parameter). A regimen that gives a drug
hands these values to the model (:meth:`Regimen.model_parameters`); the model's
``fcra_*`` species and reactions then carry the drug's own disposition through
the model's FcRn machinery.

References
----------
Ulrichts P, et al. J Clin Invest 2018;128:4372-4386 (efgartigimod).
Kiessling P, et al. Sci Transl Med 2017;9:eaan1208 (rozanolixizumab).
Ling LE, et al. Clin Pharmacol Ther 2019;105:1031-1039 (nipocalimab, M281).
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ivigsim.core import prices as _prices
from ivigsim.errors import IvigsimError

CATALOGUE_PATH = Path(__file__).parent / "data" / "fcrn_antagonists.toml"
#: Prefix of the model parameters a drug sets.
PARAMETER_PREFIX = "fcra_"


class AntagonistError(IvigsimError, ValueError):
    """An unknown drug, route or malformed catalogue entry."""


@dataclass(frozen=True)
class Drug:
    """One FcRn antagonist: its label facts and model parameter values."""

    name: str
    full_name: str
    design: str
    routes: tuple
    default_route: str
    iv_infusion_hours: float | None
    label: dict                 # e.g. {"iv_mg_per_kg": (10, 10), "sc_mg": (1000, 1008)}
    parameters: dict            # name -> value in the declared unit
    units: dict
    sources: dict
    references: tuple


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, Drug]:
    """Every drug of the catalogue file, by name."""
    data = tomllib.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    drugs = {}
    for name, entry in data.items():
        params = entry.get("parameters", {})
        values, units, sources = {}, {}, {}
        for pname, p in params.items():
            if not pname.startswith(PARAMETER_PREFIX):
                raise AntagonistError(f"{CATALOGUE_PATH}: [{name}.parameters.{pname}]: drug parameters "
                                      f"must start with '{PARAMETER_PREFIX}'")
            low, high = p["bounds"]
            if not low <= p["value"] <= high:
                raise AntagonistError(f"{CATALOGUE_PATH}: [{name}.parameters.{pname}]: value "
                                      f"{p['value']} outside its bounds [{low}, {high}]")
            values[pname] = float(p["value"])
            units[pname] = p["unit"]
            sources[pname] = p["source"]
        label = {key[len("label_"):]: (tuple(v) if isinstance(v, list) else v)
                 for key, v in entry.items() if key.startswith("label_")}
        drugs[name] = Drug(name, entry["full_name"], entry["design"], tuple(entry["routes"]),
                           entry["default_route"], entry.get("iv_infusion_hours"), label, values,
                           units, sources, tuple(entry.get("references", ())))
    return drugs


def drug(name) -> Drug:
    """The catalogue entry of ``name``, or an error with a "did you mean"."""
    drugs = catalogue()
    if not isinstance(name, str) or name not in drugs:
        hint = difflib.get_close_matches(str(name), list(drugs), n=1)
        more = f" Did you mean '{hint[0]}'?" if hint else ""
        raise AntagonistError(f"drug: unknown FcRn antagonist {name!r}.{more} "
                              f"Known: {', '.join(drugs)}")
    return drugs[name]


def label_flags(name, route, dose_mg, dose_mg_per_kg, body_weight_kg) -> list[str]:
    """Safety flags for one dose outside the labelled range (never a refusal)."""
    entry = drug(name)
    flags = []
    per_kg_range = entry.label.get(f"{route}_mg_per_kg")
    flat_range = entry.label.get(f"{route}_mg")
    if per_kg_range is not None:
        low, high = per_kg_range
        if not low * (1 - 1e-9) <= dose_mg_per_kg <= high * (1 + 1e-9):
            flags.append(f"{name} {route.upper()} dose {dose_mg_per_kg:.3g} mg/kg is outside the "
                         f"labelled {_span(low, high)} mg/kg")
        cap = entry.label.get(f"{route}_max_mg")
        if cap is not None and dose_mg > cap * (1 + 1e-9):
            flags.append(f"{name} {route.upper()} dose {dose_mg:.4g} mg is above the labelled "
                         f"maximum of {cap:g} mg per dose")
    elif flat_range is not None:
        low, high = flat_range
        if not low * (1 - 1e-9) <= dose_mg <= high * (1 + 1e-9):
            flags.append(f"{name} {route.upper()} dose {dose_mg:.4g} mg is outside the labelled "
                         f"{_span(low, high)} mg")
    else:
        # A route the drug has PK data for but no label (rozanolixizumab IV): every dose is off label.
        labelled = sorted({key.split("_")[0].upper() for key in entry.label})
        flags.append(f"{name} has no labelled {route.upper()} dose (labelled route: "
                     f"{', '.join(labelled) or 'none'}); {dose_mg:.4g} mg {route.upper()} is off label")
    return flags


def _span(low, high) -> str:
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def price_usd_per_mg(name) -> float:
    """The default list price of a drug, US$ per mg, from the price registry
    (:mod:`ivigsim.core.prices`; NaN where no published price was found)."""
    return _prices.drug_price_usd_per_mg(drug(name).name)
