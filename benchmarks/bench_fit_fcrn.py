"""Fit benchmark on the FcRn recalibration ``fits/fcrn_human``: ivigsim against pyPESTO, same starts.

The problem is read from ``fits/fcrn_human`` at run time, so the benchmark
stays valid when the tables or the model's values change. ivigsim fits it as
shipped. pyPESTO 0.7.0's libRoadRunner objective (``pypesto.objective.roadrunner``)
cannot read it as shipped, for reasons of both the problem and the importer:

* **Steady-state starts.** Every ivigsim condition starts from its own
  untreated steady state for the parameters being tried. The shipped
  ``model.xml`` (written for the first condition) holds that state as numbers
  for the nominal values only and no dosing. In PEtab v1 the steady state is a
  preequilibration: each measurement names ``C__steady``, a copy of its
  condition with the doses off.
* **Doses.** One SBML carries one regimen. The model is exported with the
  treated conditions' regimen (they must share it), its infusions times a new
  constant ``ivig_dosing`` that the condition table sets (1 treated, 0 not).
* **FcRn totals.** Free FcRn starts at ``fcrn_total`` and ``fcrn_total_h``
  (estimated), so the export uses the model file's initial values (initial
  assignments), which roadrunner re-evaluates when pyPESTO sets a parameter
  and resets the model.
* **Running totals** (catabolised, removed) grow for ever, so the state has no
  steady state for roadrunner's Newton solver to find (ivigsim leaves them out
  of its steady state): they are boundary species in the copy (no observable
  reads them).
* **Time 0.** pyPESTO simulates ``[0, 0]`` for a condition measured at time 0
  only, which CVODE refuses. A datum at time 0 is the steady state, so it is
  read from the untreated ``C__steady`` held for 1 day (the state does not move).
* **Two importer faults** (pyPESTO 0.7.0), met on this problem:
  - It pairs its data (conditions in order of appearance) with PEtab's parameter
    mapping (conditions sorted by id): conditions not in sorted order are
    simulated with another condition's parameters. Rows are sorted by id.
  - A fixed parameter on a log10 scale is set to its log10 value as if linear
    (``k_on`` = 4.13). Fixed parameters are written on the lin scale (the
    scale of a fixed parameter does not enter the objective).
* **Noise.** pyPESTO takes one sigma per observable and condition; rows that
  share both but differ in sigma are split into condition copies.

pyPESTO finds each preequilibration with libRoadRunner's Newton solver after a
1000-day presimulation (settings it sets at every call); where Newton fails,
libRoadRunner simulates on until the rates' norm falls below 1e-6. With that
fallback's default horizon (10,000 days, 10,000 steps) it stops short at some
points the optimiser visits (3 of the first 10 Latin-hypercube starts), which
ended every pyPESTO start before; the benchmark gives the fallback 1e6 days
and 1e6 steps (``STEADY_STATE_FALLBACK``), same tolerance, so the steady state
sought is the same one. Conserved-moiety analysis, which pyPESTO switches on
for Newton, stays: the FcRn totals are conserved moieties (``igg_fcrn`` and
``igg_fcrn_h`` are dependent species).

**One change to pyPESTO, in its favour.** pyPESTO 0.7.0's calculator switches
conserved-moiety analysis on before each of the 9 preequilibrations and off after
it, on the instance that also simulates the conditions, and each switch
recompiles the model (86 % of an evaluation). The benchmark's objective uses
``TwoInstanceCalculator`` (``benchmarks/_pypesto_calculator.py``): the same
code, except that the preequilibrations run on a second instance loaded once
with the analysis on (its conserved totals taken from the condition's initial
state, which the recompilation did before). The problem, the steady-state and
ODE settings and the optimiser are unchanged; one evaluation takes 0.14 s
instead of 1.33 s (median over 11 points, load 1.9). pyPESTO's own calculator is
evaluated at the same points (``stock pyPESTO``) to show both give the same
objective. pyPESTO's finite differences span the estimated parameters only
(``run_pypesto``), not the fixed ones too.

Before timing anything the benchmark checks that both tools give the same
objective at the same parameters (all comparison starts and ivigsim's
optimum). pyPESTO runs with libRoadRunner's LLJit backend and CVODE at the
problem's rtol, one process, with L-BFGS-B through pyPESTO's ``ScipyOptimizer``
and central finite-difference gradients (``pypesto.objective.FD``): the
libRoadRunner objective gives no gradient, and its residual mode returns
PEtab's residual table (ids and values in an object array), which pyPESTO's
least-squares optimisers cannot use.

Run: ``python benchmarks/bench_fit_fcrn.py [--starts 100] [--workers 2] [--pypesto-starts 2]``;
``--petab-out DIR`` keeps the pyPESTO equivalent. Wall and CPU times, best
objectives and their relative difference are printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from bench_fit import cpu_seconds, run_ivigsim
from ivigsim.analysis.fitting import load_problem
from ivigsim.analysis.fitting.multistart import start_points
from ivigsim.analysis.fitting.objective import Objective
from ivigsim.io.sbml import export_sbml

ROOT = Path(__file__).resolve().parent.parent
SWITCH = "ivig_dosing"
HOLD_DAYS = 1.0
# libRoadRunner's Newton steady-state solver falls back to simulating until the rates' norm is
# below approx_tolerance (1e-6, kept): with 10,000 days in 10,000 steps (its defaults) it stops
# short at some of the optimiser's points (3 of the first 10 Latin-hypercube starts); 1e6 days do.
STEADY_STATE_FALLBACK = {"allow_approx": True, "approx_time": 1e6, "approx_maximum_steps": 1_000_000}


def pypesto_equivalent(problem, out):
    """Write the PEtab v1 problem pyPESTO's roadrunner objective reads (module docstring) into ``out``."""
    import libsbml
    import pandas as pd
    treated = [c for c in problem.conditions if c.regimen.kind != "none"]
    if len({(c.regimen.kind, repr(sorted(c.regimen.arguments.items()))) for c in treated}) > 1 or \
            len({c.body_weight_kg for c in problem.conditions}) > 1:
        raise SystemExit("one SBML model carries one regimen and one body weight: the treated conditions "
                         "must share them")
    out.mkdir(parents=True)
    src = Path(problem.directory)
    spec = problem.spec
    fixed = {p.name: p.nominal for p in problem.parameters if not p.is_noise and p.name in spec.parameter_names}
    course = treated[0] if treated else problem.conditions[0]
    # No condition gives an FcRn antagonist, so the cell-surface FcRn pool stays exactly at rest
    # (within 1e-13 of switching it off); exported switched off, since its fourth-power guard on
    # free FcRn makes CVODE stop with CV_TOO_MUCH_ACC at one of the starts (fcrn_total_h = 95).
    surface = {"fcrn_surface": False} if "fcrn_surface" in spec.mechanisms else None
    doc = libsbml.readSBMLFromString(export_sbml(spec, regimen=course.regimen.build(), params=fixed,
                                                 body_weight_kg=course.body_weight_kg, initial="file",
                                                 mechanisms=surface))
    model = doc.getModel()
    switch = model.createParameter()
    switch.setId(SWITCH)
    switch.setValue(1.0)
    switch.setConstant(True)
    switch.setUnits("dimensionless")
    for reaction in model.getListOfReactions():
        if reaction.getId().startswith("infusion_"):          # the export's dosing reactions
            law = reaction.getKineticLaw()
            law.setMath(libsbml.parseL3Formula(f"{SWITCH} * ({libsbml.formulaToL3String(law.getMath())})"))
    for s in spec.species:
        if s.cumulative:
            model.getSpecies(s.name).setBoundaryCondition(True)
    libsbml.writeSBMLToFile(doc, str(out / "model.xml"))

    conditions = pd.read_csv(src / "conditions.tsv", sep="\t", dtype=str, keep_default_na=False)
    treated_ids = {c.name for c in treated}
    rows = []
    for _, row in conditions.iterrows():
        rows.append({**row, SWITCH: "1" if row.conditionId in treated_ids else "0"})
        rows.append({**row, "conditionId": row.conditionId + "__steady", SWITCH: "0",
                     "conditionName": f"untreated steady state of {row.conditionId}"})
    measurements = pd.read_csv(src / "measurements.tsv", sep="\t", dtype=str, keep_default_na=False)
    sigmas, out_rows = {}, []
    for _, row in measurements.iterrows():
        row = dict(row)
        row["preequilibrationConditionId"] = row["simulationConditionId"] + "__steady"
        if float(row["time"]) == 0.0:
            row["simulationConditionId"], row["time"] = row["preequilibrationConditionId"], repr(HOLD_DAYS)
        seen = sigmas.setdefault((row["simulationConditionId"], row["observableId"]), [])
        noise = row.get("noiseParameters", "")
        if noise not in seen:
            seen.append(noise)
        if seen.index(noise):
            copy = f"{row['simulationConditionId']}__{seen.index(noise) + 1}"
            if copy not in {r["conditionId"] for r in rows}:
                rows.append({**next(r for r in rows if r["conditionId"] == row["simulationConditionId"]),
                             "conditionId": copy})
            row["simulationConditionId"] = copy
        out_rows.append(row)
    pd.DataFrame(rows).to_csv(out / "conditions.tsv", sep="\t", index=False)
    columns = ["observableId", "preequilibrationConditionId", "simulationConditionId", "time", "measurement"]
    columns += [c for c in measurements.columns if c not in columns]
    (pd.DataFrame(out_rows)[columns].sort_values(["preequilibrationConditionId", "simulationConditionId"],
                                                  kind="stable").to_csv(out / "measurements.tsv", sep="\t",
                                                                        index=False))
    parameters = pd.read_csv(src / "parameters.tsv", sep="\t", dtype=str, keep_default_na=False)
    parameters.loc[parameters.estimate == "0", "parameterScale"] = "lin"
    parameters.to_csv(out / "parameters.tsv", sep="\t", index=False)
    for name in ("observables.tsv", "problem.yaml"):
        shutil.copyfile(src / name, out / name)
    return out


