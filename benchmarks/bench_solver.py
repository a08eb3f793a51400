"""Solver benchmark: ivigsim's Rodas4 against SciPy, libRoadRunner and numbalsoda.

    python benchmarks/bench_solver.py [--repeats N] [--quick] [--clock thread|wall]

One problem for every method: the full FcRn model (and ``fcrn_pk_qss`` when
``models/fcrn_pk_qss.toml`` exists), a 70 kg patient, IVIG 0.4 g/kg/day for 5
days (8 h infusions) every 28 days, 13 cycles, one year from the untreated
steady state, outputs once a day, rtol 1e-6 and atol 1e-9 (species units).
Only the integration is timed; the steady state, parameter vector and dosing
schedule are computed once. Each method's observables are compared with a
SciPy Radau run at rtol 1e-10.

The machine is shared and noisy: times are medians over repeats of the CPU
time of the benchmark's thread (every method runs in it), the methods are run
in turn within each repeat (so drifts in load hit all of them), and ratios are
between numbers measured in the same run. A per-segment profile says where
ivigsim's steps go.

See benchmarks/README.md for the columns. Writes benchmarks/results_solver.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numba as nb  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402

import ivigsim as iv  # noqa: E402
from ivigsim.core.catalogue import load_model  # noqa: E402
from ivigsim.core.kernel.compiled import evaluate_observables, load_kernel  # noqa: E402
from ivigsim.core.kernel.signatures import JacFunction, RhsFunction  # noqa: E402
from ivigsim.core.schedule import build_schedule  # noqa: E402
from ivigsim.core.simulation import (initial_state, output_times, resolve_mechanisms,  # noqa: E402
                                resolve_parameters, run_solver)
from ivigsim.core.solvers import rodas  # noqa: E402
from ivigsim.core.solvers.linalg import lu_factor, lu_solve  # noqa: E402
from ivigsim.core.solvers.scipy_reference import integrate_scipy  # noqa: E402
from ivigsim.core.spec import BODY_WEIGHT  # noqa: E402

RTOL = 1e-6
ATOL = 1e-9
REF_RTOL = 1e-10
REF_ATOL = 1e-14
AGREE = 1e-4
BODY_WEIGHT_KG = 70.0
T_END = 365.0
REGIMEN_CODE = "iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=13)"
MODELS = ("fcrn_pk", "fcrn_pk_qss")

# The machine is shared: wall time counts the other processes' time slices too. Every
# method here runs in the calling thread (libRoadRunner's CVODE included), so the CPU
# time of this thread measures each method's own work; ``--clock wall`` gives wall time.
CLOCKS = {"thread": time.thread_time, "wall": time.perf_counter}
clock = time.thread_time

# Hand-written notes in results_solver.md after this line are kept when it is rewritten.
NOTES_MARKER = "<!-- notes below this line are kept by bench_solver.py -->"


def regimen():
    return iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=13)


# --------------------------------------------------------------------------- problem

class Problem:
    """Everything computed once per model: kernel, p, y0, schedule, output times."""

    def __init__(self, name):
        self.name = name
        self.spec = load_model(name)
        self.kernel = load_kernel(self.spec)
        self.values = resolve_parameters(self.spec, None, BODY_WEIGHT_KG)
        self.switches = resolve_mechanisms(self.spec)
        self.p = self.kernel.parameter_vector(self.values, self.switches)
        env = self.spec.environment(self.values)
        weight = env.get(BODY_WEIGHT, BODY_WEIGHT_KG)
        self.schedule = build_schedule(self.spec, env, regimen().doses(weight), 0.0, T_END)
        self.t_out = output_times(T_END, np.arange(0.0, T_END + 1.0), self.schedule)
        self.n = self.spec.n_species
        self.atol_vec = np.full(self.n, ATOL)
        self.y0 = initial_state(self.spec, self.kernel, self.values, self.p, RTOL, self.atol_vec)

    def observables(self, states):
        return evaluate_observables(self.kernel, np.ascontiguousarray(states), self.p)


def max_rel_error(obs, ref, names):
    """Largest |obs - ref| / max|ref| over time, worst observable; (value, name)."""
    worst, which = 0.0, ""
    for m, name in enumerate(names):
        scale = np.max(np.abs(ref[:, m]))
        err = np.max(np.abs(obs[:, m] - ref[:, m])) / (scale if scale > 0 else 1.0)
        if not np.isfinite(err):
            return float("inf"), name
        if err > worst:
            worst, which = float(err), name
    return worst, which


# --------------------------------------------------------------------------- methods
# Each method is (label, setup(problem) -> run or None, notes). ``run()`` does one full
# simulation and returns (states (n_out, n), stats dict).

def method_ivigsim(pb, rtol=RTOL, atol=ATOL):
    atol_vec = np.full(pb.n, atol)

    def run():
        return run_solver(pb.kernel, pb.y0, pb.p, pb.schedule, pb.t_out, rtol, atol_vec,
                          model_name=pb.name)
    return run


def method_scipy(solver):
    def setup(pb):
        def run():
            states, st = integrate_scipy(pb.kernel, pb.y0, pb.p, pb.schedule, pb.t_out,
                                         method=solver, rtol=RTOL, atol=ATOL)
            return states, {"rhs_evaluations": st["rhs_evaluations"],
                            "jacobian_evaluations": st["jacobian_evaluations"]}
        return run
    return setup


def method_roadrunner(pb, rtol=RTOL, atol=ATOL):
    """libRoadRunner (CVODE BDF, its own Newton/dense LU), piecewise between switch times.

    Dosing is piecewise, not Antimony events: each segment of the schedule is one
    ``simulate(times=...)`` call from the segment start to its end (CVODE is
    restarted there, as at any discontinuity), with the infusion-rate parameters
    set and bolus jumps applied before it. This is exact at the switch times and
    mirrors what ivigsim and the SciPy runs do; events would put the switches
    under root-finding and add event-handling cost.
    """
    import antimony
    import roadrunner

    from _antimony import input_name, to_antimony

    sched = pb.schedule
    text = to_antimony(pb.spec, pb.values, initial=pb.y0, switches=pb.switches,
                       input_target=sched.input_target)
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise RuntimeError(f"Antimony could not read the model: {antimony.getLastError()}")
    rr = roadrunner.RoadRunner(antimony.getSBMLString())
    integ = rr.integrator
    integ.relative_tolerance = rtol
    # CVODE's state is species amounts. Given a scalar absolute tolerance, libRoadRunner
    # multiplies it by each species' current amount (or volume when zero) at every
    # restart; a full-length vector is used as given. So pass amounts: atol (a
    # concentration, as in ivigsim) times the species' compartment volume.
    env = pb.spec.environment(pb.values)
    volumes = [env[s.compartment] for s in pb.spec.species]
    ids = list(rr.model.getFloatingSpeciesIds())
    if ids != list(pb.spec.species_names):
        raise RuntimeError(f"libRoadRunner orders the species differently: {ids}")
    integ.absolute_tolerance = [atol * v for v in volumes]
    got = np.asarray(integ.getAbsoluteToleranceVector())
    if got.shape != (pb.n,) or not np.allclose(got, atol * np.asarray(volumes), rtol=1e-12):
        raise RuntimeError(f"libRoadRunner did not take the absolute tolerances: {got}")
    integ.stiff = True
    integ.maximum_num_steps = 500_000
    integ.variable_step_size = False
    names = pb.spec.species_names
    rr.timeCourseSelections = ["time"] + [f"[{s}]" for s in names]
    conc = [f"[{s}]" for s in names]
    inputs = [input_name(k) for k in range(len(sched.input_target))]
    breaks, t_out = sched.t_breaks, pb.t_out
    n_seg = len(breaks) - 1
    # Output rows of each segment: [t0, t1) inside, [t0, t1] in the last one.
    plan = []
    for s in range(n_seg):
        t0, t1 = breaks[s], breaks[s + 1]
        at_start = np.flatnonzero(t_out == t0)
        inner_idx = np.flatnonzero((t_out > t0) & (t_out < t1))
        at_end = np.flatnonzero(t_out == t1) if s == n_seg - 1 else np.zeros(0, dtype=int)
        times = np.concatenate([[t0], t_out[inner_idx], [t1]])
        jumps = [(conc[i], float(sched.jumps[s, i])) for i in np.flatnonzero(sched.jumps[s])]
        plan.append((t0, t1, at_start, inner_idx, at_end, times, jumps,
                     [float(v) for v in sched.inputs[s]]))

    def run():
        rr.reset()                      # back to t = 0 and the initial (steady) state
        out = np.full((len(t_out), pb.n), np.nan)
        for t0, t1, at_start, inner_idx, at_end, times, jumps, u in plan:
            for name, value in zip(inputs, u):
                rr.setValue(name, value)
            for name, dy in jumps:
                rr.setValue(name, rr.getValue(name) + dy)
            if t1 <= t0:
                continue
            res = np.asarray(rr.simulate(times=times))
            if at_start.size:
                out[at_start] = res[0, 1:]
            out[inner_idx] = res[1:-1, 1:]
            if at_end.size:
                out[at_end] = res[-1, 1:]
        return out, {}
    run.antimony = text
    return run


def _numbalsoda_driver(pb):
    """The cfunc RHS and the njit piecewise loop for numbalsoda, compiled once per problem.

    The data pointer carries the parameter vector, a full-length infusion input
    vector (updated per segment) and one counter of RHS calls: LSODA does not
    report its own statistics through numbalsoda, and one add per call costs
    well under 1 % of an RHS evaluation.
    """
    if getattr(pb, "_numbalsoda", None) is not None:
        return pb._numbalsoda
    import numbalsoda
    from numba import carray, cfunc

    n, n_p = pb.n, len(pb.p)
    kernel_rhs = pb.kernel.rhs

    @cfunc(numbalsoda.lsoda_sig)
    def f(t, u, du, data):
        y = carray(u, (n,))
        dy = carray(du, (n,))
        d = carray(data, (n_p + n + 1,))
        kernel_rhs(y, d[:n_p], dy)
        for i in range(n):
            dy[i] += d[n_p + i]
        d[n_p + n] += 1.0

    lsoda = numbalsoda.lsoda

    @nb.njit
    def piecewise(funcptr, y0, data, n_p, t_breaks, inputs, target, jumps, t_out,
                  rtol, atol, y_out):
        n = y0.shape[0]
        y = y0.copy()
        n_seg = t_breaks.shape[0] - 1
        n_out = t_out.shape[0]
        i_out = 0
        for s in range(n_seg):
            t0 = t_breaks[s]
            t1 = t_breaks[s + 1]
            for i in range(n):
                y[i] += jumps[s, i]
                data[n_p + i] = 0.0
            for k in range(target.shape[0]):
                data[n_p + target[k]] += inputs[s, k]
            while i_out < n_out and t_out[i_out] <= t0:
                y_out[i_out, :] = y
                i_out += 1
            if t1 <= t0:
                continue
            j = i_out
            while j < n_out and t_out[j] < t1:
                j += 1
            m = j - i_out
            tev = np.empty(m + 2)
            tev[0] = t0
            tev[1:m + 1] = t_out[i_out:j]
            tev[m + 1] = t1
            usol, ok = lsoda(funcptr, y.copy(), tev, data, rtol, atol, 500_000)
            if not ok:
                return False
            y_out[i_out:j, :] = usol[1:m + 1, :]
            i_out = j
            y[:] = usol[m + 1, :]
        while i_out < n_out:                    # outputs at t_end
            y_out[i_out, :] = y
            i_out += 1
        return True

    pb._numbalsoda = (f.address, piecewise)
    return pb._numbalsoda


def method_numbalsoda(pb, rtol=RTOL, atol=ATOL):
    """numbalsoda LSODA (finite-difference Jacobian) on a cfunc wrapping the compiled rhs.

    The same piecewise problem as the others: one ``lsoda`` call per dosing
    segment from its start to its end, outputs inside it, the segment's
    infusion rates in the data pointer and bolus jumps added before it.
    ``rtol`` and ``atol`` are the scalars every method gets. The cfunc and the
    loop are compiled before the first (untimed) run.
    """
    address, piecewise = _numbalsoda_driver(pb)
    n, n_p = pb.n, len(pb.p)
    sched = pb.schedule
    data = np.concatenate([pb.p, np.zeros(n + 1)])

    def run():
        out = np.full((len(pb.t_out), n), np.nan)
        data[n_p + n] = 0.0
        ok = piecewise(address, pb.y0, data, n_p, sched.t_breaks, sched.inputs,
                       sched.input_target, sched.jumps, pb.t_out, rtol, atol, out)
        if not ok:
            raise RuntimeError("numbalsoda lsoda failed")
        return out, {"rhs_evaluations": int(data[n_p + n])}
    return run


def optional(module_names, setup):
    """``setup`` if every module imports, else a string saying what is missing."""
    missing = []
    for mod in module_names:
        try:
            __import__(mod)
        except ImportError as exc:
            missing.append(f"{mod} ({exc.__class__.__name__}: {exc})")
    return setup if not missing else "not installed: " + ", ".join(missing)


def method_table(quick):
    rows = [
        ("ivigsim Rodas4 (Numba)", method_ivigsim, "analytic Jacobian"),
        ("SciPy LSODA", method_scipy("LSODA"), "analytic Jacobian, Python RHS calls"),
        ("SciPy BDF", "skipped (--quick)" if quick else method_scipy("BDF"),
         "analytic Jacobian, Python RHS calls"),
        ("SciPy Radau", method_scipy("Radau"), "analytic Jacobian, Python RHS calls"),
        ("libRoadRunner CVODE", optional(("roadrunner", "antimony"), method_roadrunner),
         "BDF, internal Jacobian; piecewise simulate()"),
        ("numbalsoda LSODA", optional(("numbalsoda",), method_numbalsoda),
         "cfunc RHS, finite-difference Jacobian; RHS count from a counter in the cfunc"),
    ]
    return rows


# --------------------------------------------------------------------------- floor

_v = nb.float64[::1]
_m = nb.float64[:, ::1]


@nb.njit(nb.float64(RhsFunction, _v, _v, _v, nb.int64))
def _loop_rhs(rhs, y, p, f, reps):
    acc = 0.0
    for _ in range(reps):
        rhs(y, p, f)
        acc += f[0]
    return acc


@nb.njit(nb.float64(JacFunction, _v, _v, _m, nb.int64))
def _loop_jac(jac, y, p, J, reps):
    acc = 0.0
    for _ in range(reps):
        jac(y, p, J)
        acc += J[0, 0]
    return acc


@nb.njit(nb.float64(_m, _m, nb.int64[::1], nb.float64, nb.int64))
def _loop_lu(J, W, piv, inv_hg, reps):
    """Build W = I/(h gamma) - J and factor it, as one Rodas step does."""
    n = J.shape[0]
    acc = 0.0
    for _ in range(reps):
        for i in range(n):
            for j in range(n):
                W[i, j] = -J[i, j]
            W[i, i] += inv_hg
        lu_factor(W, piv)
        acc += W[n - 1, n - 1]
    return acc


@nb.njit(nb.float64(_m, nb.int64[::1], _v, _v, nb.int64))
def _loop_solve(LU, piv, b0, b, reps):
    n = b.shape[0]
    acc = 0.0
    for _ in range(reps):
        for i in range(n):
            b[i] = b0[i]
        lu_solve(LU, piv, b)
        acc += b[0]
    return acc


try:                                        # generated sparse LU (newer kernels)
    from ivigsim.core.kernel.signatures import FactorFunction, SolveFunction  # noqa: E402
except ImportError:                         # pragma: no cover - older kernel API
    FactorFunction = SolveFunction = None

if FactorFunction is not None:
    @nb.njit(nb.float64(FactorFunction, _m, nb.float64, _v, nb.int64))
    def _loop_factor(factor, J, c, lu, reps):
        """The kernel's sparse LU of W = c I - J (it builds W itself)."""
        acc = 0.0
        for _ in range(reps):
            status = factor(J, c, lu)
            acc += lu[0] + status
        return acc

    @nb.njit(nb.float64(SolveFunction, _v, _v, _v, nb.int64))
    def _loop_sparse_solve(solve, lu, b0, b, reps):
        n = b.shape[0]
        acc = 0.0
        for _ in range(reps):
            for i in range(n):
                b[i] = b0[i]
            solve(lu, b)
            acc += b[0]
        return acc


