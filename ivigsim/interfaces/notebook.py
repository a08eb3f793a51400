"""Results made for notebooks: short reprs, HTML summaries with a small figure, tidy tables.

Shared by :class:`~ivigsim.core.result.SimulationResult`, the sweep's
``ExperimentResults``, comparison and validation results, so that every result
object answers ``repr``, ``_repr_html_``, ``to_dataframe``, ``to_xarray`` and
``plot`` in the same way.  pandas, xarray and matplotlib are imported inside
functions only.
"""

from __future__ import annotations

import html

REPR_LIMIT = 1000          # characters: a repr is a glance, not a dump
_MAX_LISTED = 8


def short_list(names, most=_MAX_LISTED):
    """``a, b, c, … (+5 more)``."""
    names = list(names)
    head = ", ".join(names[:most])
    return head + (f", … (+{len(names) - most} more)" if len(names) > most else "")


def clip(text, limit=REPR_LIMIT):
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def html_table(header, rows, caption=None):
    """A compact HTML table; every cell is escaped."""
    esc = html.escape
    head = "".join(f"<th style='text-align:left'>{esc(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(_cell(c))}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption style='text-align:left'>{esc(caption)}</caption>" if caption else ""
    return f"<table class='ivigsim'>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def html_block(title, table, figure_svg=""):
    """A titled block: the table, then the inline figure."""
    fig = f"<div style='max-width:460px'>{figure_svg}</div>" if figure_svg else ""
    return (f"<div class='ivigsim-result'><strong>{html.escape(title)}</strong>{table}{fig}</div>")


def small_figure(draw):
    """An inline SVG of a 4.6 × 2.6 in figure drawn by ``draw(ax)``; ``""`` if drawing fails."""
    from ivigsim.interfaces.style import pyplot, svg_inline
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 2.6), layout="constrained")
    try:
        draw(ax)
    except (ValueError, KeyError, TypeError):
        plt.close(fig)
        return ""
    return svg_inline(fig)


# ------------------------------------------------------------------ one simulation
def result_repr(res):
    """``SimulationResult(model=…, regimen=…, t=0–90 day (361 points), outputs: …)``, under 1,000 characters."""
    units = res.units
    outputs = short_list(f"{n} [{units[n]}]" for n in res.model.observable_names)
    regimen = res.regimen.describe() if res.regimen is not None else "no treatment"
    weight = f", {res.body_weight_kg:g} kg" if res.body_weight_kg else ""
    text = (f"SimulationResult(model={res.model.name!r}, regimen={regimen!r}{weight}, "
            f"t={res.t[0]:g}–{res.t[-1]:g} day ({len(res.t)} points), "
            f"outputs: {outputs}; species: {res.model.n_species})")
    return clip(text)


def result_summary_rows(res, names=None):
    """(output, unit, start, min, max, end) per output."""
    units = res.units
    rows = []
    for name in names or res.model.observable_names:
        y = res[name]
        rows.append((name, units[name], float(y[0]), float(y.min()), float(y.max()), float(y[-1])))
    return rows


def result_html(res):
    """Summary table of every observable and a small figure of the first outputs that share a unit."""
    rows = result_summary_rows(res)
    table = html_table(["output", "unit", "t = 0", "min", "max", "end"], rows)
    units = res.units
    first = [n for n in res.model.observable_names if units[n] == units[res.model.observable_names[0]]][:3]
    svg = small_figure(lambda ax: res.plot(first, ax=ax))
    regimen = res.regimen.describe() if res.regimen is not None else "no treatment"
    title = (f"{res.model.name}: {regimen}, {res.t[0]:g}–{res.t[-1]:g} day"
             + (f", {res.body_weight_kg:g} kg" if res.body_weight_kg else ""))
    return html_block(title, table, svg)


def result_dataframe(res, names=None):
    """Tidy table: one row per (time, output) with columns time_day, output, value, unit."""
    import numpy as np
    import pandas as pd
    names = list(names or res.names)
    units = res.units
    n = len(res.t)
    frame = pd.DataFrame({
        "time_day": np.tile(res.t, len(names)),
        "output": np.repeat(names, n),
        "value": np.concatenate([res[name] for name in names]) if names else np.array([]),
        "unit": np.repeat([units[name] for name in names], n),
    })
    frame.attrs["units"] = {name: units[name] for name in names}
    frame.attrs["model"] = res.model.name
    return frame


def result_xarray(res, names=None):
    """An ``xarray.Dataset`` over ``time`` (days): one variable per output, its unit in ``attrs['units']``."""
    import xarray as xr
    names = list(names or res.names)
    units = res.units
    data = {name: ("time", res[name], {"units": units[name]}) for name in names}
    regimen = res.regimen.describe() if res.regimen is not None else "no treatment"
    return xr.Dataset(data, coords={"time": ("time", res.t, {"units": "day"})},
                      attrs={"model": res.model.name, "regimen": regimen,
                             "body_weight_kg": res.body_weight_kg if res.body_weight_kg else float("nan")})