def pypesto_problem(directory, rtol, stock=False):
    """pyPESTO's problem on ``directory`` with the libRoadRunner objective, and the PEtab lint result.

    The objective's calculator is ``TwoInstanceCalculator`` (``benchmarks/_pypesto_calculator.py``:
    no recompilation around the preequilibrations), or pyPESTO's own with ``stock``.
    """
    import petab.v1 as petab
    import roadrunner
    from pypesto.objective.roadrunner import PetabImporterRR, SolverOptions
    config = roadrunner.Config
    config.setValue(config.ALLOW_EVENTS_IN_STEADY_STATE_CALCULATIONS, True)   # the dosing events
    config.setValue(config.LLVM_BACKEND, config.LLJIT)
    petab_problem = petab.Problem.from_yaml(str(directory / "problem.yaml"))
    lint_failed = petab.lint_problem(petab_problem)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        problem = PetabImporterRR(petab_problem).create_problem()
    problem.objective.solver_options = SolverOptions(relative_tolerance=rtol, absolute_tolerance=1e-12,
                                                     maximum_num_steps=100000)
    # pyPESTO sets presimulation (1000 days, 1000 steps) at every preequilibration but leaves the
    # Newton solver's simulation fallback as configured: give it time to reach the steady state
    # (same tolerance, so the same steady state; see the module docstring)
    rr = problem.objective.roadrunner_instance
    rr.setSteadyStateSolver("newton")
    solver = rr.getSteadyStateSolver()
    for key, value in STEADY_STATE_FALLBACK.items():
        solver.setValue(key, value)
    if not stock:
        from _pypesto_calculator import TwoInstanceCalculator
        problem.objective.calculator = TwoInstanceCalculator(rr, STEADY_STATE_FALLBACK)
    return problem, lint_failed


