"""The sweep's untreated steady states: the warm start against the integration, per point.

    python benchmarks/bench_sweep_steady.py [--points N] [--full-points M] [--rounds R] [--models ...]

Every sweep point starts from its untreated steady state. The compiled chunk
call (``ivigsim.core.solvers.ensemble.run_points``) first tries Newton's
method from the nominal steady state with the point's own conserved totals
(``ivigsim.core.solvers.newton.warm_steady_state``), continues the
parameters from the nominal vector to the point's when that is refused
(``ivigsim.core.solvers.newton_continuation``), and integrates only when the
point's own solve still fails a check (not converged, a negative species,
not stable).
This benchmark measures, on the same points, the compiled chunk call with the
warm start and with it switched off (the nominal state withheld, so every
point integrates, as before the warm start existed):

* the CPU time (``time.thread_time``, one thread) of the compiled chunk calls
  per point, for one-day runs (the steady state and one day: the steady state
  alone, in effect) and for the sweep's year (13 courses), medians of R rounds,
  the two variants alternating;
* how many points kept the warm state, and why the others integrated;
* failed points, and the largest difference between the two variants'
  states at every output time, in units of the solver's local tolerance
  ``rtol |value| + atol`` (a start that differs by round-off changes the
  adaptive step sequence, so the courses differ by up to about that).

Two designs per model: the sweep benchmark's Latin hypercube (N points,
default 2,000: ``fcrn_total``, ``cl_uptake`` and ``aab_production``
log-uniform from half to twice their defaults, as ``bench_sweep.py``) and a
Latin hypercube over every parameter across its declared bounds (M points,
default 300, as the full-bounds test of ``tests/test_ensemble.py``).

Writes benchmarks/results_sweep_steady.md.
"""

from __future__ import annotations

import argparse
import collections
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

from bench_sweep import LoadMeter, experiment_toml, machine_info  # noqa: E402

CHUNK = 50
ATOL = 1e-9          # the experiments' absolute tolerance (ivigsim's default), every species
WARM_REASONS = {0: "kept", 1: "not converged", 2: "negative species", 3: "not stable", -1: "not tried"}


def full_bounds_toml(model, n, t_end):
    """A Latin hypercube over every parameter of ``model`` across its declared bounds (body weight aside)."""
    from ivigsim.core.catalogue import load_model
    spec = load_model(model)
    lines = ["[experiment]", f'name = "full_bounds_{model}"', f'model = "{model}"', "seed = 11",
             f"t_end_days = {t_end}", "output_step_days = 1.0", "",
             "[regimens.standard]", 'kind = "ivig"', "dose_g_per_kg = 0.4", "days = 5",
             "infusion_hours = 8", "every_days = 28", f"cycles = {int(t_end // 28) + 1}", "",
             "[sweep]", 'method = "latin_hypercube"', f"n = {n}"]
    for par in spec.parameters:
        low, high = par.bounds
        if par.name == "body_weight" or not low < high:
            continue
        scale = "log" if low > 0 and high / low >= 10 else "linear"
        lines += ["", f"[sweep.variables.{par.name}]", f"low = {low!r}", f"high = {high!r}",
                  f'scale = "{scale}"']
    lines += ["", "[metrics.peak]", 'kind = "max"', 'output = "igg_total"']
    return "\n".join(lines) + "\n"


def one_day(text):
    """The same experiment ending after one day: the compiled call is then the steady state, in effect."""
    out = []
    for line in text.splitlines():
        if line.startswith("t_end_days"):
            line = "t_end_days = 1.0"
        out.append(line)
    return "\n".join(out) + "\n"


class _Probe:
    """Times the compiled chunk calls (thread CPU) and keeps each point's warm-start outcome."""

    def __init__(self):
        from ivigsim.core import simulation
        from ivigsim.sweep import ensemble_compiled
        self.module, self.simulation = ensemble_compiled, simulation
        self.original_entry = ensemble_compiled.entry
        self.original_nominal = simulation.nominal_state
        self.seconds = 0.0
        self.outcomes = collections.Counter()
        self.warm = True

    def __enter__(self):
        from ivigsim.core.solvers import ensemble as compiled
        original_entry, probe = self.original_entry, self

        def entry(dispatcher):
            run = original_entry(dispatcher)

            def timed(*args):
                t = time.thread_time()
                try:
                    return run(*args)
                finally:
                    probe.seconds += time.thread_time() - t
                    # the lane entry point takes its lane kernels, scratch rows and groups first
                    offset = len(args) - len(compiled.RUN_POINTS_SIGNATURE.args)
                    steady, info = args[offset + 9], args[-2]
                    for k in np.flatnonzero(steady):
                        probe.outcomes[int(info[k, compiled.INFO_WARM])] += 1
            return timed
        self.module.entry = entry
        # the chunk (and simulate, for a point it re-runs) looks the nominal state up here
        self.simulation.nominal_state = lambda *a: self.original_nominal(*a) if self.warm else None
        return self

    def __exit__(self, *exc):
        self.module.entry = self.original_entry
        self.simulation.nominal_state = self.original_nominal


