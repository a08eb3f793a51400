"""Agent-model benchmark: the Numba core against a plain-Python implementation of the same rules.

    python benchmarks/bench_agents.py [--repeats N] [--replicates N] [--python-replicates N]

The case is the model's default scale, small enough for plain Python:
``nk_tumour_abm`` at ``inoculum_scale = 0.1`` (20,000 tumour cells i.v.,
10,000 NK cells), 14 days, dt = 0.01 day, driven by IVIG and IL-12 shaped
like the ODE model ``ivig_antitumour`` after 1 g/kg in a mouse. Both implementations take the
same packed parameters and per-step drivers (from ``prepare_agents``) and
count agent events the same way (every state change: NK
activation, deactivation, death, division, recruitment; tumour cell
clearance, seeding, apoptosis, NK kill, division, death).

* Numba: ``run_prepared`` (the compiled ``ivigsim.core.solvers.agents.run_replicates``),
  replicates in parallel over 2 threads (``numba.set_num_threads(2)``) and, for
  reference, 1 thread.
* Python: ``python_replicate`` below, the same algorithm in plain Python
  (lists, ``heapq``, ``random.Random``; numpy's Generator for the binomial and
  Poisson draws of whole pools, a few per step), one replicate after another.

Times are medians over repeats; each repeat runs every method in turn, so load
drifts on a shared machine hit all of them; ratios are between numbers
measured in the same run. The mean foci and NK kills of the two
implementations are compared (different random streams: they agree in
distribution, not number by number). Writes benchmarks/results_agents.md.
"""

from __future__ import annotations

import argparse
import datetime
import heapq
import math
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numba  # noqa: E402
import numpy as np  # noqa: E402

from bench_solver import machine_info  # noqa: E402
from ivigsim.core.agents.model import prepare_agents, replicate_seeds, run_prepared  # noqa: E402
from ivigsim.core.solvers import agents as core  # noqa: E402

SCALE = 0.1
T_END = 14.0
THREADS = 2


# --------------------------------------------------------------------------- the case

def case():
    """The benchmark case, resolved by ``prepare_agents`` (packed parameters, per-step drivers)."""
    t = np.linspace(0.0, 20.0, 401)
    drivers = {"t": t, "ivig_g_per_l": 12.5 * np.exp(-t * math.log(2.0) / 7.0),
               "il12_pg_per_ml": 10.0 + 57.0 * -np.expm1(-t / 0.7) * np.exp(-t / 30.0)}
    return prepare_agents("nk_tumour_abm", t_end=T_END, params={"inoculum_scale": SCALE},
                          drivers=drivers)


# --------------------------------------------------------------------------- plain Python

