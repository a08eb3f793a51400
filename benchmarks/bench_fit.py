"""Fit benchmark: a 100-start fit of a multi-condition PEtab problem, ivigsim against pyPESTO.

The problem is the didactic one scaled up: four patients with agammaglobulinaemia
(X-linked; no IgG synthesis, so the untreated state is zero whatever the
parameters and the exported SBML starts where ivigsim starts) each receive a
2 g/kg course (0.4 g/kg/day x 5, 8-hour infusions, 70 kg); total IgG is
sampled 15 times per patient with 8 % log-normal noise. Each patient has their
own IgG clearance (condition-specific parameters cl_p1..cl_p4, PEtab style);
transcapillary escape and lymph return are shared: 6 estimated parameters,
60 data. The data are synthetic, from known true values (TRUE below).

Volumes are not estimated here: in the SBML a compartment's volume is an
initial assignment (``v_plasma * body_weight``), and pyPESTO 0.7.0's
libRoadRunner objective does not re-evaluate it when it sets ``v_plasma``, so
the two tools would fit different models (checked: at one point the two
objectives agree to 1e-5 for every parameter except ``v_plasma``, which
pyPESTO ignores).

In the same run the same PEtab directory (same tables, model.xml from
``ivigsim export-sbml``) is solved with pyPESTO's libRoadRunner objective
(``pypesto.objective.roadrunner``) from the same Latin-hypercube starts, with
scipy's L-BFGS-B and finite-difference gradients (pyPESTO's roadrunner
objective gives no sensitivities). Reported: best objective of each, their
relative difference, the objective of both at the same point (consistency),
wall times, and the ratio per start; and the two ways of computing the
residual Jacobian, forward sensitivities (benchmarks/_forward_sensitivity.py)
against ivigsim's batched finite differences, for time and accuracy.

Run: ``python benchmarks/bench_fit.py [--starts 100] [--pypesto-starts 20] [--workers 2]``.
``--problem DIR`` also times ivigsim alone on another problem directory (the FcRn
recalibration ``fits/fcrn_human``; ``bench_fit_fcrn.py`` compares it with pyPESTO on a
PEtab equivalent). On that problem ``--cold-starts`` starts are
also run with every steady state found cold (``Objective(problem,
warm_start=False)``: integration, then Newton), the reference for the warm
starts, which must reach the same best objective.

Wall times on a shared machine depend on its load; each line also gives the
CPU time of the process and its forked workers (all threads), which depends on
it far less.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import ivigsim as iv
from ivigsim.analysis.fitting import load_problem
from ivigsim.analysis.fitting.multistart import start_points
from ivigsim.analysis.fitting.objective import Objective

TRUE = {"cl_p1": 0.0025, "cl_p2": 0.0032, "cl_p3": 0.0040, "cl_p4": 0.0050, "cl_extravasation": 0.035,
        "lymph_flow": 0.08}
DAYS = [0.5, 1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 28, 35, 42, 56]
SIGMA_LOG = 0.08
SEED = 20261206
PATIENTS = ("p1", "p2", "p3", "p4")


def make_problem(directory):
    """Write the benchmark problem (synthetic data from TRUE) into ``directory``."""
    directory.mkdir(parents=True)
    rng = np.random.default_rng(np.random.SeedSequence(SEED))
    course = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8.0)
    rows = ["observableId\tsimulationConditionId\ttime\tmeasurement"]
    for patient in PATIENTS:
        params = {"igg_production": 0.0, "aab_production": 0.0, "cl_linear": TRUE[f"cl_{patient}"],
                  "lymph_flow": TRUE["lymph_flow"], "cl_extravasation": TRUE["cl_extravasation"]}
        res = iv.simulate("igg_linear", regimen=course, t_end=56.0, body_weight_kg=70.0, params=params,
                          t_eval=np.array(DAYS), rtol=1e-10)
        noisy = res["igg_total"] * np.exp(rng.normal(0.0, SIGMA_LOG, len(DAYS)))
        rows += [f"igg_total_serum\t{patient}\t{d:g}\t{v:.4f}" for d, v in zip(DAYS, noisy)]
    (directory / "measurements.tsv").write_text("\n".join(rows) + "\n")
    (directory / "conditions.tsv").write_text(
        "conditionId\tconditionName\tcl_linear\n" +
        "".join(f"{p}\tpatient {p[1]}, XLA, 2 g/kg\tcl_{p}\n" for p in PATIENTS))
    (directory / "observables.tsv").write_text(
        "observableId\tobservableFormula\tobservableTransformation\tnoiseFormula\tnoiseDistribution\n"
        "igg_total_serum\tigg_total\tlog\t0.08\tnormal\n")
    lines = ["parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate"]
    lines += [f"cl_{p}\tlog10\t0.001\t0.02\t0.0031244\t1" for p in PATIENTS]
    lines += ["lymph_flow\tlog10\t0.01\t0.5\t0.08664\t1", "cl_extravasation\tlog10\t0.005\t0.2\t0.03024\t1",
              "igg_production\tlin\t0\t500\t0\t0", "aab_production\tlin\t0\t50\t0\t0"]
    (directory / "parameters.tsv").write_text("\n".join(lines) + "\n")
    settings = ['[fit]', 'model = "igg_linear"', f"seed = {SEED}", "n_starts = 100", "t_end_days = 56.0"]
    for p in PATIENTS:
        settings += ["", f"[conditions.{p}]", "body_weight_kg = 70.0", 'kind = "ivig"', "dose_g_per_kg = 0.4",
                     "days = 5", "infusion_hours = 8.0"]
    (directory / "ivigsim.toml").write_text("\n".join(settings) + "\n")
    shutil.copyfile(Path(iv.__file__).parent.parent / "fits" / "igg_course_didactic" / "problem.yaml",
                    directory / "problem.yaml")
    problem = load_problem(directory)
    out = Path(tempfile.mkdtemp()) / "export"
    problem.to_petab(out)                       # model.xml as export-sbml writes it, for this course
    shutil.copyfile(out / "model.xml", directory / "model.xml")
    return load_problem(directory)


def cpu_seconds():
    """CPU time of this process and of its finished children (the forked workers of a fit)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_ivigsim(problem, starts, workers, with_profiles=True):
    """(result, wall seconds of the starts, CPU seconds of the starts, wall seconds of all profiles)."""
    iv.fit(problem, n_starts=2, workers=1, profiles=False, progress=False)       # compile outside the timing
    began, cpu = time.perf_counter(), cpu_seconds()
    result = iv.fit(problem, n_starts=starts, workers=workers, profiles=False, progress=False)
    seconds, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    if not with_profiles:
        return result, seconds, cpu, float("nan")
    began = time.perf_counter()
    from ivigsim.analysis.fitting.uncertainty import profiles, wald
    profiles(result.objective, result.x, result.value, wald(result.objective, result.x), workers, False)
    return result, seconds, cpu, time.perf_counter() - began


