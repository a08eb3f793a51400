"""Rozanolixizumab's and nipocalimab's own PK fitted together, one surface pool for both.

The two anti-FcRn antibodies see the same receptor, so here the surface fraction
and cycling are shared and each drug keeps its own parameters (those its
problem in this directory estimates). The residuals are the two problems'
(``calibrate.py``'s PetabProblem), concatenated; multi-start trust-region least
squares and Wald intervals as there. Writes ``<drug>/fitted_joint.toml`` for
both drugs (read by ``predict.py --fit DRUG=fitted_joint.toml``). Efgartigimod is
left out: its five summaries want a surface pool ten times larger (README.md).
Run from the repository root::

    python fits/fcrn_surface/joint.py [--starts N]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = ("fcrn_surface_fraction", "fcrn_surface_cycling")
DRUGS = ("rozanolixizumab", "nipocalimab")


def _calibrate():
    spec = importlib.util.spec_from_file_location("fcrn_surface_calibrate", HERE / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Joint:
    """One parameter vector: the shared surface values, then each drug's own, in its problem's order."""

    def __init__(self, cal):
        self.parts = {"rozanolixizumab": cal.PetabProblem("rozanolixizumab"),
                      "nipocalimab": cal.PetabProblem("nipocalimab", free=SHARED)}
        self.names, lower, upper, self.index = list(SHARED), [], [], {}
        first = self.parts["rozanolixizumab"]
        for name in SHARED:
            k = first.names.index(name)
            lower.append(first.lower[k])
            upper.append(first.upper[k])
        for drug, part in self.parts.items():
            for k, name in enumerate(part.names):
                if name not in SHARED:
                    self.names.append(f"{drug}:{name}")
                    lower.append(part.lower[k])
                    upper.append(part.upper[k])
        self.lower, self.upper = np.array(lower), np.array(upper)
        self.fixed = {}
        self.rows = [row for part in self.parts.values() for row in part.rows]
        self.n_starts = 16

    def split(self, x):
        """Each drug's parameter vector, in its own problem's order."""
        where = {name: i for i, name in enumerate(self.names)}
        return {drug: np.array([x[where[n]] if n in SHARED else x[where[f"{drug}:{n}"]] for n in part.names])
                for drug, part in self.parts.items()}

    def residuals(self, x):
        xs = self.split(x)
        return np.concatenate([self.parts[d].residuals(xs[d]) for d in DRUGS])

    def predictions(self, x):
        xs = self.split(x)
        return np.concatenate([self.parts[d].predictions(xs[d]) for d in DRUGS])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=16)
    args = parser.parse_args(argv)
    cal = _calibrate()
    joint = Joint(cal)
    t0 = time.perf_counter()
    results = cal.multistart(joint, args.starts)
    seconds = time.perf_counter() - t0
    cal.report("joint", joint, results, seconds, out_name="joint_fitted.toml", folder=HERE)
    best = results[0]
    for drug, x in joint.split(best.x).items():       # per-drug files for predict.py
        part = joint.parts[drug]
        r = part.residuals(x)
        lines = [f"# Written by fits/fcrn_surface/joint.py (joint fit with {' and '.join(DRUGS)}); do not edit.",
                 f"# This drug's share of the joint objective {2 * best.cost:.6g}: {float(r @ r):.6g}.", ""]
        for k, name in enumerate(part.names):
            lines += [f"[{name}]", f"value = {10 ** x[k]:.6g}", ""]
        lines += ["[fixed]"] + [f"{k} = {v:.6g}" for k, v in part.fixed.items() if k not in SHARED] + [""]
        cal.write_atomic(HERE / drug / "fitted_joint.toml", "\n".join(lines))
        print(f"{drug}: share of the objective {float(r @ r):.4g}")


if __name__ == "__main__":
    main()
