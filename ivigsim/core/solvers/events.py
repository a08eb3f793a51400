"""Model events inside the Rodas4 time loop: root finding, the event queue, execution.

The time loop (:func:`ivigsim.core.solvers.rodas._drive`) calls these helpers;
they hold no loop over time of their own.

* After every accepted step the triggers are evaluated at the step's end.
  When one differs from its last value, the earliest time at which any
  trigger changes is found by bisection on the step's cubic Hermite dense
  output, to a relative 1e-15 of the time; the step is cut there and the
  state taken from the dense output. A trigger is a boolean, so bisection
  (not a secant method) is what converges for any combination of
  conditions; its cost is a Hermite evaluation and a trigger call per halving.
* A compound trigger (``k > 3.5 && k < 4``) may hold for a window shorter
  than a step, false at both of its ends. Each relation of such a trigger is
  therefore also monitored as a trigger of its own (entries after the events,
  ``has_delay`` -1; see :func:`ivigsim.core.kernel.events.monitored`): the
  window's opening and closing are changes of two different relations, seen at
  the step's end; the relations are followed from one change to the next
  through the step, and the step is cut at the first point where the event's
  own trigger changes. A relation that changes without changing its trigger
  cuts nothing (each cut restarts from the interpolated state, which costs
  accuracy). Monitored relations are only recorded, never queued or logged.
* A single comparison can change and change back inside one step (a level
  that dips below its threshold and recovers), unseen at both ends. The
  triggers are also sampled at ``N_INSIDE`` points of each accepted step's
  dense output (:func:`crossing_inside`); a change seen there is located by
  bisection as above. An excursion shorter than the samples' spacing (a
  quarter of the step) can still be missed. Models without events pay nothing.
* A rising trigger puts its event in the queue at ``t + delay``, with its
  assigned values computed now when they are taken at trigger time; a
  falling trigger removes the queued executions of a non-persistent event.
* Queued events due at the current time run one at a time, highest priority
  first (ties in the order they were queued, which is file order for events
  triggered together); after each, every trigger is evaluated again.
  Execution stops with ``EVENT_LOOP`` when more than ``MAX_EXECUTIONS_AT_ONE_TIME``
  events run at one instant (an event that re-triggers itself).

The time loop lands its steps on the next queued time as it does on dosing
switches, so dosing and model events share one ordered agenda. Dosing jumps
at a segment start are applied first, then the triggers are evaluated, so a
dose can trigger an event at the time it is given.
"""

import numba as nb
import numpy as np

# Status codes (continuing those of ivigsim.core.solvers.rodas).
EVENT_NAN = 5
EVENT_LOOP = 6
EVENT_QUEUE_FULL = 7
EVENT_BAD_DELAY = 8

STATUS_MESSAGES = {
    EVENT_NAN: "the trigger of an event is not a number (NaN)",
    EVENT_LOOP: "events re-triggered at one time more often than allowed (an event loop)",
    EVENT_QUEUE_FULL: "more delayed events are pending than the queue holds",
    EVENT_BAD_DELAY: "the delay of an event is negative or not a number",
}

MAX_EXECUTIONS_AT_ONE_TIME = 1000
QUEUE_SIZE = 256
# info array: [0] executions so far, [1] the event that failed, [2] queue sequence counter
INFO_EXECUTED, INFO_FAILED, INFO_SEQUENCE = 0, 1, 2
N_INFO = 3


@nb.njit(cache=True)
def hermite(t0, y0, f0, h, y1, f1, tq, out):
    """Cubic Hermite interpolant through (y0, f0) at t0 and (y1, f1) at t0 + h, at ``tq``."""
    th = (tq - t0) / h
    th2 = th * th
    th3 = th2 * th
    h00 = 2.0 * th3 - 3.0 * th2 + 1.0
    h10 = th3 - 2.0 * th2 + th
    h01 = -2.0 * th3 + 3.0 * th2
    h11 = th3 - th2
    for i in range(y0.shape[0]):
        out[i] = h00 * y0[i] + h10 * h * f0[i] + h01 * y1[i] + h11 * h * f1[i]


# Zero-length stand-in for ``has_delay`` where every entry counts.
_EVERY_ENTRY = np.zeros(0, dtype=np.int64)


@nb.njit(cache=True)
def _compare(g, state, has_delay, events_only, info):
    """1 if a trigger in ``g`` differs from ``state``, 0 if none, -1 (event in info) if one is NaN.

    With ``events_only`` the monitored relations (``has_delay`` -1) are skipped;
    otherwise ``has_delay`` is not read.
    """
    out = 0
    for e in range(g.shape[0]):
        if g[e] != g[e]:
            info[INFO_FAILED] = e
            return -1
        if events_only and has_delay[e] < 0:
            continue
        if (g[e] > 0.5) != (state[e] > 0.5):
            out = 1
    return out