def run_design(text, rounds, log, label):
    """{variant: {...}} of one experiment text, both variants, medians over rounds."""
    from ivigsim.core import simulation
    from ivigsim.core.catalogue import load_model
    from ivigsim.sweep.ensemble import chunk_bounds, run_chunk
    from ivigsim.sweep.experiment import load_experiment
    from ivigsim.sweep.samplers import sample_points

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "experiment.toml"
        path.write_text(text)
        experiment = load_experiment(path)
    points = sample_points(experiment)
    n = len(points)
    bounds = chunk_bounds(n, CHUNK)
    run_chunk(experiment, points, 0, 0, min(2, n))                   # compile and load caches
    seconds = collections.defaultdict(list)
    found = {}
    with _Probe() as probe:
        for _ in range(rounds):
            for variant in ("warm", "cold"):
                probe.warm = variant == "warm"
                simulation._STEADY_STATES.clear()
                probe.seconds = 0.0
                probe.outcomes.clear()
                chunks = [run_chunk(experiment, points, k, a, b) for k, (a, b) in enumerate(bounds)]
                seconds[variant].append(probe.seconds / n)
                found[variant] = (np.concatenate([c.outputs for c in chunks]),
                                  sum(int((c.status != 0).sum()) for c in chunks),
                                  collections.Counter(probe.outcomes))
    (out_w, failed_w, outcomes), (out_c, failed_c, _) = found["warm"], found["cold"]
    n_obs = len(load_model(experiment.model).observable_names)
    out_w, out_c = out_w[:, :, n_obs:], out_c[:, :, n_obs:]          # the states, which the tolerances govern
    both = np.isfinite(out_w) & np.isfinite(out_c)
    local = experiment.rtol * np.abs(out_c[both]) + ATOL
    difference = float(np.max(np.abs(out_w[both] - out_c[both]) / local)) if both.any() else float("nan")
    result = {"n": n, "warm_ms": statistics.median(seconds["warm"]) * 1e3,
              "cold_ms": statistics.median(seconds["cold"]) * 1e3, "failed_warm": failed_w,
              "failed_cold": failed_c, "outcomes": outcomes, "difference": difference}
    log(f"  {label}: {n} points, compiled {result['warm_ms']:.3f} ms/point warm, {result['cold_ms']:.3f} cold; "
        f"outcomes {dict(outcomes)}; failed {failed_w}/{failed_c}; max difference {difference:.2g}")
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=2000, help="points of the sweep benchmark's hypercube")
    ap.add_argument("--full-points", type=int, default=300, help="points of the full-bounds hypercube")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", nargs="+", default=["fcrn_pk", "fcrn_pk_qss", "ivig_autoimmune"])
    ap.add_argument("--out", default=str(HERE / "results_sweep_steady.md"))
    args = ap.parse_args(argv)

    def log(msg):
        print(msg, flush=True)

    meter = LoadMeter()
    rows = []
    for model in args.models:
        designs = [("full bounds", full_bounds_toml(model, args.full_points, 365.0))]
        if model != "ivig_autoimmune":
            designs.insert(0, ("benchmark hypercube", experiment_toml(model, args.points)))
        for design, text in designs:
            for span, body in (("steady state + 1 day", one_day(text)), ("steady state + year", text)):
                label = f"{model}, {design}, {span}"
                rows.append((model, design, span, run_design(body, args.rounds, log, label)))
    others = meter.others()
    write(args, rows, others)


def write(args, rows, others):
    info = machine_info()
    out = ["# Sweep steady states: the warm start against the integration", "",
           f"Generated by `python benchmarks/bench_sweep_steady.py --points {args.points} --full-points "
           f"{args.full_points} --rounds {args.rounds}` on {datetime.date.today().isoformat()}.", "",
           f"- Machine: {info['cpu']}; {info['cpus']} CPUs; git {info['git']}; others' load during the run "
           f"{others:.2f} cores (CPU time is counted per thread, so the load inflates it little).",
           "- Compiled chunk calls (`ivigsim.core.solvers.ensemble.run_points`) in chunks of "
           f"{CHUNK}, one thread, `time.thread_time`, medians of {args.rounds} rounds; *warm*: as shipped "
           "(Newton from the nominal steady state with the point's own conserved totals, kept when it "
           "converged, no species is negative and the state is stable; where refused, the parameters "
           "continued from the nominal vector to the point's, a Newton solve per stage, and the point's own "
           "solve kept by the same checks; otherwise the integration); *cold*: "
           "the nominal state withheld, so every point integrates 4,000 days and then runs Newton.",
           "- Designs: the sweep benchmark's hypercube (`fcrn_total`, `cl_uptake`, `aab_production` "
           "log-uniform from ½× to 2× their defaults, 70 kg, 13 courses over a year) and a hypercube over "
           "every parameter across its declared bounds (as `tests/test_ensemble.py`). \"steady state + 1 day\" "
           "ends the runs after a day, so the compiled call is the steady state in effect.",
           "- Difference: the largest |warm - cold| / (rtol |cold| + atol) over every state, every day, every "
           "point, with rtol 1e-6 and atol 1e-9 (the experiments' tolerances): below 1, the two courses agree "
           "within the solver's local tolerance. The warm and the integrated steady states themselves agree to "
           "round-off (`tests/test_warm_steady_state.py`); a start that differs by round-off changes the "
           "adaptive step sequence, which the courses then carry.", "",
           "| model | design | runs | points | warm ms / point | cold ms / point | saved ms / point | kept warm "
           "| integrated (why) | failed warm / cold | max difference (local tolerances) |",
           "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    for model, design, span, r in rows:
        total = sum(r["outcomes"].values())
        kept = r["outcomes"].get(0, 0)
        why = ", ".join(f"{v} {WARM_REASONS.get(k, k)}" for k, v in sorted(r["outcomes"].items()) if k != 0) or "none"
        out.append(f"| {model} | {design} | {span} | {r['n']:,} | {r['warm_ms']:.3f} | {r['cold_ms']:.3f} | "
                   f"{r['cold_ms'] - r['warm_ms']:.3f} | {kept / total:.1%} | {why} | "
                   f"{r['failed_warm']} / {r['failed_cold']} | {r['difference']:.1e} |")
    Path(args.out).write_text("\n".join(out) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
