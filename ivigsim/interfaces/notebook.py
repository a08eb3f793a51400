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


# ------------------------------------------------------------------ factorial, assays, agents
# Their dataclass reprs printed every array (an agent run: 14,000 characters); these say what a
# reader looks for first, and the HTML gives it as a table (the figures are their plot()).


def factorial_repr(result):
    alone = ", ".join(f"{m} alone {100 * e:.1f} %" for m, e in result.single.items())
    return clip(f"FactorialResult({result.metric}: {alone}; all together {100 * result.joint:.1f} %, "
                f"Bliss excess {100 * result.bliss_excess:+.1f} points)")


def factorial_html(result):
    rows = [(f"{m} alone", f"{100 * e:.1f} %", f"{100 * result.marginal[m]:.1f} %")
            for m, e in result.single.items()]
    rows += [("all together", f"{100 * result.joint:.1f} %", ""),
             ("Bliss-independent expectation", f"{100 * result.bliss_expected:.1f} %", ""),
             ("Bliss excess (synergy > 0)", f"{100 * result.bliss_excess:+.1f} points", ""),
             ("excess over the best single mechanism", f"{100 * result.hsa_excess:+.1f} points", "")]
    return html_block(f"Mechanism factorial: reduction of {result.metric}",
                      html_table(["", "reduction", "loss when removed from all"], rows))


def _concentrations_row(result):
    """The table row of an in-vitro assay's IVIG concentrations: how many, from and to."""
    c = result.ivig_mg_per_ml
    return ("IVIG concentrations", f"{len(c)}, {c[0]:.3g} to {c[-1]:.3g} mg/mL")


def in_vitro_repr(result):
    return clip(f"InVitroInhibition(patient IgG {result.patient_igg_mg_per_ml:g} mg/mL, "
                f"{len(result.ivig_mg_per_ml)} IVIG concentrations {result.ivig_mg_per_ml[0]:.3g}–"
                f"{result.ivig_mg_per_ml[-1]:.3g} mg/mL; max inhibition {100 * result.max_inhibition:.1f} % "
                f"at {result.ivig_at_max_mg_per_ml:.3g} mg/mL, 1:{1 / result.ratio_at_max:.3g})")


def in_vitro_html(result):
    rows = [("patient IgG in the well", f"{result.patient_igg_mg_per_ml:g} mg/mL"),
            _concentrations_row(result),
            ("largest inhibition of antigen binding", f"{100 * result.max_inhibition:.1f} %"),
            ("at IVIG", f"{result.ivig_at_max_mg_per_ml:.3g} mg/mL (patient : IVIG 1:{1 / result.ratio_at_max:.3g})")]
    return html_block("In-vitro mixing experiment (anti-idiotypes)", html_table(["", ""], rows))


def in_vitro_nk_repr(result):
    return clip(f"InVitroNKAssay({len(result.ivig_mg_per_ml)} IVIG concentrations "
                f"{result.ivig_mg_per_ml[0]:.3g}–{result.ivig_mg_per_ml[-1]:.3g} mg/mL; NK specific lysis "
                f"{result.baseline_cytotoxicity_pct:.3g} % without IVIG, {result.cytotoxicity_pct[-1]:.3g} % "
                f"at the highest ({100 * result.suppression[-1]:.1f} % suppressed))")


def in_vitro_nk_html(result):
    rows = [("specific lysis without IVIG", f"{result.baseline_cytotoxicity_pct:.3g} %"),
            _concentrations_row(result),
            ("specific lysis at the highest IVIG", f"{result.cytotoxicity_pct[-1]:.3g} %"),
            ("suppression there", f"{100 * result.suppression[-1]:.1f} %")]
    return html_block("In-vitro NK cytotoxicity assay", html_table(["", ""], rows))


def agents_repr(result):
    foci = result.foci_counts
    return clip(f"AgentResult(model={result.model!r}, {result.replicates} replicates, t = 0–{result.t[-1]:g} day, "
                f"seed {result.seed}; lung foci at the end: mean {foci.mean():.1f}, median "
                f"{float(_median(foci)):.0f}; extinction probability {result.extinction_probability:.3f})")


def agents_html(result):
    lines = result.summary().splitlines()
    return html_block(f"Agent model {result.model}", html_table(["summary"], [(line,) for line in lines]))


def _median(values):
    import numpy as np
    return np.median(values)