@nb.njit(cache=True)
def _changed(g, state, info):
    """:func:`_compare` over every entry, the events' triggers and the monitored relations."""
    return _compare(g, state, _EVERY_ENTRY, False, info)


@nb.njit(cache=True)
def _probe(triggers, p, t0, y0, f0, h, y1, f1, tq, ref, has_delay, events_only, g, ybuf, info):
    """The dense output at ``tq`` into ``ybuf``, the triggers there into ``g``: :func:`_compare` with ``ref``."""
    hermite(t0, y0, f0, h, y1, f1, tq, ybuf)
    triggers(tq, ybuf, p, g)
    return _compare(g, ref, has_delay, events_only, info)


@nb.njit(cache=True)
def _bisect(triggers, p, t0, y0, f0, h, y1, f1, lo, hi, ref, has_delay, events_only, g, ybuf, info):
    """Narrow ``(lo, hi]`` on the dense output to where the triggers first differ from ``ref``.

    The triggers agree with ``ref`` at ``lo`` and differ at ``hi``; halving
    stops at a relative 1e-15 of the time (or when the midpoint no longer
    falls strictly inside). Returns the final ``hi``, or -1.0 (event in
    ``info``) if a trigger is NaN. ``g`` and ``ybuf`` hold the last midpoint's
    values, not ``hi``'s.
    """
    for _ in range(200):
        if hi - lo <= 1e-15 * max(1.0, abs(hi)):
            break
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        c = _probe(triggers, p, t0, y0, f0, h, y1, f1, mid, ref, has_delay, events_only, g, ybuf, info)
        if c < 0:
            return -1.0
        if c == 1:
            hi = mid
        else:
            lo = mid
    return hi


@nb.njit(cache=True)
def crossing_of_events(triggers, p, t0, y0, f0, h, y1, f1, state, has_delay, g, ybuf, info):
    """Earliest time in (t0, t0 + h] where an event's trigger differs from ``state``; the state there in ``ybuf``.

    The caller has seen a difference at ``t0 + h``; the crossing is located by
    bisection on the dense output. A change of a monitored relation alone does
    not cut the step.
    The relations of compound triggers (``has_delay`` -1) are followed through
    the step from one change to the next; the step is cut at the first point
    where an event's own trigger differs from ``state``, which catches a window
    that opens and closes inside the step. When no event's trigger changes
    anywhere, the relations' states are moved to their values at the step's end
    and -2.0 is returned: the caller accepts the whole step as it is, so that a
    relation that changes without changing its trigger (the interval of a
    trough-guided dose running out while the level is still above its
    threshold) costs no restart from the interpolated state. Returns -1.0
    (event in ``info``) if a trigger is NaN on the way.
    """
    n_ev = state.shape[0]
    work = state.copy()
    t_end = t0 + h
    lo = t0
    while True:
        hi = _bisect(triggers, p, t0, y0, f0, h, y1, f1, lo, t_end, work, has_delay, False, g, ybuf, info)
        if hi == -1.0 or _probe(triggers, p, t0, y0, f0, h, y1, f1, hi, work, has_delay, False, g, ybuf,
                                info) < 0:
            return -1.0
        for e in range(n_ev):
            if has_delay[e] >= 0 and (g[e] > 0.5) != (state[e] > 0.5):
                return hi
        for e in range(n_ev):
            if has_delay[e] < 0:
                work[e] = g[e]
        lo = hi
        if hi >= t_end:
            break
        triggers(t_end, y1, p, g)
        c = _changed(g, work, info)
        if c < 0:
            return -1.0
        if c == 0:
            break
    for e in range(n_ev):
        if has_delay[e] < 0:
            state[e] = work[e]
    return -2.0


#: Points inside each accepted step (at k / (N_INSIDE + 1) of it) where the triggers are sampled.
N_INSIDE = 3


@nb.njit(cache=True)
def crossing_inside(triggers, p, t0, y0, f0, h, y1, f1, state, has_delay, g, ybuf, info):
    """The first change of an event's trigger inside a step whose ends show none; -2.0 if none is seen.

    A trigger can change and change back within one step (a level that dips
    below its threshold and recovers): both ends agree with ``state``, and
    steps are not limited by triggers. The triggers are therefore sampled on
    the dense output at ``N_INSIDE`` points inside the step; at the first
    sample where an event's trigger differs from ``state``, the change is
    located by bisection between the previous sample and it, and its time is
    returned with the state there in ``ybuf``. An excursion shorter than the
    spacing of the samples (a quarter of the step) can still be missed.
    Without a change, ``g`` holds the triggers at the step's end again.
    Returns -1.0 (event in ``info``) if a trigger is NaN.
    """
    n_ev = state.shape[0]
    lo = t0
    for k in range(1, N_INSIDE + 1):
        hi = t0 + h * k / (N_INSIDE + 1)
        c = _probe(triggers, p, t0, y0, f0, h, y1, f1, hi, state, has_delay, True, g, ybuf, info)
        if c < 0:
            return -1.0
        if c == 1:
            hi = _bisect(triggers, p, t0, y0, f0, h, y1, f1, lo, hi, state, has_delay, True, g, ybuf, info)
            if hi == -1.0:
                return -1.0
            hermite(t0, y0, f0, h, y1, f1, hi, ybuf)
            return hi
        lo = hi
    triggers(t0 + h, y1, p, g)
    return -2.0


