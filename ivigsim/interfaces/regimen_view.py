"""A regimen shown to a clinician: a repr in clinical words and a plot of its infusion-rate timeline."""

from __future__ import annotations

from ivigsim.interfaces.style import PALETTE, axis_label


def _treats(regimen):
    """Whether the regimen does anything: doses, apheresis sessions or doses given on a trigger."""
    return bool(regimen.administrations or regimen.sessions or regimen.triggered)


def _counts(regimen):
    """'4 administrations, 5 sessions, 1 triggered dose rule' (the parts the regimen has)."""
    parts = [(len(regimen.administrations), "administration"), (len(regimen.sessions), "session"),
             (len(regimen.triggered), "triggered dose rule")]
    return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in parts if n)


def regimen_repr(regimen):
    """``Regimen('0.4 g/kg/day × 5 d, 8 h infusions, every 28 d × 3'; 6 g/kg in total)``."""
    if not _treats(regimen):
        return "Regimen(no treatment)"
    total = ""
    if regimen.administrations:
        per_kg = all(a.per_kg for a in regimen.administrations)
        total = (f"; {regimen.total_g_per_kg():g} g/kg in total" if per_kg
                 else f"; {sum(a.amount for a in regimen.administrations if not a.per_kg):g} g in total")
    name = f"{regimen.name!r}: " if regimen.name else ""
    text = f"Regimen({name}{regimen.describe()!r}{total}, {_counts(regimen)})"
    return text if len(text) < 1000 else text[:998] + "…"


def regimen_html(regimen, body_weight_kg=70.0):
    """A short table (what, total, peak rate) and the infusion-rate timeline for one patient."""
    from ivigsim.interfaces.notebook import html_block, html_table, small_figure
    if not _treats(regimen):
        return "<div class='ivigsim-result'><strong>Regimen: no treatment</strong></div>"
    rows = [("schedule", regimen.describe()), ("parts", _counts(regimen))]
    if regimen.administrations:
        for product, grams in regimen.grams_by_product(body_weight_kg).items():
            rows.append((f"{product} given at {body_weight_kg:g} kg", f"{grams:,.4g} g"))
        rows.append(("highest infusion rate",
                     f"{regimen.max_rate_mg_per_kg_per_min(body_weight_kg):.2f} mg/kg/min"))
    if regimen.sessions:
        processed = sum(s.plasma_volumes for s in regimen.sessions)
        rows.append(("plasma processed", f"{processed:g} plasma volumes in {len(regimen.sessions)} sessions"))
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
    for session in regimen.sessions:
        # A session removes plasma rather than infusing it: a grey band over its hours.
        kind = session.kind.replace("_", " ")
        label = None if kind in drawn else f"{kind} session"
        ax.axvspan(session.time_day, session.end_day, color="#999999", alpha=0.45, lw=0, label=label)
        drawn.add(kind)
    for rule in regimen.triggered:
        label = None if "triggered" in drawn else "dosing on a trigger from here"
        ax.axvline(rule.start_day, color=PALETTE[2], ls="--", lw=1.2, label=label)
        drawn.add("triggered")
    ax.set_xlabel(axis_label("time", "day"))
    ax.set_ylabel(axis_label("infusion rate", "mg/kg/min"))
    ax.set_ylim(bottom=0.0)
    ax.set_title(_wrapped(regimen.describe()), fontsize=9)
    if len(drawn) > 1 or drawn - {"infusion"}:
        outside_legend(ax)
    return ax


def _wrapped(text, width=60):
    """A long schedule on several title lines rather than cut off at the figure's edge."""
    import textwrap
    return "\n".join(textwrap.wrap(text, width)) or text
