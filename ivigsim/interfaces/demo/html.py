"""``demo_html``: the lesson as one self-contained web page.

The page needs no server and no network: styles, script, data and figures
are inside the file. Its sliders move over a grid simulated beforehand
(:mod:`ivigsim.interfaces.demo.grid`); curves are drawn as SVG by a small script
(``lesson.js``), beside figures made with matplotlib and a short text per
mechanism (:mod:`ivigsim.interfaces.demo.text`).
"""

from __future__ import annotations

import base64
import json
import time
from html import escape
from importlib import resources
from pathlib import Path

import numpy as np

from ivigsim.core.catalogue import load_model
from ivigsim.interfaces.demo.lesson import CONTROLS, MECHANISMS, MODEL
from ivigsim.interfaces.plotting import PALETTE
from ivigsim.core.regimen import (
    LABELLED_MAX_RATE_MG_PER_KG_PER_MIN,
    THROMBOSIS_RISK_DAILY_G,
    THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
)
from ivigsim.core.summary import PRICE_USD_PER_G

_COLOURS = {"igg_total": PALETTE[0], "igg_endogenous": PALETTE[5], "ivig": PALETTE[4],
            "selected": PALETTE[0], "fcrn_saturation": PALETTE[2], "anti_idiotype": PALETTE[3],
            "untreated": "#595959", "cost": PALETTE[1]}


def _asset(name):
    return resources.files("ivigsim.interfaces.demo").joinpath(name).read_text(encoding="utf-8")


def _family(curves, scale):
    """Object array of curves -> {"shape", "scale", "offsets", "data"} (uint16, little-endian, base64)."""
    parts, offsets, start = [], [], 0
    for idx in np.ndindex(curves.shape):
        y = np.asarray(curves[idx], dtype=np.float64)
        parts.append(np.clip(np.rint(y / scale * 65535.0), 0, 65535).astype("<u2"))
        offsets.append(start)
        start += len(y)
    raw = np.concatenate(parts).tobytes()
    return {"shape": list(curves.shape), "scale": scale, "offsets": offsets,
            "data": base64.b64encode(raw).decode("ascii")}


def _scale(*arrays):
    return float(max(np.max(np.asarray(c, dtype=np.float64)) for a in arrays for c in np.ravel(a)))


def lesson_data(grid, price_usd_per_g=PRICE_USD_PER_G):
    """The page's data (a JSON-ready dict) from a :class:`~ivigsim.interfaces.demo.grid.LessonGrid`."""
    from ivigsim.interfaces.demo.grid import GRID_NAMES, safety_table
    controls = {c.name: c for c in CONTROLS}
    levels = grid.levels
    aab_scale = _scale(*grid.autoantibody.values())
    igg_scale = _scale(*grid.igg_total.values())
    untreated = np.empty(grid.autoantibody["untreated"].shape[:1], dtype=object)
    for k, row in enumerate(grid.autoantibody["untreated"]):
        untreated[k] = row
    families = {"aab_both": _family(grid.autoantibody["selected"], aab_scale),
                "aab_aid": _family(grid.autoantibody["anti_idiotype"], aab_scale),
                "aab_fcrn": _family(grid.autoantibody["fcrn_saturation"], aab_scale),
                "untreated": _family(untreated, aab_scale)}
    for on, key in ((True, "on"), (False, "off")):
        families[f"igg_{key}"] = _family(grid.igg_total[on], igg_scale)
        families[f"ivig_{key}"] = _family(grid.ivig[on], igg_scale)
    hours, every = levels["infusion_hours"], levels["every_days"]
    safety = safety_table(levels, grid.body_weight_kg, grid.days)
    for row in safety.values():
        row["flags"] = [escape(flag) for flag in row["flags"]]
    return {
        "controls": [{"name": n, "label": controls[n].label, "unit": controls[n].unit,
                      "levels": list(levels[n]), "scale": controls[n].scale,
                      "digits": {"%d": 0, "%.1f": 1}.get(controls[n].fmt, 2) if n != "infusion_hours" else 0}
                     for n in GRID_NAMES],
        "default_index": {n: int(np.argmin(np.abs(np.asarray(levels[n]) - value)))
                          for n, value in (("dose_g_per_kg", 0.4), ("infusion_hours", 8.0),
                                           ("every_days", 28.0),
                                           ("fcrn_total", grid.defaults["fcrn_total"]),
                                           ("f_antiidiotype", grid.defaults["f_antiidiotype"]))},
        "price": {"label": "price", "unit": "USD/g", "min": controls["price_usd_per_g"].low,
                  "max": controls["price_usd_per_g"].high, "step": 1, "default": round(price_usd_per_g)},
        "mechanisms": [list(m) for m in MECHANISMS],
        "times": {f"{j},{k}": np.round(grid.t[(e, h)], 4).tolist()
                  for j, h in enumerate(hours) for k, e in enumerate(every)},
        "t_daily": np.arange(0.0, grid.t_end_days + 0.5).tolist(),
        "cycles": [grid.cycles[e] for e in every],
        "days": grid.days, "t_end": grid.t_end_days, "weight": grid.body_weight_kg,
        "families": families,
        "peak": {"on": np.round(grid.peak_igg[True].ravel(), 2).tolist(),
                 "off": np.round(grid.peak_igg[False].ravel(), 2).tolist()},
        "safety": safety,
        "limits": {"rate_risk": THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
                   "rate_label": LABELLED_MAX_RATE_MG_PER_KG_PER_MIN, "daily": THROMBOSIS_RISK_DAILY_G},
        "colours": _COLOURS,
    }