def _calibrate(fn, args, target_s=0.005):
    """Inner repetitions that make one ``fn(*args, reps)`` call last about ``target_s``."""
    fn(*args, 10)
    reps = 10
    while True:
        t = clock()
        fn(*args, reps)
        dt = clock() - t
        if dt >= target_s / 4 or reps > 10**8:
            break
        reps *= 4
    return max(10, int(reps * target_s / max(dt, 1e-9)))


def _sample(fn, args, reps):
    t = clock()
    fn(*args, reps)
    return (clock() - t) / reps


def arithmetic_floor(pb, run, y_mid, h, rounds):
    """Per-step time of ivigsim and the cost of each piece of one Rodas step timed alone.

    The pieces are rhs, jac, the LU of W = I/(h gamma) - J and one solve with
    it, each in a Numba loop. The LU and solve are the ones the solver uses: the
    kernel's generated sparse ``factor``/``solve`` when it has them, else the
    dense ``lu_factor``/``lu_solve`` of ``ivigsim.core.solvers.linalg`` (W built from
    J first, as the solver does); the dense pair is timed in both cases, for
    comparison. Each round times one full ivigsim run and then every piece, so
    all medians come from the same stretch of machine load.

    Returns (ivigsim run samples, {piece: median seconds per call}, sparse?).
    """
    n = pb.n
    y = np.ascontiguousarray(y_mid)
    f = np.empty(n)
    J = np.empty((n, n))
    W = np.empty((n, n))
    LU = np.empty((n, n))
    piv = np.zeros(n, dtype=np.int64)
    piv_lu = np.zeros(n, dtype=np.int64)
    pb.kernel.jac(y, pb.p, J)
    inv_hg = 1.0 / (h * 0.25)
    _loop_lu(J, LU, piv_lu, inv_hg, 1)       # valid dense LU factors for the solves
    pb.kernel.rhs(y, pb.p, f)
    pieces = {
        "rhs": (_loop_rhs, (pb.kernel.rhs, y, pb.p, np.empty(n))),
        "jac": (_loop_jac, (getattr(pb.kernel, "jac_nonzeros", None) or pb.kernel.jac, y, pb.p,
                            np.zeros((n, n)))),
        "dense_lu": (_loop_lu, (J, W, piv, inv_hg)),
        "dense_solve": (_loop_solve, (LU, piv_lu, f.copy(), np.empty(n))),
    }
    sparse = FactorFunction is not None and getattr(pb.kernel, "factor", None) is not None
    if sparse:
        lu = np.empty(max(pb.kernel.lu_size, 1))
        if pb.kernel.factor(J, inv_hg, lu) != 0:
            sparse = False                   # this W would take the dense fallback
        else:
            pieces["sparse_lu"] = (_loop_factor, (pb.kernel.factor, J, inv_hg,
                                                  np.empty(max(pb.kernel.lu_size, 1))))
            pieces["sparse_solve"] = (_loop_sparse_solve, (pb.kernel.solve, lu, f.copy(),
                                                           np.empty(n)))
    reps = {k: _calibrate(fn, args) for k, (fn, args) in pieces.items()}
    run_samples, piece_samples = [], {k: [] for k in pieces}
    for _ in range(rounds):
        t = clock()
        run()
        run_samples.append(clock() - t)
        for k, (fn, args) in pieces.items():
            piece_samples[k].append(_sample(fn, args, reps[k]))
    fl = {k: statistics.median(v) for k, v in piece_samples.items()}
    kind = "sparse" if sparse else "dense"
    fl["lu"], fl["solve"] = fl[f"{kind}_lu"], fl[f"{kind}_solve"]
    fl["step"] = fl["jac"] + fl["lu"] + 6 * fl["rhs"] + 6 * fl["solve"]
    fl["dense_step"] = fl["jac"] + fl["dense_lu"] + 6 * fl["rhs"] + 6 * fl["dense_solve"]
    return run_samples, fl, sparse


