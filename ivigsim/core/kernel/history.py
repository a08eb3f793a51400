"""The history of a run, for ``delay(x, tau)``: past states and slopes, interpolated.

A delay differential equation reads the state at ``t - tau``. The solver
keeps every accepted step's start ``(t, y, f(y))`` in a buffer, and the
kernel reads the past from it with the cubic Hermite interpolant through the
two entries around ``t - tau`` (the same dense output that event location
uses, order 3, so the delayed value is as accurate as the steps are).

Where the buffer lives
    At the end of the kernel's parameter vector ``p``, from index ``at`` on
    (``at`` = parameters + mechanism switches, fixed when the kernel is
    generated). The generated ``rhs``, ``jac`` and ``observables`` receive
    ``p`` already, so reading the past needs no other argument; the solver
    appends to it in place (:func:`record`).

Layout from ``at``: capacity ``M``, number of states ``n``, entries stored,
then ``M`` times, ``M x n`` states, ``M x n`` slopes.

Semantics (SBML's ``delay``)
    Before the first entry (``t - tau`` before the start) the value is the
    first entry's: the initial value. At a time with two entries (a dose or
    an event changed the state there) the later one counts: the state is
    right-continuous. A ``p`` with no buffer gives NaN, so a kernel of a
    delay model called outside a run with a history fails loudly, never
    silently.
"""

from __future__ import annotations

import numba as nb
import numpy as np

HEADER = 3
#: Status :func:`record` returns when the buffer is full (see ``rodas.STATUS_MESSAGES``).
HISTORY_FULL = 9


def size(n, capacity):
    """Length of a buffer of ``capacity`` entries of ``n`` states."""
    return HEADER + capacity * (1 + 2 * n)


def allocate(n, capacity, p=None):
    """``p`` (a kernel's parameter vector; default none) followed by an empty buffer.

    The buffer's pages are zeroed lazily by the system: a large capacity costs
    only what a run writes.
    """
    at = 0 if p is None else len(p)
    buffer = np.zeros(at + size(n, capacity))
    if at:
        buffer[:at] = p
    buffer[at] = capacity
    buffer[at + 1] = n
    return buffer


def start(p, at, t, y):
    """Empty the buffer at ``p[at:]`` and store the state ``y`` at the start ``t`` (its slope is
    set by the solver's first record): the right-hand side at the start reads it already."""
    capacity = int(p[at])
    p[at + 2] = 1.0
    p[at + HEADER] = t
    p[at + HEADER + capacity:at + HEADER + capacity + len(y)] = y


@nb.njit(cache=True, nogil=True)
def record(p, at, t, y, f):
    """Append ``(t, y, f)``; return 0, or HISTORY_FULL.

    The same time with the same state (a retried step, or the end of a step
    and the start of the next) updates the slope only; the same time with
    another state (after a dose or an event) is a new entry.
    """
    capacity = int(p[at])
    n = int(p[at + 1])
    count = int(p[at + 2])
    times = at + HEADER
    states = times + capacity
    slopes = states + capacity * n
    if count > 0 and p[times + count - 1] == t:
        same = True
        row = states + (count - 1) * n
        for i in range(n):
            if p[row + i] != y[i]:
                same = False
                break
        if same:
            for i in range(n):
                p[slopes + (count - 1) * n + i] = f[i]
            return 0
    if count == capacity:
        return HISTORY_FULL
    p[times + count] = t
    for i in range(n):
        p[states + count * n + i] = y[i]
        p[slopes + count * n + i] = f[i]
    p[at + 2] = count + 1
    return 0


@nb.njit(cache=True, nogil=True, inline="always")
def _interval(p, at, tq):
    """The last entry k with T[k] <= tq (-1 before the first), and the count."""
    count = int(p[at + 2])
    times = at + HEADER
    lo, hi = 0, count            # invariant: T[lo - 1] <= tq < T[hi]
    while lo < hi:
        mid = (lo + hi) // 2
        if p[times + mid] <= tq:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1, count


EMPTY = -2   # _locate's interval index for a buffer that holds no step yet


@nb.njit(cache=True, nogil=True, inline="always")
def _locate(p, at, tq):
    """(states, slopes, n, k, count) of the buffer at ``p[at:]`` for time ``tq``.

    ``states`` and ``slopes`` are the offsets of the stored states and slopes, ``n``
    the states per step, ``k`` the interval holding ``tq`` (-1 before the start,
    EMPTY when nothing is stored) and ``count`` the steps stored.
    """
    if p.shape[0] <= at + HEADER or p[at + 2] < 1:
        return 0, 0, 0, EMPTY, 0
    capacity = int(p[at])
    n = int(p[at + 1])
    states = at + HEADER + capacity
    k, count = _interval(p, at, tq)
    return states, states + capacity * n, n, k, count


@nb.njit(cache=True, nogil=True, error_model="numpy")
def value(p, at, i, tq):
    """State ``i`` at time ``tq`` (days), from the buffer at ``p[at:]``."""
    states, slopes, n, k, count = _locate(p, at, tq)
    if k == EMPTY:
        return np.nan
    if k < 0:
        return p[states + i]                         # before the start: the initial value
    if k == count - 1:
        return p[states + k * n + i]
    t0 = p[at + HEADER + k]
    h = p[at + HEADER + k + 1] - t0
    s = (tq - t0) / h
    y0, y1 = p[states + k * n + i], p[states + (k + 1) * n + i]
    f0, f1 = p[slopes + k * n + i], p[slopes + (k + 1) * n + i]
    r = 1.0 - s
    return (1.0 + 2.0 * s) * r * r * y0 + s * r * r * h * f0 + s * s * (3.0 - 2.0 * s) * y1 - s * s * r * h * f1


@nb.njit(cache=True, nogil=True, error_model="numpy")
def rate(p, at, i, tq):
    """d/dt of state ``i`` at time ``tq`` as :func:`value` interpolates it (0 before the start)."""
    states, slopes, n, k, count = _locate(p, at, tq)
    if k == EMPTY:
        return np.nan
    if k < 0:
        return 0.0
    if k == count - 1:
        return p[slopes + k * n + i]
    t0 = p[at + HEADER + k]
    h = p[at + HEADER + k + 1] - t0
    s = (tq - t0) / h
    y0, y1 = p[states + k * n + i], p[states + (k + 1) * n + i]
    f0, f1 = p[slopes + k * n + i], p[slopes + (k + 1) * n + i]
    return ((6.0 * s * s - 6.0 * s) * (y0 - y1) / h + (3.0 * s * s - 4.0 * s + 1.0) * f0
            + (3.0 * s * s - 2.0 * s) * f1)
