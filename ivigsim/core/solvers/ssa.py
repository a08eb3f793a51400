"""Stochastic simulation in Numba: Gillespie's direct method and explicit tau-leaping.

This module holds the compiled time loop of the stochastic solvers. The state
is a vector of integer counts (molecules or cells); a compiled model's
``rates(y, p, r)`` gives every reaction's rate as an amount per day from
concentrations ``y``, and the Python edge (:mod:`ivigsim.core.stochastic`) passes
the factors that turn counts into concentrations (``conc_per_count[i] =
1 / (scale_i * volume_i)``) and rates into propensities (``reaction_scale[k]``,
counts per amount unit of the reaction's species)::

    y_i = n_i * conc_per_count[i]          a_k = rates_k(y) * reaction_scale[k]   (events per day)

A reaction whose reactant has no count left has propensity 0 (it cannot fire
without its molecules), so no event drives a count negative whatever the rate
law. A rate law can still turn negative when it draws on a pool that is not a
species, such as free FcRn written as ``fcrn_total - bound``: whole-count
events can overdraw such a pool by less than one count (or, in a leap, by
more). A negative propensity then means the pool is exhausted and is set to 0;
each such evaluation is counted in the ``clamped_rates`` statistic. (A rate
law written as a net reversible flux would be misread this way: write the
reverse reaction separately, as the model format asks.) Each reactant is consumed once (coefficient 1, distinct species): a_k is
then the correct propensity for mass-action kinetics, since the product of
distinct counts is the number of reactant combinations. A homo-reaction such
as ``2 A ->`` would need ``n(n-1)/2`` combinatorics; the Python edge refuses it.

Dosing follows :mod:`ivigsim.core.solvers.rodas`: the time axis is cut into segments
at every infusion start/stop and bolus; at a segment start its bolus
``jump_counts`` are added; within a segment each infusion is a zero-order
"reaction" adding one count to its target at the constant propensity
``input_rates[s, j]`` (counts per day).

Direct method (Gillespie 1977)
------------------------------
With total propensity ``a0``, the waiting time to the next event is
exponential with rate ``a0`` and the event is reaction ``k`` with probability
``a_k / a0``. A waiting time that crosses a segment boundary is clipped to the
boundary and drawn afresh in the next segment: by memorylessness of the
exponential distribution this is exact. All propensities are recomputed after
each event through the compiled ``rates`` (O(reactions) per event; fine for the
small models here).

Explicit tau-leaping (Gillespie 2001)
-------------------------------------
Over a leap of fixed length ``tau`` the propensities are frozen, and each
channel fires ``Poisson(a_k tau)`` times. Leaps are also cut at segment
boundaries and output times. A leap that would make a count negative is
rejected and retried with half the length and fresh random numbers; once
the expected number of events in the leap ``a0 * tau`` falls below 1, a single
exact direct-method step is taken instead, after which leaping resumes at
the full ``tau``. Accuracy requires the propensities to change little over a
leap (``tau`` well below the fastest relaxation time); the stationary mean of a
linear system is exact, its variance is biased by O(tau).

Random numbers come from Numba's own generator (one state per thread),
seeded inside the compiled function with ``np.random.seed(seed)``: the same
seed gives the same trajectory.

Outputs: the state is piecewise constant; ``n_out[j]`` is the state in force
at ``t_out[j]`` (right-continuous: at a segment boundary, after its bolus; at
the very end, the final state).

References
----------
Gillespie DT. Exact stochastic simulation of coupled chemical reactions.
J Phys Chem 1977;81:2340-2361.
Gillespie DT. Approximate accelerated stochastic simulation of chemically
reacting systems. J Chem Phys 2001;115:1716-1733.
"""

import numba as nb
import numpy as np
from numba import types

from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.kernel.signatures import RATES_SIG

# simulate is compiled on first use, not at import (see ivigsim.core.kernel.lazy).
_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()

DIRECT = 0
TAU_LEAPING = 1

# Status codes returned by the compiled driver (see STATUS_MESSAGES).
SUCCESS = 0
MAX_EVENTS = 1
NOT_FINITE = 3

STATUS_MESSAGES = {
    SUCCESS: "success",
    MAX_EVENTS: "more events (or leaps) than allowed (max_events)",
    NOT_FINITE: "a reaction rate became NaN or infinite",
}