# --------------------------------------------------------------------------- profile

def segment_kind(sched, k):
    """Infusion, pause within a course (no input, at most 1 day) or interval between courses."""
    if np.any(sched.inputs[k] != 0):
        return "infusion"
    if sched.t_breaks[k + 1] - sched.t_breaks[k] <= 1.0:
        return "pause within a course (≤ 1 day)"
    return "interval between courses"


def segment_profile(pb):
    """Steps, rejections and Jacobians per dosing segment, by kind of segment.

    The driver reports totals only, so segment ``k``'s counts are the difference
    between runs of the schedule cut after segments ``k`` and ``k - 1``: a cut
    run is the same computation up to its end (the full run lands on every
    segment boundary too). Segments are grouped as infusions, the pauses
    between a course's infusions (no input, at most 1 day) and the intervals
    between courses (no input, longer).

    Returns a list of (kind, segments, steps, rejected, jacobians, days).
    """
    sched = pb.schedule
    breaks = sched.t_breaks
    n_seg = len(breaks) - 1
    control_index = np.ascontiguousarray(sched.control_index, dtype=np.int64)
    control_values = np.ascontiguousarray(sched.control_values, dtype=np.float64)
    fn = pb.kernel.typed

    def totals(k):                       # counts after the first k segments
        if k == 0:
            return np.zeros(rodas.N_STATS, dtype=np.int64)
        t_out = pb.t_out[pb.t_out <= breaks[k]]
        y_out = np.zeros((len(t_out), pb.n))
        stats = np.zeros(rodas.N_STATS, dtype=np.int64)
        status = rodas.integrate_controlled(
            fn.rhs, fn.jac_nonzeros, fn.factor, fn.solve, pb.kernel.lu_size, pb.y0, pb.p,
            np.ascontiguousarray(breaks[:k + 1]), np.ascontiguousarray(sched.inputs[:k]), sched.input_target,
            np.ascontiguousarray(sched.jumps[:k]), control_index, np.ascontiguousarray(control_values[:k]),
            np.ascontiguousarray(t_out), RTOL, pb.atol_vec, 0.0, np.inf, 10**6, y_out, stats)
        if status != rodas.SUCCESS:
            raise RuntimeError(rodas.STATUS_MESSAGES[status])
        return stats

    groups = {}
    before = totals(0)
    for k in range(n_seg):
        after = totals(k + 1)
        d = after - before
        before = after
        length = breaks[k + 1] - breaks[k]
        if length <= 0:
            continue
        kind = segment_kind(sched, k)
        g = groups.setdefault(kind, [0, 0, 0, 0, 0.0])
        g[0] += 1
        g[1] += int(d[rodas.STAT_ACCEPTED])
        g[2] += int(d[rodas.STAT_REJECTED])
        g[3] += int(d[rodas.STAT_JAC])
        g[4] += float(length)
    return [(kind, *vals) for kind, vals in groups.items()]


