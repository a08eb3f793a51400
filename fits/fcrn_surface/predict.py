"""Predict TH-02..05 (total-IgG lowering) with the drugs refitted here on the cell-surface FcRn pool.

The lowering is never fitted: each drug's parameters are its catalogue entry
(``ivigsim/core/data/fcrn_antagonists.toml``) under the values fitted here
(``<drug>/fitted.toml``: the estimated and the fixed ones), on the shipped
``models/fcrn_pk.toml``, which carries the surface pool. The regimens,
body weight, horizon and read-out are the targets' own (validation/targets.toml),
computed as the ``total_igg_lowering`` check does (a 0.1-day grid, the deepest
fall against the untreated patient, TH-04 read on day 10). The same model
with the shipped catalogue alone (the fits of ``fits/<drug>``) is printed
beside it as ``shipped``. Writes ``predictions.toml``.
Run from the repository root after calibrate.py::

    python fits/fcrn_surface/predict.py
    python fits/fcrn_surface/predict.py --fit nipocalimab=fitted_surface_free.toml \
        --fit efgartigimod=fitted_surface_free.toml --out predictions_own_surface.toml
"""

from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path

import numpy as np

import ivigsim as iv
from ivigsim.analysis.validation.registry import build_regimen

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PUBLISHED = {"TH-02": 75.0, "TH-03": 66.0, "TH-04": 48.0, "TH-05": 80.0}
DRUG = {"TH-02": "efgartigimod", "TH-03": "efgartigimod", "TH-04": "rozanolixizumab", "TH-05": "nipocalimab"}


def targets():
    """TH-02..05 as validation/targets.toml states them."""
    data = tomllib.loads((ROOT / "validation" / "targets.toml").read_text())
    return {t["id"]: t for t in data["target"] if t["id"] in PUBLISHED}


def fitted_params(drug, name="fitted.toml"):
    """The values fitted here for one drug: estimated and fixed."""
    fitted = tomllib.loads((HERE / drug / name).read_text())
    values = {k: float(v["value"]) for k, v in fitted.items() if isinstance(v, dict) and "value" in v}
    return {**{k: float(v) for k, v in fitted.get("fixed", {}).items()}, **values}


def lowering(model, target, params):
    """(deepest fall %, its day, fall on read_day or None, largest FcRn occupancy by the drug)."""
    cond = target["conditions"]
    t_end = float(cond["t_end_day"])
    grid = np.linspace(0.0, t_end, int(round(t_end * 10)) + 1)
    reg = build_regimen(dict(cond["regimen"]))
    res = iv.simulate(model, regimen=reg, t_end=t_end, body_weight_kg=cond["body_weight_kg"], t_eval=grid,
                      params=params)
    untreated = iv.simulate(model, t_end=t_end, body_weight_kg=cond["body_weight_kg"], t_eval=grid, params=params)
    fall = 100.0 * (1.0 - res["igg_total"] / untreated["igg_total"])
    k = int(np.argmax(fall))
    read = cond.get("read_day")
    at_read = None if read is None else float(np.interp(read, grid, fall))
    return float(fall[k]), float(grid[k]), at_read, float(np.max(res["fcrn_occupancy_antagonist"]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="append", default=[], metavar="DRUG=FILE",
                        help="use another result file of fits/fcrn_surface/DRUG/ (default fitted.toml)")
    parser.add_argument("--out", default="predictions.toml", help="result file in fits/fcrn_surface/")
    args = parser.parse_args(argv)
    files = {"efgartigimod": "fitted.toml", "rozanolixizumab": "fitted.toml", "nipocalimab": "fitted.toml"}
    for item in args.fit:
        drug, _, name = item.partition("=")
        if drug not in files or not (HERE / drug / name).exists():
            raise SystemExit(f"--fit {item}: expected DRUG=FILE with DRUG one of {', '.join(files)} "
                             f"and FILE in fits/fcrn_surface/DRUG/")
        files[drug] = name
    model = iv.load_model("fcrn_pk")
    lines = ["# Written by fits/fcrn_surface/predict.py; do not edit by hand.",
             "# lowering: deepest fall of total IgG against the untreated patient (%); TH-04 at day 10.",
             "# drug fits: " + ", ".join(f"{d}/{f}" for d, f in files.items()), ""]
    print(f"{'target':7s} {'drug':16s} {'published':>9s} {'shipped':>8s} {'surface':>8s}  (occupancy shipped/surface)")
    for tid, target in targets().items():
        drug = DRUG[tid]
        a = lowering(model, target, {})
        b = lowering(model, target, fitted_params(drug, files[drug]))
        pick = (lambda r: r[2]) if tid == "TH-04" else (lambda r: r[0])
        print(f"{tid:7s} {drug:16s} {PUBLISHED[tid]:9.1f} {pick(a):8.1f} {pick(b):8.1f}  ({a[3]:.2f} / {b[3]:.2f}; "
              f"nadir day {a[1]:.1f} / {b[1]:.1f})")
        lines += [f'["{tid}"]', f'drug = "{drug}"', f"published = {PUBLISHED[tid]}",
                  f"shipped = {pick(a):.2f}", f"surface = {pick(b):.2f}",
                  f"surface_deepest = {b[0]:.2f}", f"surface_nadir_day = {b[1]:.1f}",
                  f"max_occupancy_shipped = {a[3]:.4f}", f"max_occupancy_surface = {b[3]:.4f}", ""]
    out = HERE / args.out
    tmp = out.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
