"""Refit the FcRn antagonists' own PK on the cell-surface FcRn pool of ``models/fcrn_pk.toml``.

The surface pool (mechanism ``fcrn_surface``) was derived here and is now in
the shipped model; this script keeps the study's problems, which set the
surface fraction and cycling explicitly. Each drug's data are the shipped
problem's, read from ``fits/<drug>/`` (never written): rozanolixizumab's and
nipocalimab's PEtab tables through the reference fit of
``fits/fcrn_human/calibrate.py``, efgartigimod's exposure summaries through
``fits/efgartigimod/calibrate.py``'s objective. Only the estimated parameters
differ from the shipped fits: the lumped endothelial capture
(``fcra_capture``) is fixed at 0, so that the surface pool is the only
endothelial route (``--free fcra_capture`` estimates it, on log10 over
1e-4..1000 /day, as the shipped fits do). Rozanolixizumab also estimates the
surface fraction and cycling (their sources give no number for endothelium,
see README.md); they are receptor properties, so the other two drugs are
fitted with them fixed at rozanolixizumab's values. Multi-start trust-region
least squares, Wald intervals on the log10 scale; writes
``fits/fcrn_surface/<drug>/fitted.toml``. Run from the repository root,
rozanolixizumab first::

    python fits/fcrn_surface/calibrate.py rozanolixizumab [--starts N]
    python fits/fcrn_surface/calibrate.py nipocalimab [--starts N]
    python fits/fcrn_surface/calibrate.py efgartigimod [--starts N]
    python fits/fcrn_surface/calibrate.py nipocalimab --free fcra_capture --out fitted_capture_free.toml
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import norm, qmc

import ivigsim as iv

HERE = Path(__file__).resolve().parent
FITS = HERE.parent
MODEL = "fcrn_pk"                  # the shipped model, which carries the surface pool
SURFACE = ("fcrn_surface_fraction", "fcrn_surface_cycling")
SEED = 20261206
# Bounds of a parameter that --free estimates on log10 where parameters.tsv fixes it on a
# linear scale (a lower bound of 0 has no log): those of the shipped fits' lumped capture.
LOG10_WHEN_FREED = {"fcra_capture": (1e-4, 1000.0, 0.01)}


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def surface_values() -> dict[str, float]:
    """The surface fraction and cycling fitted on rozanolixizumab (its fitted.toml here)."""
    path = HERE / "rozanolixizumab" / "fitted.toml"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run 'python fits/fcrn_surface/calibrate.py rozanolixizumab' first")
    fitted = tomllib.loads(path.read_text())
    return {name: float(fitted[name]["value"]) for name in SURFACE}


class PetabProblem:
    """A shipped PEtab problem (fits/<drug>/) with this directory's parameters.tsv and ivigsim.toml."""

    def __init__(self, drug: str, free=(), hold=None):
        ref = _module(FITS / "fcrn_human" / "calibrate.py", f"reference_fit_{drug}")
        source, own = FITS / drug, HERE / drug
        original = ref.read_tsv

        def read_tsv(name):                 # the data from the shipped problem, the parameters from here
            ref.HERE = own if name == "parameters.tsv" else source
            try:
                return original(name)
            finally:
                ref.HERE = own
        ref.read_tsv, ref.HERE = read_tsv, own
        fit, conditions, measurements, observables, parameters = ref.load_problem()
        if drug != "rozanolixizumab":
            values = surface_values()
            for row in parameters:
                if row["parameterId"] in values:
                    row["nominalValue"] = repr(values[row["parameterId"]])
        for row in parameters:
            if row["parameterId"] in free:
                row["estimate"] = "1"
                if row["parameterScale"] == "lin" and row["parameterId"] in LOG10_WHEN_FREED:
                    low, high, start = LOG10_WHEN_FREED[row["parameterId"]]
                    row.update(parameterScale="log10", lowerBound=repr(low), upperBound=repr(high),
                               nominalValue=repr(start))
            if row["parameterId"] in (hold or {}):          # an estimated parameter held fixed
                row["estimate"], row["nominalValue"] = "0", repr(hold[row["parameterId"]])
        unknown = sorted(set(free) - {row["parameterId"] for row in parameters})
        if unknown:
            raise SystemExit(f"--free {', '.join(unknown)}: not a parameter of fits/fcrn_surface/{drug}/parameters.tsv")
        self.objective = ref.Objective(fit, conditions, measurements, observables, parameters)
        self.names, self.lower, self.upper = self.objective.names, self.objective.lower, self.objective.upper
        self.fixed = self.objective.fixed
        self.rows = [(r["simulationConditionId"], r["observableId"], r["time"], float(r["measurement"]))
                     for r in measurements]
        self.n_starts = int(fit["n_starts"])

    def residuals(self, x):
        return self.objective.residuals(x)

    def predictions(self, x):
        return self.objective.simulate(x)


