"""Compile-time benchmark: kernels of random mass-action networks, 50 to 2,000 species.

    python benchmarks/bench_compile.py [--sizes 50 200 500 2000] [--repeats 3]
                                       [--before-ref COMMIT] [--before-timeout 300]

For each size one seeded network (``_networks.py``: ~3.2 reactions and ~5
Jacobian non-zeros per species, no locality) is written as a model file and
as SBML (``ivigsim.export_sbml``). Every timing runs in a fresh process with an
empty kernel cache, so it is a first use:

* ``kernel cold``: ``load_kernel`` (generation + Numba compile), with the
  package's own compiled code (the tape interpreter) already cached, as after
  the first use of an installed ivigsim; median of the repeats;
* ``all cold``: the same with Numba's cache empty too (the interpreter is
  compiled as well), once;
* ``generation``: ``generate_source`` alone, and per structural non-zero;
* ``warm``: ``load_kernel`` in a new process once the cache is filled;
* ``model file``: ``load_model`` (parsing and checking the TOML), not part
  of the kernel times;
* ``libRoadRunner``: ``roadrunner.RoadRunner(sbml)`` on the same network's
  SBML (its LLVM compile), median of the repeats, in a fresh process too;
* ``before``: the kernel generator at ``--before-ref`` (dense sympy Jacobian,
  straight-line code), in a fresh process, stopped after ``--before-timeout``.

It also times one Rodas4 step's pieces at each size (one ``jac``, one
``rhs``, the kernel's sparse LU of W = I/(h gamma) - J and the dense pivoted
LU the solver falls back to), which is what a step costs. Writes benchmarks/results_compile.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import io
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

WORKER = r"""
import json, os, sys, time
t0 = time.perf_counter()
import numpy as np
import ivigsim as iv
mode, path = sys.argv[1], sys.argv[2]
out = {}
if mode == "roadrunner":
    import roadrunner
    text = open(path).read()
    t = time.perf_counter(); roadrunner.RoadRunner(text); out["roadrunner_s"] = time.perf_counter() - t
elif mode == "before":
    spec = iv.load_model(path)
    from ivigsim.kernel.compiled import load_kernel
    t = time.perf_counter(); load_kernel(spec); out["kernel_s"] = time.perf_counter() - t
else:
    t = time.perf_counter(); spec = iv.load_model(path); out["model_file_s"] = time.perf_counter() - t
    from ivigsim.core.kernel.codegen import generate_source, kernel_style
    from ivigsim.core.kernel.compiled import load_kernel
    from ivigsim.core.kernel.structure import jacobian_pattern
    if mode == "generate":
        t = time.perf_counter(); generate_source(spec); out["generate_s"] = time.perf_counter() - t
        out["nnz"] = len(jacobian_pattern(spec)); out["style"] = kernel_style(spec)
        out["reactions"] = len(spec.reactions)
    else:
        t = time.perf_counter(); kernel = load_kernel(spec); out["kernel_s"] = time.perf_counter() - t
        if mode == "step":
            from ivigsim.core.solvers.linalg import lu_factor
            n = spec.n_species
            y = np.random.default_rng(0).uniform(0.5, 2.0, n)
            p = kernel.parameter_vector(spec.default_parameters(), np.ones(len(spec.mechanisms)))
            J = np.empty((n, n)); f = np.empty(n); piv = np.empty(n, dtype=np.int64)
            kernel.jac(y, p, J); kernel.rhs(y, p, f); W = np.eye(n) * 40.0 - J; lu_factor(W.copy(), piv)
            def best(fn, k):
                times = []
                for _ in range(k):
                    t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
                return min(times)
            out["jac_ms"] = 1e3 * best(lambda: kernel.jac(y, p, J), 20)
            out["rhs_ms"] = 1e3 * best(lambda: kernel.rhs(y, p, f), 20)
            out["dense_lu_ms"] = 1e3 * best(lambda: lu_factor(W.copy(), piv), 3 if n > 1000 else 10)
            lu = np.empty(max(kernel.lu_size, 1))
            out["sparse_lu_status"] = int(kernel.factor(J, 40.0, lu))
            out["sparse_lu_ms"] = 1e3 * best(lambda: kernel.factor(J, 40.0, lu), 10)
            out["lu_size"] = kernel.lu_size
