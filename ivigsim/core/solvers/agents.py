"""Agent-based NK–tumour core, in Numba: one replicate per ``prange`` iteration.

This module holds the one time loop of the agent model (``_replicate``); the
Python edge is :func:`ivigsim.core.agents.simulate_agents`, which builds the packed
parameter vector ``p`` (indices ``P_*`` below, every rate in 1/day, already
scaled by the inoculum scale) and the per-step driver arrays.

State of one replicate
----------------------
*NK cells are individuals.* Slot ``i`` holds a record ``nk[i]`` (state
``RESTING``, ``ACTIVATED`` or ``EXHAUSTED``; place in its pool; kills made;
ever activated) and a potency ``w[i] = capacity * depletion**kills`` (the
probability that an encounter with a tumour cell kills it, when activated;
``f_rest`` times that when resting). The capacity is drawn once
per cell: 0 with probability ``P_NONKILLER`` (non-killers), else Beta(shape, 1)
(mean shape / (shape + 1), many weak killers and a minority of strong ones).
Live cells of each state sit in a pool (``pools[state]``), so picking a
uniformly random member, or moving one to another state, is O(1). Freed slots
are reused (``free``; ``sizes[FREE]`` of them).

*Tumour cells carry only where they are*: circulating (intravascular, not yet
extravasated) or in lung focus ``f``. Cells in one place are exchangeable, so
the core keeps their numbers (``tum[T_CIRCULATING]``, ``cells[f]``): the
circulating cells' outcomes in a step are drawn in bulk (multinomial: the
exact distribution of independent per-cell outcomes), and the foci are
simulated event by event (division, death, NK kill), in time order.

Time stepping
-------------
Fixed step ``dt``; the drivers (IVIG, IL-12, one value per step) and the NK
killing potential are frozen over a step. One step:

1. circulating cells: competing risks clearance / seeding / IVIG apoptosis /
   NK kill, exact for constant rates; a seeded cell's seeding time within the
   step is drawn and its new focus lives from then on;
2. foci: every event due in the step, in time order (``_step_foci``: one
   hazard clock shared by all foci and a heap of their next events), exact
   for rates that are constant within a step;
3. NK cells: per pool, the number of cells with an event is binomial, they
   are picked uniformly, and each one's event (activation or deactivation,
   loss, division) is drawn in proportion to its rate; recruitment is Poisson.

A tumour cell's NK-kill hazard is ``encounter * (f_rest * S_rest + S_act)``
(``S`` = sum of potencies of a pool), times ``P_FOCUS_ACCESS`` in a focus.
Each kill is attributed to the NK cell that made it by simulating the
encounters: a uniformly chosen engaging NK cell kills with its potency, else
the next encounter is tried (rejection sampling: the killer is drawn with
probability proportional to its potency, at the cost of the encounters).
Without NK cells the scheme is exact for piecewise-constant drivers (the
means of the mean-field ODE, with the right variances); the NK–tumour
coupling (potencies frozen over a step, NK fates applied after the kills) is
first order in ``dt``.

Why a fixed step, with event-driven parts: the drivers are tabulated
(an infusion switches IL-12 induction within hours) and every kill changes
the NK killing potential, so a pure Gillespie scheme would need thinning for
the drivers and a new total propensity after each of ~10^5 events. With a
step, the drivers and the potential are read once per step, per-cell fates
within a step stay exact for the step's rates, and ``dt`` enters only through
the NK–tumour coupling (0.01 day: an 8 h infusion spans 33 steps).

Each replicate seeds Numba's (thread-local) generator with its own integer
seed and runs on one thread, so the results do not depend on the thread count.
"""

import numba as nb
import numpy as np

# Status codes (see STATUS_MESSAGES).
SUCCESS = 0
NK_CAPACITY = 1
ATTRIBUTION_FAILED = 2

