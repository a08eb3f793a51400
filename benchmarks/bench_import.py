"""Import time: ``import ivigsim`` against ``import numba, scipy.integrate``, fresh processes.

Each repeat starts a new interpreter for each of the two imports (alternating, so
that the machine's load affects both alike) and times the import statement
inside it.  Prints the medians and their ratio; the goal is a ratio of at most 1.3.

    python benchmarks/bench_import.py [--repeats 11]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
STATEMENTS = {"anchor": "import numba, scipy.integrate", "ivigsim": "import ivigsim"}


def time_import(stmt: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE.format(stmt=stmt)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args(argv)
    for stmt in STATEMENTS.values():          # warm the file system and Numba's caches once
        time_import(stmt)
    times = {name: [] for name in STATEMENTS}
    for _ in range(args.repeats):
        for name, stmt in STATEMENTS.items():
            times[name].append(time_import(stmt))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, stmt in STATEMENTS.items():
        print(f"{stmt:35s} median {medians[name] * 1e3:8.1f} ms  (min {min(times[name]) * 1e3:.1f} ms)")
    print(f"ratio ivigsim / anchor: {medians['ivigsim'] / medians['anchor']:.2f} (goal <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
