"""Sweep scaling: memory against the number of points, and threads against processes.

    python benchmarks/bench_sweep_scaling.py [--model fcrn_pk] [--small 100] [--sizes 2000 10000]
                                             [--memory-only]

The sweep is the one of ``bench_sweep.py`` (one-year Latin hypercube over FcRn
capacity, uptake clearance and autoantibody synthesis; the standard monthly
IVIG course; daily outputs; rtol 1e-6). Each measurement runs in a fresh
``python -c`` subprocess after a 2-point warm-up sweep, and reports:

* peak RSS when the chunk loop ends (the executor and the chunk files) and at
  the end of the public ``iv.run_experiment`` (which adds metrics.csv, the
  chunk-by-chunk write of trajectories.nc, the figures and report.html);
* the sweep's wall time (``provenance["wall_seconds"]``).

Runs: ``--small`` points and each of ``--sizes`` on 2 threads (memory), then,
unless ``--memory-only``, the largest size on 1 thread, 2 threads and 2
processes (throughput; peak RSS of worker processes is not in the parent's
figure). Writes benchmarks/results_sweep_scaling.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_sweep import experiment_toml  # noqa: E402

_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, sys.argv[1])
    path, warm, out, executor, workers = sys.argv[2:7]
    from ivigsim.interfaces import runs
    from ivigsim.sweep import run as runmod
    from ivigsim.sweep.executors import ProcessExecutor, ThreadExecutor

    def make():
        return (ProcessExecutor if executor == "processes" else ThreadExecutor)(int(workers))

    if __name__ == "__main__":
        runs.run_experiment(warm, out=out + "_warm", executor=make(), progress=False)
        ready_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        loop_kb = []
        real = runmod.finalize

        def finalize(*args, **kwargs):
            loop_kb.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            return real(*args, **kwargs)

        runmod.finalize = finalize
        res = runs.run_experiment(path, out=out, executor=make(), progress=False)
        print("RESULT " + json.dumps({
            "ready_kb": ready_kb, "loop_kb": loop_kb[0],
            "run_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "wall_s": res.provenance["wall_seconds"], "n_failed": res.provenance["n_failed"]}))
""")


def run(tmp, model, n, executor, workers):
    path, warm = tmp / f"{model}_{n}.toml", tmp / f"{model}_2.toml"
    path.write_text(experiment_toml(model, n), encoding="utf-8")
    warm.write_text(experiment_toml(model, 2), encoding="utf-8")
    out = tmp / f"out_{n}_{executor}_{workers}"
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), str(path), str(warm), str(out), executor,
                           str(workers)], cwd=ROOT, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"{model} {n} {executor} {workers}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="fcrn_pk")
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2_000, 10_000])
    ap.add_argument("--memory-only", action="store_true", help="skip the 1-thread and process runs")
    ap.add_argument("--output", default=str(HERE / "results_sweep_scaling.md"))
    args = ap.parse_args(argv)
    large = max(args.sizes)
    plan = [(args.small, "threads", 2)] + [(n, "threads", 2) for n in args.sizes]
    if not args.memory_only:
        plan += [(large, "threads", 1), (large, "processes", 2)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="ivigsim_scaling_") as tmp:
        tmp = Path(tmp)
        for n, executor, workers in plan:
            load_before = os.getloadavg()[0]
            res = run(tmp, args.model, n, executor, workers)
            res["load"] = (load_before + os.getloadavg()[0]) / 2
            rows.append((n, executor, workers, res))
            print(f"{n} points, {executor} x{workers}: sweep {res['wall_s']:.2f} s, loop peak "
                  f"{res['loop_kb'] / 1024:.0f} MB, run peak {res['run_kb'] / 1024:.0f} MB, "
                  f"failed {res['n_failed']}", flush=True)
    small = rows[0][3]
    command = (f"python benchmarks/bench_sweep_scaling.py --model {args.model} --small {args.small} --sizes "
               + " ".join(str(n) for n in args.sizes) + (" --memory-only" if args.memory_only else ""))
    lines = [
        "# Sweep scaling", "",
        f"Generated by `{command}`; {platform.platform()}, Python {platform.python_version()}. One run each, "
        "fresh subprocess after a 2-point warm-up sweep, through the public `iv.run_experiment` (figures and "
        "report included). Peak RSS is the parent process's "
        "(`ru_maxrss`); worker processes are not included. Load = the machine's 1-minute load average "
        "(before + after) / 2: sweep times are comparable only at equal load on a quiet machine.", "",
        "| points | executor | workers | sweep s | peak RSS at end of chunk loop MB | peak RSS of the whole run MB "
        "| failed | load |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for n, executor, workers, res in rows:
        lines.append(f"| {n:,} | {executor} | {workers} | {res['wall_s']:.2f} | {res['loop_kb'] / 1024:.0f} | "
                     f"{res['run_kb'] / 1024:.0f} | {res['n_failed']} | {res['load']:.1f} |")
    lines.append("")
    for n, executor, workers, res in rows[1:len(args.sizes) + 1]:
        lines += [f"- {n:,} against {args.small:,} points: chunk loop peak {res['loop_kb'] / small['loop_kb']:.2f}x, "
                  f"whole run peak {res['run_kb'] / small['run_kb']:.2f}x (target <= 1.2x)"]
    if not args.memory_only:
        t1, t2, p2 = rows[-2][3]["wall_s"], rows[len(args.sizes)][3]["wall_s"], rows[-1][3]["wall_s"]
        lines += [f"- parallel efficiency 1 -> 2 threads: {t1 / (2 * t2):.0%}; 1 thread -> 2 processes: "
                  f"{t1 / (2 * p2):.0%}"]
    lines.append("")
    Path(args.output).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