STATUS_MESSAGES = {
    SUCCESS: "success",
    NK_CAPACITY: "more NK cells than the slots reserved for them",
    ATTRIBUTION_FAILED: "a kill could not be attributed to any NK cell",
}

# NK states: the pool a live cell sits in. sizes[FREE] counts the free slots.
RESTING, ACTIVATED, EXHAUSTED, FREE = 0, 1, 2, 3
# Fields of an NK record nk[i].
F_STATE, F_POS, F_KILLS, F_EVER = 0, 1, 2, 3

# Indices into the packed parameter vector p (rates in 1/day, counts in simulated cells).
(P_DT, P_TUMOUR0, P_NK0, P_NK_SLOTS, P_CLEARANCE, P_SEEDING, P_BIRTH, P_DEATH, P_APO_MAX,
 P_APO_EC50, P_FOCUS_ACCESS, P_ENCOUNTER, P_ACT_MAX, P_IL12_EC50, P_IL12_HILL, P_DEACT,
 P_PROLIF, P_LOSS, P_SOURCE, P_REST_FACTOR, P_NONKILLER, P_CAPACITY_SHAPE, P_DEPLETION,
 P_EXHAUST_KILLS) = range(24)
N_PARAMS = 24

# Per-replicate counters (running tallies during the run).
(C_EVENTS, C_FOCI_SEEDED, C_FOCI_ALIVE, C_KILLS, C_EXTINCT_STEP, C_STATUS) = range(6)
N_COUNTERS = 6
# Tumour tallies.
T_CIRCULATING, T_IN_FOCI, T_ACTIVE = 0, 1, 2

_RESUM_EVERY = 128            # steps between exact recomputations of the pool potency sums
_MAX_TRIES = 100_000_000      # encounters tried before a kill is declared unattributable


@nb.njit(cache=True, inline="always")
def _p_any(rate, dt):
    """Probability that an event of total rate ``rate`` (1/day) happens within ``dt``."""
    return -np.expm1(-rate * dt) if rate > 0.0 else 0.0


@nb.njit(cache=True, inline="always")
def _hill(x, ec50, n):
    if x <= 0.0:
        return 0.0
    xn = x ** n
    return xn / (xn + ec50 ** n)


@nb.njit(cache=True, inline="always")
def _binomial(n, prob):
    if n <= 0 or prob <= 0.0:
        return 0
    if prob >= 1.0:
        return n
    return np.random.binomial(n, prob)


# --------------------------------------------------------------------------
# NK cells
# --------------------------------------------------------------------------

@nb.njit(cache=True, inline="always")
def _pool_add(nk, pools, sizes, i, s):
    pools[s, sizes[s]] = i
    nk[i, F_POS] = sizes[s]
    nk[i, F_STATE] = s
    sizes[s] += 1


@nb.njit(cache=True, inline="always")
def _pool_remove(nk, pools, sizes, i):
    s = nk[i, F_STATE]
    j = nk[i, F_POS]
    last = pools[s, sizes[s] - 1]
    pools[s, j] = last
    nk[last, F_POS] = j
    sizes[s] -= 1


@nb.njit(cache=True, inline="always")
def _leave(nk, w, pools, sizes, wsum, i):
    """Take NK cell ``i`` out of its pool and its potency out of the pool's sum."""
    s = nk[i, F_STATE]
    if s != EXHAUSTED:
        wsum[s] = wsum[s] - w[i] if sizes[s] > 1 else 0.0
    _pool_remove(nk, pools, sizes, i)


@nb.njit(cache=True, inline="always")
def _move(nk, w, pools, sizes, wsum, i, to):
    """Move NK cell ``i`` to state ``to``, keeping the potency sums."""
    _leave(nk, w, pools, sizes, wsum, i)
    _pool_add(nk, pools, sizes, i, to)
    if to != EXHAUSTED:
        wsum[to] += w[i]
    if to == ACTIVATED:
        nk[i, F_EVER] = 1