def run_cold(problem, starts, workers):
    """The same starts with every steady state found cold: (best objective, wall s, CPU s)."""
    from ivigsim.analysis.fitting.multistart import map_ordered, optimise
    objective = Objective(problem, warm_start=False)
    points = start_points(objective, starts, problem.seed)
    began, cpu = time.perf_counter(), cpu_seconds()
    results = map_ordered(lambda k: optimise(objective.fork(), points[k], k), range(starts), workers)
    seconds, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    return min(r.objective for r in results if r.ok), seconds, cpu


def gradient_timing(problem, repeats=20):
    """Median seconds of one batched finite-difference Jacobian and of one objective evaluation."""
    objective = Objective(problem).fork()
    x = start_points(objective, 1, problem.seed)[0]
    objective.residual_jacobian(x)
    jac, fun = [], []
    # Each call at a new point nearby, as in a fit (at the same point the objective would
    # reuse what it computed there).
    for k in range(repeats):
        t = time.perf_counter()
        objective.residual_jacobian(x + 1e-3 * (2 * k + 1))
        jac.append(time.perf_counter() - t)
        t = time.perf_counter()
        objective.residuals(x + 1e-3 * (2 * k + 2))
        fun.append(time.perf_counter() - t)
    return float(np.median(jac)), float(np.median(fun)), len(x)


def forward_sensitivity_jacobian(objective, x, cache):
    """Residual Jacobian from forward sensitivities (benchmarks/_forward_sensitivity.py)."""
    from _forward_sensitivity import augmented_functions, integrate_sensitivities
    from ivigsim.core.kernel.compiled import evaluate_observables
    from ivigsim.core.simulation import initial_state
    spec = objective.spec
    values = objective.values(x)
    sigma = objective.sigmas(values)
    jac = np.zeros((objective.n_data, len(x)))
    column = spec.observable_names.index("igg_total")
    for condition, rows, times, t_index in objective.by_condition:
        run = objective._prepare(condition, objective._overrides(values, condition), times)
        active = [k for k in objective.model_rows if objective._acts_on(objective.estimated[k].name, condition)]
        idx = tuple(spec.parameter_index(next((c for c, v in condition.clamps if v == objective.estimated[k].name),
                                              objective.estimated[k].name)) for k in active)
        if idx not in cache:
            cache[idx] = augmented_functions(run.kernel, idx)
        y0 = initial_state(spec, run.kernel, run.values, run.p, run.rtol, run.atol)
        assert not np.any(y0), "S(0) = 0 holds only for a zero untreated state"
        states, sens = integrate_sensitivities(cache[idx], run, y0, idx)
        obs = evaluate_observables(run.kernel, states, run.p)[:, column]
        for j, k in enumerate(active):
            d = 1e-6 * max(np.abs(states).max(), 1.0) / max(np.abs(sens[:, :, j]).max(), 1e-300)
            moved = evaluate_observables(run.kernel, states + d * sens[:, :, j], run.p)[:, column]
            slope = (moved - obs) / d                          # d igg_total / d p (linear observable)
            value = values[objective.estimated[k].name]
            jac[rows, k] = slope[t_index] * value * np.log(10) / obs[t_index] / sigma[rows]
    return jac


