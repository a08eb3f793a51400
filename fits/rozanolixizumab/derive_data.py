"""Typical free rozanolixizumab concentrations of the published first-in-human PK model.

Lledo-Garcia R, Dixon K, Shock A, Oliver R. Pharmacokinetic-pharmacodynamic
modelling of the anti-FcRn monoclonal antibody rozanolixizumab: translation from
preclinical stages to the clinic. CPT Pharmacometrics Syst Pharmacol
2022;11:116-128 (doi:10.1002/psp4.12739) fitted a two-compartment
quasi-equilibrium target-mediated model to the free serum rozanolixizumab of
the 18 healthy adults given 1, 4 or 7 mg/kg IV (60 min infusions) in the
first-in-human study (Kiessling et al., Sci Transl Med 2017; NCT02220153).
This script integrates its typical subject (Table 2, first-in-human column)
and writes the rows of ``measurements.tsv`` with the paper's 9.3 %
proportional residual error as the sigma on the log scale. Only the drug's PK
enters; the model's IgG part is not used. Run from the repository root::

    python fits/rozanolixizumab/derive_data.py
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

HERE = Path(__file__).resolve().parent

# Lledo-Garcia et al. 2022, Table 2 (first-in-human estimates, typical subject).
VC, Q, VP, CL = 2.7, 0.271, 0.36, 0.968             # L, L/day, L, L/day (CL of free drug)
KD_NM, FCRN_NM, KDEG = 1.0, 147.0, 0.88             # nM, nM, 1/day (FcRn and complex)
MW = 148_000.0                                      # g/mol (Rystiggo prescribing information)
PROP_SD = 0.093                                     # proportional residual error
KD, RTOT = KD_NM * MW / 1e6, FCRN_NM * MW / 1e6     # mg/L

WEIGHT_KG = 70.0                                    # the paper's parameters carry no weight scaling
INFUSION_DAYS = 1.0 / 24.0                          # 60 min infusions (NCT02220153)
DOSES_MG_PER_KG = (1.0, 4.0, 7.0)
TIMES_DAYS = (0.25, 1.0, 2.0, 4.0, 7.0, 10.0, 14.0)
#: Free drug under this is not used: the typical curve there is in its target-mediated collapse,
#: where a 9.3 % log-scale sigma would let a few points decide the fit (no assay limit is published).
FLOOR_UG_PER_ML = 0.1


def _free(ctot):
    disc = ctot - RTOT - KD
    return 0.5 * (disc + math.sqrt(disc * disc + 4.0 * KD * ctot))


def typical_profile(dose_mg_per_kg, times):
    """Free serum rozanolixizumab (ug/mL) of the typical subject at ``times``."""
    rate = dose_mg_per_kg * WEIGHT_KG / INFUSION_DAYS

    def rhs(t, y, infusion):
        central, peripheral = y
        ctot = central / VC
        cfree = _free(ctot)
        return [infusion - CL * cfree - KDEG * VC * (ctot - cfree) - Q * cfree + Q / VP * peripheral,
                Q * cfree - Q / VP * peripheral]

    first = solve_ivp(rhs, (0.0, INFUSION_DAYS), [0.0, 0.0], args=(rate,), method="LSODA",
                      rtol=1e-10, atol=1e-12)
    rest = solve_ivp(rhs, (INFUSION_DAYS, max(times)), first.y[:, -1], args=(0.0,), method="LSODA",
                     t_eval=list(times), rtol=1e-10, atol=1e-12)
    return np.array([_free(central / VC) for central in rest.y[0]])


def main():
    rows = ["observableId\tsimulationConditionId\ttime\tmeasurement\tnoiseParameters\tdatasetId"]
    for dose in DOSES_MG_PER_KG:
        cid = f"iv_{dose:g}_mg_per_kg"
        for t, c in zip(TIMES_DAYS, typical_profile(dose, TIMES_DAYS)):
            if c >= FLOOR_UG_PER_ML:
                rows.append(f"rozanolixizumab_serum\t{cid}\t{t:g}\t{c:.4g}\t{PROP_SD:g}\tlledogarcia2022_typical_pk")
    tmp = HERE / "measurements.tsv.tmp"
    tmp.write_text("\n".join(rows) + "\n")
    os.replace(tmp, HERE / "measurements.tsv")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