def lsoda_profile(pb, per_segment=64):
    """Where LSODA's work goes: steps, method (Adams or BDF), Jacobians, per kind of segment.

    numbalsoda returns no statistics, so the same algorithm is run through
    ``scipy.integrate.odeint`` (ODEPACK's LSODA in Fortran; numbalsoda's
    liblsoda is a C translation of it) on the same piecewise problem, with the
    same tolerances and a finite-difference Jacobian (no ``Dfun``), as
    numbalsoda uses. ``odeint`` reports, at each output time, the cumulative
    steps and the method of the last step; with ``per_segment`` outputs per
    segment (LSODA interpolates to outputs, so they do not change its steps)
    the steps taken with each method are counted to within one output interval.

    Returns (rows per kind, totals): each a dict of segments, days, steps,
    bdf_steps, rhs, jac, max_order.
    """
    from scipy.integrate import odeint

    sched = pb.schedule
    breaks = sched.t_breaks
    target = sched.input_target
    y = pb.y0.copy()
    dydt = np.empty(pb.n)
    groups, total = {}, {"segments": 0, "days": 0.0, "steps": 0, "bdf_steps": 0, "rhs": 0,
                         "jac": 0, "max_order": 0}
    for k in range(len(breaks) - 1):
        y = y + sched.jumps[k]
        t0, t1 = breaks[k], breaks[k + 1]
        if t1 <= t0:
            continue
        u = sched.inputs[k]

        def fun(x, t, u=u):
            pb.kernel.rhs(np.ascontiguousarray(x), pb.p, dydt)
            dydt[target] += u
            return dydt.copy()

        sol, info = odeint(fun, y, np.linspace(t0, t1, per_segment + 1), rtol=RTOL, atol=ATOL,
                           mxstep=500_000, full_output=True)
        if info["message"] != "Integration successful.":
            raise RuntimeError(f"odeint (LSODA) failed on segment {k}: {info['message']}")
        nst = np.asarray(info["nst"])
        per_interval = np.diff(np.concatenate([[0], nst]))
        row = groups.setdefault(segment_kind(sched, k), dict.fromkeys(total, 0))
        for g in (row, total):
            g["segments"] += 1
            g["days"] += float(t1 - t0)
            g["steps"] += int(nst[-1])
            g["bdf_steps"] += int(per_interval[np.asarray(info["mused"]) == 2].sum())
            g["rhs"] += int(info["nfe"][-1])
            g["jac"] += int(info["nje"][-1])
            g["max_order"] = max(g["max_order"], int(np.max(info["nqu"])))
        y = sol[-1].copy()
    return groups, total