@nb.njit(cache=True)
def update(triggers, values, timing, t, y, p, state, persistent, use_trigger_values, has_delay,
           offsets, q_time, q_event, q_seq, q_active, q_vals, g, delay, priority, vbuf, info):
    """Evaluate the triggers at (t, y): queue rising events, cancel falling non-persistent ones.

    Returns 0, or a status code (the event in ``info``).
    """
    n_ev = state.shape[0]
    if n_ev == 0:
        return 0
    triggers(t, y, p, g)
    timed = False
    for e in range(n_ev):
        if g[e] != g[e]:
            info[INFO_FAILED] = e
            return EVENT_NAN
    for e in range(n_ev):
        if has_delay[e] < 0:     # a relation monitored on its own: only its value is kept
            state[e] = g[e]
            continue
        new = g[e] > 0.5
        old = state[e] > 0.5
        if new and not old:
            if not timed:
                timing(t, y, p, delay, priority)
                timed = True
            d = delay[e] if has_delay[e] else 0.0
            if not d >= 0.0:
                info[INFO_FAILED] = e
                return EVENT_BAD_DELAY
            slot = -1
            for k in range(q_active.shape[0]):
                if not q_active[k]:
                    slot = k
                    break
            if slot < 0:
                info[INFO_FAILED] = e
                return EVENT_QUEUE_FULL
            q_active[slot] = True
            q_time[slot] = t + d
            q_event[slot] = e
            q_seq[slot] = info[INFO_SEQUENCE]
            info[INFO_SEQUENCE] += 1
            if use_trigger_values[e]:
                values(e, t, y, p, vbuf)
                for k in range(offsets[e + 1] - offsets[e]):
                    q_vals[slot, k] = vbuf[k]
        elif old and not new and not persistent[e]:
            for k in range(q_active.shape[0]):
                if q_active[k] and q_event[k] == e:
                    q_active[k] = False
        state[e] = g[e]
    return 0


@nb.njit(cache=True)
def next_time(q_time, q_active):
    """The earliest queued execution time (inf if the queue is empty)."""
    best = np.inf
    for k in range(q_active.shape[0]):
        if q_active[k] and q_time[k] < best:
            best = q_time[k]
    return best


@nb.njit(cache=True)
def execute_due(triggers, values, timing, t, y, p, state, persistent, use_trigger_values, has_delay,
                offsets, targets, q_time, q_event, q_seq, q_active, q_vals, g, delay, priority, vbuf,
                log_t, log_e, info):
    """Run every queued event due at ``t`` (by priority), re-evaluating triggers after each.

    Returns (status, whether the state changed).
    """
    count = 0
    changed = False
    while True:
        best = -1
        for k in range(q_active.shape[0]):
            if q_active[k] and q_time[k] <= t:
                if best < 0:
                    timing(t, y, p, delay, priority)
                    best = k
                else:
                    pk, pb = priority[q_event[k]], priority[q_event[best]]
                    if pk > pb or (pk == pb and q_seq[k] < q_seq[best]):
                        best = k
        if best < 0:
            return 0, changed
        e = q_event[best]
        q_active[best] = False
        count += 1
        if count > MAX_EXECUTIONS_AT_ONE_TIME:
            info[INFO_FAILED] = e
            return EVENT_LOOP, changed
        m = offsets[e + 1] - offsets[e]
        if use_trigger_values[e]:
            for k in range(m):
                vbuf[k] = q_vals[best, k]
        else:
            values(e, t, y, p, vbuf)
        for k in range(m):
            y[targets[offsets[e] + k]] = vbuf[k]
        changed = True
        n = info[INFO_EXECUTED]
        if n < log_t.shape[0]:
            log_t[n] = t
            log_e[n] = e
        info[INFO_EXECUTED] = n + 1
        status = update(triggers, values, timing, t, y, p, state, persistent, use_trigger_values, has_delay,
                        offsets, q_time, q_event, q_seq, q_active, q_vals, g, delay, priority, vbuf, info)
        if status != 0:
            return status, changed


@nb.njit(cache=True)
def no_triggers(t, y, p, out):
    """The trigger function of a model without events."""
    pass


@nb.njit(cache=True)
def no_values(e, t, y, p, out):
    """The assignment function of a model without events."""
    pass


@nb.njit(cache=True)
def no_timing(t, y, p, delay, priority):
    """The timing function of a model without events."""
    pass