def full_vector(pproblem, names, x):
    """pyPESTO's full parameter vector (estimation scale) with ivigsim's estimated ``x`` placed by name."""
    z = np.zeros(pproblem.dim_full)
    z[pproblem.x_fixed_indices] = pproblem.x_fixed_vals
    for name, value in zip(names, x):
        z[pproblem.x_names.index(name)] = value
    return z


def consistency(pproblem, objective, points):
    """(ivigsim, pyPESTO or the error it raised, pyPESTO's seconds) objective at each point."""
    rows = []
    for x in points:
        mine = objective.nll(x)
        began = time.perf_counter()
        try:
            theirs = float(pproblem.objective(full_vector(pproblem, objective.names, x)[pproblem.x_free_indices]))
        except RuntimeError as exc:
            theirs = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
        rows.append((mine, theirs, time.perf_counter() - began))
    return rows


def estimated_only(pproblem, delta=1e-6):
    """A pyPESTO problem of the estimated parameters alone, with central FD gradients (step ``delta``).

    pyPESTO's ``FD`` differentiates the vector its objective is called with, and on the PEtab
    problem that is the full one, fixed parameters included (11 here, 2 x 11 evaluations per
    gradient): wrapped in a problem of the estimated parameters, the gradient takes 2 x 5.
    """
    import pypesto
    from pypesto.objective import FD
    from pypesto.objective import Objective as FunctionObjective
    full = pproblem.objective
    free = [pproblem.x_names[i] for i in pproblem.x_free_indices]
    return pypesto.Problem(
        objective=FD(FunctionObjective(fun=lambda x: float(full(x)), x_names=free), grad=True, hess=False,
                     delta_fun=delta),
        lb=pproblem.lb, ub=pproblem.ub, x_names=free)


