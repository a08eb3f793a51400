"""CPU time per sweep point: the compiled chunk path against the per-point path, on one thread.

    python benchmarks/bench_sweep_cpu.py [--points N] [--rounds R] [--models ...]

Wall-clock times on a shared machine measure the other processes as much as
ivigsim (``bench_sweep.py`` reports the load it saw). This benchmark counts
CPU time of the running thread instead (``time.thread_time``), which the
other processes do not inflate much, and splits it into the time inside the
compiled chunk call (``ivigsim.core.solvers.ensemble_lanes.run_points_lanes``,
or ``ensemble.run_points`` for a model without lane kernels: every point's
steady state, year and observables) and the Python around it
(grouping, ``prepare`` per group, arrays, metrics). The same points run
through the per-point path (``ensemble.run_point``: ``prepare``, the steady
state and the year point by point) for comparison, in alternating order,
with the steady-state cache cleared; medians over rounds.

Two sweeps per model, each the one of ``bench_sweep.py`` (one year, 13
courses, Latin hypercube over three parameters, daily outputs):

* one body weight (70 kg): a chunk's points share one prepared problem;
* a body weight per point (40-120 kg swept): every point is its own group,
  so its schedule is built in Python.

The metrics of the two paths are checked bit-identical. Writes
benchmarks/results_sweep_cpu.md.
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
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import bench_sweep  # noqa: E402

from ivigsim.sweep.run import DEFAULT_CHUNK_SIZE as CHUNK  # noqa: E402


def measure(path, rounds):
    """{path: (total, compiled) CPU ms per point}, and whether the metrics agree."""
    from ivigsim.core import simulation
    from ivigsim.sweep import ensemble, ensemble_compiled
    from ivigsim.sweep.experiment import load_experiment
    from ivigsim.sweep.samplers import sample_points

    experiment = load_experiment(path)
    points = sample_points(experiment)
    n = len(points)
    ensemble.run_chunk(experiment, points, 0, 0, 2)                 # compiled or loaded from the cache
    inside = [0.0]
    real_entry = ensemble_compiled.entry

    def timed_entry(dispatcher):
        run = real_entry(dispatcher)

        def timed(*args):
            t = time.thread_time()
            run(*args)
            inside[0] += time.thread_time() - t
        return timed

    engines = {"compiled chunk": ensemble_compiled.compiled_engine,
               "per point": lambda experiment, spec: (False, "per point")}
    samples = {name: [] for name in engines}
    metrics = {}
    ensemble_compiled.entry = timed_entry
    try:
        for r in range(rounds):
            for name in (list(engines) if r % 2 == 0 else list(engines)[::-1]):
                ensemble.compiled_engine = engines[name]
                simulation._STEADY_STATES.clear()
                inside[0] = 0.0
                t = time.thread_time()
                chunks = [ensemble.run_chunk(experiment, points, k, a, b)
                          for k, (a, b) in enumerate(ensemble.chunk_bounds(n, CHUNK))]
                total = time.thread_time() - t
                samples[name].append((total / n * 1e3, inside[0] / n * 1e3))
                metrics[name] = np.concatenate([c.metrics for c in chunks])
    finally:
        ensemble_compiled.entry = real_entry
        ensemble.compiled_engine = ensemble_compiled.compiled_engine
    result = {name: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v))
              for name, v in samples.items()}
    same = np.array_equal(metrics["compiled chunk"], metrics["per point"], equal_nan=True)
    return result, same


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", nargs="+", default=list(bench_sweep.MODELS))
    ap.add_argument("--output", default=str(HERE / "results_sweep_cpu.md"))
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ivigsim_bench_sweep_cpu_"))
    meter = bench_sweep.LoadMeter()
    rows = []
    for model in args.models:
        for label, extra in (("70 kg", ""),
                             ("body weight per point", "\n[sweep.variables.body_weight_kg]\n"
                                                       "low = 40.0\nhigh = 120.0\n")):
            path = tmp / f"{model}_{len(rows)}.toml"
            path.write_text(bench_sweep.experiment_toml(model, args.points) + extra, encoding="utf-8")
            result, same = measure(path, args.rounds)
            rows.append((model, label, result, same))
            for name, (total, inside) in result.items():
                print(f"{model}, {label}, {name}: {total:.2f} ms CPU/point, compiled {inside:.2f}, "
                      f"Python {total - inside:.2f}", flush=True)
    others = meter.others()
    info = bench_sweep.machine_info()
    out = ["# Sweep CPU time per point: compiled chunk path against the per-point path", "",
           f"Generated by `python benchmarks/bench_sweep_cpu.py --points {args.points} --rounds {args.rounds}` "
           f"on {datetime.date.today().isoformat()}.", "",
           f"- Machine: {info['cpu']}; {info['cpus']} CPUs; git {info['git']}; others' load during the run "
           f"{others:.2f} cores (CPU time is counted per thread, so the load inflates it little).",
           f"- The sweep of `bench_sweep.py` ({args.points} points, one year, 13 courses, daily outputs), "
           f"chunks of {CHUNK}, one thread, `time.thread_time`; medians of {args.rounds} rounds, the two "
           "paths alternating, steady-state cache cleared before each.", "",
           "| model | body weight | path | CPU ms / point | in the compiled chunk call | Python | "
           "metrics bit-identical |", "|---|---|---|---:|---:|---:|:---:|"]
    for model, label, result, same in rows:
        for name, (total, inside) in result.items():
            out.append(f"| {model} | {label} | {name} | {total:.2f} | {inside:.2f} | {total - inside:.2f} | "
                       f"{'yes' if same else '**no**'} |")
    text = "\n".join(out) + "\n"
    print("\n" + text)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