@nb.njit(cache=True, inline="always")
def _nk_new(p, nk, w, pools, sizes, free, wsum):
    """A new resting NK cell with a freshly drawn capacity; False if no slot is free."""
    if sizes[FREE] == 0:
        return False
    sizes[FREE] -= 1
    i = free[sizes[FREE]]
    capacity = 0.0
    if np.random.random() >= p[P_NONKILLER]:
        capacity = np.random.random() ** (1.0 / p[P_CAPACITY_SHAPE])   # Beta(shape, 1)
    w[i] = capacity
    nk[i, F_KILLS] = 0
    nk[i, F_EVER] = 0
    _pool_add(nk, pools, sizes, i, RESTING)
    wsum[RESTING] += capacity
    return True


@nb.njit(cache=True, inline="always")
def _nk_count(nk, hist, i):
    """Add cell ``i`` to the kill histogram (at its death, or at the end)."""
    hist[nk[i, F_EVER], min(nk[i, F_KILLS], hist.shape[1] - 1)] += 1


@nb.njit(cache=True, inline="always")
def _nk_die(nk, w, pools, sizes, free, wsum, hist, i):
    _nk_count(nk, hist, i)
    _leave(nk, w, pools, sizes, wsum, i)
    free[sizes[FREE]] = i
    sizes[FREE] += 1


@nb.njit(cache=True, inline="always")
def _pick_distinct(nk, pools, sizes, s, k, chosen, start):
    """Pick ``k`` distinct members of pool ``s`` uniformly into ``chosen[start:start+k]``."""
    n = sizes[s]
    for m in range(k):
        j = np.random.randint(0, n - m)
        tail = n - 1 - m
        a = pools[s, j]
        b = pools[s, tail]
        pools[s, j] = b
        nk[b, F_POS] = j
        pools[s, tail] = a
        nk[a, F_POS] = tail
        chosen[start + m] = a


@nb.njit(cache=True)
def _resum(pools, sizes, w, wsum):
    for s in range(2):
        acc = 0.0
        for j in range(sizes[s]):
            acc += w[pools[s, j]]
        wsum[s] = acc


@nb.njit(cache=True)
def _kill(p, nk, w, pools, sizes, wsum):
    """Attribute one kill to an engaging NK cell drawn in proportion to its potency.

    Encounters with uniformly chosen cells of the chosen pool are tried until
    one kills. Returns False when no NK cell can kill.
    """
    s_act = wsum[ACTIVATED]
    s_rest = p[P_REST_FACTOR] * wsum[RESTING]
    if s_act + s_rest <= 0.0:
        return False
    s = ACTIVATED if np.random.random() * (s_act + s_rest) < s_act else RESTING
    n = sizes[s]
    if n == 0:
        return False
    for _ in range(_MAX_TRIES):
        i = pools[s, np.random.randint(0, n)]
        if np.random.random() < w[i]:
            nk[i, F_KILLS] += 1
            wsum[s] -= w[i]
            w[i] *= p[P_DEPLETION]               # granule depletion
            wsum[s] += w[i]
            if nk[i, F_KILLS] >= p[P_EXHAUST_KILLS]:
                _move(nk, w, pools, sizes, wsum, i, EXHAUSTED)
            return True
    return False


@nb.njit(cache=True)
def _kills(p, count, nk, w, pools, sizes, wsum):
    for _ in range(count):
        if not _kill(p, nk, w, pools, sizes, wsum):
            return False
    return True


