"""Lanes against the scalar compiled path, on the points of the sweep benchmark.

    python benchmarks/bench_sweep_lanes.py [--points N] [--repeats R] [--widths 1,4,8] [--chunk-sizes 24,25,32,40]

The points: the first N (default 160) of ``bench_sweep.py``'s Latin hypercube
(the standard IVIG course, 13 cycles, one year, rtol 1e-6, 70 kg). One
thread, in this process, after a warm-up; thread CPU time, medians of R
rounds (default 5), the variants taken in turn in each round.

1. The course alone (the year from each point's steady state, as the
   compiled chunk integrates it): ``rodas.integrate_controlled`` point by
   point against ``rodas_lanes.integrate_lanes`` on groups of L points, for
   each lane width L; the outputs and solver statistics of every point are
   compared with the scalar ones (bit for bit).
2. Whole chunks as a sweep runs them (``ensemble.run_chunk``: steady
   states, courses, observables, metrics), with lanes at each chunk size,
   and at the default size with ``ensemble_compiled.USE_LANES = False``;
   the results of every variant are compared (bit for bit).

Writes benchmarks/results_sweep_lanes.md.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import bench_sweep  # noqa: E402


def _chunk_arguments(sw, m):
    """The arguments of the compiled chunk call for the first ``m`` points (one call, captured)."""
    from ivigsim.sweep import ensemble, ensemble_compiled
    captured = {}
    real = ensemble_compiled.entry

    def spy(dispatcher):
        run = real(dispatcher)

        def wrapped(*args):
            captured.setdefault("args", args)
            return run(*args)
        return wrapped

    ensemble_compiled.entry = spy
    ensemble_compiled.USE_LANES = False
    try:
        ensemble_compiled.run_compiled(sw.experiment, sw.spec, sw.points, np.arange(m), sw.t_out,
                                       lambda i: ensemble.point_setup(sw.experiment, sw.spec, sw.points, i),
                                       None, False)
    finally:
        ensemble_compiled.entry = real
        ensemble_compiled.USE_LANES = True
    return captured["args"]


class Courses:
    """The courses of the first ``m`` points, scalar and in lanes of any width."""

    def __init__(self, sw, m):
        from ivigsim.core.kernel import lanes
        import inspect
        from ivigsim.core.solvers import ensemble as compiled
        run_points = compiled.run_points
        # the captured arguments by the compiled function's own parameter names
        a = dict(zip(inspect.signature(getattr(run_points, "py_func", run_points)).parameters,
                     _chunk_arguments(sw, m)))
        self.fn = (a["rhs"], a["jac"], a["factor"], a["solve"])
        self.lu_size, self.ps, self.y0 = a["lu_size"], a["ps"], a["y0_out"]
        t_breaks, n_seg, inputs, input_target, n_inputs, jumps = (
            a["t_breaks"], a["n_seg"], a["inputs"], a["input_target"], a["n_inputs"], a["jumps"])
        control_index, control_values, n_controls = a["control_index"], a["control_values"], a["n_controls"]
        self.t_out, self.rtol, self.atol, self.max_steps = a["t_out"], a["rtol"], a["atol"], a["max_steps"]
        status = a["status"]
        if not (status == 0).all() or not (n_seg == n_seg[0]).all():
            raise RuntimeError("the benchmark points must all run and share one regimen shape")
        s, ni, nc = n_seg[0], n_inputs[0], n_controls[0]
        self.m, self.n = self.y0.shape
        self.tb = np.ascontiguousarray(t_breaks[0, :s + 1])
        self.target = np.ascontiguousarray(input_target[0, :ni])
        self.cidx = np.ascontiguousarray(control_index[0, :nc])
        self.cval = np.ascontiguousarray(control_values[0, :s, :nc])
        self.inputs = np.ascontiguousarray(inputs[:, :s, :ni])
        self.jumps = np.ascontiguousarray(jumps[:, :s])
        self.spec = sw.spec
        self.lanes = {}
        self.load = lanes.load_lanes

    def scalar(self):
        from ivigsim.core.solvers import rodas
        out = np.zeros((self.m, self.t_out.size, self.n))
        stats = np.zeros((self.m, rodas.N_STATS), dtype=np.int64)
        rhs, jac, factor, solve = self.fn
        for k in range(self.m):
            code = rodas.integrate_controlled(rhs, jac, factor, solve, self.lu_size, self.y0[k].copy(), self.ps[k],
                                              self.tb, self.inputs[k], self.target, self.jumps[k], self.cidx,
                                              self.cval, self.t_out, self.rtol, self.atol, 0.0, np.inf,
                                              self.max_steps, out[k], stats[k])
            if code != 0:
                raise RuntimeError(f"point {k} failed: {code}")
        return out, stats

    def in_lanes(self, width):
        from ivigsim.core.solvers import rodas, rodas_lanes
        if width not in self.lanes:
            self.lanes[width] = self.load(self.spec, width)
        lane = self.lanes[width]
        out = np.zeros((self.m, self.t_out.size, self.n))
        stats = np.zeros((self.m, rodas.N_STATS), dtype=np.int64)
        for g in range(0, self.m, width):
            rows = slice(g, g + width)
            y_out = np.zeros((width, self.t_out.size, self.n))
            st = np.zeros((width, rodas.N_STATS), dtype=np.int64)
            status = np.zeros(width, dtype=np.int64)
            rodas_lanes.integrate_lanes(*lane.typed, self.lu_size, lane.scratch, np.ascontiguousarray(self.y0[rows].T),
                                        np.ascontiguousarray(self.ps[rows].T), self.tb,
                                        np.ascontiguousarray(self.inputs[rows].transpose(1, 2, 0)), self.target,
                                        np.ascontiguousarray(self.jumps[rows].transpose(1, 2, 0)), self.cidx,
                                        self.cval, self.t_out, self.rtol, self.atol, np.inf, self.max_steps, y_out,
                                        st, status)
            if (status != 0).any():
                raise RuntimeError(f"lanes {g}..: status {status}")
            out[rows], stats[rows] = y_out, st
        return out, stats


def measure(model, n_points, repeats, widths, chunk_sizes, log):
    from ivigsim.sweep import ensemble, ensemble_compiled
    from ivigsim.sweep.run import DEFAULT_CHUNK_SIZE
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{model}.toml"
        path.write_text(bench_sweep.experiment_toml(model, max(n_points, 2)), encoding="utf-8")
        sw = bench_sweep.Sweep(path)
    m = n_points - n_points % max(widths)
    courses = Courses(sw, m)
    reference, ref_stats = courses.scalar()
    checks = {}
    for w in widths:
        out, stats = courses.in_lanes(w)
        rel = np.abs(out - reference) / np.maximum(np.abs(reference), 1e-300)
        checks[w] = (np.array_equal(out, reference), float(rel.max()), np.array_equal(stats, ref_stats))
    times = {w: [] for w in (0,) + tuple(widths)}
    chunk = {("scalar", DEFAULT_CHUNK_SIZE): []}
    chunk.update({("lanes", c): [] for c in chunk_sizes})
    ensemble.run_chunk(sw.experiment, sw.points, 0, 0, max(widths))     # warm-up: lane drivers loaded
    same_chunks = True
    for r in range(repeats + 1):                                        # round 0: the bit-for-bit check only
        if r:
            for w in times:
                t = time.thread_time()
                courses.scalar() if w == 0 else courses.in_lanes(w)
                times[w].append((time.thread_time() - t) / m)
        first = None
        for variant, size in chunk:
            ensemble_compiled.USE_LANES = variant == "lanes"
            try:
                t = time.thread_time()
                done = [ensemble.run_chunk(sw.experiment, sw.points, k, a, b)
                        for k, (a, b) in enumerate(ensemble.chunk_bounds(m, size))]
                if r:
                    chunk[variant, size].append((time.thread_time() - t) / m)
            finally:
                ensemble_compiled.USE_LANES = True
            if not r:
                got = (np.concatenate([c.outputs for c in done]), np.concatenate([c.metrics for c in done]),
                       np.concatenate([c.steps for c in done]))
                first = first or got
                same_chunks = same_chunks and all(np.array_equal(a, b) for a, b in zip(first, got))
    med = {w: statistics.median(v) for w, v in times.items()}
    cmed = {k: statistics.median(v) for k, v in chunk.items()}
    ref = ("lanes", DEFAULT_CHUNK_SIZE) if ("lanes", DEFAULT_CHUNK_SIZE) in chunk else next(iter(chunk))
    paired = {k: statistics.median([a / b for a, b in zip(chunk[ref], v)]) for k, v in chunk.items()}
    log(f"{model}: {m} points, steps per point {ref_stats[:, 0].mean():.0f}; course scalar "
        f"{med[0] * 1e3:.3f} ms/point; " + "; ".join(f"L={w} {med[w] * 1e3:.3f} ms ({med[0] / med[w]:.2f}x)"
                                                      for w in widths)
        + "; chunks " + "; ".join(f"{v} {c}: {cmed[v, c] * 1e3:.3f} ms/point" for v, c in chunk)
        + f"; chunk results equal across sizes and paths: {same_chunks}")
    return {"m": m, "steps": float(ref_stats[:, 0].mean()), "course": med, "chunk": cmed, "paired": paired,
            "reference": ref, "checks": checks, "same_chunks": same_chunks, "all": times}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=160)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--widths", default="1,4,8")
    ap.add_argument("--chunk-sizes", default="24,25,32,40", help="chunk sizes timed with lanes")
    ap.add_argument("--models", nargs="+", default=list(bench_sweep.MODELS))
    ap.add_argument("--output", default=str(HERE / "results_sweep_lanes.md"))
    args = ap.parse_args(argv)
    widths = tuple(int(w) for w in args.widths.split(","))
    info = bench_sweep.machine_info()
    from ivigsim.sweep.run import DEFAULT_CHUNK_SIZE
    chunk_sizes = tuple(int(c) for c in args.chunk_sizes.split(","))
    results = {model: measure(model, args.points, args.repeats, widths, chunk_sizes, print)
               for model in args.models}
    cmd = "python benchmarks/bench_sweep_lanes.py" + ("" if argv is None and len(sys.argv) == 1 else
                                                     " " + " ".join(sys.argv[1:] if argv is None else argv))
    out = ["# Lanes: 8 points in lockstep against the scalar compiled path", "",
           f"Generated by `{cmd}` on {datetime.date.today().isoformat()}.", "",
           f"- Machine: {info['cpu']}; {info['cpus']} CPUs; {info['os']}",
           "- Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + f"; git {info['git']}",
           "- Points: the first ones of `bench_sweep.py`'s Latin hypercube (13 IVIG courses, one year, rtol 1e-6), "
           f"one thread, medians of {args.repeats} rounds with the variants in turn.",
           "- Course: the year from each point's steady state, `rodas.integrate_controlled` point by point "
           "against `rodas_lanes.integrate_lanes` on groups of L points. \"bit-identical\": every output of "
           "every point equals the scalar one; \"stats\": steps, rejections, evaluations equal too.",
           f"- Chunks: `ensemble.run_chunk` over the same points cut into chunks of each size (steady states, "
           f"courses, observables, metrics), with lanes, and in chunks of {DEFAULT_CHUNK_SIZE} (the default) "
           "with every course on the scalar driver (`USE_LANES = False`). A chunk of c points runs c // 8 full "
           "lane passes; its last c % 8 points share a partial pass when they fill at least "
           "`ensemble_compiled.MIN_LANES_FILLED` lanes and otherwise run alone on the scalar driver. "
           "\"paired\": the median over rounds of (time at the default size) / (time at this size), which "
           "cancels the load of other processes better than a ratio of medians.",
           "- Times are thread CPU time (`time.thread_time`), so other processes on the machine inflate them "
           "little.",
           "- L = 1 is the lane code on one point at a time: the cost of the lane layout and its loops without any "
           "vector to fill, against which L = 4 and 8 show what the vectors bring. The sweep uses L = 8 "
           "(8 doubles per AVX-512 register). In each lockstep pass every lane still in the segment attempts "
           "one step; on 48 `fcrn_pk` points the passes were 102 % of the mean attempts per point, so a lane "
           "waiting at a dosing switch for the others costs 2 %.", "",
           "### Courses", "",
           "| model | points | steps / point | course, scalar ms / point | "
           + " | ".join(f"L = {w}: ms / point (speed-up)" for w in widths)
           + " | bit-identical (max rel. diff) | stats equal |",
           "|---|---:|---:|---:|" + "---:|" * len(widths) + "---|---|"]
    for model, r in results.items():
        c = r["course"]
        same = all(r["checks"][w][0] for w in widths)
        diff = max(r["checks"][w][1] for w in widths)
        stats = all(r["checks"][w][2] for w in widths)
        out.append(f"| {model} | {r['m']} | {r['steps']:,.0f} | {c[0] * 1e3:.3f} | "
                   + " | ".join(f"{c[w] * 1e3:.3f} ({c[0] / c[w]:.2f}x)" for w in widths)
                   + f" | {'yes' if same else 'NO'} ({diff:.1e}) | {'yes' if stats else 'NO'} |")
    out += ["", "### Whole chunks by chunk size", "",
            "| model | path | chunk size | ms / point | paired speed-up against lanes at the default size | "
            "results equal across sizes and paths |", "|---|---|---:|---:|---:|---|"]
    for model, r in results.items():
        for (variant, size), v in r["chunk"].items():
            out.append(f"| {model} | {variant} | {size}{' (default)' if size == DEFAULT_CHUNK_SIZE else ''} | "
                       f"{v * 1e3:.3f} | {r['paired'][variant, size]:.3f}x | "
                       f"{'yes' if r['same_chunks'] else 'NO'} |")
    text = "\n".join(out) + "\n"
    print("\n" + text)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
