"""Typical nipocalimab serum concentrations and FcRn occupancy of the published population model.

Valenzuela B, Neyens M, Zhu Y, et al. Nipocalimab dose selection in generalized
myasthenia gravis. CPT Pharmacometrics Syst Pharmacol 2025;14:2074-2085
(doi:10.1002/psp4.70109) fitted one quasi-steady-state TMDD model to the serum
nipocalimab concentrations and the monocyte FcRn receptor occupancy of 160
healthy adults in five phase 1 studies (among them the first-in-human study of
Ling et al., Clin Pharmacol Ther 2019, 0.3-60 mg/kg IV) and 68 patients. This
script integrates its typical adult (75 kg, Table 3 values) after a single IV
dose and writes the concentration and occupancy rows of ``measurements.tsv``
with the paper's residual errors as sigmas. Only the drug's own PK and
occupancy enter; the model's IgG part is not used.

Run from the repository root::

    python fits/nipocalimab/derive_data.py
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

HERE = Path(__file__).resolve().parent

# Valenzuela et al. 2025, Table 3 (typical values, 75 kg reference adult).
CL, VC, Q, VP = 0.655, 3.23, 0.250, 0.622          # L/day, L, L/day, L
FCRN0, FRMAX = 143.0, 0.947                         # nM, accessible fraction
KSS_UG_PER_ML, KINT, KDEG = 6.05, 62.4, 1.3         # ug/mL, 1/day, 1/day
MW = 142_000.0                                      # g/mol, the paper's 15 mg/kg x 75 kg = 7.92 umol
KSS = KSS_UG_PER_ML * 1e6 / MW                      # nM
PROP_SD_PK = 0.0834                                 # proportional residual, phase 1 (Table 3)
ADD_SD_PK_NM = 0.445                                # additive residual, ELISA assay of Ling 2019 (Table 3)
LLOQ_UG_PER_ML = 0.150                              # ELISA lower limit of quantification (Table 3 notes)
ADD_SD_RO, PROP_SD_RO = 2.98, 0.227                 # % unoccupied FcRn (Table 3)

WEIGHT_KG = 75.0
INFUSION_DAYS = 2.0 / 24.0                          # phase 1 infusions over 2 h (Ling 2019)
DOSES_MG_PER_KG = (30.0, 60.0)
TIMES_DAYS = (1.0, 2.0, 4.0, 7.0, 10.0, 14.0, 21.0)


def _free(ctot, rtot):
    """Free drug (nM) under the quasi-steady state."""
    disc = ctot - rtot - KSS
    return 0.5 * (disc + math.sqrt(disc * disc + 4.0 * KSS * ctot))


def typical_profile(dose_mg_per_kg, times):
    """Total serum nipocalimab (ug/mL) and % unoccupied FcRn of the typical adult at ``times``."""
    dose_nmol = dose_mg_per_kg * WEIGHT_KG * 1e6 / MW
    rate = dose_nmol / INFUSION_DAYS
    r0 = FCRN0 * FRMAX

    def rhs(t, y):
        central, peripheral, rtot = y
        ctot = central / VC
        cfree = _free(ctot, rtot)
        complex_ = rtot * cfree / (KSS + cfree)
        infusion = rate if t < INFUSION_DAYS else 0.0
        return [infusion - CL * cfree - KINT * VC * complex_ - Q * cfree + Q / VP * peripheral,
                Q * cfree - Q / VP * peripheral,
                KDEG * r0 - KDEG * rtot - (KINT - KDEG) * complex_]

    sol = solve_ivp(rhs, (0.0, INFUSION_DAYS), [0.0, 0.0, r0], method="LSODA", rtol=1e-10, atol=1e-12)
    sol2 = solve_ivp(rhs, (INFUSION_DAYS, max(times)), sol.y[:, -1], method="LSODA", t_eval=list(times),
                     rtol=1e-10, atol=1e-12)
    conc, unoccupied = [], []
    for central, _, rtot in sol2.y.T:
        ctot = central / VC
        cfree = _free(ctot, rtot)
        complex_ = rtot * cfree / (KSS + cfree)
        conc.append(ctot * MW / 1e6)
        unoccupied.append(100.0 * (rtot - complex_ + FCRN0 * (1.0 - FRMAX)) / FCRN0)
    return np.array(conc), np.array(unoccupied)


def main():
    rows = ["observableId\tsimulationConditionId\ttime\tmeasurement\tnoiseParameters\tdatasetId"]
    for dose in DOSES_MG_PER_KG:
        cid = f"iv_{dose:g}_mg_per_kg"
        conc, unocc = typical_profile(dose, TIMES_DAYS)
        for t, c in zip(TIMES_DAYS, conc):
            if c < LLOQ_UG_PER_ML:      # the assay would not have quantified it
                continue
            # the combined proportional + additive error, as a sigma on the log scale
            sigma = math.hypot(PROP_SD_PK, ADD_SD_PK_NM * MW / 1e6 / c)
            rows.append(f"nipocalimab_serum\t{cid}\t{t:g}\t{c:.4g}\t{sigma:.3g}\tvalenzuela2025_typical_pk")
        for t, u in zip(TIMES_DAYS, unocc):
            sigma = math.hypot(ADD_SD_RO, PROP_SD_RO * u)
            rows.append(f"fcrn_unoccupied_percent\t{cid}\t{t:g}\t{u:.4g}\t{sigma:.3g}\tvalenzuela2025_typical_ro")
    tmp = HERE / "measurements.tsv.tmp"
    tmp.write_text("\n".join(rows) + "\n")
    os.replace(tmp, HERE / "measurements.tsv")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
