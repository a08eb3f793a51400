"""Python time per sweep point around the compiled chunk call, when every point has its own patient.

    python benchmarks/bench_chunk_python.py [--points N] [--rounds R] [--output FILE]

A compiled chunk (``ivigsim.sweep.ensemble_compiled.run_compiled``) spends
its time in one compiled call (``ivigsim.core.solvers.ensemble.run_points``:
steady state, course, observables of every point) and in the Python around
it: grouping the points, ``prepare``, the schedules, initial values and
conservation rows, then the metrics. This benchmark measures that Python
part per point on sweeps whose points each have their own body weight (a
virtual population) or their own dose, where a chunk cannot share one
prepared problem across its points.

Sweeps (``fcrn_pk``, chunks of 25, one thread):

* ``virtual_population``: ``experiments/virtual_population.toml`` with N
  patients (body weight and four parameters per patient; 120 days);
* ``dose and body weight``: a Latin hypercube over the daily dose of a 5-day
  course, the body weight and the FcRn capacity (120 days), with a metric
  against the untreated patient (so every point is also run untreated);
* ``one patient``: the same hypercube at 70 kg and one dose, for reference
  (points share one prepared problem).

CPU time of the running thread (``time.thread_time``), split into the
compiled call and the rest; the per-point path (``ensemble.run_point``:
``prepare``, steady state and course point by point) runs the same points in
alternating order, as the reference of the same run; medians over rounds,
steady-state and regimen caches cleared before each (so every round pays
what one run pays). The metrics of the two paths are checked bit-identical.
A second table times ``ensemble.point_setup`` alone (each point's regimen,
parameters and weight) on the same sweeps and on the dose sweep over a year
of 13 courses, where each point builds a regimen of 65 infusions. Writes benchmarks/results_chunk_python.md (notes
below its marker line are kept).
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from bench_sweep_cpu import measure  # noqa: E402  (the same measurement, on these sweeps)
from sweep_helpers import metrics, sweep_toml  # noqa: E402  (the sweep files the tests write too)

CHUNK = 25
NOTES_MARKER = "<!-- notes below this line are kept by bench_chunk_python.py -->"

PER_PATIENT = {"dose_g_per_kg": {"low": 0.1, "high": 0.6}, "body_weight_kg": {"low": 40.0, "high": 120.0}}


def hypercube(n, variables=None, t_end_days=120.0, **course):
    """The dose-and-weight hypercube of fcrn_pk (or one patient without ``variables``), as TOML text."""
    return sweep_toml(name="bench_chunk_python", model="fcrn_pk", seed=11, t_end_days=t_end_days, n=n,
                      regimens={"course": {"kind": "ivig", "days": 5, "infusion_hours": 8, **course}},
                      variables={**(variables or {}), "fcrn_total": {"low": 0.5, "high": 1.5}},
                      metrics=metrics("nadir_pct", "nadir_vs_untreated_pct", "peak", "grams"))


def sweeps(tmp, n):
    """(label, experiment path) of the three sweeps."""
    population = (ROOT / "experiments" / "virtual_population.toml").read_text(encoding="utf-8")
    population = population.replace("n = 1000", f"n = {n}")
    paths = []
    for label, text in (("virtual_population", population),
                        ("dose and body weight", hypercube(n, PER_PATIENT)),
                        ("one patient (70 kg, 0.4 g/kg/day)", hypercube(n, dose_g_per_kg=0.4))):
        path = tmp / f"{len(paths)}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append((label, path))
    return paths


class first_pass_rounds:
    """Make every round of ``measure`` a first pass over the points' regimens too.

    ``measure`` clears the steady-state cache before each round. A sweep point's
    regimen is also cached (``ensemble._REGIMENS``, one entry per distinct
    regimen), so without this every round but the first would find the
    regimens of a dose sweep built, and the cost a real run pays once per
    point would not show. The regimen cache is cleared with the steady states.
    """

    def __enter__(self):
        from ivigsim.core import simulation
        from ivigsim.sweep import ensemble

        self.cache = simulation._STEADY_STATES
        clear = type(self.cache).clear
        self.cache.clear = lambda: (clear(self.cache), ensemble._REGIMENS.clear())
        return self

    def __exit__(self, *exc):
        del self.cache.clear
        return False


def regimen_setup_us(path, rounds):
    """Median µs per point of ``ensemble.point_setup`` (regimen, parameters, weight), regimens not cached.

    The regimen of each point is what ``point_setup`` builds (through
    ``RegimenSpec.build`` and ``regimen_from_data``); each round starts with
    an empty regimen cache, as a run does.
    """
    import statistics
    import time

    from ivigsim.core.catalogue import load_model
    from ivigsim.sweep import ensemble
    from ivigsim.sweep.experiment import load_experiment
    from ivigsim.sweep.samplers import sample_points

    experiment = load_experiment(path)
    spec = load_model(experiment.model)
    points = sample_points(experiment)
    samples = []
    for _ in range(rounds):
        ensemble._REGIMENS.clear()
        t = time.thread_time()
        for i in range(len(points)):
            ensemble.point_setup(experiment, spec, points, i)
        samples.append((time.thread_time() - t) / len(points) * 1e6)
    return statistics.median(samples)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--output", default=str(HERE / "results_chunk_python.md"))
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ivigsim_bench_chunk_python_"))
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True).stdout.strip()
    lines = ["# Python per sweep point around the compiled chunk call", "",
             f"Generated by `python benchmarks/bench_chunk_python.py --points {args.points} --rounds "
             f"{args.rounds}` on {datetime.date.today().isoformat()} (git {git}): fcrn_pk, chunks of {CHUNK}, "
             f"one thread, `time.thread_time`, medians of {args.rounds} rounds, the two paths alternating.", "",
             "| sweep | path | CPU ms / point | in the compiled call | Python | metrics bit-identical |",
             "|---|---|---:|---:|---:|:---:|"]
    setup = []
    for label, path in sweeps(tmp, args.points):
        with first_pass_rounds():
            result, same = measure(path, args.rounds)
        for name, (total, inside) in result.items():
            lines.append(f"| {label} | {name} | {total:.2f} | {inside:.2f} | {total - inside:.2f} | "
                         f"{'yes' if same else '**no**'} |")
            print(lines[-1], flush=True)
        setup.append((label, regimen_setup_us(path, max(args.rounds, 5))))
    year = tmp / "year.toml"            # the same sweep over a year of 13 courses: 65 infusions per regimen
    year.write_text(hypercube(args.points, PER_PATIENT, t_end_days=365.0, cycles=13, every_days=28),
                    encoding="utf-8")
    setup.append(("dose and body weight, one year of 13 courses (setup only)",
                  regimen_setup_us(year, max(args.rounds, 5))))
    lines += ["", "Each round starts with empty steady-state and regimen caches, as a run does. "
              "`ensemble.point_setup` alone (each point's regimen, parameters and body weight; "
              f"median of {max(args.rounds, 5)} passes over the points, regimens not cached):", "",
              "| sweep | µs / point |", "|---|---:|"]
    lines += [f"| {label} | {us:.1f} |" for label, us in setup]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    output = Path(args.output)
    notes = ""
    if output.exists() and NOTES_MARKER in output.read_text(encoding="utf-8"):
        notes = output.read_text(encoding="utf-8").split(NOTES_MARKER, 1)[1]
    output.write_text(text + "\n" + NOTES_MARKER + notes, encoding="utf-8")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