@nb.njit(cache=True)
def _step_nk(p, dt, il12, nk, w, pools, sizes, free, wsum, chosen, hist, counters):
    """One step of NK turnover and (de)activation; False if the slots run out.

    Per pool, the number of cells with an event is binomial; those cells are
    picked uniformly (all pools before anything moves), and each one's event
    (activation or deactivation, loss, division) is drawn in proportion to its rate.
    """
    leave = (p[P_ACT_MAX] * _hill(il12, p[P_IL12_EC50], p[P_IL12_HILL]), p[P_DEACT], 0.0)
    loss, divide = p[P_LOSS], p[P_PROLIF]
    total = (leave[RESTING] + loss + divide, leave[ACTIVATED] + loss + divide, loss)
    n_any = (_binomial(sizes[RESTING], _p_any(total[RESTING], dt)),
             _binomial(sizes[ACTIVATED], _p_any(total[ACTIVATED], dt)),
             _binomial(sizes[EXHAUSTED], _p_any(total[EXHAUSTED], dt)))
    start = 0
    for s in range(3):
        _pick_distinct(nk, pools, sizes, s, n_any[s], chosen, start)
        start += n_any[s]
    j = 0
    for s in range(3):
        to = ACTIVATED if s == RESTING else RESTING
        rate_move, rate_total = leave[s], total[s]
        for m in range(j, j + n_any[s]):
            i = chosen[m]
            u = np.random.random() * rate_total
            if u < rate_move:
                _move(nk, w, pools, sizes, wsum, i, to)
            elif u < rate_move + loss:
                _nk_die(nk, w, pools, sizes, free, wsum, hist, i)
            elif not _nk_new(p, nk, w, pools, sizes, free, wsum):   # a resting daughter
                return False
        j += n_any[s]
    recruits = np.random.poisson(p[P_SOURCE] * dt) if p[P_SOURCE] > 0.0 else 0
    for _ in range(recruits):
        if not _nk_new(p, nk, w, pools, sizes, free, wsum):
            return False
    counters[C_EVENTS] += start + recruits
    return True


# --------------------------------------------------------------------------
# Tumour cells
# --------------------------------------------------------------------------

@nb.njit(cache=True, inline="always")
def _heap_push(keys, ids, heap, key, f):
    """Push focus ``f`` with clock value ``key`` on the binary min-heap (``heap[0]`` = size)."""
    j = heap[0]
    heap[0] += 1
    while j > 0:
        parent = (j - 1) // 2
        if keys[parent] <= key:
            break
        keys[j] = keys[parent]
        ids[j] = ids[parent]
        j = parent
    keys[j] = key
    ids[j] = f


@nb.njit(cache=True, inline="always")
def _heap_pop(keys, ids, heap):
    """Remove the top of the heap (read it first from ``keys[0]``, ``ids[0]``)."""
    heap[0] -= 1
    n = heap[0]
    key, f = keys[n], ids[n]
    j = 0
    while True:
        child = 2 * j + 1
        if child >= n:
            break
        if child + 1 < n and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[j] = keys[child]
        ids[j] = ids[child]
        j = child
    keys[j] = key
    ids[j] = f


@nb.njit(cache=True)
def _step_foci(p, clock, clock_end, birth, death, kill, cells, keys, ids, heap, tum, counters,
               nk, w, pools, sizes, wsum):
    """Every focus event whose time falls in this step, in order (exact event times).

    All focus cells share the per-cell rates ``birth + death + kill`` (well
    mixed), so one clock serves every focus: ``clock`` is their integrated
    per-cell hazard, and focus ``f`` has its next event when the clock reaches
    its key, ``clock_at_last_event + Exp(1) / cells[f]``. A heap keeps the
    foci by key; only foci with an event are touched. Returns False if a kill
    cannot be attributed.
    """
    per_cell = birth + death + kill
    while heap[0] > 0 and keys[0] <= clock_end:
        now, f = keys[0], ids[0]
        _heap_pop(keys, ids, heap)
        u = np.random.random() * per_cell
        if u < birth:
            cells[f] += 1
            tum[T_IN_FOCI] += 1
        else:
            cells[f] -= 1
            tum[T_IN_FOCI] -= 1
            if u >= birth + death:
                if not _kill(p, nk, w, pools, sizes, wsum):
                    return False
                counters[C_KILLS] += 1
        counters[C_EVENTS] += 1
        if cells[f] > 0:
            _heap_push(keys, ids, heap, now + np.random.exponential() / cells[f], f)
        else:
            tum[T_ACTIVE] -= 1
    return True


