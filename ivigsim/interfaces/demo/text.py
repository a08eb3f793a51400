"""The words of the web-page lesson: one short section per mechanism, and the sources.

Numbers quoted in the text come from the simulations behind the figures
(:mod:`ivigsim.interfaces.demo.figures`); sources come from the model file (its
references and the source of each parameter the page varies) and from the
regimen's safety limits and the default price.
"""

from __future__ import annotations

from html import escape

from ivigsim.core.regimen import (
    LABELLED_MAX_RATE_MG_PER_KG_PER_MIN,
    THROMBOSIS_RISK_DAILY_G,
    THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
)
from ivigsim.core.summary import PRICE_USD_PER_G

#: Sources of the safety limits and the price (ivigsim's published targets PK-14, PK-33, PK-35).
OTHER_SOURCES = (
    "IVIG prescribing information (US labels): start at 0.5 mg/kg/min, up to 6 mg/kg/min; "
    "below 2 mg/kg/min for patients at risk of thrombosis.",
    "Early thromboembolic events and 35 g or more of immunoglobulin in one day: a neuropathy "
    "cohort of 616 courses.",
    "Price about US$151 per gram (range $73 to more than $350): payer analysis, Am J Pharm "
    "Benefits 2016.",
    "Serum viscosity after IVIG rises by 0.1 to 1.0 cP and tracks IgG back over about a month: "
    "Dalakas MC, Neurology 1994.",
)


def _p(*sentences):
    return "<p>" + " ".join(sentences) + "</p>"


def sections(facts, anti_idiotype_facts):
    """The lesson's explanatory sections, ``[(id, title, html), ...]``.

    Parameters
    ----------
    facts : dict
        From :func:`ivigsim.interfaces.demo.figures.fcrn_figure`.
    anti_idiotype_facts : dict
        From :func:`ivigsim.interfaces.demo.figures.anti_idiotype_figure`, by fraction.
    """
    default = anti_idiotype_facts.get(0.001) or next(iter(anti_idiotype_facts.values()))
    return [
        ("course", "Why a 2 g/kg course", _p(
            "The usual immunomodulatory course is 0.4 g/kg a day for 5 days (2 g/kg), each day's "
            "dose infused over several hours, repeated every few weeks.",
            f"In the model one course lifts total IgG from {facts['igg_start']:.0f} g/L to about "
            f"{facts['igg_peak']:.0f} g/L. IVIG acts through that excess of normal IgG: it "
            "crowds the receptor that protects IgG from breakdown, and a small part of it "
            "binds the autoantibody directly.")),
        ("fcrn", "FcRn saturation: everything IgG is broken down faster", _p(
            "IgG taken up by endothelial cells meets the neonatal Fc receptor (FcRn) in acidic "
            "endosomes; bound IgG goes back to the blood, unbound IgG is degraded. That is why "
            "IgG lives about three weeks.",
            f"After a 2 g/kg course FcRn is {facts['occupancy_peak_pct']:.0f} % occupied instead "
            f"of {facts['occupancy_start_pct']:.0f} %, so every IgG, the autoantibody included, "
            "is recycled less. Alone, this mechanism lowers the free autoantibody by at most "
            f"{facts['fcrn_nadir_pct']:.0f} %, on day {facts['fcrn_nadir_day']:.0f}: a modest "
            "effect that comes late and lasts weeks.",
            "Lower the FcRn capacity slider: fewer receptors, lower baseline IgG, and IVIG saturates "
            "them more easily.")),
        ("anti_idiotype", "Anti-idiotypes: neutralising the autoantibody", _p(
            "A small fraction of the pooled IgG recognises the antigen-binding site (the idiotype) "
            "of the patient's autoantibody. It binds the autoantibody reversibly, blocking it, and "
            "the complexes are cleared within about a day.",
            f"With 0.1 % of each dose anti-idiotypic, up to {default['neutralised_peak_pct']:.0f} % "
            "of the plasma autoantibody is bound, and the free autoantibody falls to "
            f"{default['free_nadir_pct']:.0f} % of untreated. The fraction is not measured for any "
            "one autoantibody: move its slider to see how much the answer depends on it.")),
        ("rate", "Why slow infusion matters", _p(
            "The same dose given faster means a higher infusion rate and a sharper IgG peak. Labels "
            f"allow up to {LABELLED_MAX_RATE_MG_PER_KG_PER_MIN:g} mg/kg/min, and below "
            f"{THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN:g} mg/kg/min for patients at risk of "
            "thrombosis; early thromboembolic events are associated with "
            f"{THROMBOSIS_RISK_DAILY_G:g} g or more in one day. Dividing a course over 5 days and "
            "infusing each day's dose over hours keeps both low. The safety panel uses ivigsim's "
            "own regimen checks.",
            "Peak IgG is shown too: serum viscosity rises with IgG, one more reason for slow, "
            "divided dosing.")),
        ("cost", "What it costs", _p(
            f"IVIG is priced per gram, about US${PRICE_USD_PER_G:g} (market prices range from "
            "about $73 to more than $350). A 70 kg patient receives 140 g per 2 g/kg course; "
            "monthly courses cost tens of thousands of dollars a year. The cost panel is grams "
            "infused so far times the price: shorten the cycle or raise the dose and watch it "
            "climb, then ask how much extra lowering of the autoantibody that bought.")),
    ]


def sources(spec):
    """Sources as HTML list items: the model's references, its parameters' sources, the limits."""
    items = [escape(ref) for ref in spec.references]
    for name in ("fcrn_total", "f_antiidiotype", "k_complex_clearance"):
        if name in spec.parameter_names:
            par = spec.parameters[spec.parameter_index(name)]
            items.append(f"<code>{escape(name)}</code> = {par.value:g} {escape(str(par.unit))}: "
                         f"{escape(par.source)}")
    items += [escape(s) for s in OTHER_SOURCES]
    return "\n".join(f"<li>{item}</li>" for item in items)
