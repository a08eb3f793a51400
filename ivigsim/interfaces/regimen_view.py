"""A regimen shown to a clinician: a repr in clinical words and a plot of its infusion-rate timeline."""

from __future__ import annotations

from ivigsim.interfaces.style import PALETTE, axis_label


def regimen_repr(regimen):
    """``Regimen('0.4 g/kg/day × 5 d, 8 h infusions, every 28 d × 3'; 6 g/kg in total)``."""
    if not regimen.administrations:
        return "Regimen(no treatment)"
    per_kg = all(a.per_kg for a in regimen.administrations)
    total = (f"; {regimen.total_g_per_kg():g} g/kg in total" if per_kg
             else f"; {sum(a.amount for a in regimen.administrations if not a.per_kg):g} g in total")
    name = f"{regimen.name!r}: " if regimen.name else ""
    text = f"Regimen({name}{regimen.describe()!r}{total}, {len(regimen.administrations)} administrations)"
    return text if len(text) < 1000 else text[:998] + "…"


def regimen_html(regimen, body_weight_kg=70.0):
    """A short table (what, total, peak rate) and the infusion-rate timeline for one patient."""
    from ivigsim.interfaces.notebook import html_block, html_table, small_figure
    if not regimen.administrations:
        return "<div class='ivigsim-result'><strong>Regimen: no treatment</strong></div>"
    grams = sum(d.amount_g for d in regimen.doses(body_weight_kg))
    rows = [("schedule", regimen.describe()), ("administrations", len(regimen.administrations)),
            (f"IgG given at {body_weight_kg:g} kg", f"{grams:,.1f} g"),
            ("highest infusion rate", f"{regimen.max_rate_mg_per_kg_per_min(body_weight_kg):.2f} mg/kg/min")]
    svg = small_figure(lambda ax: plot_regimen(regimen, body_weight_kg, ax=ax))
    return html_block("Regimen", html_table(["", ""], rows), svg)


def plot_regimen(regimen, body_weight_kg=70.0, ax=None):
    """The infusion rate (mg/kg/min) against time (days) as steps; boluses and SC doses as stems.

    Returns the matplotlib axes.
    """
    from ivigsim.interfaces.style import outside_legend, pyplot
    if ax is None:
        _, ax = pyplot().subplots(figsize=(6, 2.8), layout="constrained")
    weight = float(body_weight_kg)
    drawn = set()
    for dose in regimen.doses(weight):
        if dose.duration_day > 0:
            rate = dose.amount_g * 1000.0 / weight / (dose.duration_day * 1440.0)
            label = None if "infusion" in drawn else "IV infusion"
            ax.fill_between([dose.time_day, dose.end_day], 0.0, rate, step="post", color=PALETTE[0],
                            alpha=0.8, lw=0, label=label)
            drawn.add("infusion")
        else:
            kind = "SC dose" if dose.route == "sc" else "bolus"
            label = None if kind in drawn else f"{kind} (g/kg, right axis)"
            twin = getattr(ax, "_ivigsim_twin", None)
            if twin is None:
                twin = ax.twinx()
                twin.set_ylabel(axis_label("bolus or SC dose", "g/kg"))
                ax._ivigsim_twin = twin
            twin.vlines(dose.time_day, 0.0, dose.amount_g / weight, color=PALETTE[1], lw=2, label=label)
            drawn.add(kind)
    ax.set_xlabel(axis_label("time", "day"))
    ax.set_ylabel(axis_label("infusion rate", "mg/kg/min"))
    ax.set_ylim(bottom=0.0)
    ax.set_title(regimen.describe(), fontsize=9)
    if len(drawn) > 1:
        outside_legend(ax)
    return ax
