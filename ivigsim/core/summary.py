"""Summary metrics of a treated simulation against its untreated twin."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

PRICE_USD_PER_G = 151.0   # target PK-35: about US$151 per gram (range 73 to > 350)


def compare_to_untreated(treated, untreated, names=None):
    """Rows of metrics per observable: baseline, peak, nadir and largest change vs untreated.

    Both results must share the output grid.
    """
    names = names or treated.model.observable_names
    rows = []
    for name in names:
        x, ref = treated[name], untreated[name]
        i_max, i_min = int(np.argmax(x)), int(np.argmin(x))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(np.abs(ref) > 0, x / ref, np.nan)
        if np.all(np.isnan(ratio)):
            change, t_change = float("nan"), float("nan")
        else:
            k = int(np.nanargmax(np.abs(ratio - 1.0)))
            change, t_change = 100.0 * (ratio[k] - 1.0), treated.t[k]
        rows.append({
            "output": name, "unit": treated.units[name],
            "baseline": x[0], "peak": x[i_max], "peak_day": treated.t[i_max],
            "nadir": x[i_min], "nadir_day": treated.t[i_min], "end": x[-1],
            "largest_change_vs_untreated_pct": change, "largest_change_day": t_change,
        })
    return rows


def regimen_rows(regimen, body_weight_kg, price_usd_per_g=PRICE_USD_PER_G, peak_viscosity_cp=None):
    """Grams, cost and safety flags of a regimen for one patient.

    ``grams_given`` counts immunoglobulin only (an FcRn antagonist is not
    IgG); ``peak_viscosity_cp``, a model's predicted peak serum viscosity,
    adds the hyperviscosity flag.
    """
    from ivigsim.core.antagonists import catalogue
    doses = regimen.doses(body_weight_kg) if regimen.administrations else ()
    grams = float(sum(d.amount_g for d in doses if d.product not in catalogue()))
    return {
        "regimen": regimen.describe(),
        "body_weight_kg": body_weight_kg,
        "grams_given": grams,
        "cost_usd": grams * price_usd_per_g,
        "price_usd_per_g": price_usd_per_g,
        "max_rate_mg_per_kg_per_min": regimen.max_rate_mg_per_kg_per_min(body_weight_kg) if doses else 0.0,
        "safety_flags": "; ".join(regimen.safety_flags(body_weight_kg, peak_viscosity_cp))
                        if doses or peak_viscosity_cp is not None else "",
    }


def write_rows(rows, path):
    path = Path(path)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return path


def format_table(rows, columns):
    """A plain-text table of the chosen columns; an undefined number (NaN) shows as ``n/a``."""
    def cell(value):
        if isinstance(value, (float, np.floating)):
            return "n/a" if np.isnan(value) else f"{value:.4g}"
        return str(value)
    cells = [[c for c in columns]] + [[cell(r[c]) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