def gradient_comparison(problem, repeats=15):
    """Accuracy against central differences and median time of both gradient methods."""
    objective = Objective(problem)
    x = np.log10([0.003, 0.0035, 0.004, 0.005, 0.035, 0.08])
    cache = {}
    began = time.perf_counter()
    forward_sensitivity_jacobian(objective, x, cache)
    compile_seconds = time.perf_counter() - began
    central = []
    for k in range(len(x)):
        e = np.zeros(len(x))
        e[k] = 1e-5
        central.append((objective.residuals(x + e) - objective.residuals(x - e)) / 2e-5)
    central = np.stack(central, axis=1)
    scale = np.abs(central).max()
    errors = (np.abs(forward_sensitivity_jacobian(objective, x, cache) - central).max() / scale,
              np.abs(objective.residual_jacobian(x) - central).max() / scale)
    t_fs, t_fd = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        forward_sensitivity_jacobian(objective, x, cache)
        t_fs.append(time.perf_counter() - t)
        t = time.perf_counter()
        objective.residual_jacobian(x)
        t_fd.append(time.perf_counter() - t)
    return float(np.median(t_fs)), float(np.median(t_fd)), errors, compile_seconds


def run_pypesto(directory, problem, starts):
    import petab.v1 as petab
    import pypesto.optimize as optimize
    from pypesto.objective.roadrunner import PetabImporterRR
    importer = PetabImporterRR(petab.Problem.from_yaml(str(directory / "problem.yaml")))
    pproblem = importer.create_problem()
    objective = Objective(problem)
    points = start_points(objective, starts, problem.seed)
    # pyPESTO works on the same log10 scale; place our estimated parameters by name.
    free = [pproblem.x_names[i] for i in pproblem.x_free_indices]
    x_check = points[1]
    z = np.empty(len(free))
    for k, name in enumerate(objective.names):
        z[free.index(name)] = x_check[k]
    consistency = (float(pproblem.objective(z)), objective.nll(x_check))
    guesses = np.zeros((starts, pproblem.dim_full))
    guesses[:, pproblem.x_fixed_indices] = pproblem.x_fixed_vals
    for k, name in enumerate(objective.names):
        guesses[:, pproblem.x_names.index(name)] = points[:, k]
    pproblem.set_x_guesses(guesses)
    from pypesto.objective import FD
    pproblem.objective = FD(pproblem.objective, grad=True, hess=False, delta_fun=1e-6)
    optimizer = optimize.ScipyOptimizer(method="L-BFGS-B", options={"maxfun": 1000})
    began = time.perf_counter()
    result = optimize.minimize(pproblem, optimizer=optimizer, n_starts=starts, progress_bar=False)
    seconds = time.perf_counter() - began
    fvals = np.array([r.fval for r in result.optimize_result.list])
    return float(np.nanmin(fvals)), seconds, consistency, int(np.sum(np.isfinite(fvals)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=100)
    parser.add_argument("--pypesto-starts", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--problem", help="also time ivigsim alone on this problem directory")
    parser.add_argument("--problem-only", action="store_true", help="with --problem: skip the comparison")
    parser.add_argument("--cold-starts", type=int, default=20,
                        help="with --problem: starts run both warm and cold (1 worker) for the reference; 0: skip")
    args = parser.parse_args()
    if args.problem:
        other = load_problem(args.problem)
        result, seconds, cpu, profile_seconds = run_ivigsim(other, args.starts, args.workers)
        print(f"{other.name}: {len(result.objective.names)} parameters, {result.objective.n_data} data, "
              f"{len(other.conditions)} conditions; {args.starts} starts on {args.workers} workers: "
              f"{seconds:.2f} s (CPU {cpu:.2f} s); best objective {result.value!r}; {result.n_converged} starts "
              f"at the best; {sum(not s.ok for s in result.starts)} failed; "
              f"{sum(s.n_evaluations for s in result.starts)} residual evaluations; profiles {profile_seconds:.2f} s")
        for name, value in result.estimates.items():
            print(f"  {name}: {value:.6g}")
        _, seconds_one, cpu_one, _ = run_ivigsim(other, args.starts, 1, with_profiles=False)
        print(f"{other.name}: the same {args.starts} starts on 1 worker: {seconds_one:.2f} s (CPU {cpu_one:.2f} s)")
        if args.cold_starts:
            n = args.cold_starts
            warm, warm_seconds, warm_cpu, _ = run_ivigsim(other, n, 1, with_profiles=False)
            best, cold_seconds, cold_cpu = run_cold(other, n, 1)
            print(f"{other.name}: {n} starts on 1 worker: warm-started steady states {warm_seconds:.2f} s "
                  f"(CPU {warm_cpu:.2f} s), best {warm.value!r}; every steady state cold {cold_seconds:.2f} s "
                  f"(CPU {cold_cpu:.2f} s), best {best!r}; relative difference "
                  f"{abs(best - warm.value) / abs(warm.value):.1e}; warm starts {cold_seconds / warm_seconds:.2f} x "
                  f"faster in wall time, {cold_cpu / warm_cpu:.2f} x in CPU time")
        if args.problem_only:
            return
    directory = Path(tempfile.mkdtemp()) / "xla_four_patients"
    problem = make_problem(directory)
    result, seconds, cpu, profile_seconds = run_ivigsim(problem, args.starts, args.workers)
    _, seconds_one, cpu_one, _ = run_ivigsim(problem, args.starts, 1, with_profiles=False)
    same, same_seconds, _, _ = run_ivigsim(problem, args.pypesto_starts, 1, with_profiles=False)
    jac_s, fun_s, n_par = gradient_timing(problem)
    print(f"ivigsim: {args.starts} starts on {args.workers} workers: {seconds:.2f} s (CPU {cpu:.2f} s); best objective "
          f"{result.value:.8g}; {result.n_converged} starts at the best; profiles {profile_seconds:.2f} s; "
          f"the same {args.starts} starts on 1 worker: {seconds_one:.2f} s (CPU {cpu_one:.2f} s); "
          f"pyPESTO's {args.pypesto_starts} starts on 1 worker: {same_seconds:.2f} s, best {same.value:.8g}")
    print(f"ivigsim: one residual evaluation {fun_s * 1e3:.2f} ms (4 conditions); one batched "
          f"finite-difference Jacobian ({n_par} parameters) {jac_s * 1e3:.2f} ms "
          f"= {jac_s / fun_s:.2f} x an evaluation")
    for name, true in TRUE.items():
        print(f"  {name}: true {true:g}, fitted {result.estimates[name]:.4g}")
    t_fs, t_fd, errors, compile_seconds = gradient_comparison(problem)
    print(f"residual Jacobian, median of 15: forward sensitivities {t_fs * 1e3:.1f} ms (max error against central "
          f"differences {errors[0]:.1e} of the largest entry; compiling {compile_seconds:.1f} s once), batched "
          f"finite differences {t_fd * 1e3:.1f} ms (error {errors[1]:.1e}); finite differences "
          f"{t_fs / t_fd:.1f} x faster")
    try:
        best, p_seconds, consistency, finished = run_pypesto(directory, problem, args.pypesto_starts)
    except Exception as exc:       # report exactly why pyPESTO could not run
        print(f"pyPESTO: could not run: {type(exc).__name__}: {exc}")
        return
    per_ivigsim = seconds / args.starts
    per_pypesto = p_seconds / args.pypesto_starts
    print(f"pyPESTO (libRoadRunner, L-BFGS-B + FD gradients): {args.pypesto_starts} starts, 1 process: "
          f"{p_seconds:.2f} s; best objective {best:.8g} ({finished} finished)")
    print(f"same point: pyPESTO objective {consistency[0]:.10g}, ivigsim {consistency[1]:.10g} "
          f"(relative difference {abs(consistency[0] - consistency[1]) / abs(consistency[1]):.2e})")
    print(f"best objectives: relative difference {abs(best - result.value) / abs(result.value):.2e} "
          f"(ivigsim {args.starts} starts); {abs(best - same.value) / abs(same.value):.2e} (ivigsim on the same "
          f"{args.pypesto_starts} starts)")
    print(f"the same {args.pypesto_starts} starts from the same points: pyPESTO {p_seconds:.2f} s (1 process), "
          f"ivigsim {same_seconds:.2f} s (1 worker): {p_seconds / same_seconds:.1f} x")
    print(f"wall time per start: ivigsim {per_ivigsim * 1e3:.1f} ms ({args.workers} workers), "
          f"{seconds_one / args.starts * 1e3:.1f} ms (1 worker); pyPESTO {per_pypesto * 1e3:.1f} ms (1 process); "
          f"ratio {per_pypesto / per_ivigsim:.1f} x ({args.workers} workers), "
          f"{per_pypesto / (seconds_one / args.starts):.1f} x (1 worker each); for {args.starts} starts "
          f"pyPESTO would take about {per_pypesto * args.starts:.1f} s")
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")


if __name__ == "__main__":
    main()