# Indices into the statistics array.
STAT_EVENTS, STAT_INPUT_EVENTS, STAT_LEAPS, STAT_REJECTED_LEAPS, STAT_EXACT_STEPS = 0, 1, 2, 3, 4
STAT_CLAMPED, STAT_BAD_REACTION = 5, 6
N_STATS = 7
STAT_NAMES = ("reaction_events", "input_events", "leaps", "rejected_leaps", "exact_steps",
              "clamped_rates", "bad_reaction")

RatesFunction = types.FunctionType(RATES_SIG)


@nb.njit(cache=True)
def _propensities(rates, p, counts, conc_per_count, y, r, reaction_scale, reactant_ptr,
                  reactant_species, a, stats):
    """Fill ``a`` (events per day); return their sum, or NaN if a rate is not finite."""
    n = counts.shape[0]
    m = a.shape[0]
    for i in range(n):
        y[i] = counts[i] * conc_per_count[i]
    rates(y, p, r)
    total = 0.0
    magnitude = 0.0
    for k in range(m):
        ak = r[k] * reaction_scale[k]
        if not np.isfinite(ak):
            stats[STAT_BAD_REACTION] = k
            return np.nan
        for j in range(reactant_ptr[k], reactant_ptr[k + 1]):
            if counts[reactant_species[j]] <= 0:
                ak = 0.0
                break
        a[k] = ak
        magnitude += abs(ak)
    for k in range(m):
        if a[k] < 0.0:
            # below -round-off: a pool written into the rate law (free FcRn = total - bound)
            # was overdrawn by whole-count events; it is exhausted, so the channel is closed
            if a[k] < -1e-12 * magnitude:
                stats[STAT_CLAMPED] += 1
            a[k] = 0.0
        total += a[k]
    return total


@nb.njit(cache=True)
def _fire(k, counts, change_ptr, change_species, change_delta, times):
    for j in range(change_ptr[k], change_ptr[k + 1]):
        counts[change_species[j]] += change_delta[j] * times


@nb.njit(cache=True)
def _choose(a, a0, b, b0):
    """Index of the channel that fires: reactions 0..m-1, then inputs m..m+n_inputs-1."""
    target = np.random.random() * (a0 + b0)
    acc = 0.0
    last = -1
    for k in range(a.shape[0]):
        if a[k] > 0.0:
            acc += a[k]
            last = k
            if target < acc:
                return k
    for j in range(b.shape[0]):
        if b[j] > 0.0:
            acc += b[j]
            last = a.shape[0] + j
            if target < acc:
                return last
    return last            # round-off at the very top of the range


@nb.njit(cache=True)
def _record(n_out, i_out, counts):
    for i in range(counts.shape[0]):
        n_out[i_out, i] = counts[i]


_SIGNATURE = types.int64(
    RatesFunction,
    types.int64,               # method: DIRECT or TAU_LEAPING
    types.float64[::1],        # p: kernel parameter vector
    types.int64[::1],          # n0 (n,): initial counts
    types.float64[::1],        # conc_per_count (n,): 1 / (scale * volume)
    types.float64[::1],        # reaction_scale (m,): counts per amount unit
    types.int64[::1],          # reactant_ptr (m + 1,)
    types.int64[::1],          # reactant_species
    types.int64[::1],          # change_ptr (m + 1,)
    types.int64[::1],          # change_species
    types.int64[::1],          # change_delta: net count change
    types.float64[::1],        # t_breaks (n_seg + 1,)
    types.float64[:, ::1],     # input_rates (n_seg, n_inputs): counts per day
    types.int64[::1],          # input_target (n_inputs,)
    types.int64[:, ::1],       # jump_counts (n_seg, n): added at each segment start
    types.float64[::1],        # t_out (n_out,), sorted, within [t_breaks[0], t_breaks[-1]]
    types.float64,             # tau: leap length, days (tau-leaping only)
    types.int64,               # seed, in [0, 2**32)
    types.int64,               # max_events: events (direct) or leaps + exact steps (tau)
    types.int64[:, ::1],       # n_out (n_out, n): counts at t_out
    types.int64[::1],          # stats (N_STATS,)
)


