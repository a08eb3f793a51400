"""Static figures of the web-page lesson, as base64 PNG, with the numbers their captions quote.

Each function simulates what its figure shows (one standard 2 g/kg course,
0.4 g/kg/day for 5 days in 8 h infusions) and returns ``(png_base64, facts)``:
the facts are the numbers the lesson text cites, so that text and figure never
disagree with the model.
"""

from __future__ import annotations

import base64
import io

import numpy as np

from ivigsim.interfaces.demo.lesson import MODEL
from ivigsim.interfaces.plotting import PALETTE
from ivigsim.core.regimen import (
    HARD_MAX_RATE_MG_PER_KG_PER_MIN,
    LABELLED_MAX_RATE_MG_PER_KG_PER_MIN,
    THROMBOSIS_RISK_DAILY_G,
    THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN,
    Regimen,
)
from ivigsim.core.simulation import simulate

_T_END = 112.0
_DPI = 100


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(ncols=2):
    """A figure outside pyplot: whatever backend the session uses is left alone."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4.3 * ncols, 2.9), layout="constrained")
    axes = fig.subplots(1, ncols)
    for ax in np.atleast_1d(axes):
        ax.grid(alpha=0.3)
    return fig, axes


def _course():
    return Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=1)


def fcrn_figure(model=MODEL, body_weight_kg=None):
    """FcRn occupancy and the autoantibody relative to untreated, FcRn saturation alone."""
    untreated = simulate(model, None, t_end=_T_END, body_weight_kg=body_weight_kg)
    alone = simulate(model, _course(), t_end=_T_END, body_weight_kg=body_weight_kg,
                     mechanisms={"anti_idiotype": False}, t_eval=untreated.t)
    ratio = 100.0 * alone["autoantibody_free"] / untreated["autoantibody_free"]
    k = int(np.argmin(ratio))
    fig, (left, right) = _figure()
    left.plot(alone.t, 100 * alone["fcrn_occupancy"], color=PALETTE[0], lw=1.8)
    left.set_ylabel("FcRn occupied [%]")
    left.set_title("endosomal FcRn fills up", fontsize=10, loc="left")
    right.plot(untreated.t, ratio, color=PALETTE[2], lw=1.8)
    right.axhline(100, color="0.4", ls="--", lw=1)
    right.plot([untreated.t[k]], [ratio[k]], "o", color=PALETTE[2])
    right.annotate(f"−{100 - ratio[k]:.0f} % on day {untreated.t[k]:.0f}", (untreated.t[k], ratio[k]),
                   xytext=(8, -4), textcoords="offset points", fontsize=9)
    right.set_ylabel("free autoantibody\n[% of untreated]")
    right.set_title("so the autoantibody is recycled less", fontsize=10, loc="left")
    for ax in (left, right):
        ax.set_xlabel("time [day]")
        ax.axvspan(0, 5, color=PALETTE[4], alpha=0.15, lw=0)
    facts = {"occupancy_start_pct": 100 * float(alone["fcrn_occupancy"][0]),
             "occupancy_peak_pct": 100 * float(alone["fcrn_occupancy"].max()),
             "fcrn_nadir_pct": 100.0 - float(ratio[k]), "fcrn_nadir_day": float(untreated.t[k]),
             "igg_peak": float(alone["igg_total"].max()), "igg_start": float(alone["igg_total"][0])}
    return _png(fig), facts


def anti_idiotype_figure(model=MODEL, body_weight_kg=None, fractions=(0.0005, 0.001, 0.002)):
    """Share of the autoantibody neutralised, and the free autoantibody, per anti-idiotype fraction."""
    fig, (left, right) = _figure()
    untreated = simulate(model, None, t_end=_T_END, body_weight_kg=body_weight_kg)
    facts = {}
    for colour, f in zip((PALETTE[5], PALETTE[3], PALETTE[1]), fractions):
        res = simulate(model, _course(), t_end=_T_END, body_weight_kg=body_weight_kg,
                       mechanisms={"fcrn_saturation": False}, params={"f_antiidiotype": f},
                       t_eval=untreated.t)
        label = f"{100 * f:.2g} % of IVIG"
        left.plot(res.t, 100 * res["neutralised_fraction"], color=colour, lw=1.8, label=label)
        right.plot(res.t, 100 * res["autoantibody_free"] / untreated["autoantibody_free"], color=colour,
                   lw=1.8, label=label)
        facts[f] = {"neutralised_peak_pct": 100 * float(res["neutralised_fraction"].max()),
                    "free_nadir_pct": 100 * float(np.min(res["autoantibody_free"] /
                                                         untreated["autoantibody_free"]))}
    left.set_ylabel("autoantibody bound [%]")
    left.set_title("anti-idiotypes bind the autoantibody", fontsize=10, loc="left")
    right.set_ylabel("free autoantibody\n[% of untreated]")
    right.set_title("complexes are cleared: less free autoantibody", fontsize=10, loc="left")
    right.axhline(100, color="0.4", ls="--", lw=1)
    left.legend(frameon=False, fontsize=8, title="anti-idiotypic", title_fontsize=8)
    for ax in (left, right):
        ax.set_xlabel("time [day]")
        ax.axvspan(0, 5, color=PALETTE[4], alpha=0.15, lw=0)
    return _png(fig), facts


def safety_figure(body_weight_kg=70.0):
    """Peak infusion rate against infusion length, and grams per day against body weight."""
    fig, (left, right) = _figure()
    hours = np.linspace(1.0, 12.0, 45)
    for colour, dose in zip((PALETTE[2], PALETTE[0], PALETTE[1]), (0.4, 1.0, 2.0)):
        rates = [Regimen.infusion(dose, 0.0, h).max_rate_mg_per_kg_per_min(body_weight_kg)
                 if dose * 1000 / (h * 60) <= HARD_MAX_RATE_MG_PER_KG_PER_MIN else np.nan for h in hours]
        left.plot(hours, rates, color=colour, lw=1.8, label=f"{dose:g} g/kg in one day")
    for limit, text in ((THROMBOSIS_RISK_RATE_MG_PER_KG_PER_MIN, "limit at thrombosis risk"),
                        (LABELLED_MAX_RATE_MG_PER_KG_PER_MIN, "labelled maximum")):
        left.axhline(limit, color="black", ls=":", lw=1.2)
        left.text(11.8, limit, f"{text} {limit:g}", va="center", ha="right", fontsize=8,
                  bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1.5))
    left.set_ylim(0, 14)
    left.set_xlabel("infusion length [h]")
    left.set_ylabel("infusion rate [mg/kg/min]")
    left.set_title("slower infusion, lower rate", fontsize=10, loc="left")
    left.legend(frameon=False, fontsize=8, loc="upper right")
    weights = np.linspace(20, 120, 101)
    for colour, dose in zip((PALETTE[2], PALETTE[0]), (0.4, 1.0)):
        right.plot(weights, dose * weights, color=colour, lw=1.8, label=f"{dose:g} g/kg/day")
    right.axhline(THROMBOSIS_RISK_DAILY_G, color="black", ls=":", lw=1.2)
    right.text(118, THROMBOSIS_RISK_DAILY_G, f"thrombosis flag {THROMBOSIS_RISK_DAILY_G:g} g/day",
               va="center", ha="right", fontsize=8,
               bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1.5))
    right.set_xlabel("body weight [kg]")
    right.set_ylabel("IVIG in one day [g]")
    right.set_title("heavier patients reach 35 g/day sooner", fontsize=10, loc="left")
    right.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(0, 0.9))
    return _png(fig), {}