@nb.njit(cache=True)
def _step_circulating(p, dt, apoptosis, nk_hazard, clock, per_cell, cells, keys, ids, heap, tum,
                      counters, nk, w, pools, sizes, wsum):
    """Competing fates of the circulating cells over one step; False on a failed attribution.

    A seeded cell founds a one-cell focus at its seeding time within the step,
    and joins the heap with a clock key drawn from that time on.
    """
    clearance, seeding = p[P_CLEARANCE], p[P_SEEDING]
    total = clearance + seeding + apoptosis + nk_hazard
    p_any = _p_any(total, dt)
    n_any = _binomial(tum[T_CIRCULATING], p_any)
    if n_any == 0:
        return True
    tum[T_CIRCULATING] -= n_any
    counters[C_EVENTS] += n_any
    # which event: seeding, clearance, apoptosis or NK kill (multinomial)
    n_seed = _binomial(n_any, seeding / total)
    rest = n_any - n_seed
    if rest > 0:
        rest -= _binomial(rest, clearance / (clearance + apoptosis + nk_hazard))
    n_kill = rest
    if rest > 0 and apoptosis > 0.0:
        n_kill = rest - _binomial(rest, apoptosis / (apoptosis + nk_hazard))
    counters[C_KILLS] += n_kill
    if not _kills(p, n_kill, nk, w, pools, sizes, wsum):
        return False
    for _ in range(n_seed):
        # the seeding time within the step, given that the cell's first event fell in it
        tau = -np.log1p(-np.random.random() * p_any) / total
        f = counters[C_FOCI_SEEDED]
        counters[C_FOCI_SEEDED] += 1
        cells[f] = 1
        tum[T_IN_FOCI] += 1
        tum[T_ACTIVE] += 1
        _heap_push(keys, ids, heap, clock + per_cell * tau + np.random.exponential(), f)
    return True


# --------------------------------------------------------------------------
# The time loop
# --------------------------------------------------------------------------

@nb.njit(cache=True)
def _record(row, tum, sizes, tumour_out, nk_act_out, nk_out, foci_out):
    tumour_out[row] = tum[T_CIRCULATING] + tum[T_IN_FOCI]
    nk_act_out[row] = sizes[ACTIVATED]
    nk_out[row] = sizes[RESTING] + sizes[ACTIVATED] + sizes[EXHAUSTED]
    foci_out[row] = tum[T_ACTIVE]


