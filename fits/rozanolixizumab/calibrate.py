"""Calibrate rozanolixizumab's drug parameters in ``fcrn_pk`` on the tables of this directory.

The same reference fit as ``fits/fcrn_human/calibrate.py`` (multi-start
trust-region least squares over :func:`ivigsim.simulate`, Wald intervals on the
log10 scale), run on this directory's PEtab tables: free serum rozanolixizumab after 1, 4
and 7 mg/kg IV (see README.md). Writes ``fitted.toml``.
Run from the repository root::

    python fits/rozanolixizumab/calibrate.py
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _reference_fit():
    """fits/fcrn_human/calibrate.py as a module, reading this directory's tables."""
    spec = importlib.util.spec_from_file_location("fcrn_human_calibrate", HERE.parent / "fcrn_human" / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = HERE
    return module


def main():
    ref = _reference_fit()
    fit_settings, conditions, measurements, observables, parameters = ref.load_problem()
    objective = ref.Objective(fit_settings, conditions, measurements, observables, parameters)
    best, results = ref.fit(objective, int(fit_settings["seed"]), int(fit_settings["n_starts"]))
    n_converged = sum(abs(r.cost - best.cost) <= 1e-6 * max(best.cost, 1e-12) for r in results)
    low, high, corr = ref.wald_intervals(best)
    for k, name in enumerate(objective.names):
        print(f"{name:16s} {10 ** best.x[k]:12.6g}  95% CI [{10 ** low[k]:.6g}, {10 ** high[k]:.6g}]")
    print("objective", 2 * best.cost, "starts at the best:", n_converged, "of", len(results))
    predicted = objective.simulate(best.x)
    for row, value, res in zip(measurements, predicted, best.fun):
        print(f"{row['observableId']:24s} {row['simulationConditionId']:16s} day {row['time']:>4s} "
              f"data {float(row['measurement']):9.4g} model {value:9.4g} weighted residual {res:7.2f}")
    ref.write_result(HERE / "fitted.toml", objective, best, low, high, corr, n_converged)
    text = (HERE / "fitted.toml").read_text().replace("fits/fcrn_human/calibrate.py", "fits/rozanolixizumab/calibrate.py")
    tmp = HERE / "fitted.toml.tmp"
    tmp.write_text(text)
    os.replace(tmp, HERE / "fitted.toml")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