print("RESULT " + json.dumps(out))
"""


def worker(mode, path, cache, numba_cache=None, pythonpath=ROOT, timeout=None):
    env = dict(os.environ, IVIGSIM_CACHE_DIR=str(cache), PYTHONPATH=str(pythonpath),
               IVIGSIM_MAX_SPECIES="10000", IVIGSIM_QUIET="1")
    if numba_cache:
        env["NUMBA_CACHE_DIR"] = str(numba_cache)
    try:
        done = subprocess.run([sys.executable, "-c", WORKER, mode, str(path)], env=env, timeout=timeout,
                              capture_output=True, text=True, cwd=str(pythonpath))
    except subprocess.TimeoutExpired:
        return None
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{mode} {path} failed:\n{done.stderr[-2000:]}")


def old_tree(ref, into):
    """The package and models at git ``ref``, extracted into ``into``."""
    archive = subprocess.run(["git", "archive", ref, "ivigsim", "models"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into)
    return Path(into)


def fmt(x, unit="s"):
    if x is None:
        return "—"
    return f"{x:.2f} {unit}" if x < 100 else f"{x:.0f} {unit}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500, 2000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--before-ref", default="63e7bdc", help="git commit of the old generator ('' to skip)")
    ap.add_argument("--before-timeout", type=float, default=300.0)
    ap.add_argument("--before-sizes", type=int, nargs="*", default=[50, 200, 500])
    args = ap.parse_args()

    import ivigsim as iv
    from _networks import write_network

    work = Path(tempfile.mkdtemp(prefix="ivigsim_bench_compile_"))
    old = old_tree(args.before_ref, work / "old") if args.before_ref else None
    rows = []
    os.environ["IVIGSIM_MAX_SPECIES"] = "10000"
    for n in args.sizes:
        model_path = write_network(work, n, seed=0)
        sbml_path = work / f"mass_action_{n}.xml"
        iv.export_sbml(str(model_path), str(sbml_path), initial="file")
        row = {"n": n}
        gen = worker("generate", model_path, work / f"gen{n}")
        row.update(reactions=gen["reactions"], nnz=gen["nnz"], style=gen["style"], generate_s=gen["generate_s"],
                   model_file_s=gen["model_file_s"])
        row["all_cold_s"] = worker("kernel", model_path, work / f"allcold{n}", work / f"numba{n}")["kernel_s"]
        cold = [worker("kernel", model_path, work / f"cold{n}_{r}")["kernel_s"] for r in range(args.repeats)]
        row["cold_s"], row["cold_range"] = statistics.median(cold), (min(cold), max(cold))
        step = worker("step", model_path, work / f"cold{n}_0")
        row.update(warm_s=step["kernel_s"], jac_ms=step["jac_ms"], rhs_ms=step["rhs_ms"],
                   dense_lu_ms=step["dense_lu_ms"], sparse_lu_ms=step["sparse_lu_ms"],
                   sparse_lu_status=step["sparse_lu_status"], lu_size=step["lu_size"])
        rr = [worker("roadrunner", sbml_path, work / "rr")["roadrunner_s"] for _ in range(args.repeats)]
        row["roadrunner_s"] = statistics.median(rr)
        if old is not None and n in args.before_sizes:
            result = worker("before", model_path, work / f"before{n}", pythonpath=old,
                            timeout=args.before_timeout)
            row["before_s"] = result["kernel_s"] if result else f"> {args.before_timeout:.0f} s (stopped)"
        rows.append(row)
        print(json.dumps(row), flush=True)
    write_results(rows, args)


def write_results(rows, args):
    import numba
    lines = [f"# Kernel compile time ({datetime.date.today()})", "",
             f"`python benchmarks/bench_compile.py --repeats {args.repeats}`; {platform.machine()}, "
             f"{os.cpu_count()} CPUs (shared, loaded), Python {platform.python_version()}, "
             f"Numba {numba.__version__}. Seeded random mass-action networks (`benchmarks/_networks.py`); "
             f"every time is a fresh process with an empty kernel cache.", "",
             "| species | reactions | Jacobian non-zeros | style | before (dense sympy) | kernel cold "
             "(min–max) | all cold | warm | generation | µs / non-zero | model file | libRoadRunner load |",
             "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        before = r.get("before_s")
        before = fmt(before) if isinstance(before, float) else (before or "not run")
        lo, hi = r["cold_range"]
        lines.append(f"| {r['n']} | {r['reactions']} | {r['nnz']} | {r['style']} | {before} | "
                     f"{fmt(r['cold_s'])} ({lo:.2f}–{hi:.2f}) | {fmt(r['all_cold_s'])} | {fmt(r['warm_s'])} | "
                     f"{fmt(r['generate_s'])} | {1e6 * r['generate_s'] / r['nnz']:.0f} | "
                     f"{fmt(r['model_file_s'])} | {fmt(r['roadrunner_s'])} |")
    lines += ["", "One Rodas4 step's pieces (best of a few calls; a step is 1 Jacobian, 1 LU, 6 RHS, "
              "6 solves):", "", "| species | jac | rhs | sparse LU of W (stored entries) | dense pivoted LU of W |",
              "|---:|---:|---:|---:|---:|"]
    for r in rows:
        declined = "" if r["sparse_lu_status"] == 0 else " (declined)"
        lines.append(f"| {r['n']} | {r['jac_ms']:.3f} ms | {r['rhs_ms']:.3f} ms | {r['sparse_lu_ms']:.3f} ms "
                     f"({r['lu_size']:,}){declined} | {r['dense_lu_ms']:.3f} ms |")
    text = "\n".join(lines) + "\n"
    (HERE / "results_compile.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