def run_pypesto(pproblem, names, points, maxfun=1000):
    """(fvals, messages, wall s, CPU s) of L-BFGS-B + central FD gradients from ``points`` (1 process).

    The gradients span the estimated parameters only (``estimated_only``). The starts run one after
    the other, each printed as it ends.
    """
    import pypesto.optimize as optimize
    calculator = pproblem.objective.calculator
    reduced = estimated_only(pproblem)
    optimizer = optimize.ScipyOptimizer(method="L-BFGS-B", options={"maxfun": maxfun})
    fvals, messages, seconds, cpu = [], [], 0.0, 0.0
    for k, x in enumerate(points):
        reduced.set_x_guesses(full_vector(pproblem, names, x)[pproblem.x_free_indices][None, :])
        evaluations = getattr(calculator, "n_calls", 0)
        began, began_cpu = time.perf_counter(), cpu_seconds()
        run = optimize.minimize(reduced, optimizer=optimizer, n_starts=1, progress_bar=False)
        seconds, cpu = seconds + time.perf_counter() - began, cpu + cpu_seconds() - began_cpu
        r = run.optimize_result.list[0]
        fvals.append(float(r.fval))
        evaluations = getattr(calculator, "n_calls", 0) - evaluations
        messages.append(f"{str(r.message)[:100]}; {r.n_fval} objective calls"
                        + (f" ({evaluations} evaluations with the FD gradients)" if evaluations else "")
                        + f", {r.time:.0f} s")
        print(f"  pyPESTO start {k}: objective {fvals[-1]!r} ({messages[-1]}); load {os.getloadavg()[0]:.2f}",
              flush=True)
    return fvals, messages, seconds, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default=str(ROOT / "fits" / "fcrn_human"))
    parser.add_argument("--starts", type=int, default=100, help="ivigsim's multi-start fit (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pypesto-starts", type=int, default=2,
                        help="starts given to both tools for the comparison (0: objective check only)")
    parser.add_argument("--petab-out", help="also keep pyPESTO's PEtab problem in this new directory")
    args = parser.parse_args()
    print(f"load average at the start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    problem = load_problem(args.problem)
    objective = Objective(problem)
    directory = pypesto_equivalent(problem, Path(tempfile.mkdtemp()) / "fcrn_human_pypesto")
    if args.petab_out:
        shutil.copytree(directory, args.petab_out)
    pproblem, lint_failed = pypesto_problem(directory, problem.rtol)
    print(f"{problem.name}: {len(objective.names)} estimated, {objective.n_data} data, "
          f"{len(problem.conditions)} conditions; pyPESTO's PEtab equivalent passes petab's lint: {not lint_failed}")

    result = None
    if args.starts:
        result, seconds, cpu, profile_seconds = run_ivigsim(problem, args.starts, args.workers)
        print(f"ivigsim: {args.starts} starts on {args.workers} workers: {seconds:.2f} s wall (CPU {cpu:.2f} s); "
              f"best objective {result.value!r}; {result.n_converged} starts at the best; "
              f"{sum(not s.ok for s in result.starts)} failed; all {len(result.objective.names)} profiles on "
              f"{args.workers} workers {profile_seconds:.2f} s; load {os.getloadavg()[0]:.2f}")
        for name, value in result.estimates.items():
            print(f"  {name}: {value:.6g}")
    n = args.pypesto_starts
    points = start_points(objective, max(n, 2), problem.seed)[:max(n, 1)]
    checks = list(points) + ([result.x] if result is not None else [])
    rows = consistency(pproblem, objective, checks)
    stock, _ = pypesto_problem(directory, problem.rtol, stock=True)
    stock_rows = consistency(stock, objective, checks)
    differences, to_stock = [], []
    for k, ((a, b, seconds), (_, c, stock_seconds)) in enumerate(zip(rows, stock_rows)):
        label = f"start {k}" if k < len(points) else "ivigsim's optimum"
        if isinstance(b, str) or isinstance(c, str):
            print(f"same point ({label}): ivigsim {a!r}, pyPESTO {b}, stock pyPESTO {c}")
            continue
        differences.append(abs(b - a) / abs(a))
        to_stock.append(abs(b - c) / abs(c))
        print(f"same point ({label}): ivigsim {a!r}, pyPESTO {b!r} ({seconds:.2f} s), relative difference "
              f"{differences[-1]:.1e}; stock pyPESTO {c!r} ({stock_seconds:.2f} s), from pyPESTO {to_stock[-1]:.1e}")
    if differences:
        print(f"objective agreement: largest relative difference {max(differences):.1e} over {len(differences)} "
              f"points (goal 1e-6); largest from stock pyPESTO {max(to_stock):.1e}")
    print(f"one pyPESTO objective evaluation, median: {np.median([r[2] for r in rows]):.3f} s with the two-instance "
          f"calculator, {np.median([r[2] for r in stock_rows]):.3f} s stock; load {os.getloadavg()[0]:.2f}")
    if not n:
        return
    same, same_seconds, same_cpu, _ = run_ivigsim(problem, n, 1, with_profiles=False)
    print(f"ivigsim, the same {n} starts on 1 worker: {same_seconds:.2f} s wall (CPU {same_cpu:.2f} s), objectives "
          f"{[round(s.objective, 10) for s in same.starts]}; load {os.getloadavg()[0]:.2f}")
    fvals, messages, p_seconds, p_cpu = run_pypesto(pproblem, objective.names, points)
    print(f"pyPESTO (libRoadRunner, L-BFGS-B + central FD gradients), {n} starts, 1 process: {p_seconds:.2f} s "
          f"wall (CPU {p_cpu:.2f} s); load {os.getloadavg()[0]:.2f}")
    finite = [f for f in fvals if np.isfinite(f)]
    if finite:
        reference = result.value if result is not None else same.value
        print(f"best objectives: pyPESTO {min(finite)!r}, ivigsim {reference!r}: relative difference "
              f"{abs(min(finite) - reference) / abs(reference):.2e} (goal < 1e-3); ivigsim on the same {n} starts "
              f"{same.value!r}")
    print(f"same {n} starts: pyPESTO / ivigsim = {p_seconds / same_seconds:.1f} x in wall time "
          f"({p_cpu / same_cpu:.1f} x in CPU time); goal >= 10 x")
    print(f"machine: {platform.machine()}, python {platform.python_version()}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