@nb.njit(cache=True)
def _replicate(seed, p, ivig, il12, record_every, tumour_out, nk_act_out, nk_out, foci_out,
               hist, counters):
    """Run one replicate; fills its rows of the outputs and its counters."""
    np.random.seed(seed)
    dt = p[P_DT]
    counters[:] = 0
    counters[C_EXTINCT_STEP] = -1

    slots = int(p[P_NK_SLOTS])
    nk = np.zeros((slots, 4), dtype=np.int32)
    w = np.zeros(slots)
    pools = np.empty((3, slots), dtype=np.int32)
    chosen = np.empty(slots, dtype=np.int32)
    free = np.arange(slots - 1, -1, -1).astype(np.int32)
    sizes = np.zeros(4, dtype=np.int64)
    sizes[FREE] = slots
    wsum = np.zeros(2)
    for _ in range(int(p[P_NK0])):
        if not _nk_new(p, nk, w, pools, sizes, free, wsum):
            counters[C_STATUS] = NK_CAPACITY
            return

    # every focus starts from one seeded cell, so there are at most P_TUMOUR0 foci
    max_foci = max(int(p[P_TUMOUR0]), 1)
    cells = np.zeros(max_foci, dtype=np.int64)
    keys = np.empty(max_foci)                   # heap of foci with cells, by next-event clock
    ids = np.empty(max_foci, dtype=np.int64)
    heap = np.zeros(1, dtype=np.int64)
    clock = 0.0                                 # integrated per-cell hazard of focus cells
    tum = np.zeros(3, dtype=np.int64)
    tum[T_CIRCULATING] = int(p[P_TUMOUR0])
    if tum[T_CIRCULATING] == 0:
        counters[C_EXTINCT_STEP] = 0
    _record(0, tum, sizes, tumour_out, nk_act_out, nk_out, foci_out)

    for k in range(ivig.shape[0]):
        if k % _RESUM_EVERY == 0:
            _resum(pools, sizes, w, wsum)
        conc = ivig[k]
        apoptosis = p[P_APO_MAX] * conc / (conc + p[P_APO_EC50]) if conc > 0.0 else 0.0
        nk_hazard = max(0.0, p[P_ENCOUNTER] * (p[P_REST_FACTOR] * wsum[RESTING] + wsum[ACTIVATED]))
        death = p[P_DEATH] + apoptosis
        kill = p[P_FOCUS_ACCESS] * nk_hazard
        per_cell = p[P_BIRTH] + death + kill
        if not (_step_circulating(p, dt, apoptosis, nk_hazard, clock, per_cell, cells, keys, ids,
                                  heap, tum, counters, nk, w, pools, sizes, wsum)
                and _step_foci(p, clock, clock + per_cell * dt, p[P_BIRTH], death, kill, cells,
                               keys, ids, heap, tum, counters, nk, w, pools, sizes, wsum)):
            counters[C_STATUS] = ATTRIBUTION_FAILED
            return
        clock += per_cell * dt
        if not _step_nk(p, dt, il12[k], nk, w, pools, sizes, free, wsum, chosen, hist, counters):
            counters[C_STATUS] = NK_CAPACITY
            return
        if counters[C_EXTINCT_STEP] < 0 and tum[T_CIRCULATING] + tum[T_IN_FOCI] == 0:
            counters[C_EXTINCT_STEP] = k + 1
        if (k + 1) % record_every == 0:
            _record((k + 1) // record_every, tum, sizes, tumour_out, nk_act_out, nk_out, foci_out)

    for s in range(3):
        for j in range(sizes[s]):
            _nk_count(nk, hist, pools[s, j])
    counters[C_FOCI_ALIVE] = tum[T_ACTIVE]
    counters[C_STATUS] = SUCCESS


@nb.njit(cache=True, parallel=True)
def run_replicates(seeds, p, ivig, il12, record_every, tumour_out, nk_act_out, nk_out, foci_out,
                   hist, counters):
    """Run ``seeds.shape[0]`` independent replicates in parallel (one per ``prange`` iteration).

    Parameters
    ----------
    seeds : int64 (n_rep,)
        One seed per replicate (``0 <= seed < 2**32``).
    p : float64 (N_PARAMS,)
        Packed parameters, indices ``P_*``.
    ivig, il12 : float64 (n_steps,)
        Drivers per step (g/L and ng/L = pg/mL), frozen over the step.
    record_every : int
        Steps between recorded rows; row 0 is t = 0.
    tumour_out, nk_act_out, nk_out, foci_out : int64 (n_rep, n_steps // record_every + 1)
        Tumour cells, activated NK cells, live NK cells and foci with cells, per recorded row.
    hist : int64 (n_rep, 2, n_exhaust + 1)
        NK cells by kills made, never (0) or ever (1) activated, over every cell
        alive at some time in the run.
    counters : int64 (n_rep, N_COUNTERS)
        Events, foci seeded, foci alive at the end, NK kills, extinction step
        (-1: none), status (``STATUS_MESSAGES``).
    """
    for r in nb.prange(seeds.shape[0]):
        _replicate(seeds[r], p, ivig, il12, record_every, tumour_out[r], nk_act_out[r], nk_out[r],
                   foci_out[r], hist[r], counters[r])