def lsoda_lines(pb, numbalsoda_rhs):
    """Markdown: the LSODA profile, with numbalsoda's own RHS count beside it."""
    groups, total = lsoda_profile(pb)
    lines = [
        "",
        f"Where LSODA's work goes ({pb.name}): ODEPACK LSODA through `scipy.integrate.odeint` "
        "(numbalsoda's liblsoda is a C translation of it) on the same piecewise problem, rtol and "
        "atol, finite-difference Jacobian, as numbalsoda runs it"
        + (f"; its {total['rhs']:,} RHS evaluations against numbalsoda's own count of "
           f"{numbalsoda_rhs:,} say how closely the two implementations agree"
           if numbalsoda_rhs else "") + ".",
        "",
        "| segment kind | segments | steps | of which BDF (stiff) | RHS evals | Jacobians (each "
        f"{pb.n} RHS) | RHS evals in Jacobians | steps per segment |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, g in list(groups.items()) + [("**all**", total)]:
        lines.append(
            f"| {kind} | {g['segments']} | {g['steps']:,} | {g['bdf_steps'] / max(g['steps'], 1):.0%} | "
            f"{g['rhs']:,} | {g['jac']:,} | {g['jac'] * pb.n / max(g['rhs'], 1):.0%} | "
            f"{g['steps'] / max(g['segments'], 1):.1f} |")
    return lines


WP_RTOLS = (3e-5, 1e-5, 3e-6, 1e-6, 3e-7, 1e-7)


def work_precision(pb, ref, methods, repeats):
    """Time and achieved error of each method over ``WP_RTOLS`` (atol = rtol / 1000).

    Methods run in turn within each repeat, as in the main table. Returns
    {label: [(rtol, median s, max rel err), ...]}.
    """
    names = pb.spec.observable_names
    runs = []
    for label, setup in methods:
        for rtol in WP_RTOLS:
            run = setup(pb, rtol=rtol, atol=rtol * 1e-3)
            states, _ = run()                               # warm-up and accuracy
            err, _ = max_rel_error(pb.observables(states), ref, names)
            runs.append((label, rtol, run, err, []))
    for _ in range(repeats):
        for _label, _rtol, run, _err, samples in runs:
            t = clock()
            run()
            samples.append(clock() - t)
    out = {}
    for label, rtol, _run, err, samples in runs:
        out.setdefault(label, []).append((rtol, statistics.median(samples), err))
    return out


def time_at_error(points, err):
    """A method's time at achieved error ``err``, interpolated log-log between its runs (None outside)."""
    pts = sorted((e, t) for _r, t, e in points)
    for (e0, t0), (e1, t1) in zip(pts, pts[1:]):
        if e0 <= err <= e1 and e1 > e0:
            w = (np.log(err) - np.log(e0)) / (np.log(e1) - np.log(e0))
            return float(np.exp(np.log(t0) + w * (np.log(t1) - np.log(t0))))
    return None


def work_precision_lines(pb, ref, repeats):
    methods = [("ivigsim Rodas4", method_ivigsim)]
    for label, mods, setup in (("numbalsoda LSODA", ("numbalsoda",), method_numbalsoda),
                               ("libRoadRunner CVODE", ("roadrunner", "antimony"), method_roadrunner)):
        if not isinstance(optional(mods, setup), str):
            methods.append((label, setup))
    wp = work_precision(pb, ref, methods, repeats)
    labels = [label for label, _ in methods]
    lines = [
        "",
        f"Work against achieved error ({pb.name}): each method at rtol {', '.join(f'{r:g}' for r in WP_RTOLS)} "
        f"(atol = rtol / 1000), median of {repeats}, in turn; error as in the table above. "
        "*At ivigsim's error* is the other method's time interpolated (log–log) to the error "
        "ivigsim achieved at that rtol, over ivigsim's time (– where its runs do not bracket that error).",
        "",
        "| rtol | " + " | ".join(f"{lab} ms | err" for lab in labels) + " | "
        + " | ".join(f"{lab} at ivigsim's error, × ivigsim" for lab in labels[1:]) + " |",
        "|---:|" + "---:|---:|" * len(labels) + "---:|" * (len(labels) - 1),
    ]
    for i, rtol in enumerate(WP_RTOLS):
        cells = []
        for lab in labels:
            _r, t, e = wp[lab][i]
            cells.append(f"{t * 1e3:.2f} | {e:.1e}")
        _r, t_iv, e_iv = wp[labels[0]][i]
        ratios = []
        for lab in labels[1:]:
            t_o = time_at_error(wp[lab], e_iv)
            ratios.append("–" if t_o is None else f"{t_o / t_iv:.2f}")
        lines.append(f"| {rtol:g} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return lines


# --------------------------------------------------------------------------- cold start

def cold_start(repeats=3):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    commands = [
        ("python -c pass", "pass"),
        ("import ivigsim", "import ivigsim"),
        ("import + simulate (cold start)",
         f"import ivigsim as iv; iv.simulate('fcrn_pk', regimen={REGIMEN_CODE}, t_end=365, "
         f"body_weight_kg=70)"),
    ]
    # Warm the kernel cache (and Numba's) first; a failure here is reported, not hidden.
    warm = subprocess.run([sys.executable, "-c", commands[-1][1]], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if warm.returncode != 0:
        return [(commands[-1][0], None, "failed: " + warm.stderr.strip().splitlines()[-1])]
    samples = {label: [] for label, _ in commands}
    cpu = {label: [] for label, _ in commands}
    failed = {}
    for _ in range(repeats):                 # in turn, like the solver runs
        for label, code in commands:
            if label in failed:
                continue
            t = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                                  capture_output=True, text=True)
            samples[label].append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[label].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if proc.returncode != 0:
                failed[label] = "failed: " + proc.stderr.strip().splitlines()[-1]
    results = []
    for label, _ in commands:
        if label in failed:
            results.append((label, None, failed[label]))
        else:
            xs = samples[label]
            results.append((label, statistics.median(xs), f"min {min(xs):.2f} s, max {max(xs):.2f} s; "
                                                          f"CPU time (user + system) median "
                                                          f"{statistics.median(cpu[label]):.2f} s"))
    return results


# --------------------------------------------------------------------------- report

def machine_info():
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = f"{cpu} / {line.split(':', 1)[1].strip()}" if cpu else line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scipy": scipy.__version__, "numba": nb.__version__}
    for mod, attr in (("roadrunner", "__version__"), ("numbalsoda", None), ("antimony", None)):
        try:
            m = __import__(mod)
            ver = getattr(m, "__version__", None)
            if ver is None:
                from importlib.metadata import version
                ver = version(mod if mod != "roadrunner" else "libroadrunner")
            versions[mod] = ver
        except Exception:                                    # noqa: BLE001
            pass
    return {"cpu": cpu or "unknown", "platform.processor()": platform.processor() or "(empty)",
            "cpus": os.cpu_count(), "os": platform.platform(), "versions": versions}


def fmt_int(v):
    return "" if v is None else f"{v:,}"


def fmt_ms(samples):
    return f"{statistics.median(samples) * 1e3:.1f}"


def run_model(pb, repeats, quick, out):
    print(f"\n=== model {pb.name}: {pb.n} species, {len(pb.schedule.t_breaks) - 1} dosing segments, "
          f"{len(pb.t_out)} outputs ===", flush=True)
    names = pb.spec.observable_names
    t = time.perf_counter()
    ref_states, ref_stats = integrate_scipy(pb.kernel, pb.y0, pb.p, pb.schedule, pb.t_out,
                                            method="Radau", rtol=REF_RTOL, atol=REF_ATOL)
    ref = pb.observables(ref_states)
    print(f"reference: SciPy Radau rtol {REF_RTOL:g} atol {REF_ATOL:g} "
          f"({time.perf_counter() - t:.1f} s, {ref_stats['rhs_evaluations']} RHS evals)", flush=True)

    rows = []
    active = []
    for label, setup, note in method_table(quick):
        row = {"label": label, "note": note, "samples": [], "stats": {}, "err": None,
               "status": ""}
        rows.append(row)
        if isinstance(setup, str):
            row["status"] = setup
            print(f"{label}: {setup}", flush=True)
            continue
        try:
            run = setup(pb)
            states, stats = run()            # warm-up, accuracy and statistics
            row["stats"] = stats
            row["err"] = max_rel_error(pb.observables(states), ref, names)
            row["run"] = run
            if label.startswith("libRoadRunner"):
                row["antimony"] = run.antimony
            active.append(row)
            print(f"{label}: ready (max rel error {row['err'][0]:.1e} in {row['err'][1]})",
                  flush=True)
        except Exception as exc:                             # noqa: BLE001
            row["status"] = f"failed: {exc.__class__.__name__}: {exc}"
            print(f"{label}: {row['status']}", flush=True)

    for r in range(repeats):
        for row in active:                   # round-robin: load drifts hit every method
            t = clock()
            row["run"]()
            row["samples"].append(clock() - t)
        print(f"  repeat {r + 1}/{repeats} done", flush=True)

    base = statistics.median(rows[0]["samples"]) if rows[0]["samples"] else None
    header = ("| method | median ms | min–max ms | × ivigsim | steps (+rejected) | RHS evals | "
              "Jacobian evals | max rel err | agrees (≤1e-4) | notes |")
    lines = [f"### {pb.name} ({pb.n} species)", "", header,
             "|---|---:|---:|---:|---:|---:|---:|---:|:---:|---|"]
    for row in rows:
        if not row["samples"]:
            lines.append(f"| {row['label']} | – | – | – | – | – | – | – | – | {row['status']} |")
            continue
        med = statistics.median(row["samples"])
        st = row["stats"]
        steps = st.get("steps")
        steps_txt = f"{steps:,} (+{st.get('rejected', 0):,})" if steps is not None else "n/a"
        err, which = row["err"]
        ok = "yes" if err <= AGREE else "**no**"
        lines.append(
            f"| {row['label']} | {med * 1e3:.1f} | {min(row['samples']) * 1e3:.1f}–"
            f"{max(row['samples']) * 1e3:.1f} | {med / base:.2f} | {steps_txt} | "
            f"{fmt_int(st.get('rhs_evaluations')) or 'n/a'} | "
            f"{fmt_int(st.get('jacobian_evaluations')) or 'n/a'} | {err:.1e} ({which}) | {ok} | "
            f"{row['note']} |")

    # Per-step cost of ivigsim against the arithmetic floor.
    iv_row = rows[0]
    floor_lines = []
    if iv_row["samples"]:
        st = iv_row["stats"]
        attempts = st["steps"] + st["rejected"]
        y_mid = ref_states[len(ref_states) // 2]
        run_samples, fl, sparse = arithmetic_floor(pb, iv_row["run"], y_mid,
                                                   T_END / max(st["steps"], 1), max(repeats, 5))
        med_run = statistics.median(run_samples)
        per_step = med_run / attempts
        floor_lines = [
            "",
            f"ivigsim per step ({pb.name}, n = {pb.n}): {per_step * 1e6:.2f} µs per step attempt "
            f"(median {med_run * 1e3:.2f} ms / (steps + rejected = {attempts:,})); the runs and "
            f"the pieces below were timed in turn, {len(run_samples)} rounds, medians.",
            "",
            "| piece (timed alone, Numba loop) | µs per call | × per step | µs per step |",
            "|---|---:|---:|---:|",
            f"| Jacobian `kernel.jac_nonzeros` (the non-zeros; J zeroed once) | {fl['jac'] * 1e6:.3f} | 1 | {fl['jac'] * 1e6:.3f} |",
            (f"| LU of W = I/(hγ) − J, generated sparse `kernel.factor` | {fl['lu'] * 1e6:.3f} | 1 | "
             f"{fl['lu'] * 1e6:.3f} |" if sparse else
             f"| W = I/(hγ) − J and dense LU `lu_factor` | {fl['lu'] * 1e6:.3f} | 1 | "
             f"{fl['lu'] * 1e6:.3f} |"),
            f"| RHS `kernel.rhs` | {fl['rhs'] * 1e6:.3f} | 6 | {6 * fl['rhs'] * 1e6:.3f} |",
            (f"| solve, generated sparse `kernel.solve` | {fl['solve'] * 1e6:.3f} | 6 | "
             f"{6 * fl['solve'] * 1e6:.3f} |" if sparse else
             f"| triangular solve `lu_solve` | {fl['solve'] * 1e6:.3f} | 6 | "
             f"{6 * fl['solve'] * 1e6:.3f} |"),
            f"| **arithmetic floor** | | | **{fl['step'] * 1e6:.3f}** |",
        ]
        if sparse:
            floor_lines += [
                f"| *for comparison:* W and dense LU `lu_factor` | {fl['dense_lu'] * 1e6:.3f} | 1 | "
                f"{fl['dense_lu'] * 1e6:.3f} |",
                f"| *for comparison:* dense `lu_solve` | {fl['dense_solve'] * 1e6:.3f} | 6 | "
                f"{6 * fl['dense_solve'] * 1e6:.3f} |",
                f"| *floor with the dense LU* | | | {fl['dense_step'] * 1e6:.3f} |",
            ]
        floor_lines += [
            "",
            f"Time per step / floor = **{per_step / fl['step']:.2f}** "
            f"(floor × attempts = {fl['step'] * attempts * 1e3:.2f} ms of the "
            f"{med_run * 1e3:.2f} ms median)."
            + (f" Dense-LU fallbacks in the run: {st['dense_lu_fallbacks']:,} of "
               f"{st.get('lu_decompositions', attempts):,} factorisations."
               if "dense_lu_fallbacks" in st else ""),
        ]
    profile_lines = []
    if iv_row["samples"]:
        prof = segment_profile(pb)
        total_attempts = sum(g[2] + g[3] for g in prof)
        profile_lines = [
            "",
            f"Where the steps go ({pb.name}): per kind of dosing segment; every segment boundary is a "
            "step boundary.",
            "",
            "| segment kind | segments | days | steps | rejected | steps per segment | rejected per "
            "segment | share of attempts |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for kind, count, steps, rejected, _jac, days in prof:
            profile_lines.append(
                f"| {kind} | {count} | {days:.1f} | {steps:,} | {rejected:,} | {steps / count:.1f} | "
                f"{rejected / count:.1f} | {(steps + rejected) / max(total_attempts, 1):.0%} |")
    nbl_row = next((row for row in rows if row["label"].startswith("numbalsoda") and row["samples"]), None)
    lsoda_txt = lsoda_lines(pb, nbl_row["stats"].get("rhs_evaluations") if nbl_row else None)
    wp_txt = work_precision_lines(pb, ref, repeats) if iv_row["samples"] else []
    text = "\n".join(lines + floor_lines + profile_lines + lsoda_txt + wp_txt)
    print()
    print(text, flush=True)
    out.append(text)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per method (default 7, --quick 3)")
    ap.add_argument("--quick", action="store_true", help="3 repeats and no SciPy BDF")
    ap.add_argument("--output", default=str(HERE / "results_solver.md"), help="Markdown file to write")
    ap.add_argument("--models", nargs="+", default=list(MODELS), metavar="MODEL",
                    help="model names in models/ or paths to model files (default: %(default)s); e.g. an "
                         "earlier version of a model, written out with `git show COMMIT:models/X.toml`")
    ap.add_argument("--clock", choices=tuple(CLOCKS), default="thread",
                    help="thread: CPU time of this thread (default; immune to other processes' time "
                         "slices on a shared machine); wall: wall-clock time")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    repeats = args.repeats or (3 if args.quick else 7)
    os.environ.setdefault("IVIGSIM_CACHE_DIR", str(Path.home() / ".cache" / "ivigsim" / "kernels"))

    info = machine_info()
    print(f"machine: {info['cpu']}, {info['cpus']} CPUs, {info['os']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print(f"repeats: {repeats}{' (quick)' if args.quick else ''}")

    sections = []
    skipped = []
    for name in args.models:
        if not (ROOT / "models" / f"{name}.toml").exists() and not Path(name).is_file():
            msg = f"{name}: models/{name}.toml does not exist; skipped"
            print(msg)
            skipped.append(msg)
            continue
        run_model(Problem(name), repeats, args.quick, sections)

    print("\n=== cold start (fresh interpreter, kernel cache warm; median of 3) ===", flush=True)
    cold = cold_start(3)
    cold_lines = ["| command | median s | spread |", "|---|---:|---|"]
    for label, med, note in cold:
        cold_lines.append(f"| {label} | {'–' if med is None else f'{med:.2f}'} | {note} |")
    print("\n".join(cold_lines))

    today = datetime.date.today().isoformat()
    header = [
        "# Solver benchmark",
        "",
        f"Generated by `python benchmarks/bench_solver.py{' --quick' if args.quick else ''}"
        f"{f' --repeats {args.repeats}' if args.repeats else ''}"
        f"{'' if args.models == list(MODELS) else ' --models ' + ' '.join(args.models)}` on {today}.",
        "",
        f"- Machine: {info['cpu']}; `platform.processor()` = {info['platform.processor()']}; "
        f"{info['cpus']} CPUs; {info['os']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"- Problem: {REGIMEN_CODE}, {BODY_WEIGHT_KG:g} kg, 0–{T_END:g} days from the untreated "
        f"steady state, outputs daily; rtol {RTOL:g}, atol {ATOL:g} (species units) for every method.",
        f"- Times: median of {repeats} runs per method (methods run in turn in each repeat); "
        "× ivigsim is the ratio of medians from the same run. Clock: "
        + ("CPU time of the benchmark's thread (`time.thread_time`; every method runs in that thread), "
           "so other processes on the shared machine do not count; cache and memory contention still do."
           if args.clock == "thread" else "wall time (`time.perf_counter`)."),
        f"- Error: max over observables of max_t |obs − ref| / max_t |ref| against SciPy Radau at "
        f"rtol {REF_RTOL:g}, atol {REF_ATOL:g}.",
    ]
    header += [f"- {msg}" for msg in skipped]
    doc = "\n".join(header) + "\n\n" + "\n\n".join(sections) + "\n\n### Cold start\n\n" \
        "Wall time of a fresh `python -c \"import ivigsim as iv; iv.simulate('fcrn_pk', ...)\"` " \
        "(steady state + one year, default outputs) with the kernel cache already warm; the CPU time " \
        "of the child process beside it, since on a shared machine the wall time includes waiting " \
        "for a core.\n\n" \
        + "\n".join(cold_lines) + "\n"
    out_path = Path(args.output)
    if out_path.exists():                    # keep the hand-written notes
        previous = out_path.read_text(encoding="utf-8")
        if NOTES_MARKER in previous:
            doc += "\n" + NOTES_MARKER + previous.split(NOTES_MARKER, 1)[1]
    out_path.write_text(doc, encoding="utf-8")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
