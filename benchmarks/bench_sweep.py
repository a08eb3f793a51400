"""Sweep-throughput benchmark: ``run_experiment`` on a 10,000-point Latin hypercube.

    python benchmarks/bench_sweep.py [--points N] [--quick] [--repeats R] [--subset K]

The sweep: the standard IVIG course (0.4 g/kg/day x 5 days, 8 h infusions,
every 28 days, 13 cycles) in a 70 kg patient, one year from each point's own
untreated steady state, outputs once a day, rtol 1e-6; a Latin hypercube of N
points (default 10,000; ``--quick`` 1,000) over three parameters, each
log-uniform from half to twice its model default:

* ``fcrn_total``      FcRn capacity,
* ``cl_uptake``       pinocytic uptake clearance,
* ``aab_production``  autoantibody synthesis. It stands in for the
  anti-idiotype fraction of the product, which these models do not have (no
  anti-idiotype mechanism exists in ``fcrn_pk`` or ``fcrn_pk_qss``); it is the
  one autoantibody parameter they do have.

Metrics: autoantibody ``percent_change_min`` (nadir against day 0) and
``igg_total`` ``max``. The same sweep runs on ``fcrn_pk`` and ``fcrn_pk_qss``.

What is measured, per model:

1. ``run_experiment(workers=1)`` and ``workers=2``, each in a fresh
   ``python -c`` subprocess (fresh output directory; first one simulation and
   a 2-point sweep, untimed, so Numba's disk caches are loaded and the lazy
   imports done). Wall time (the sweep loop, as
   ``provenance["wall_seconds"]``, and the whole ``run_experiment`` call,
   which adds sampling and writing metrics.csv / trajectories.nc), simulations/s, parallel efficiency t1 / (2 t2), failed
   points, peak RSS (``ru_maxrss`` of the subprocess). Per-point memory is the
   growth over a subprocess that only does the warm-up (one simulation and a
   2-point sweep: a Latin hypercube needs n >= 2, so this is the nearest to a
   0-point baseline), divided by N - 2.
2. References on a subset of K points (default 20), round-robin per point,
   median of R passes: the same per-point work (parameters -> schedule, the
   untreated steady state, the year, observables, metrics) with SciPy LSODA
   (analytic Jacobian, piecewise, ``integrate_scipy``) and with libRoadRunner
   CVODE (the Antimony model of ``_antimony.py``, compiled once, parameters set
   per point, piecewise ``simulate()`` as in ``bench_solver.py``), and ivigsim
   itself in-process on one core. The references integrate the steady state
   with their own solver (untreated, 4000 days, rtol min(rtol, 1e-8), atol x
   1e-2, repeated until the drift is < 1e-9 /day); ivigsim finds it as a
   sweep does: Newton's method from the nominal steady state, the
   integration only where that is refused (``ivigsim.core.steady_state``).
3. A profile of 200 points: time inside compiled calls (Numba's argument
   dispatch included) against the rest (Python): the per-point path piece by
   piece, then whole chunks (one compiled call each) on one thread and with 2
   worker threads as the sweep runs them.

Writes benchmarks/results_sweep.md. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

MODELS = ("fcrn_pk", "fcrn_pk_qss")
SWEPT = ("fcrn_total", "cl_uptake", "aab_production")
METRICS = (("aab_nadir_pct", "percent_change_min", "autoantibody"),
           ("igg_total_max", "max", "igg_total"))
BODY_WEIGHT_KG = 70.0
T_END = 365.0
RTOL = 1e-6
ATOL = 1e-9
SEED = 20261125
REGIMEN_CODE = "iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=13)"
TARGET_POINTS = 10_000
TARGETS = {"fcrn_pk": 15.0, "fcrn_pk_qss": 8.0}     # seconds for 10,000 points on 2 cores (issue 13)
TARGET_SCIPY_RATIO = 150.0
TARGET_ROADRUNNER_RATIO = 10.0
TARGET_EFFICIENCY = 0.90


def _mark(ok):
    return "PASS" if ok else "**FAIL**"


# --------------------------------------------------------------------------- experiment file

def default_value(spec, name):
    from ivigsim.core.simulation import resolve_parameters
    values = resolve_parameters(spec, None, BODY_WEIGHT_KG)
    return float(values[list(spec.parameter_names).index(name)])


def experiment_toml(model, n):
    """Text of the benchmark's experiment file for ``model`` with ``n`` points."""
    from ivigsim.core.catalogue import load_model
    spec = load_model(model)
    lines = [
        "# Written by benchmarks/bench_sweep.py. aab_production stands in for the",
        "# anti-idiotype fraction, which this model does not have.",
        "[experiment]",
        f'name = "bench_sweep_{model}"',
        f'model = "{model}"',
        f"seed = {SEED}",
        f"t_end_days = {T_END}",
        "output_step_days = 1.0",
        f"rtol = {RTOL}",
        f"body_weight_kg = {BODY_WEIGHT_KG}",
        "",
        "[regimens.standard]",
        'kind = "ivig"',
        "dose_g_per_kg = 0.4",
        "days = 5",
        "infusion_hours = 8",
        "every_days = 28",
        "cycles = 13",
        "",
        "[sweep]",
        'method = "latin_hypercube"',
        f"n = {n}",
    ]
    for name in SWEPT:
        v = default_value(spec, name)
        lines += ["", f"[sweep.variables.{name}]   # default {v:g}, x/÷2 log-uniform",
                  f"low = {v / 2!r}", f"high = {v * 2!r}", 'scale = "log"']
    for name, kind, output in METRICS:
        lines += ["", f"[metrics.{name}]", f'kind = "{kind}"', f'output = "{output}"']
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- machine load