def _sections_html(spec, body_weight_kg):
    from ivigsim.interfaces.demo import figures, text
    fcrn_png, facts = figures.fcrn_figure(spec, body_weight_kg)
    aid_png, aid_facts = figures.anti_idiotype_figure(spec, body_weight_kg)
    safety_png, _ = figures.safety_figure(body_weight_kg or 70.0)
    images = {"fcrn": (fcrn_png, "FcRn occupancy and the free autoantibody after one 2 g/kg course, "
                                 "FcRn saturation alone"),
              "anti_idiotype": (aid_png, "Share of the autoantibody bound by anti-idiotypes, and the "
                                         "free autoantibody, after one 2 g/kg course, anti-idiotypes alone"),
              "rate": (safety_png, "Peak infusion rate against infusion length, and grams per day "
                                   "against body weight, with the safety limits")}
    parts = []
    for key, title, body in text.sections(facts, aid_facts):
        parts.append(f'<article id="section-{key}">\n<h2>{escape(title)}</h2>\n{body}')
        if key in images:
            png, alt = images[key]
            parts.append(f'<img alt="{escape(alt)}" src="data:image/png;base64,{png}">')
        parts.append("</article>")
    return "\n".join(parts)


def demo_html(path, model=MODEL, levels=None, workers=None, price_usd_per_g=PRICE_USD_PER_G):
    """Write the lesson as one self-contained HTML file.

    Parameters
    ----------
    path : str or Path
        The ``.html`` file to write.
    model : str or ModelSpec
        Default ``"ivig_autoimmune"``.
    levels : dict, optional
        Grid levels of the sliders (see :func:`ivigsim.interfaces.demo.grid.compute_grid`).
    workers : int, optional
        Threads simulating the grid (default: all cores).
    price_usd_per_g : float
        Starting price on the price slider, US$ per gram.

    Returns
    -------
    Path
        The file written.
    """
    from ivigsim import __version__
    from ivigsim.interfaces.demo.grid import compute_grid
    from ivigsim.interfaces.demo.text import sources
    started = time.perf_counter()
    spec = load_model(model)
    grid = compute_grid(spec, levels=levels, workers=workers)
    data = lesson_data(grid, price_usd_per_g)
    n_points = int(np.prod([len(v) for v in grid.levels.values()]))
    checks = grid.checks
    method = (
        f"Each slider position is a simulation of the model <code>{escape(spec.name)}</code> made with "
        "ivigsim's ensemble engine (Rodas4 stiff solver, relative tolerance 10<sup>−6</sup>), "
        "from the untreated steady state, for every combination of the grid levels, with both "
        "mechanisms, with each alone, and untreated. Curves are stored at whole days and, on "
        "infusion days, at the end of each infusion and at midday. Total and infused IgG are "
        "shown at an anti-idiotype fraction of 0.1 % (across the fractions of the grid they differ "
        f"by at most {checks['igg_total_vs_anti_idiotype_fraction_g_per_l']:.2g} g/L). "
        f"Generated in {{seconds}} s by ivigsim {escape(__version__)}.")
    html = _asset("lesson.html")
    replacements = {
        "<!--IVIGSIM:version-->": escape(__version__),
        "<!--IVIGSIM:model-->": escape(spec.name),
        "<!--IVIGSIM:weight-->": f"{grid.body_weight_kg:g}",
        "<!--IVIGSIM:days-->": str(grid.days),
        "<!--IVIGSIM:t_end-->": f"{grid.t_end_days:g}",
        "<!--IVIGSIM:n_points-->": f"{n_points:,}",
        "<!--IVIGSIM:sections-->": _sections_html(spec, grid.body_weight_kg),
        "<!--IVIGSIM:sources-->": sources(spec),
        "/*IVIGSIM:css*/": _asset("lesson.css"),
        "/*IVIGSIM:js*/": _asset("lesson.js"),
        "<!--IVIGSIM:data-->": json.dumps(data, separators=(",", ":")).replace("</", "<\\/"),
    }
    for marker, value in replacements.items():
        html = html.replace(marker, value)
    html = html.replace("<!--IVIGSIM:method-->",
                        method.replace("{seconds}", f"{time.perf_counter() - started:.0f}"))
    path = Path(path)
    path.write_text(html, encoding="utf-8")
    return path
