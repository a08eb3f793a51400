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


def _published(target_id):
    """``(published text, lowest accepted value)`` of a validation target, or ``None``."""
    from ivigsim.errors import IvigsimError
    from ivigsim.analysis.validation.targets import load_targets
    try:
        targets = load_targets().targets
    except (IvigsimError, OSError):     # the lesson still reads without the validation file
        return None
    for target in targets:
        if target.id == target_id:
            return target.published, target.criterion.low
    return None


def therapy_sections(facts):
    """The therapy selector's text, ``[(id, title, html), ...]``, quoting the simulations' ``facts``.

    Parameters
    ----------
    facts : dict
        From :func:`ivigsim.interfaces.demo.therapies.lesson_facts`.

    The comparison of the FcRn blocker with IVIG's saturation of FcRn says
    what the model predicts, and says so plainly where the prediction falls
    short of the published fall of IgG (validation target TH-02).
    """
    f = facts
    sections = []
    blocker = (
        "IVIG can take FcRn away from the autoantibody only by competing for it with more IgG: a "
        f"2 g/kg course lifts total IgG to about {f['igg_peak_ivig']:.0f} g/L and fills endosomal FcRn "
        f"to {f['saturation_fcrn_peak_pct']:.0f} %. Recycled less, the autoantibody falls, through FcRn "
        f"saturation alone, by {f['saturation_day7_pct']:.0f} % in the first week and at most "
        f"{f['saturation_nadir_pct']:.0f} % (day {f['saturation_nadir_day']:.0f}).",
        "An FcRn blocker such as efgartigimod binds FcRn itself, with nanomolar affinity, from "
        "milligrams per kilogram. It adds no IgG: every IgG, the autoantibody included, loses its "
        "protection, so the autoantibody falls together with total IgG instead of beside a rise of it.",
    )
    model = (f"In this model efgartigimod at its labelled dose occupies at most "
             f"{f['efgartigimod_fcrn_peak_pct']:.0f} % of endosomal FcRn and lowers the autoantibody by "
             f"{f['efgartigimod_day7_pct']:.0f} % in the first week and {f['efgartigimod_nadir_pct']:.0f} % "
             f"at most (day {f['efgartigimod_nadir_day']:.0f}); rozanolixizumab by "
             f"{f['rozanolixizumab_nadir_pct']:.0f} % at most.")
    published = _published("TH-02")
    faster = (f["efgartigimod_day7_pct"] > f["saturation_day7_pct"]
              and f["efgartigimod_nadir_pct"] > f["saturation_nadir_pct"])
    short = False
    if published is not None:
        text, low = published
        model += f" In trials: {escape(text)} (validation target TH-02)."
        short = low is not None and f["efgartigimod_igg_fall_pct"] < low
    if faster and not short:
        verdict = ("The blocker's fall is both faster and deeper than saturation's: select the two and "
                   "compare panels (e) and (f).")
    else:
        verdict = ("Here the model's blocker falls short: the drug reaches too little of FcRn, and the "
                   "validation suite records the gap to the trials as an expected failure with its measured "
                   "cause (targets TH-01 to TH-05). Read the blocker's curves as what this calibration "
                   "predicts, not as what the drug does in patients; the reasoning above is the one the "
                   "trials bear out.")
    sections.append(("therapy_blocker", "Why an FcRn blocker can act faster than IVIG's saturation of FcRn",
                     _p(*blocker) + "\n" + _p(model, verdict)))
    sections.append(("therapy_plex", "Why plasma exchange rebounds", _p(
        "A plasma exchange removes what is in the plasma, and only "
        f"{f['intravascular_pct']:.0f} % of the body's autoantibody is there; the rest is in the "
        "interstitial fluid of the tissues.",
        f"The first exchange lowers the free autoantibody by {f['plex_first_end_pct']:.0f} %; two days "
        f"later, before the second, it is only {f['plex_before_second_pct']:.0f} % below untreated, "
        "because autoantibody has flowed back from the tissues and synthesis went on. After five "
        f"exchanges it is {f['plex_nadir_pct']:.0f} % below untreated (day {f['plex_nadir_day']:.0f}); "
        f"four weeks later only {f['plex_rebound_pct']:.0f} % below: the cells that make it were not "
        "touched.",
        "The exchanges also empty FcRn: with less IgG in the body, endosomal FcRn is "
        f"{f['plex_fcrn_min_pct']:.0f} % occupied instead of {f['fcrn_start_pct']:.0f} %, so it recycles a "
        "larger share of the autoantibody that is left, and its breakdown slows just when it would help "
        "most (panel f).",
        "Immunoadsorption does the same with a column that binds IgG and returns the plasma, so no "
        "replacement fluid is needed and albumin stays put.",
        f"Exchanges after IVIG wash the IVIG out again: total IgG on day 14 is "
        f"{f['washout_igg_day14']:.0f} g/L, against {f['ivig_igg_day14']:.0f} g/L after the IVIG "
        "course alone, and the grams paid for are in the discarded plasma.")))
    return sections


def therapy_sources(drugs=("efgartigimod", "rozanolixizumab")):
    """Sources of the therapy selector as HTML list items: the drugs' references, the
    exchange kinetics, albumin, and the price registry's sources."""
    from ivigsim.core.antagonists import drug
    from ivigsim.core.prices import registry
    items = []
    for name in drugs:
        items += [escape(ref) for ref in drug(name).references]
    items += [
        "Kaplan AA. A simple and accurate method for prescribing plasma exchange. ASAIO Trans "
        "1990;36:M597-M599 (removal 1 − exp(−V<sub>exchanged</sub>/V<sub>plasma</sub>)).",
        "Schwartz J, et al. Guidelines on the use of therapeutic apheresis in clinical practice (ASFA). "
        "J Clin Apher 2016;31:149-338 (1-1.5 plasma volumes per exchange, alternate days).",
        "Peters T Jr. All About Albumin. Academic Press, 1996; Fleck A, et al. Lancet 1985;1:781-784 "
        "(albumin kinetics behind the hypoalbuminaemia flag).",
    ]
    for entry in registry().values():
        if entry.priced:
            items.append(f"Price of {escape(entry.name.replace('_', ' '))}, {entry.value:g} "
                         f"{escape(entry.unit)}: {escape(entry.source)}")
    return "\n".join(f"<li>{item}</li>" for item in items)