def _busy_jiffies():
    """Busy CPU time of the whole machine, in clock ticks (from /proc/stat); None if unreadable."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal ...
    return f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)


class LoadMeter:
    """Cores kept busy by *other* processes since construction: machine busy time minus our own
    (this process and its finished children), over the wall time. A noise indicator."""

    def __init__(self):
        import resource
        self._resource = resource
        self.t = time.perf_counter()
        self.busy = _busy_jiffies()
        self.own = self._own()

    def _own(self):
        r = self._resource
        a, b = r.getrusage(r.RUSAGE_SELF), r.getrusage(r.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    def others(self):
        busy = _busy_jiffies()
        wall = time.perf_counter() - self.t
        if busy is None or self.busy is None or wall <= 0:
            return float("nan")
        machine = (busy - self.busy) / os.sysconf("SC_CLK_TCK")
        return max(0.0, (machine - (self._own() - self.own)) / wall)


def wait_quiet(log, limit_s=60.0, threshold=0.3):
    """Wait (at most ``limit_s``) until other processes use less than ``threshold`` cores over 1 s."""
    if limit_s <= 0:
        return float("nan")
    t = time.perf_counter()
    while True:
        meter = LoadMeter()
        time.sleep(1.0)
        load = meter.others()
        if not load > threshold:                 # also when unknown (NaN)
            return load
        if time.perf_counter() - t > limit_s:
            log(f"  (machine still busy after {limit_s:.0f} s: other processes use {load:.1f} cores; "
                "going on)")
            return load


# --------------------------------------------------------------------------- sweeps in subprocesses

_CHILD = textwrap.dedent("""
    import hashlib, json, resource, sys, time
    t0 = time.perf_counter()
    sys.path.insert(0, sys.argv[1])
    path, out, workers, model, chunk, warm = sys.argv[2:8]
    workers = int(workers)
    import numpy as np
    import ivigsim as iv
    from ivigsim.sweep.run import run_experiment
    iv.simulate(model, regimen=%s, t_end=365, body_weight_kg=70)   # load kernel + solver caches
    if warm != "-":                  # a 2-point sweep first: lazy imports (pandas, xarray, plots) done
        run_experiment(warm, out=out + "_warm", workers=workers, progress=False)
    from ivigsim.core.catalogue import load_model
    from ivigsim.core.kernel import lanes
    if lanes.available(load_model(model)):   # lane kernels and drivers (too few points above to use them)
        lanes.load_lanes(load_model(model))
        from ivigsim.core.solvers import ensemble_lanes
        ensemble_lanes.run_points_lanes
    ready = time.perf_counter() - t0
    rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru.ru_utime + ru.ru_stime
    t = time.perf_counter()
    res = run_experiment(path, out=out, workers=workers, progress=False,
                         chunk_size=int(chunk) if chunk != "default" else None)
    call = time.perf_counter() - t
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu = ru.ru_utime + ru.ru_stime - cpu0
    m = res.metrics
    cols = %r
    values = np.ascontiguousarray(m[list(cols)].to_numpy(dtype=float))
    failed = m[m["status"] != "ok"]
    print("RESULT " + json.dumps({
        "ready_s": ready, "call_s": call, "cpu_s": cpu,
        "wall_s": res.provenance["wall_seconds"],
        "sims_per_s": res.provenance["simulations_per_second"],
        "n_failed": int(res.provenance["n_failed"]), "n_points": int(len(m)),
        "failures": failed[["point_id", "reason"]].head(5).to_dict("records"),
        "n_nan_metrics": int(np.isnan(values).any(axis=1).sum()),
        "metrics_sha": hashlib.sha256(values.tobytes()).hexdigest()[:16],
        "median_steps": float(m["solver_steps"].median()),
        "chunk_size": res.provenance.get("chunk_size"),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "rss_ready_kb": rss_ready,
    }))
""") % (REGIMEN_CODE, [m[0] for m in METRICS])


def run_sweep_subprocess(path, out, workers, model, chunk_size, warm=None):
    """One ``run_experiment`` in a fresh interpreter (after a 2-point warm-up sweep ``warm``)."""
    for d in (out, Path(f"{out}_warm")):
        shutil.rmtree(d, ignore_errors=True)
    env = dict(os.environ)
    meter = LoadMeter()
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(path), str(out), str(workers),
                           model, str(chunk_size or "default"), str(warm or "-")],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    process_s = time.perf_counter() - t
    for d in (out, Path(f"{out}_warm")):              # a 10,000-point run writes ~250 MB
        shutil.rmtree(d, ignore_errors=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"sweep subprocess ({model}, workers={workers}) failed "
                           f"(exit {proc.returncode}):\n{tail}")
    result = json.loads(lines[-1][len("RESULT "):])
    result["process_s"] = process_s
    result["others"] = meter.others()
    return result


# --------------------------------------------------------------------------- per-point references

class Sweep:
    """One model's experiment, its points and the per-point preparation the sweep does."""

    def __init__(self, path):
        from ivigsim.core.catalogue import load_model
        from ivigsim.sweep.experiment import load_experiment
        from ivigsim.core.kernel.compiled import load_kernel
        from ivigsim.analysis.metrics import METRIC_KINDS
        from ivigsim.sweep.samplers import sample_points
        from ivigsim.sweep.ensemble import output_names
        self.experiment = load_experiment(path, metric_kinds=METRIC_KINDS)
        self.spec = load_model(self.experiment.model)
        self.kernel = load_kernel(self.spec)
        self.points = sample_points(self.experiment, self.spec)
        self.t_out = self.experiment.output_times()
        self.names = output_names(self.spec)
        self.cumulative = np.array([s.cumulative for s in self.spec.species])

    def prepare(self, i):
        """(PreparedRun, regimen, weight) of point i, exactly as ``ensemble.run_point`` builds it."""
        from ivigsim.sweep.ensemble import point_setup
        from ivigsim.core.simulation import prepare
        ex = self.experiment
        regimen, params, weight = point_setup(ex, self.spec, self.points, i)
        run = prepare(self.spec, regimen, ex.t_end_days, weight, params, dict(ex.mechanisms),
                      self.t_out, ex.rtol)
        return run, regimen, weight

    def initial_guess(self, run):
        from ivigsim.core.expressions import evaluate
        env = self.spec.environment(run.values)
        return np.array([evaluate(s.initial, env) for s in self.spec.species], dtype=np.float64)

    def converged(self, y, p, atol):
        dydt = np.empty_like(y)
        self.kernel.rhs(np.ascontiguousarray(y), p, dydt)
        c = ~self.cumulative
        return bool(np.all(np.abs(dydt[c]) / (np.abs(y[c]) + atol[c]) < 1e-9))

    def metrics(self, run, states, regimen, weight):
        from ivigsim.sweep.ensemble import _chunk_metrics
        from ivigsim.core.kernel.compiled import evaluate_observables
        obs = evaluate_observables(self.kernel, states, run.p)
        outputs = np.concatenate([obs, states], axis=1)[None]
        return _chunk_metrics(self.experiment, self.names, self.t_out, outputs, [regimen], [weight])[0]