class EfgartigimodProblem:
    """fits/efgartigimod's exposure summaries, the endothelial capture as the surface pool (fcra_capture 0)."""

    # Bounds of the parameters --free may add: those of rozanolixizumab's problem here.
    EXTRA = {"fcra_uptake": (0.05, 1000.0), "fcrn_surface_fraction": (1e-4, 0.2),
             "fcrn_surface_cycling": (1e-3, 1e4), "fcra_capture": LOG10_WHEN_FREED["fcra_capture"][:2]}

    def __init__(self, free=()):
        ref = _module(FITS / "efgartigimod" / "calibrate.py", "efgartigimod_fit")
        unknown = sorted(set(free) - set(self.EXTRA))
        if unknown:
            raise SystemExit(f"--free {', '.join(unknown)}: efgartigimod can free only {', '.join(self.EXTRA)}")
        ref.NAMES = ("fcra_capture_h", "fcra_release", "fcra_ka") + tuple(free)
        ref.LOWER = np.log10([1e-4, 0.001, 0.05] + [self.EXTRA[n][0] for n in free])
        ref.UPPER = np.log10([1000.0, 1.0, 10.0] + [self.EXTRA[n][1] for n in free])
        fixed = {"fcra_uptake": 1.0, "fcra_capture": 0.0, **surface_values()}
        ref.FIXED = {k: v for k, v in fixed.items() if k not in free}
        self.objective = ref.Objective(ref.read_measurements())
        self.objective.model = iv.load_model(MODEL)
        self.names, self.lower, self.upper, self.fixed = list(ref.NAMES), ref.LOWER, ref.UPPER, ref.FIXED
        self.rows = [(r["simulationConditionId"], r["observableId"], "", float(r["measurement"]))
                     for r in self.objective.rows]
        self.n_starts = ref.N_STARTS

    def residuals(self, x):
        return self.objective.residuals(x)

    def predictions(self, x):
        return self.objective.summaries(x)


def multistart(problem, n_starts):
    unit = qmc.LatinHypercube(d=len(problem.names), seed=np.random.default_rng(SEED)).random(n_starts)
    results = []
    for x0 in problem.lower + unit * (problem.upper - problem.lower):
        try:
            results.append(least_squares(problem.residuals, x0, bounds=(problem.lower, problem.upper),
                                         method="trf", diff_step=1e-4, xtol=1e-10, ftol=1e-10))
        except Exception as exc:        # a start whose simulation fails is recorded and the others go on
            print(f"start {x0} failed: {exc}", file=sys.stderr)
    results.sort(key=lambda r: r.cost)
    return results


