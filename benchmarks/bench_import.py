"""Import and cold start, fresh processes: ivigsim against ``import numba, scipy.integrate`` and libRoadRunner.

Each repeat starts a new interpreter for each statement (alternating, so that
the machine's load affects all alike) and times the statement inside it:

* ``import numba, scipy.integrate`` (the anchor of the import goal);
* ``import ivigsim``: goal at most 1.3x the anchor;
* cold start: ``import ivigsim`` plus one one-year simulation of ``fcrn_pk``
  (70 kg, 0.4 g/kg/day x 5 days every 28 days, 13 courses) with a warm kernel
  cache: goal under 1.0 s;
* libRoadRunner: ``import roadrunner``, load the same model and course
  exported as SBML (``iv.export_sbml``), simulate the same year (when
  libroadrunner is installed).

Prints the medians, the ratios, and the CPU seconds of each (user + system,
less sensitive to a shared machine's load than wall time).

    python benchmarks/bench_import.py [--repeats 11]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = ("import resource, time\n"
         "def cpu():\n"
         "    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime\n"
         "c = cpu(); t = time.perf_counter()\n"
         "{stmt}\n"
         "print(time.perf_counter() - t, cpu() - c)\n")
COURSE = "dict(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=13)"
STATEMENTS = {
    "anchor": "import numba, scipy.integrate",
    "ivigsim": "import ivigsim",
    "cold start": ("import ivigsim as iv\n"
                   f"res = iv.simulate('fcrn_pk', regimen=iv.Regimen.ivig(**{COURSE}), t_end=365, "
                   "body_weight_kg=70)\n"
                   "assert res['igg_total'].shape[0] > 300"),
    "libRoadRunner": ("import roadrunner\n"
                      "rr = roadrunner.RoadRunner({sbml!r})\n"
                      "out = rr.simulate(0, 365, 366)\n"
                      "assert out.shape[0] == 366"),
}


def time_statement(stmt: str) -> tuple[float, float]:
    """(wall s, CPU s) of ``stmt`` in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", PROBE.format(stmt=stmt)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args(argv)
    statements = dict(STATEMENTS)
    with tempfile.TemporaryDirectory(prefix="ivigsim_import_") as tmp:
        try:
            import roadrunner  # noqa: F401
            import ivigsim as iv
            sbml = Path(tmp) / "fcrn_pk.xml"
            iv.export_sbml("fcrn_pk", sbml, regimen=iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8,
                                                                     every_days=28, cycles=13),
                           body_weight_kg=70)
            statements["libRoadRunner"] = statements["libRoadRunner"].format(sbml=str(sbml))
        except ImportError:
            del statements["libRoadRunner"]
        for stmt in statements.values():      # warm the file system and the kernel caches once
            time_statement(stmt)
        times = {name: [] for name in statements}
        for _ in range(args.repeats):
            for name, stmt in statements.items():
                times[name].append(time_statement(stmt))
    wall = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in times.items()}
    print(f"{args.repeats} repeats, 1-minute load average {os.getloadavg()[0]:.1f}")
    for name in statements:
        print(f"{name:15s} median {wall[name] * 1e3:8.1f} ms wall (min {min(w for w, _ in times[name]) * 1e3:.1f}),"
              f" {cpu[name] * 1e3:8.1f} ms CPU")
    print(f"import ratio ivigsim / anchor: {wall['ivigsim'] / wall['anchor']:.2f} wall, "
          f"{cpu['ivigsim'] / cpu['anchor']:.2f} CPU (goal <= 1.3)")
    print(f"cold start: {wall['cold start']:.3f} s wall, {cpu['cold start']:.3f} s CPU (goal < 1.0 s)")
    if "libRoadRunner" in wall:
        print(f"cold start / libRoadRunner: {wall['cold start'] / wall['libRoadRunner']:.2f} wall, "
              f"{cpu['cold start'] / cpu['libRoadRunner']:.2f} CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