def ivigsim_point(sw, i):
    """One point through ivigsim in this process (steady-state cache cleared): times and metrics."""
    from ivigsim.core import simulation
    from ivigsim.core.simulation import initial_state, run_solver
    t0 = time.perf_counter()
    run, regimen, weight = sw.prepare(i)
    t1 = time.perf_counter()
    simulation._STEADY_STATES.clear()
    y0 = initial_state(sw.spec, run.kernel, run.values, run.p, run.rtol, run.atol)
    t2 = time.perf_counter()
    states, _ = run_solver(run.kernel, y0, run.p, run.schedule, run.t_out, run.rtol, run.atol,
                           model_name=sw.spec.name)
    m = sw.metrics(run, states, regimen, weight)
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2), m


def scipy_point(sw, i, method="LSODA"):
    """The same point with SciPy ``solve_ivp`` (analytic Jacobian, piecewise) for steady state and year."""
    from ivigsim.core.schedule import no_dosing
    from ivigsim.core.simulation import STEADY_STATE_HORIZON_DAY
    from ivigsim.core.solvers.scipy_reference import integrate_scipy
    t0 = time.perf_counter()
    run, regimen, weight = sw.prepare(i)
    t1 = time.perf_counter()
    y0 = sw.initial_guess(run)
    y = y0.copy()
    horizon = STEADY_STATE_HORIZON_DAY
    for _ in range(4):
        ys, _ = integrate_scipy(run.kernel, y, run.p, no_dosing(sw.spec, 0.0, horizon), np.array([horizon]),
                                method=method, rtol=min(run.rtol, 1e-8), atol=run.atol * 1e-2)
        y = ys[0]
        if sw.converged(y, run.p, run.atol):
            break
        horizon *= 4
    else:
        raise RuntimeError(f"SciPy {method}: no steady state at point {i}")
    y[sw.cumulative] = y0[sw.cumulative]
    t2 = time.perf_counter()
    states, _ = integrate_scipy(run.kernel, y, run.p, run.schedule, run.t_out, method=method,
                                rtol=run.rtol, atol=run.atol)
    m = sw.metrics(run, states, regimen, weight)
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2), m


class RoadRunnerSweep:
    """libRoadRunner CVODE on the sweep's points: one compiled model, parameters set per point.

    The model is the Antimony text of ``_antimony.to_antimony`` (parameters are named
    Antimony parameters, so ``setValue`` changes them; compartment volumes depend only
    on the body weight, which the sweep does not vary). Per point: the swept parameters
    are set, the species set to the file's initial values, the untreated steady state
    integrated (as for the other methods), then the year piecewise between dosing
    switches, one ``simulate(times=...)`` per segment with the infusion inputs set
    before it, as in ``bench_solver.method_roadrunner``. Compiling the model is done
    once and not timed (as ivigsim's kernel compilation is not).
    """

    def __init__(self, sw):
        import antimony
        import roadrunner

        from _antimony import antimony_name, input_name, to_antimony
        self.sw = sw
        run, _, _ = sw.prepare(0)
        self.schedule = run.schedule
        self.swept = [v.name for v in sw.experiment.sweep.variables]
        text = to_antimony(sw.spec, run.values, initial=sw.initial_guess(run), switches=run.switches,
                           input_target=run.schedule.input_target)
        antimony.clearPreviousLoads()
        if antimony.loadAntimonyString(text) < 0:
            raise RuntimeError(f"Antimony could not read the model: {antimony.getLastError()}")
        self.rr = rr = roadrunner.RoadRunner(antimony.getSBMLString())
        ids = list(rr.model.getFloatingSpeciesIds())
        if ids != [antimony_name(s) for s in sw.spec.species_names]:
            raise RuntimeError(f"libRoadRunner orders the species differently: {ids}")
        env = sw.spec.environment(run.values)
        self.volumes = np.array([env[s.compartment] for s in sw.spec.species])
        integ = rr.integrator
        integ.stiff = True
        integ.maximum_num_steps = 500_000
        integ.variable_step_size = False
        self.conc = [f"[{antimony_name(s)}]" for s in sw.spec.species_names]
        self.param_ids = {name: antimony_name(name) for name in self.swept}
        self.inputs = [input_name(k) for k in range(len(run.schedule.input_target))]
        rr.timeCourseSelections = ["time"] + self.conc
        t_out, breaks, sched = sw.t_out, run.schedule.t_breaks, run.schedule
        n_seg = len(breaks) - 1
        self.plan = []
        for s in range(n_seg):
            t0, t1 = breaks[s], breaks[s + 1]
            at_start = np.flatnonzero(t_out == t0)
            inner = np.flatnonzero((t_out > t0) & (t_out < t1))
            at_end = np.flatnonzero(t_out == t1) if s == n_seg - 1 else np.zeros(0, dtype=int)
            times = np.concatenate([[t0], t_out[inner], [t1]])
            jumps = [(self.conc[k], float(sched.jumps[s, k])) for k in np.flatnonzero(sched.jumps[s])]
            self.plan.append((t0, t1, at_start, inner, at_end, times, jumps, [float(u) for u in sched.inputs[s]]))

    def _tolerances(self, rtol, atol):
        integ = self.rr.integrator
        integ.relative_tolerance = rtol
        # CVODE's state is amounts: pass atol (a concentration) x volume, full-length (see bench_solver).
        integ.absolute_tolerance = [float(a) for a in atol * self.volumes]

    def point(self, i):
        from ivigsim.core.simulation import STEADY_STATE_HORIZON_DAY
        sw, rr = self.sw, self.rr
        t0 = time.perf_counter()
        run, regimen, weight = sw.prepare(i)
        if not np.array_equal(run.schedule.t_breaks, self.schedule.t_breaks):
            raise RuntimeError("the dosing schedule differs between points (body weight swept?)")
        t1 = time.perf_counter()
        values = dict(zip(sw.spec.parameter_names, run.values))
        for name, rid in self.param_ids.items():
            rr.setValue(rid, float(values[name]))
        for name in self.inputs:
            rr.setValue(name, 0.0)
        y0 = sw.initial_guess(run)
        y = y0.copy()
        self._tolerances(min(run.rtol, 1e-8), run.atol * 1e-2)
        horizon = STEADY_STATE_HORIZON_DAY
        for _ in range(4):
            for name, v in zip(self.conc, y):
                rr.setValue(name, float(v))
            res = np.asarray(rr.simulate(times=[0.0, horizon]))
            y = res[-1, 1:].copy()
            if sw.converged(y, run.p, run.atol):
                break
            horizon *= 4
        else:
            raise RuntimeError(f"libRoadRunner: no steady state at point {i}")
        y[sw.cumulative] = y0[sw.cumulative]
        for name, v in zip(self.conc, y):
            rr.setValue(name, float(v))
        t2 = time.perf_counter()
        self._tolerances(run.rtol, run.atol)
        out = np.full((len(sw.t_out), len(y)), np.nan)
        for a, b, at_start, inner, at_end, times, jumps, u in self.plan:
            for name, value in zip(self.inputs, u):
                rr.setValue(name, value)
            for name, dy in jumps:
                rr.setValue(name, rr.getValue(name) + dy)
            if b <= a:
                continue
            res = np.asarray(rr.simulate(times=times))
            if at_start.size:
                out[at_start] = res[0, 1:]
            out[inner] = res[1:-1, 1:]
            if at_end.size:
                out[at_end] = res[-1, 1:]
        m = sw.metrics(run, out, regimen, weight)
        t3 = time.perf_counter()
        return (t1 - t0, t2 - t1, t3 - t2), m


