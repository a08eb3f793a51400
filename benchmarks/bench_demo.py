"""Teaching-demo benchmark: how long one slider move takes, and what the web page costs to make.

    python benchmarks/bench_demo.py [--moves N] [--seed S] [--no-html]

The matplotlib window (``ivigsim.interfaces.demo.LessonWindow``) is built on the Agg
backend, as in the tests, and driven through its own callbacks: N moves
(default 300) of a seeded random walk over the sliders, one slider at a time,
each move one to three slider steps, plus a mechanism check box toggled every
15 moves. What is timed per move:

* **move**: ``slider.set_val(v)`` (or ``checks.set_active(i)``) until it
  returns: the callback recomputes the lesson (``Lesson.compute``: four
  simulations through ``execute`` on a model prepared once, cached results and
  the cached steady state reused where the settings allow) and redraws what
  changed (``RegionRedraw``: curves and numbers over cached backgrounds; axes
  drawn again only when their limits changed). This is the response time a
  student sees, less the screen's own copy of the pixels.
* **compute**: ``Lesson.compute`` alone for the same settings, in a second pass
  with the lesson's result cache emptied before each call (so every move
  simulates; the steady-state cache of ``ivigsim.core.simulation`` is kept, as in
  the window).
* **full redraw**: ``canvas.draw()`` of the whole figure (what every move would
  cost without the partial redraws), 20 times.

Then, unless ``--no-html``, ``demo_html`` writes the web-page lesson with its
default grid: wall time and file size.

Medians and 90th percentiles are reported. The machine is shared: the load
average before and after is printed with the results. Writes
benchmarks/results_demo.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from ivigsim.interfaces.demo import CONTROLS, Lesson, LessonWindow  # noqa: E402


def percentile(samples, q):
    return float(np.percentile(np.asarray(samples), q))


def load():
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def walk(window, moves, seed):
    """The seeded move sequence: (kind, name, value) tuples, starting from the window's settings."""
    rng = np.random.default_rng(seed)
    values = {c.name: window.sliders[c.name].val for c in CONTROLS}
    sequence = []
    for k in range(moves):
        if k % 15 == 14:
            sequence.append(("check", int(rng.integers(2)), None))
            continue
        control = CONTROLS[int(rng.integers(len(CONTROLS)))]
        step = control.step * control.scale
        low, high = control.low * control.scale, control.high * control.scale
        value = values[control.name] + step * int(rng.choice([-3, -2, -1, 1, 2, 3]))
        value = float(np.clip(value, low, high))
        if value == values[control.name]:
            value = float(np.clip(values[control.name] - step, low, high))
        values[control.name] = value
        sequence.append(("slider", control.name, value))
    return sequence


def drive(window, sequence):
    """Time every move; returns (seconds per move, per-move redraw record)."""
    times, record = [], []
    for kind, name, value in sequence:
        start = time.perf_counter()
        if kind == "check":
            window.checks.set_active(name)
        else:
            window.sliders[name].set_val(value)
        times.append(time.perf_counter() - start)
        record.append((kind, name, window.blitted, list(window._fast.restyled)))
    return times, record


def compute_only(window, sequence):
    """Lesson.compute for each move's settings, with the result cache emptied first."""
    window.reset()
    settings_seen = []
    for kind, name, value in sequence:
        if kind == "check":
            window.checks.set_active(name)
        else:
            window.sliders[name].set_val(value)
        settings_seen.append(window.settings())
    lesson = window.lesson
    times = []
    for settings in settings_seen:
        lesson._runs.clear()
        start = time.perf_counter()
        lesson.compute(settings)
        times.append(time.perf_counter() - start)
    return times


def full_redraws(window, n=20):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        window.fig.canvas.draw()
        times.append(time.perf_counter() - start)
    return times


def html_generation():
    from ivigsim.interfaces.demo import demo_html
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = demo_html(Path(tmp) / "lesson.html")
        seconds = time.perf_counter() - start
        return seconds, path.stat().st_size


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=ROOT, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def row(label, samples):
    ms = [1e3 * s for s in samples]
    return (f"| {label} | {len(ms)} | {statistics.median(ms):.1f} | {percentile(ms, 90):.1f} | "
            f"{min(ms):.1f} | {max(ms):.1f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--no-html", action="store_true")
    args = parser.parse_args(argv)

    load_before = load()
    started = time.perf_counter()
    window = LessonWindow(Lesson())
    window.fig.canvas.draw()
    build_s = time.perf_counter() - started
    sequence = walk(window, args.moves, args.seed)
    move_times, record = drive(window, sequence)
    slider_times = [t for t, (kind, *_rest) in zip(move_times, record) if kind == "slider"]
    check_times = [t for t, (kind, *_rest) in zip(move_times, record) if kind == "check"]
    blitted = sum(1 for _, _, b, _ in record if b)
    restyled = sum(1 for _, _, _, r in record if r)
    by_slider = {}
    for t, (kind, name, _, _) in zip(move_times, record):
        if kind == "slider":
            by_slider.setdefault(name, []).append(t)
    compute_times = compute_only(window, sequence)
    draw_times = full_redraws(window)
    html = None if args.no_html else html_generation()
    load_after = load()

    cpu = platform.processor() or "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        "# Teaching-demo benchmark", "",
        f"Generated by `python benchmarks/bench_demo.py --moves {args.moves}` on "
        f"{datetime.date.today().isoformat()}.", "",
        f"- Machine: {cpu}; {os.cpu_count()} CPUs; {platform.platform()}; load average (1 min) "
        f"{load_before:.2f} before, {load_after:.2f} after (the machine is shared).",
        f"- Versions: python {platform.python_version()}, numpy {np.__version__}, matplotlib "
        f"{matplotlib.__version__} (Agg backend); git {git_commit()}.",
        f"- Window built and first drawn in {build_s:.1f} s (imports, kernel load, first full draw).",
        f"- Moves: a seeded random walk (seed {args.seed}) of {args.moves} moves over the "
        f"{len(CONTROLS)} sliders, 1 to 3 steps each, a mechanism check box toggled every 15th move. "
        "Model `ivig_autoimmune`, 70 kg, default horizon 168 days (the walk moves it between 28 and 364).",
        "",
        "### Response per move (ms)", "",
        "| what | n | median | p90 | min | max |", "|---|---:|---:|---:|---:|---:|",
        row("slider move: recompute + partial redraw", slider_times),
        row("check box: recompute + partial redraw", check_times),
        row("`Lesson.compute` alone, no result cache", compute_times),
        row("full redraw of the figure (`canvas.draw()`)", draw_times),
        "",
        f"{blitted} of {len(record)} moves were partial redraws; in {restyled} of them some axes were "
        "drawn again because their limits changed (axis tops are round numbers kept while the curves "
        "fill at least 40 % of them).",
        "",
        "### Slider moves by slider (ms)", "",
        "| slider | n | median | p90 | min | max |", "|---|---:|---:|---:|---:|---:|",
        *[row(f"`{name}`", times) for name, times in by_slider.items()],
        "",
    ]
    if html is not None:
        lines += ["### Web-page lesson", "",
                  f"`demo_html` with the default grid (720 grid points, 1,623 simulations through the "
                  f"ensemble engine): {html[0]:.1f} s, {html[1] / 1e6:.2f} MB.", ""]
    text = "\n".join(lines)
    print(text)
    (HERE / "results_demo.md").write_text(text)


if __name__ == "__main__":
    main()
