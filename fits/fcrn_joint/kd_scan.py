"""Scan the IgG-FcRn affinity at endosomal pH, with the recycling rate estimated.

The calibration before this one bound IgG to FcRn with Shah & Betts' K_D of 43 nM
(k_off 23.9 /h); monovalent human IgG1 binds human FcRn at pH 6.0 with a K_D of
about 0.63 uM (Zhou et al., J Mol Biol 2003). Near binding equilibrium a pool's
steady state depends on ``k_deg * K`` with ``K = (k_off + k_recycle) / k_on``, so
a weaker IgG affinity is carried by a slower lysosomal degradation and the IgG
data barely see it, while every FcRn antagonist competes against IgG in
proportion to ``K_D(IgG) / K_D(drug)``. For each ``POOL:KD`` pair given on the
command line (endothelial FcRn in uM, IgG K_D in nM):

1. the IgG problem (fits/fcrn_human) is refitted with ``fcrn_total`` and
   ``k_off = k_on * K_D`` fixed and ``k_recycle`` estimated (3-3000 /day), from
   the calibration before carried along the ridge above and from random starts;
2. the FcRn targets of ``validation/targets.toml`` are judged under those
   values exactly as ``ivigsim validate`` judges them (fits/fcrn_human/trough_harness.py);
3. TH-02 to TH-05 are predicted with the catalogue's drug values and with each
   drug refitted on its own data (fits/nipocalimab, fits/efgartigimod,
   fits/rozanolixizumab) on those FcRn values; the lowering is never fitted.

``--carried`` skips the refits and judges the carried point only (seconds).
Each line printed is one pair as JSON; nothing is written. The numbers are
those of README.md's affinity table. Run from the repository root::

    python fits/fcrn_joint/kd_scan.py 49.8:42.755 49.8:630 1.22:630
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fcrn_human"))

from ivigsim.analysis.fitting.objective import Objective  # noqa: E402
from ivigsim.analysis.fitting.reader import load_problem  # noqa: E402
from pool_scan import FITS, _best_of, _efgartigimod, _least_squares, _with_fixed, lowerings  # noqa: E402
from trough_harness import judge, targets_by_id  # noqa: E402

# The calibration before this one (K_D 43 nM, k_recycle fixed at 30 /day) and its binding constants:
# the start that is carried along the ridge.
BEFORE = {"cl_uptake": 0.00603168, "k_recycle": 30.0, "k_deg": 433.917, "aab_production": 0.02954,
           "cl_uptake_h": 0.00874037, "fcrn_total_h": 4.4225}
FCRN_TOTAL, K_ON, K_OFF = 49.8, 13416.0, 573.6
K_RECYCLE_BOUNDS = (3.0, 3000.0)
IGG_ESTIMATED = ("cl_uptake", "k_recycle", "k_deg", "cl_uptake_h", "fcrn_total_h")
FCRN_TARGETS = ("PK-01", "PK-03", "PK-04", "PK-05", "PK-06", "PK-07", "PK-09", "PK-10", "PK-16", "PK-31",
                "PK-32", "PK-40", "TH-01", "TH-06")


def carried(fcrn_total, k_off=K_OFF):
    """The calibration before carried to ``fcrn_total`` and ``k_off`` along the quasi-equilibrium ridge."""
    a = FCRN_TOTAL / fcrn_total
    k_recycle = BEFORE["k_recycle"] * a
    ratio = (K_OFF + BEFORE["k_recycle"]) / (k_off + k_recycle)
    return {**BEFORE, "k_recycle": k_recycle, "k_deg": BEFORE["k_deg"] * ratio,
            "fcrn_total_h": BEFORE["fcrn_total_h"] / a}


def igg_problem(fcrn_total, k_off):
    """fits/fcrn_human with ``fcrn_total`` and ``k_off`` fixed, ``k_recycle`` estimated (a temporary copy)."""
    copy = _with_fixed(FITS / "fcrn_human", {"fcrn_total": fcrn_total, "k_off": k_off})
    table = copy / "parameters.tsv"
    lines = table.read_text().splitlines()
    rows = [line.split("\t") for line in lines[1:]]
    for row in rows:
        if row[0] == "k_recycle":
            row[3], row[4], row[6] = repr(K_RECYCLE_BOUNDS[0]), repr(K_RECYCLE_BOUNDS[1]), "1"
        if row[0] == "k_deg":
            row[3] = "1"
        if row[0] == "fcrn_total_h":
            row[3] = "0.01"
    table.write_text("\n".join([lines[0]] + ["\t".join(row) for row in rows]) + "\n")
    return Objective(load_problem(copy))


def fit_igg(fcrn_total, k_off, n_random=3, seed=1):
    """Best IgG fit at ``fcrn_total``: (objective, values) from the carried start and random starts."""
    objective = igg_problem(fcrn_total, k_off)
    start = carried(fcrn_total, k_off)
    x_carried = np.clip(np.log10([start[n] for n in objective.names]), objective.lower, objective.upper)
    rng = np.random.default_rng(seed)
    starts = [x_carried] + [objective.lower + rng.random(len(x_carried)) * (objective.upper - objective.lower)
                            for _ in range(n_random)]
    return _best_of(objective, starts)


def judged(fcrn):
    """Outcome and simulated values of the FcRn targets under ``fcrn``."""
    rows = judge(targets_by_id(FCRN_TARGETS), fcrn)
    out = {}
    for tid, row in rows.items():
        values = [None if c.simulated is None else (bool(c.simulated) if c.criterion.is_direction
                                                    else round(float(c.simulated), 4)) for c in row.criteria]
        out[tid] = {"outcome": row.outcome, "values": values}
    return out


def scan(fcrn_total, k_off, refit_drugs=True, n_random=3):
    """One pool size: IgG objective, targets, predictions with catalogue and refitted drugs (a dict)."""
    igg_obj, igg = fit_igg(fcrn_total, k_off, n_random=n_random)
    fcrn = {"fcrn_total": fcrn_total, "k_off": k_off, **{name: igg[name] for name in IGG_ESTIMATED}}
    result = {"fcrn_total_uM": fcrn_total, "kd_igg_nM": round(1000.0 * k_off / K_ON, 1), "objective_igg": round(igg_obj, 4),
              "fcrn": {k: round(v, 6) for k, v in fcrn.items()}, "targets": judged(fcrn),
              "lowering_catalogue": lowerings(fcrn, {})}
    if refit_drugs:
        nipo_obj, nipo = _least_squares(Objective(load_problem(_with_fixed(FITS / "nipocalimab", fcrn))), 4, 2)
        roza_obj, roza = _least_squares(Objective(load_problem(_with_fixed(FITS / "rozanolixizumab", fcrn))), 4, 3)
        efg_obj, efg = _efgartigimod(fcrn)
        # a drug's refit values over its fixed values (fluid-phase uptake and distribution as IgG's
        # where its problem does not estimate them, not the catalogue's provisional ones)
        igg_like = {"fcra_uptake": 1.0, "fcra_extravasation": 1.0}
        drugs = {"nipocalimab": nipo, "efgartigimod": {**igg_like, **efg},
                 "rozanolixizumab": {**igg_like, "fcra_capture": 0.0, **roza}}
        result.update({"objective_nipocalimab": round(nipo_obj, 2), "objective_rozanolixizumab": round(roza_obj, 2),
                       "objective_efgartigimod": round(efg_obj, 4), "lowering_refitted": lowerings(fcrn, drugs),
                       "drugs": {k: {n: round(v, 6) for n, v in d.items()} for k, d in drugs.items()}})
    return result


def quick(fcrn_total, k_off):
    """The shipped optimum carried to ``fcrn_total`` and ``k_off`` without refitting: targets and predictions."""
    start = carried(fcrn_total, k_off)
    fcrn = {"fcrn_total": fcrn_total, "k_off": k_off, **{name: start[name] for name in IGG_ESTIMATED}}
    return {"fcrn_total_uM": fcrn_total, "kd_igg_nM": round(1000.0 * k_off / K_ON, 1), "carried": True,
            "fcrn": {k: round(v, 6) for k, v in fcrn.items()}, "targets": judged(fcrn),
            "lowering_catalogue": lowerings(fcrn, {})}


if __name__ == "__main__":
    # arguments: POOL_uM:KD_nM pairs; a leading "--carried" skips the refits
    args = sys.argv[1:]
    only_carried = bool(args) and args[0] == "--carried"
    for pair in (args[1:] if only_carried else args) or ["49.8:700", "1.22:700"]:
        pool, kd = (float(v) for v in pair.split(":"))
        k_off = K_ON * kd / 1000.0
        print(json.dumps(quick(pool, k_off) if only_carried else scan(pool, k_off)), flush=True)