def references(sw, ids, repeats, log):
    """Per-simulation times (median over passes of the subset's total / K) and metric agreement."""
    methods = [("ivigsim Rodas4, in-process, 1 core", lambda i: ivigsim_point(sw, i)),
               ("SciPy LSODA (analytic Jacobian)", lambda i: scipy_point(sw, i, "LSODA"))]
    status = {}
    try:
        import antimony  # noqa: F401
        import roadrunner  # noqa: F401
        try:
            rrs = RoadRunnerSweep(sw)
            methods.append(("libRoadRunner CVODE", rrs.point))
        except Exception as exc:                                  # noqa: BLE001
            status["libRoadRunner CVODE"] = f"failed: {type(exc).__name__}: {exc}"
    except ImportError as exc:
        status["libRoadRunner CVODE"] = f"not installed: {exc}"
    for label, fn in methods[:]:                     # warm-up (and a first failure is reported)
        try:
            fn(int(ids[0]))
        except Exception as exc:                                  # noqa: BLE001
            status[label] = f"failed: {type(exc).__name__}: {exc}"
            methods.remove((label, fn))
    totals = {label: [] for label, _ in methods}
    pieces = {label: np.zeros(3) for label, _ in methods}
    metric_values = {label: {} for label, _ in methods}
    for r in range(repeats):
        sums = {label: 0.0 for label, _ in methods}
        for i in ids:
            for label, fn in methods:                  # round-robin: load drift hits every method
                times, m = fn(int(i))
                sums[label] += sum(times)
                pieces[label] += np.asarray(times)
                metric_values[label][int(i)] = m
        for label in sums:
            totals[label].append(sums[label] / len(ids))
        log(f"  reference pass {r + 1}/{repeats}: " +
            ", ".join(f"{label.split(' (')[0].split(',')[0]} {sums[label] / len(ids) * 1e3:.1f} ms"
                      for label in sums))
    base = methods[0][0]
    rows = []
    for label, _ in methods:
        a = np.array([metric_values[label][int(i)] for i in ids])
        b = np.array([metric_values[base][int(i)] for i in ids])
        d_nadir = float(np.max(np.abs(a[:, 0] - b[:, 0])))                  # percentage points
        d_max = float(np.max(np.abs(a[:, 1] - b[:, 1]) / np.abs(b[:, 1])))   # relative
        per = pieces[label] / (repeats * len(ids))
        rows.append({"label": label, "per_sim_s": statistics.median(totals[label]),
                     "spread": (min(totals[label]), max(totals[label])),
                     "prep_s": per[0], "steady_s": per[1], "year_s": per[2],
                     "d_nadir_pp": d_nadir, "d_max_rel": d_max})
    for label, text in status.items():
        rows.append({"label": label, "status": text})
    return rows


# --------------------------------------------------------------------------- profile