def write_atomic(path: Path, text: str):
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def report(drug, problem, results, seconds, out_name="fitted.toml", folder=None):
    """Print the fit and write <drug>/fitted.toml (atomic)."""
    best = results[0]
    n_best = sum(abs(r.cost - best.cost) <= 1e-6 * max(best.cost, 1e-12) for r in results)
    cov = np.linalg.pinv(best.jac.T @ best.jac)
    half = norm.ppf(0.975) * np.sqrt(np.diag(cov))
    lines = [f"# Written by fits/fcrn_surface/calibrate.py {' '.join(sys.argv[1:]) or drug}; do not edit by hand.",
             f"# Best of {len(results)} starts: objective (sum of squared weighted residuals) {2 * best.cost:.6g};",
             f"# {n_best} starts reached it within 1e-6 relative; {seconds:.0f} s.",
             "# ci95: Wald intervals from the Jacobian at the optimum on the log10 scale;",
             "# on_bound: the value lies within 1 % (log10 0.005) of a bound.", ""]
    print(f"{drug}: objective {2 * best.cost:.6g}, {n_best} of {len(results)} starts at the best, {seconds:.0f} s")
    for k, name in enumerate(problem.names):
        # An unidentified parameter's half-width can run to hundreds of decades: cap it for printing.
        low, high = 10 ** max(best.x[k] - half[k], -300.0), 10 ** min(best.x[k] + half[k], 300.0)
        on_bound = bool(min(best.x[k] - problem.lower[k], problem.upper[k] - best.x[k]) < 0.005)
        print(f"  {name:22s} {10 ** best.x[k]:11.5g}  95% Wald [{low:.4g}, {high:.4g}]{'  ON BOUND' if on_bound else ''}")
        key = name if name.isidentifier() else f'"{name}"'     # joint.py's "drug:parameter" needs quotes in TOML
        lines += [f"[{key}]", f"value = {10 ** best.x[k]:.6g}", f"ci95 = [{low:.6g}, {high:.6g}]",
                  f"on_bound = {'true' if on_bound else 'false'}", ""]
    lines += ["[fixed]"] + [f"{k} = {v:.6g}" for k, v in problem.fixed.items()] + [""]
    lines += ["[residuals]", "# condition, observable, time, data, model, weighted residual", "rows = ["]
    for (cid, obs, t, data), model, res in zip(problem.rows, problem.predictions(best.x), best.fun):
        print(f"  {cid:28s} {obs:24s} {t:>5s} data {data:9.4g} model {model:9.4g} residual {res:7.2f}")
        lines.append(f'  ["{cid}", "{obs}", "{t}", {data:.6g}, {model:.6g}, {res:.4f}],')
    lines += ["]", ""]
    write_atomic((folder or HERE / drug) / out_name, "\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drug", choices=["rozanolixizumab", "nipocalimab", "efgartigimod"])
    parser.add_argument("--starts", type=int, default=None, help="number of starts (default: the problem's)")
    parser.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE",
                        help="hold a parameter at a value (a fixed one, or for PEtab drugs an estimated one; a sensitivity "
                             "run, written to --out)")
    parser.add_argument("--free", action="append", default=[], metavar="NAME",
                        help="estimate a parameter that parameters.tsv fixes (a sensitivity run; written to --out)")
    parser.add_argument("--out", default="fitted.toml", help="result file name in fits/fcrn_surface/<drug>/")
    args = parser.parse_args(argv)
    fix = {item.partition("=")[0]: float(item.partition("=")[2]) for item in args.fix}
    if args.drug == "efgartigimod":
        problem = EfgartigimodProblem(args.free)
    else:
        problem = PetabProblem(args.drug, args.free, hold=fix)
    for item in args.fix:
        name, _, value = item.partition("=")
        if name not in problem.fixed:
            raise SystemExit(f"--fix {item}: '{name}' is not a fixed parameter of this problem "
                             f"(fixed: {', '.join(sorted(problem.fixed))})")
        problem.fixed[name] = float(value)
    if (args.fix or args.free) and args.out == "fitted.toml":
        raise SystemExit("--fix and --free change the problem: name its result with --out (fitted.toml is the main fit)")
    t0 = time.perf_counter()
    results = multistart(problem, args.starts or problem.n_starts)
    report(args.drug, problem, results, time.perf_counter() - t0, args.out)


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