def python_replicate(seed, p, ivig, il12):
    """One replicate of the agent model in plain Python: the rules of ``ivigsim.core.solvers.agents``.

    Returns ``(events, foci alive at the end, NK kills)``.
    """
    rnd = random.Random(seed)
    gen = np.random.default_rng(seed)
    dt = p[core.P_DT]
    rest_factor, depletion, exhaust = p[core.P_REST_FACTOR], p[core.P_DEPLETION], p[core.P_EXHAUST_KILLS]
    state, kills, w = {}, {}, {}               # NK cell id -> state, kills, potency
    pools = ([], [], [])                       # ids per state (resting, activated, exhausted)
    where = {}                                 # id -> index in its pool
    wsum = [0.0, 0.0]
    counter = {"next_id": 0, "events": 0, "kills": 0}

    def add(i, s):
        where[i] = len(pools[s])
        pools[s].append(i)
        state[i] = s

    def remove(i):
        pool = pools[state[i]]
        j, last = where[i], pool[-1]
        pool[j] = last
        where[last] = j
        pool.pop()

    def move(i, to):
        s = state[i]
        if s != 2:
            wsum[s] = wsum[s] - w[i] if len(pools[s]) > 1 else 0.0
        remove(i)
        add(i, to)
        if to != 2:
            wsum[to] += w[i]

    def new_nk():
        i = counter["next_id"]
        counter["next_id"] += 1
        capacity = 0.0
        if rnd.random() >= p[core.P_NONKILLER]:
            capacity = rnd.random() ** (1.0 / p[core.P_CAPACITY_SHAPE])
        w[i], kills[i] = capacity, 0
        add(i, 0)
        wsum[0] += capacity

    def die(i):
        s = state[i]
        if s != 2:
            wsum[s] = wsum[s] - w[i] if len(pools[s]) > 1 else 0.0
        remove(i)
        del state[i], kills[i], w[i], where[i]

    def kill():
        s_act, s_rest = wsum[1], rest_factor * wsum[0]
        s = 1 if rnd.random() * (s_act + s_rest) < s_act else 0
        pool = pools[s]
        while True:
            i = pool[rnd.randrange(len(pool))]
            if rnd.random() < w[i]:
                kills[i] += 1
                wsum[s] -= w[i]
                w[i] *= depletion
                wsum[s] += w[i]
                if kills[i] >= exhaust:
                    move(i, 2)
                counter["kills"] += 1
                return

    def binomial(n, prob):
        return 0 if n <= 0 or prob <= 0.0 else n if prob >= 1.0 else int(gen.binomial(n, prob))

    for _ in range(int(p[core.P_NK0])):
        new_nk()
    circulating = int(p[core.P_TUMOUR0])
    cells, heap, alive = [], [], 0
    clock = 0.0
    for k in range(ivig.size):
        if k % 128 == 0:
            wsum[0] = sum(w[i] for i in pools[0])
            wsum[1] = sum(w[i] for i in pools[1])
        conc = ivig[k]
        apoptosis = p[core.P_APO_MAX] * conc / (conc + p[core.P_APO_EC50]) if conc > 0 else 0.0
        nk_hazard = max(0.0, p[core.P_ENCOUNTER] * (rest_factor * wsum[0] + wsum[1]))
        birth, death = p[core.P_BIRTH], p[core.P_DEATH] + apoptosis
        focus_kill = p[core.P_FOCUS_ACCESS] * nk_hazard
        per_cell = birth + death + focus_kill
        # circulating cells
        clearance, seeding = p[core.P_CLEARANCE], p[core.P_SEEDING]
        total = clearance + seeding + apoptosis + nk_hazard
        p_any = -math.expm1(-total * dt)
        n_any = binomial(circulating, p_any)
        if n_any:
            circulating -= n_any
            counter["events"] += n_any
            n_seed = binomial(n_any, seeding / total)
            rest = n_any - n_seed
            if rest:
                rest -= binomial(rest, clearance / (clearance + apoptosis + nk_hazard))
            n_kill = rest
            if rest and apoptosis > 0:
                n_kill = rest - binomial(rest, apoptosis / (apoptosis + nk_hazard))
            for _ in range(n_kill):
                kill()
            for _ in range(n_seed):
                tau = -math.log1p(-rnd.random() * p_any) / total
                cells.append(1)
                alive += 1
                heapq.heappush(heap, (clock + per_cell * tau + rnd.expovariate(1.0), len(cells) - 1))
        # foci, event by event
        clock_end = clock + per_cell * dt
        while heap and heap[0][0] <= clock_end:
            now, f = heapq.heappop(heap)
            u = rnd.random() * per_cell
            if u < birth:
                cells[f] += 1
            else:
                cells[f] -= 1
                if u >= birth + death:
                    kill()
            counter["events"] += 1
            if cells[f]:
                heapq.heappush(heap, (now + rnd.expovariate(1.0) / cells[f], f))
            else:
                alive -= 1
        clock = clock_end
        # NK cells
        x = il12[k] ** p[core.P_IL12_HILL]
        activation = p[core.P_ACT_MAX] * x / (x + p[core.P_IL12_EC50] ** p[core.P_IL12_HILL])
        leave = (activation, p[core.P_DEACT], 0.0)
        loss, divide = p[core.P_LOSS], p[core.P_PROLIF]
        total = (leave[0] + loss + divide, leave[1] + loss + divide, loss)
        chosen = [rnd.sample(pools[s], binomial(len(pools[s]), -math.expm1(-total[s] * dt)))
                  for s in range(3)]
        for s in range(3):
            counter["events"] += len(chosen[s])
            for i in chosen[s]:
                u = rnd.random() * total[s]
                if u < leave[s]:
                    move(i, 1 if s == 0 else 0)
                elif u < leave[s] + loss:
                    die(i)
                else:
                    new_nk()
        recruits = int(gen.poisson(p[core.P_SOURCE] * dt)) if p[core.P_SOURCE] > 0 else 0
        for _ in range(recruits):
            new_nk()
        counter["events"] += recruits
    return counter["events"], alive, counter["kills"]