class _SolverClock:
    """Adds up, per thread, the time spent in compiled calls.

    Wraps ``rodas.integrate_controlled`` (the per-point path calls it for the
    year, and for the steady state when the warm start is refused), the
    compiled entry points that ``ivigsim.core.steady_state.warm_start`` looks
    up (the warm start's Newton, ``newton.warm_steady_state``), and the
    compiled chunk call of ``ivigsim.sweep.ensemble_compiled`` (one call per
    chunk: every point's steady state, year and observables).
    """

    def __init__(self):
        from ivigsim.core.solvers import batch, rodas
        from ivigsim.sweep import ensemble_compiled
        self.rodas, self.chunked, self.batch = rodas, ensemble_compiled, batch
        self.original = rodas.integrate_controlled
        self.original_entry = ensemble_compiled.entry
        self.original_batch_entry = batch.entry
        self.seconds = collections.defaultdict(float)
        self.calls = collections.defaultdict(int)

    def _timed(self, original):
        seconds, calls = self.seconds, self.calls

        def timed(*args):
            t = time.perf_counter()
            try:
                return original(*args)
            finally:
                key = threading.get_ident()
                seconds[key] += time.perf_counter() - t
                calls[key] += 1
        return timed

    def __enter__(self):
        self.rodas.integrate_controlled = self._timed(self.original)
        original_entry = self.original_entry
        self.chunked.entry = lambda dispatcher: self._timed(original_entry(dispatcher))
        original_batch_entry = self.original_batch_entry
        self.batch.entry = lambda dispatcher: self._timed(original_batch_entry(dispatcher))
        return self

    def __exit__(self, *exc):
        self.rodas.integrate_controlled = self.original
        self.chunked.entry = self.original_entry
        self.batch.entry = self.original_batch_entry

    def total(self):
        return sum(self.seconds.values())

    def reset(self):
        self.seconds.clear()
        self.calls.clear()


def profile(sw, n_points, chunk_size, rounds, log):
    """Compiled time against Python time per point: the per-point path by pieces, then whole chunks
    (the compiled chunk path) on 1 thread and on 2 worker threads.

    Each round runs the three views in turn on the same points; medians over rounds.
    """
    from ivigsim.core import simulation
    from ivigsim.sweep.ensemble import chunk_bounds, chunk_task, point_setup, run_chunk
    from ivigsim.sweep import ensemble_compiled
    from ivigsim.sweep.executors import ThreadExecutor
    from ivigsim.core.kernel.compiled import evaluate_observables
    from ivigsim.core.simulation import initial_state, prepare, run_solver

    ex, spec, pts = sw.experiment, sw.spec, sw.points
    n = min(n_points, len(pts))
    from ivigsim.sweep.run import DEFAULT_CHUNK_SIZE
    cs = chunk_size or DEFAULT_CHUNK_SIZE
    bounds = [(k, a, b) for k, (a, b) in enumerate(chunk_bounds(n, cs))]
    run_chunk(ex, pts, 0, 0, min(2, n))                              # warm-up
    samples = collections.defaultdict(list)
    meter = LoadMeter()
    with _SolverClock() as clock:
        for _ in range(rounds):
            # (a) one thread, piece by piece (as ensemble.run_point, the per-point path, does them)
            piece = collections.defaultdict(float)
            for i in range(n):
                simulation._STEADY_STATES.clear()
                t0 = time.perf_counter()
                regimen, params, weight = point_setup(ex, spec, pts, i)
                run = prepare(spec, regimen, ex.t_end_days, weight, params, dict(ex.mechanisms), sw.t_out,
                              ex.rtol)
                t1 = time.perf_counter()
                c0 = clock.total()
                y0 = initial_state(spec, run.kernel, run.values, run.p, run.rtol, run.atol)
                t2 = time.perf_counter()
                c1 = clock.total()
                states, _ = run_solver(run.kernel, y0, run.p, run.schedule, run.t_out, run.rtol, run.atol,
                                       model_name=spec.name)
                t3 = time.perf_counter()
                c2 = clock.total()
                obs = evaluate_observables(run.kernel, states, run.p)
                np.concatenate([obs, states], axis=1)
                t4 = time.perf_counter()
                piece["setup + prepare (Python)"] += t1 - t0
                piece["steady state: compiled"] += c1 - c0
                piece["steady state: Python around it"] += (t2 - t1) - (c1 - c0)
                piece["year: compiled"] += c2 - c1
                piece["year: Python around it"] += (t3 - t2) - (c2 - c1)
                piece["observables + concatenate"] += t4 - t3
            for k, v in piece.items():
                samples[k].append(v / n)
            # (b) one thread, whole chunks (adds metrics and chunk bookkeeping)
            simulation._STEADY_STATES.clear()
            clock.reset()
            t = time.perf_counter()
            for k, a, b in bounds:
                run_chunk(ex, pts, k, a, b)
            samples["w1"].append(time.perf_counter() - t)
            samples["c1"].append(clock.total())
            # (b') the same without lanes: every course on the scalar driver (same numbers)
            simulation._STEADY_STATES.clear()
            ensemble_compiled.USE_LANES = False
            try:
                t = time.perf_counter()
                for k, a, b in bounds:
                    run_chunk(ex, pts, k, a, b)
                samples["w1_scalar"].append(time.perf_counter() - t)
            finally:
                ensemble_compiled.USE_LANES = True
            # (c) two worker threads, as run_experiment(workers=2) runs the chunks
            simulation._STEADY_STATES.clear()
            clock.reset()
            t = time.perf_counter()
            for _ in ThreadExecutor(2).map(chunk_task, bounds, ex, pts):
                pass
            samples["w2"].append(time.perf_counter() - t)
            samples["c2"].append(clock.total())
    others = meter.others()
    med = {k: statistics.median(v) for k, v in samples.items()}
    pieces = {k: med[k] for k in samples if k not in ("w1", "c1", "w2", "c2", "w1_scalar")}
    log(f"  profile {spec.name} ({rounds} rounds, others' load {others:.2f} cores): 1 thread "
        f"{med['w1'] / n * 1e3:.2f} ms/point ({med['c1'] / med['w1']:.0%} compiled); 2 threads "
        f"{med['w2'] / n * 1e3:.2f} ms/point wall ({med['c2'] / (2 * med['w2']):.0%} of 2 x wall compiled)")
    log(f"  same chunks with every course on the scalar driver (no lanes): {med['w1_scalar'] / n * 1e3:.2f} "
        f"ms/point, lanes {med['w1_scalar'] / med['w1']:.2f}x faster")
    return {"n": n, "rounds": rounds, "pieces": pieces, "w1": med["w1"], "c1": med["c1"],
            "w1_scalar": med["w1_scalar"],
            "w2": med["w2"], "c2": med["c2"], "others": others}


# --------------------------------------------------------------------------- report