@_LAZY.define("simulate", _SIGNATURE, cache=True, nogil=True)
def _simulate(rates, method, p, n0, conc_per_count, reaction_scale, reactant_ptr, reactant_species,
             change_ptr, change_species, change_delta, t_breaks, input_rates, input_target,
             jump_counts, t_out, tau, seed, max_events, n_out, stats):
    """Run one stochastic trajectory across the segments; returns a status code."""
    np.random.seed(seed)
    n = n0.shape[0]
    m = reaction_scale.shape[0]
    n_seg = t_breaks.shape[0] - 1
    n_total_out = t_out.shape[0]
    counts = n0.copy()
    trial = np.empty(n, dtype=np.int64)
    fires = np.zeros(m, dtype=np.int64)
    y = np.empty(n)
    r = np.empty(m)
    a = np.empty(m)
    stats[STAT_BAD_REACTION] = -1
    t = t_breaks[0]
    i_out = 0
    work = 0
    for s in range(n_seg):
        t1 = t_breaks[s + 1]
        last = s == n_seg - 1
        for i in range(n):
            counts[i] += jump_counts[s, i]
        while i_out < n_total_out and t_out[i_out] <= t:
            _record(n_out, i_out, counts)
            i_out += 1
        if t1 <= t:
            continue
        b = input_rates[s]
        b0 = 0.0
        for j in range(b.shape[0]):
            b0 += b[j]
        h_leap = tau
        while t < t1:
            a0 = _propensities(rates, p, counts, conc_per_count, y, r, reaction_scale, reactant_ptr,
                               reactant_species, a, stats)
            if not np.isfinite(a0):
                return NOT_FINITE
            total = a0 + b0
            exact = method == DIRECT or total * h_leap < 1.0
            if exact:
                # one direct-method step (also the tau-leaping fallback)
                work += 1
                if work > max_events:
                    return MAX_EVENTS
                t_lim = t1
                if method != DIRECT:
                    stats[STAT_EXACT_STEPS] += 1
                    h_leap = tau
                    if i_out < n_total_out and t < t_out[i_out] < t1:
                        t_lim = t_out[i_out]
                t_next = np.inf
                if total > 0.0:
                    t_next = t - np.log(1.0 - np.random.random()) / total
                if t_next >= t_lim:
                    # no event before the limit: clip and draw afresh (memoryless)
                    while i_out < n_total_out and (t_out[i_out] < t_lim or
                                                   (t_out[i_out] <= t_lim and (t_lim < t1 or last))):
                        _record(n_out, i_out, counts)
                        i_out += 1
                    t = t_lim
                    continue
                while i_out < n_total_out and t_out[i_out] < t_next:
                    _record(n_out, i_out, counts)
                    i_out += 1
                k = _choose(a, a0, b, b0)
                if k < m:
                    _fire(k, counts, change_ptr, change_species, change_delta, 1)
                    stats[STAT_EVENTS] += 1
                else:
                    counts[input_target[k - m]] += 1
                    stats[STAT_INPUT_EVENTS] += 1
                t = t_next
                continue
            # explicit tau-leap, cut at the segment end and the next output time
            t_lim = t1
            if i_out < n_total_out and t < t_out[i_out] < t1:
                t_lim = t_out[i_out]
            h = h_leap
            t_new = t + h
            if t_new >= t_lim:
                t_new = t_lim
                h = t_lim - t
            work += 1
            if work > max_events:
                return MAX_EVENTS
            for i in range(n):
                trial[i] = counts[i]
            n_fired = 0
            for k in range(m):
                fires[k] = np.random.poisson(a[k] * h) if a[k] > 0.0 else 0
                if fires[k] > 0:
                    n_fired += fires[k]
                    _fire(k, trial, change_ptr, change_species, change_delta, fires[k])
            ok = True
            for i in range(n):
                if trial[i] < 0:
                    ok = False
                    break
            if not ok:
                stats[STAT_REJECTED_LEAPS] += 1
                h_leap = 0.5 * h
                continue
            n_input = 0
            for j in range(b.shape[0]):
                if b[j] > 0.0:
                    f = np.random.poisson(b[j] * h)
                    trial[input_target[j]] += f
                    n_input += f
            for i in range(n):
                counts[i] = trial[i]
            stats[STAT_EVENTS] += n_fired
            stats[STAT_INPUT_EVENTS] += n_input
            stats[STAT_LEAPS] += 1
            h_leap = tau
            t = t_new
            while i_out < n_total_out and (t_out[i_out] < t or
                                           (t_out[i_out] <= t and (t < t1 or last))):
                _record(n_out, i_out, counts)
                i_out += 1
    while i_out < n_total_out:          # outputs at the very end (t_out[-1] == t_breaks[-1])
        _record(n_out, i_out, counts)
        i_out += 1
    return SUCCESS