# --------------------------------------------------------------------------- run

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--replicates", type=int, default=100, help="Numba replicates per repeat")
    ap.add_argument("--python-replicates", type=int, default=2, help="plain-Python replicates per repeat")
    ap.add_argument("--output", default=str(HERE / "results_agents.md"))
    args = ap.parse_args(argv)

    run = case()
    p = run.p
    seeds, _ = replicate_seeds(2024, args.replicates)
    threads_available = numba.config.NUMBA_NUM_THREADS
    thread_counts = sorted({1, min(THREADS, threads_available)})
    run_prepared(run, seeds[:2])                                   # compile (or load the cache)

    samples = {f"numba_{n}": [] for n in thread_counts} | {"python": []}
    events = {}
    numba_res = python_results = None
    for _ in range(args.repeats):
        for n in thread_counts:
            numba.set_num_threads(n)
            start = time.perf_counter()
            numba_res = run_prepared(run, seeds)
            samples[f"numba_{n}"].append(time.perf_counter() - start)
            events[f"numba_{n}"] = int(numba_res.events.sum())
        start = time.perf_counter()
        python_results = [python_replicate(int(s), p, run.ivig, run.il12)
                          for s in seeds[:args.python_replicates]]
        samples["python"].append(time.perf_counter() - start)
        events["python"] = sum(r[0] for r in python_results)
    numba.set_num_threads(threads_available)

    n_rep = {**{f"numba_{n}": args.replicates for n in thread_counts}, "python": args.python_replicates}
    rows = {}
    for label, xs in samples.items():
        med = statistics.median(xs)
        rows[label] = {"median_s": med, "min": min(xs), "max": max(xs),
                       "reps_per_s": n_rep[label] / med, "events_per_s": events[label] / med,
                       "events_per_rep": events[label] / n_rep[label]}
    py = rows["python"]
    names = {"python": "plain Python (1 thread)", **{f"numba_{n}": f"Numba core ({n} thread{'s' * (n > 1)})"
                                                     for n in thread_counts}}
    foci_nb = numba_res.foci_counts * SCALE                     # simulated (not scaled-back) foci
    kills_nb = numba_res.nk_kills
    foci_py = np.array([r[1] for r in python_results])
    kills_py = np.array([r[2] for r in python_results])

    info = machine_info()
    lines = [
        "# Agent-model benchmark: Numba core vs plain Python",
        "",
        f"- Date: {datetime.date.today().isoformat()}; command: `python benchmarks/bench_agents.py "
        f"--repeats {args.repeats} --replicates {args.replicates} --python-replicates {args.python_replicates}`",
        f"- Machine: {info['cpu']}; {info['cpus']} CPUs visible; Numba threads available: "
        f"{threads_available}; {info['os']}",
        f"- Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"- Case: `nk_tumour_abm`, inoculum_scale {SCALE:g} ({int(p[core.P_TUMOUR0]):,} tumour cells, "
        f"{int(p[core.P_NK0]):,} NK cells), {T_END:g} days, dt {p[core.P_DT]:g} day, "
        f"IVIG + IL-12 drivers shaped like `ivig_antitumour` after 1 g/kg",
        f"- Medians over {args.repeats} repeats (methods in turn within each repeat); "
        f"{args.replicates} Numba replicates and {args.python_replicates} plain-Python replicates per repeat",
        "",
        "| implementation | replicates | median s | min-max s | replicates/s | agent events/s | "
        "events/replicate | x plain Python (replicates/s) | x plain Python (events/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in ["python"] + [f"numba_{n}" for n in thread_counts]:
        r = rows[label]
        lines.append(
            f"| {names[label]} | {n_rep[label]} | {r['median_s']:.3f} | {r['min']:.3f}-{r['max']:.3f} | "
            f"{r['reps_per_s']:,.1f} | {r['events_per_s']:,.0f} | {r['events_per_rep']:,.0f} | "
            f"{r['reps_per_s'] / py['reps_per_s']:,.0f} | {r['events_per_s'] / py['events_per_s']:,.0f} |")
    se = math.sqrt(foci_nb.var(ddof=1) / foci_nb.size + foci_py.var(ddof=1) / max(foci_py.size, 1)) \
        if foci_py.size > 1 else float("nan")
    lines += [
        "",
        f"Same rules, different random streams: mean simulated foci at day 14 "
        f"{foci_nb.mean():.1f} (Numba, {foci_nb.size} replicates) vs {foci_py.mean():.1f} (plain Python, "
        f"{foci_py.size}); difference {foci_nb.mean() - foci_py.mean():+.1f} (SE {se:.1f}); "
        f"NK kills per replicate {kills_nb.mean():,.0f} vs {kills_py.mean():,.0f}.",
    ]
    best = max(thread_counts)
    ratio = rows[f"numba_{best}"]["events_per_s"] / py["events_per_s"]
    lines += [
        "",
        f"CPU time per agent event: plain Python {1e9 / py['events_per_s']:,.0f} ns, Numba core "
        f"{1e9 / rows['numba_1']['events_per_s']:,.0f} ns (1 thread). Both run the same aggregated "
        "algorithm: whole-pool binomial draws and C-level random numbers already keep plain Python "
        "at a few microseconds per event, and a Numba event costs 2-4 draws of Numba's Mersenne "
        "Twister plus pool bookkeeping.",
        "",
        f"Target: Numba core on {best} threads >= 100x plain Python (agent events/s): "
        f"{ratio:,.0f}x - {'met' if ratio >= 100 else 'NOT met'}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.output).write_text(text)
    return rows


if __name__ == "__main__":
    main()
