"""Regenerate measurements.tsv: the synthetic total-IgG curve of this problem.

The 'true' patient has the parameter values of TRUE below; total IgG is
simulated with ivigsim's model igg_linear at the sampling days, then multiplied
by log-normal noise with sigma = 0.08 (natural-log scale) drawn from a fixed
seed. Run from the repository root: ``python fits/igg_course_didactic/make_data.py``.
"""

from pathlib import Path

import numpy as np

import ivigsim as iv

TRUE = {"cl_linear": 0.0036, "v_plasma": 0.045, "igg_production": 30.0}
DAYS = [0, 1, 2, 3, 4, 5, 7, 10, 14, 21, 28, 35, 42, 49, 56]
SIGMA_LOG = 0.08
SEED = 20261206

if __name__ == "__main__":
    course = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8.0)
    res = iv.simulate("igg_linear", regimen=course, t_end=56.0, body_weight_kg=70.0, params=TRUE,
                      t_eval=np.array(DAYS, dtype=float), rtol=1e-10)
    rng = np.random.default_rng(np.random.SeedSequence(SEED))
    noisy = res["igg_total"] * np.exp(rng.normal(0.0, SIGMA_LOG, len(DAYS)))
    lines = ["observableId\tsimulationConditionId\ttime\tmeasurement\tdatasetId"]
    lines += [f"igg_total_serum\tcourse_2g_per_kg\t{d:g}\t{v:.3f}\tsynthetic_patient" for d, v in zip(DAYS, noisy)]
    Path(__file__).with_name("measurements.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