def machine_info():
    try:
        from bench_solver import machine_info as info_of
        info = info_of()
    except Exception:                                             # noqa: BLE001
        import platform
        info = {"cpu": platform.processor() or "unknown", "platform.processor()": platform.processor(),
                "cpus": os.cpu_count(), "os": platform.platform(), "versions": {}}
    from importlib.metadata import version
    for mod in ("pandas", "xarray", "ivigsim"):
        try:
            info["versions"][mod] = version(mod)
        except Exception:                                         # noqa: BLE001
            pass
    try:
        info["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        info["git"] += " (+ uncommitted changes)" if dirty else ""
    except OSError:
        info["git"] = "unknown"
    try:
        info["affinity"] = len(os.sched_getaffinity(0))
    except AttributeError:
        info["affinity"] = os.cpu_count()
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=None, help="sweep points (default 10000; --quick 1000)")
    ap.add_argument("--quick", action="store_true", help="1000 points and 3 repeats of each sweep")
    ap.add_argument("--repeats", type=int, default=None, help="sweeps per worker count (default 1; --quick 3)")
    ap.add_argument("--subset", type=int, default=20, help="points for the SciPy / libRoadRunner loops")
    ap.add_argument("--ref-repeats", type=int, default=3, help="passes over the reference subset")
    ap.add_argument("--profile-points", type=int, default=200)
    ap.add_argument("--profile-rounds", type=int, default=3, help="rounds of the profile (medians)")
    ap.add_argument("--chunk-size", type=int, default=None, help="run_experiment chunk_size (default: its own)")
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--quiet-wait", type=float, default=60.0,
                    help="before each timed part, wait at most this many seconds for other processes "
                         "to use < 0.3 cores (0: do not wait)")
    ap.add_argument("--output", default=str(HERE / "results_sweep.md"))
    args = ap.parse_args(argv)
    n_points = args.points or (1000 if args.quick else TARGET_POINTS)
    repeats = args.repeats or (3 if args.quick else 1)
    if n_points < 3:
        ap.error("--points must be at least 3 (the memory baseline is a 2-point sweep)")
    os.environ.setdefault("IVIGSIM_CACHE_DIR", str(Path.home() / ".cache" / "ivigsim" / "kernels"))

    def log(msg):
        print(msg, flush=True)

    info = machine_info()
    log(f"machine: {info['cpu']}, {info['cpus']} CPUs ({info['affinity']} usable), {info['os']}")
    log("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + f"; git {info['git']}")
    log(f"points: {n_points:,}; sweep repeats: {repeats}; reference subset {args.subset} x "
        f"{args.ref_repeats}; profile {args.profile_points} points")

    tmp = Path(tempfile.mkdtemp(prefix="ivigsim_bench_sweep_"))
    sweeps, refs, profs, problems, ref_load = {}, {}, {}, [], {}
    try:
        for model in args.models:
            if not (ROOT / "models" / f"{model}.toml").exists():
                problems.append(f"{model}: models/{model}.toml does not exist; skipped")
                log(problems[-1])
                continue
            path = tmp / f"{model}.toml"
            path.write_text(experiment_toml(model, n_points), encoding="utf-8")
            small = tmp / f"{model}_2.toml"
            small.write_text(experiment_toml(model, 2), encoding="utf-8")
            log(f"\n=== {model}: {n_points:,}-point Latin hypercube, one year, rtol {RTOL:g} ===")
            run_sweep_subprocess(small, tmp / "out_base", 1, model, args.chunk_size)   # fill caches (untimed)
            base = run_sweep_subprocess(small, tmp / "out_base", 1, model, args.chunk_size, small)
            log(f"  memory baseline (warm-up only: 1 simulation + two 2-point sweeps): peak RSS {base['maxrss_kb'] / 1024:.0f} MB")
            runs = {1: [], 2: []}
            for r in range(repeats):
                for w in ((1, 2) if r % 2 == 0 else (2, 1)):   # alternate the order against drift
                    wait_quiet(log, args.quiet_wait)
                    res = run_sweep_subprocess(path, tmp / f"out_w{w}", w, model, args.chunk_size, small)
                    runs[w].append(res)
                    log(f"  workers={w} pass {r + 1}: sweep {res['wall_s']:.2f} s "
                        f"({res['sims_per_s']:.0f} sims/s), run_experiment {res['call_s']:.2f} s "
                        f"using {res['cpu_s'] / res['call_s']:.2f} cores, failed {res['n_failed']}, "
                        f"peak RSS {res['maxrss_kb'] / 1024:.0f} MB; others' load {res['others']:.2f} cores")
                    if res["n_failed"] or res["n_nan_metrics"]:
                        log("!" * 78 + f"\n!!! {model}, workers={w}: {res['n_failed']} FAILED POINTS, "
                            f"{res['n_nan_metrics']} with NaN metrics: {res['failures']}\n" + "!" * 78)
            shas = {res["metrics_sha"] for w in runs for res in runs[w]}
            if len(shas) != 1:
                log(f"!!! {model}: metrics differ between runs / worker counts: {shas}")
            sweeps[model] = {"base": base, "runs": runs, "identical": len(shas) == 1}

            sw = Sweep(path)
            k = min(args.subset, n_points)
            ids = np.unique(np.linspace(0, n_points - 1, k).round().astype(int))
            log(f"  references on {len(ids)} points, {args.ref_repeats} passes:")
            wait_quiet(log, args.quiet_wait)
            meter = LoadMeter()
            refs[model] = references(sw, ids, args.ref_repeats, log)
            ref_load[model] = meter.others()
            log(f"  (others' load during the references: {ref_load[model]:.2f} cores)")
            wait_quiet(log, args.quiet_wait)
            profs[model] = profile(sw, args.profile_points, args.chunk_size, args.profile_rounds, log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    text = report(args, info, n_points, repeats, sweeps, refs, profs, problems, ref_load)
    print("\n" + text)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"\nwrote {args.output}")


def report(args, info, n_points, repeats, sweeps, refs, profs, problems, ref_load):
    med = statistics.median
    scale = TARGET_POINTS / n_points
    extrap = n_points != TARGET_POINTS
    cmd = "python benchmarks/bench_sweep.py" + (" --quick" if args.quick else "") + \
        (f" --points {args.points}" if args.points else "") + (f" --repeats {args.repeats}" if args.repeats else "")
    out = [
        "# Sweep-throughput benchmark", "",
        f"Generated by `{cmd}` on {datetime.date.today().isoformat()}.", "",
        f"- Machine: {info['cpu']}; {info['cpus']} CPUs ({info['affinity']} usable); {info['os']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + f"; git {info['git']}",
        f"- Sweep: `run_experiment` on a {n_points:,}-point Latin hypercube (seed {SEED}) over `fcrn_total` "
        "(FcRn capacity), `cl_uptake` (uptake clearance) and `aab_production` (autoantibody synthesis), each "
        "log-uniform from ½× to 2× its model default. `aab_production` stands in for the anti-idiotype "
        "fraction of the product, which these models do not have. "
        f"{REGIMEN_CODE}, {BODY_WEIGHT_KG:g} kg, one year from each point's untreated steady state, "
        f"outputs daily, rtol {RTOL:g}; metrics: autoantibody `percent_change_min`, `igg_total` `max`.",
        f"- Each sweep ran in its own `python -c` subprocess after a warm-up (one simulation and a "
        "2-point sweep, so caches are loaded and lazy imports done); "
        f"{repeats} run(s) per worker count, median shown. \"sweep s\" is `provenance['wall_seconds']` "
        "(the chunk loop); \"run_experiment s\" adds sampling and writing metrics.csv/.parquet and "
        "trajectories.nc. Efficiency = t1 / (2 t2) of the sweep times. \"cores used\" = CPU time of "
        "the subprocess during `run_experiment` / its wall time; \"others' load\" = cores kept busy by "
        "other processes meanwhile (machine busy time from /proc/stat minus the subprocess's, over its "
        "life): a noise indicator. Each timed run first waited (at most "
        f"{args.quiet_wait:g} s) for other processes to use < 0.3 cores." +
        (f" The 10,000-point column extrapolates the sweep time linearly (× {scale:.4g}); the "
         "`run_experiment` overhead is not extrapolated." if extrap else ""),
    ]
    out += [f"- {p}" for p in problems]
    out += ["", "### Sweep throughput", "",
            "| model | workers | sweep s | run_experiment s | " +
            ("10,000 points, s (extrap.) | " if extrap else "") +
            "sims/s | efficiency | failed | peak RSS MB | per point KB | median steps | cores used | "
            "others' load |",
            "|---|---:|---:|---:|" + ("---:|" if extrap else "") + "---:|---:|---:|---:|---:|---:|---:|---:|"]
    summary = {}
    for model, s in sweeps.items():
        base = s["base"]["maxrss_kb"]
        t = {w: med([r["wall_s"] for r in s["runs"][w]]) for w in (1, 2)}
        call = {w: med([r["call_s"] for r in s["runs"][w]]) for w in (1, 2)}
        eff = t[1] / (2 * t[2])
        failed = sum(r["n_failed"] + r["n_nan_metrics"] for w in (1, 2) for r in s["runs"][w])
        summary[model] = {"t": t, "call": call, "eff": eff, "failed": failed,
                          "sims2": n_points / t[2], "sims1": n_points / t[1]}
        for w in (1, 2):
            rs = s["runs"][w]
            rss = med([r["maxrss_kb"] for r in rs])
            spread = f" ({min(r['wall_s'] for r in rs):.2f}–{max(r['wall_s'] for r in rs):.2f})" \
                if len(rs) > 1 else ""
            fails = sum(r["n_failed"] for r in rs)
            out.append(
                f"| {model} | {w} | {t[w]:.2f}{spread} | {call[w]:.2f} | " +
                (f"{t[w] * scale:.1f} | " if extrap else "") +
                f"{n_points / t[w]:,.0f} | {'' if w == 1 else f'{eff:.0%}'} | "
                f"{fails if not fails else f'**{fails}**'} | {rss / 1024:.0f} | "
                f"{(rss - base) / (n_points - 2):.1f} | {med([r['median_steps'] for r in rs]):,.0f} | "
                f"{med([r['cpu_s'] / r['call_s'] for r in rs]):.2f} | {med([r['others'] for r in rs]):.2f} |")
        out.append(f"| {model} | memory baseline (warm-up only) | | | " + ("| " if extrap else "") +
                   f"| | | | {base / 1024:.0f} | | | | |")
    if any(not s["identical"] for s in sweeps.values()):
        out += ["", "**Metrics differed between runs or worker counts.**"]
    else:
        out += ["", "Metrics were bit-identical across every run and worker count."]

    out += ["", "### References (per simulation, same per-point work)", "",
            f"Subset of {args.subset} evenly spaced points, methods in turn per point, median of "
            f"{args.ref_repeats} passes. Each does parameters → schedule (shared ivigsim code), the "
            "untreated steady state with its own solver (the references integrate it; ivigsim "
            "warm-starts Newton from the nominal steady state, as its sweep does), the year, observables "
            "and metrics. "
            "Sweep rows: from the table above. × is simulations/s of the ivigsim 2-worker sweep over "
            "the method's (> 1: ivigsim faster). Δ: largest difference from ivigsim in-process on the "
            "subset (nadir in percentage points; IgG max relative). Others' load during the references: " +
            ", ".join(f"{m} {v:.2f} cores" for m, v in ref_load.items()) + ".", "",
            "| model | method | ms / sim | (prep + steady state + year) ms | sims/s | "
            "ivigsim 2-worker sweep × | Δ nadir pp | Δ IgG max rel |",
            "|---|---|---:|---|---:|---:|---:|---:|"]
    for model, rows in refs.items():
        sm = summary.get(model)
        if sm:
            for w in (2, 1):
                ms = sm["t"][w] / n_points * 1e3
                out.append(f"| {model} | ivigsim `run_experiment`, {w} worker{'s' if w > 1 else ''} | "
                           f"{ms:.2f} (wall) | | {n_points / sm['t'][w]:,.0f} | "
                           f"{sm['sims2'] / (n_points / sm['t'][w]):.2f} | | |")
        for row in rows:
            if "status" in row:
                out.append(f"| {model} | {row['label']} | – | {row['status']} | | | | |")
                continue
            sims = 1.0 / row["per_sim_s"]
            ratio = sm["sims2"] / sims if sm else float("nan")
            row["ratio"] = ratio
            out.append(f"| {model} | {row['label']} | {row['per_sim_s'] * 1e3:.1f} | "
                       f"{row['prep_s'] * 1e3:.2f} + {row['steady_s'] * 1e3:.1f} + {row['year_s'] * 1e3:.1f} | "
                       f"{sims:,.1f} | {ratio:.1f} | {row['d_nadir_pp']:.1e} | {row['d_max_rel']:.1e} |")

    out += ["", "### Where a point's time goes (profile)", "",
            "Compiled time = time inside compiled calls (Numba's argument dispatch included): for the "
            "per-point path, `rodas.integrate_controlled` (the year, and the steady state where the warm "
            "start is refused) and the warm start's Newton (`newton.warm_steady_state`); for whole chunks, the "
            "one compiled chunk call (`ivigsim.core.solvers.ensemble_lanes.run_points_lanes`: every point's steady "
            "state, year and observables). Python = the rest. Rows before the bold ones: the per-point "
            "path (`ensemble.run_point`, used for models with events and state-triggered regimens) timed "
            "piece by piece. Bold rows: whole `run_chunk`s as a sweep runs them (compiled chunk path, "
            "plus metrics and chunk bookkeeping), on one thread and through `ThreadExecutor(2)` as "
            "`run_experiment(workers=2)` runs them; per point in thread-ms = 2 × wall / points. The chunks "
            "run their courses 8 points at a time in lanes (`ivigsim.core.solvers.ensemble_lanes`); the row "
            "`USE_LANES = False` runs the same chunks with every course on the scalar driver. "
            f"{args.profile_points} points, medians of {args.profile_rounds} rounds (the three views in "
            "turn in each). Others' load: " +
            ", ".join(f"{m} {p['others']:.2f} cores" for m, p in profs.items()) + ".", "",
            "| model | piece | ms / point |", "|---|---|---:|"]
    for model, p in profs.items():
        for k, v in p["pieces"].items():
            out.append(f"| {model} | {k} | {v * 1e3:.3f} |")
        n = p["n"]
        out.append(f"| {model} | **1 thread, `run_chunk`: total / compiled / Python** | "
                   f"{p['w1'] / n * 1e3:.2f} / {p['c1'] / n * 1e3:.2f} / **{(p['w1'] - p['c1']) / n * 1e3:.2f}** "
                   f"({p['c1'] / p['w1']:.0%} compiled) |")
        out.append(f"| {model} | 1 thread, `run_chunk` with every course on the scalar driver (`USE_LANES = False`) | "
                   f"{p['w1_scalar'] / n * 1e3:.2f} (lanes: {p['w1_scalar'] / p['w1']:.2f}x faster) |")
        out.append(f"| {model} | **2 threads: thread-ms total / compiled / Python** | "
                   f"{2 * p['w2'] / n * 1e3:.2f} / {p['c2'] / n * 1e3:.2f} / "
                   f"**{(2 * p['w2'] - p['c2']) / n * 1e3:.2f}** ({p['c2'] / (2 * p['w2']):.0%} compiled; "
                   f"wall {p['w2'] / n * 1e3:.2f} ms/point, efficiency {p['w1'] / (2 * p['w2']):.0%}) |")

    out += ["", "### Targets", "", "| target | measured | status |", "|---|---|:---:|"]
    for model in sweeps:
        sm = summary[model]
        limit = TARGETS.get(model)
        if limit is not None:
            t10 = sm["t"][2] * scale
            label = "full model" if model == "fcrn_pk" else "QSS model"
            whole = (f"; whole `run_experiment` call {sm['call'][2]:.1f} s at {n_points:,} points"
                     if extrap else f"; whole `run_experiment` call {sm['call'][2]:.1f} s")
            out.append(f"| 10,000-point one-year sweep, {label} ({model}), 2 cores, < {limit:g} s | "
                       f"sweep {t10:.1f} s{f' (extrapolated from {n_points:,} points)' if extrap else ''}"
                       f"{whole} | {_mark(t10 < limit)} |")
    total_failed = sum(sm["failed"] for sm in summary.values())
    out.append(f"| zero failed points | {total_failed} failed (or NaN metrics) over every run | "
               f"{_mark(total_failed == 0)} |")
    for model in sweeps:
        scipy_row = next((r for r in refs.get(model, []) if r["label"].startswith("SciPy") and "ratio" in r), None)
        if scipy_row:
            out.append(f"| ≥ {TARGET_SCIPY_RATIO:g}× the SciPy LSODA loop ({model}) | "
                       f"{scipy_row['ratio']:.0f}× | {_mark(scipy_row['ratio'] >= TARGET_SCIPY_RATIO)} |")
    for model in sweeps:
        rr_row = next((r for r in refs.get(model, []) if r["label"].startswith("libRoadRunner") and "ratio" in r),
                      None)
        if rr_row:
            out.append(f"| ≥ {TARGET_ROADRUNNER_RATIO:g}× the libRoadRunner loop ({model}) | "
                       f"{rr_row['ratio']:.1f}× | {_mark(rr_row['ratio'] >= TARGET_ROADRUNNER_RATIO)} |")
    for model in sweeps:
        sm = summary[model]
        out.append(f"| parallel efficiency ≥ {TARGET_EFFICIENCY:.0%}, 1 → 2 cores ({model}) | {sm['eff']:.0%} | "
                   f"{_mark(sm['eff'] >= TARGET_EFFICIENCY)} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
