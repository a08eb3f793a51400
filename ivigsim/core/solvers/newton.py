"""Newton and chord iterations towards a steady state, compiled (warm starts of nearby points).

The same iterations as :func:`ivigsim.core.steady_state.newton` and
:func:`ivigsim.core.steady_state.chord`, for the warm-started case where a fit
calls them thousands of times with a few iterations each: the Python
versions spend most of their time in array bookkeeping, these in the model's
own right-hand side and Jacobian. ``y`` is refined in place on the species
``idx``; the conserved rows must reach ``totals``. Each returns the number of
iterations and writes the last scaled step to ``info[0]``; whether that is
converged, and what is done with the state, is decided by the caller.

Newton's matrix is ``[J[idx, idx]; conserved]``, columns scaled by each
species' magnitude ``|y| + atol`` and rows by their largest entry, solved in
the least-squares sense (conservation laws make the Jacobian rows dependent).

Every array must have exactly the declared type, C-ordered included: callers
go through the compiled entry point (:func:`ivigsim.core.solvers.batch.entry`),
which skips Numba's argument typing, so an F-ordered ``conserved`` (a
transpose, as soon as there are two laws) would be read scrambled.
"""

import numba as nb
import numpy as np
from numba import types

from ivigsim.core.kernel.signatures import JacFunction, RhsFunction

_NEWTON_SIGNATURE = types.int64(
    RhsFunction, JacFunction,
    types.float64[::1],        # y (n,): start, refined in place
    types.float64[::1],        # p
    types.float64[::1],        # atol (n,)
    types.int64[::1],          # idx (n_free,): species in the system
    types.float64[:, ::1],     # conserved (n_laws, n_free)
    types.float64[::1],        # totals (n_laws,)
    types.int64,               # max_iterations
    types.float64,             # step_tolerance
    types.float64,             # round_off_step
    types.float64[::1],        # info (1,): last scaled step
)

_CHORD_SIGNATURE = types.int64(
    RhsFunction,
    types.float64[:, ::1],     # inverse (n_free, n_free + n_laws): pseudo-inverse of the scaled matrix
    types.float64[::1],        # row (n_free + n_laws,) row scaling
    types.float64[::1],        # scale (n_free,) column scaling
    types.float64[::1],        # y (n,): start, refined in place
    types.float64[::1],        # p
    types.int64[::1],          # idx
    types.float64[:, ::1],     # conserved (n_laws, n_free)
    types.float64[::1],        # totals (n_laws,)
    types.int64,               # max_iterations
    types.float64,             # step_tolerance
    types.float64,             # round_off_step
    types.float64[::1],        # info (1,): last scaled step
)


@nb.njit(_NEWTON_SIGNATURE, cache=True, nogil=True)
def newton_iterate(rhs, jac, y, p, atol, idx, conserved, totals, max_iterations, step_tolerance,
                   round_off_step, info):
    """Newton's method with a fresh Jacobian every iteration (see the module docstring)."""
    n = y.shape[0]
    m = idx.shape[0]
    k = conserved.shape[0]
    f = np.empty(n)
    jacobian = np.zeros((n, n))
    a = np.empty((m + k, m))
    b = np.empty(m + k)
    scale = np.empty(m)
    step = np.inf
    previous = np.inf
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        rhs(y, p, f)
        jac(y, p, jacobian)
        for j in range(m):
            scale[j] = abs(y[idx[j]]) + atol[idx[j]]
        for i in range(m):
            for j in range(m):
                a[i, j] = jacobian[idx[i], idx[j]] * scale[j]
            b[i] = -f[idx[i]]
        for law in range(k):
            rest = totals[law]
            for j in range(m):
                a[m + law, j] = conserved[law, j] * scale[j]
                rest -= conserved[law, j] * y[idx[j]]
            b[m + law] = rest
        for i in range(m + k):
            largest = 0.0
            for j in range(m):
                largest = max(largest, abs(a[i, j]))
            if largest == 0.0:
                largest = 1.0
            for j in range(m):
                a[i, j] /= largest
            b[i] /= largest
        delta = np.linalg.lstsq(a, b)[0]
        finite = True
        largest = 0.0
        for j in range(m):
            if not np.isfinite(delta[j]):
                finite = False
            largest = max(largest, abs(delta[j]))
        if not finite:
            break
        previous = step
        step = largest
        for j in range(m):
            y[idx[j]] += delta[j] * scale[j]
        if step < round_off_step or (step < step_tolerance and step > 0.5 * previous):
            break
    info[0] = step
    return iteration


@nb.njit(_CHORD_SIGNATURE, cache=True, nogil=True)
def chord_iterate(rhs, inverse, row, scale, y, p, idx, conserved, totals, max_iterations, step_tolerance,
                  round_off_step, info):
    """The chord method: Newton's matrix frozen at a nearby state (see the module docstring)."""
    n = y.shape[0]
    m = idx.shape[0]
    k = conserved.shape[0]
    f = np.empty(n)
    b = np.empty(m + k)
    delta = np.empty(m)
    step = np.inf
    previous = np.inf
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        rhs(y, p, f)
        for i in range(m):
            b[i] = -f[idx[i]] / row[i]
        for law in range(k):
            rest = totals[law]
            for j in range(m):
                rest -= conserved[law, j] * y[idx[j]]
            b[m + law] = rest / row[m + law]
        finite = True
        largest = 0.0
        for j in range(m):
            d = 0.0
            for i in range(m + k):
                d += inverse[j, i] * b[i]
            if not np.isfinite(d):
                finite = False
            largest = max(largest, abs(d))
            delta[j] = d
        if not finite:
            break
        for j in range(m):
            y[idx[j]] += delta[j] * scale[j]
        previous = step
        step = largest
        if step < round_off_step or (step < step_tolerance and step > 0.5 * previous):
            break
        if step > 0.5 * previous:        # not contracting: the frozen matrix is too far off
            break
    info[0] = step
    return iteration
