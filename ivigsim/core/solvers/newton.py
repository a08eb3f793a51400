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

:func:`warm_steady_state` is the whole warm start of a sweep point or of one
simulation (:func:`ivigsim.core.steady_state.warm_start`): Newton's method
from a nearby steady state with the point's own conserved totals, and the
checks that decide whether its result can stand for the integration: the
scaled step converged, every species finite and not below ``-atol``, and the
state stable on the conserved manifold. Its Newton matrix is square: each
conservation law replaces the Jacobian row of one species of its pool (the
rows of ``J`` are dependent, ``C J = 0``, so that row carries nothing the
others do not), which a partial-pivoting LU solves in a fraction of the time
of the least-squares solve.

Every function here compiles on first use (:class:`ivigsim.core.kernel.lazy.LazyJit`).
"""

import numba as nb
import numpy as np
from numba import types
from numba.extending import overload

from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.kernel.signatures import JacFunction, RhsFunction

_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()

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


@_LAZY.define("newton_iterate", _NEWTON_SIGNATURE, cache=True, nogil=True)
def _newton_iterate(rhs, jac, y, p, atol, idx, conserved, totals, max_iterations, step_tolerance,
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


@_LAZY.define("chord_iterate", _CHORD_SIGNATURE, cache=True, nogil=True)
def _chord_iterate(rhs, inverse, row, scale, y, p, idx, conserved, totals, max_iterations, step_tolerance,
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


# --------------------------------------------------------------------------- warm start
#: Outcomes of :func:`warm_steady_state`.
WARM_OK, WARM_NOT_CONVERGED, WARM_NEGATIVE, WARM_UNSTABLE = 0, 1, 2, 3
#: Indices into its ``info``: iterations, last scaled step, scaled residual (per day) and the
#: largest real part of an eigenvalue on the conserved manifold over the spectral radius.
WARM_ITERATIONS, WARM_STEP, WARM_RESIDUAL, WARM_GROWTH = 0, 1, 2, 3
N_WARM_INFO = 4

#: A warm state with a species non-zero but below this fraction of its absolute tolerance is refused.
DUST = 1e-6

_WARM_SIGNATURE = types.int64(
    RhsFunction, JacFunction,
    types.float64[::1],        # nominal (n,): the start of the species in the system
    types.float64[::1],        # y_init (n,): the point's initial values (its totals, the other species)
    types.float64[::1],        # p
    types.float64[::1],        # atol (n,)
    types.int64[::1],          # idx (n_free,): species in the system
    types.float64[:, ::1],     # conserved (n_laws, n_free)
    types.int64,               # max_iterations
    types.float64,             # step_tolerance
    types.float64,             # round_off_step
    types.float64,             # stability_tolerance
    types.float64[::1],        # y (n,): the result
    types.float64[::1],        # info (N_WARM_INFO,)
)

def largest_growth_rate(a):
    """Largest real part of an eigenvalue of the square matrix ``a`` over its spectral radius.

    ``inf`` when the eigenvalues could not be computed. (Compiled, LAPACK's
    ``dgeev`` is called directly: Numba's ``eigvals`` of a real matrix refuses
    complex eigenvalues under NumPy < 2.5.)
    """
    if a.shape[0] == 0:
        return -np.inf
    w = np.linalg.eigvals(a)
    radius = float(np.max(np.abs(w)))
    if not np.all(np.isfinite(w)):
        return np.inf
    return float(np.max(w.real)) / radius if radius > 0 else 0.0


@overload(largest_growth_rate)
def _largest_growth_rate_compiled(a):
    from numba.np.linalg import ensure_lapack

    ensure_lapack()
    # numba's own binding of LAPACK xGEEV (eigenvalues of a general matrix), as np.linalg.eigvals uses it
    geev = types.ExternalFunction("numba_ez_rgeev", types.intc(
        types.char, types.char, types.char, types.intp, types.CPointer(types.float64), types.intp,
        types.CPointer(types.float64), types.CPointer(types.float64), types.CPointer(types.float64),
        types.intp, types.CPointer(types.float64), types.intp))
    kind, no_vectors = ord("d"), ord("N")

    def impl(a):
        n = a.shape[0]
        if n == 0:
            return -np.inf
        # LAPACK reads columns: a C-ordered copy is the transpose, whose eigenvalues are the same
        work = a.copy()
        wr = np.empty(n)
        wi = np.empty(n)
        unused = np.empty(1)
        code = geev(kind, no_vectors, no_vectors, n, work.ctypes, n, wr.ctypes, wi.ctypes, unused.ctypes, 1,
                    unused.ctypes, 1)
        if code != 0 or work.shape[0] != n or unused.shape[0] != 1:   # (the shapes keep the arrays alive)
            return np.inf
        radius = 0.0
        largest = -np.inf
        for i in range(n):
            if not (np.isfinite(wr[i]) and np.isfinite(wi[i])):
                return np.inf
            radius = max(radius, np.hypot(wr[i], wi[i]))
            largest = max(largest, wr[i])
        return largest / radius if radius > 0 else 0.0
    return impl


@nb.njit(cache=True, nogil=True)
def _law_pivots(conserved, scale, reduced, pivot):
    """Gauss-Jordan elimination of the conservation rows with complete pivoting.

    ``pivot[r]`` receives the species (position in the system) that law ``r``
    determines, chosen by the largest amount ``|C| (|y| + atol)``; ``reduced``
    the rows in reduced echelon form (``reduced[:, pivot] = I``), so that
    ``y[pivot[r]] = const - sum over the other species of reduced[r] y``.
    Returns False when the rows are dependent.
    """
    k, m = conserved.shape
    for r in range(k):
        for j in range(m):
            reduced[r, j] = conserved[r, j]
    used = np.zeros(m, dtype=np.bool_)
    for r in range(k):
        best, best_row, best_col = 0.0, -1, -1
        for i in range(r, k):
            for j in range(m):
                if not used[j] and abs(reduced[i, j]) * scale[j] > best:
                    best, best_row, best_col = abs(reduced[i, j]) * scale[j], i, j
        if best_row < 0:
            return False
        for j in range(m):
            reduced[r, j], reduced[best_row, j] = reduced[best_row, j], reduced[r, j]
        used[best_col] = True
        pivot[r] = best_col
        head = reduced[r, best_col]
        for j in range(m):
            reduced[r, j] /= head
        for i in range(k):
            if i != r:
                factor = reduced[i, best_col]
                for j in range(m):
                    reduced[i, j] -= factor * reduced[r, j]
    return True


@nb.njit(cache=True, nogil=True)
def _lu_solve(a, b):
    """Solve ``a x = b`` in place (``b`` becomes ``x``) by LU with partial pivoting; False if singular."""
    m = a.shape[0]
    for c in range(m):
        best, row = 0.0, c
        for i in range(c, m):
            if abs(a[i, c]) > best:
                best, row = abs(a[i, c]), i
        if not best > 0.0:
            return False
        if row != c:
            for j in range(m):
                a[c, j], a[row, j] = a[row, j], a[c, j]
            b[c], b[row] = b[row], b[c]
        head = a[c, c]
        for i in range(c + 1, m):
            factor = a[i, c] / head
            if factor != 0.0:
                for j in range(c + 1, m):
                    a[i, j] -= factor * a[c, j]
                b[i] -= factor * b[c]
    for c in range(m - 1, -1, -1):
        s = b[c]
        for j in range(c + 1, m):
            s -= a[c, j] * b[j]
        b[c] = s / a[c, c]
    return True


@_LAZY.define("warm_steady_state", _WARM_SIGNATURE, cache=True, nogil=True)
def _warm_steady_state(rhs, jac, nominal, y_init, p, atol, idx, conserved, max_iterations, step_tolerance,
                       round_off_step, stability_tolerance, y, info):
    """The steady state from ``nominal`` with the conserved totals of ``y_init``, checked (module docstring).

    ``y`` receives ``y_init`` with the species of the system replaced by the
    refined state; returns ``WARM_OK`` or the first check that failed.
    """
    n = y.shape[0]
    m = idx.shape[0]
    k = conserved.shape[0]
    for i in range(n):
        y[i] = y_init[i]
    for j in range(m):
        y[idx[j]] = nominal[idx[j]]
    totals = np.zeros(k)
    for law in range(k):
        for j in range(m):
            totals[law] += conserved[law, j] * y_init[idx[j]]
    f = np.empty(n)
    jacobian = np.zeros((n, n))     # zeroed once: ``jac`` may be the kernel's jac_nonzeros
    a = np.empty((m, m))
    b = np.empty(m)
    scale = np.empty(m)
    for j in range(m):
        scale[j] = abs(y[idx[j]]) + atol[idx[j]]
    reduced = np.empty((k, m))
    pivot = np.empty(k, dtype=np.int64)
    law_of = np.full(m, -1, dtype=np.int64)     # the law that replaces each species' row, or -1
    info[WARM_ITERATIONS] = 0.0
    info[WARM_STEP] = np.inf
    info[WARM_RESIDUAL] = np.inf
    info[WARM_GROWTH] = np.inf
    if not _law_pivots(conserved, scale, reduced, pivot):
        return WARM_NOT_CONVERGED
    for law in range(k):
        law_of[pivot[law]] = law
    step = np.inf if m else 0.0
    previous = np.inf
    iteration = 0
    for iteration in range(1, max_iterations + 1 if m else 1):
        rhs(y, p, f)
        jac(y, p, jacobian)
        for j in range(m):
            scale[j] = abs(y[idx[j]]) + atol[idx[j]]
        for i in range(m):
            law = law_of[i]
            if law < 0:
                for j in range(m):
                    a[i, j] = jacobian[idx[i], idx[j]] * scale[j]
                b[i] = -f[idx[i]]
            else:
                rest = totals[law]
                for j in range(m):
                    a[i, j] = conserved[law, j] * scale[j]
                    rest -= conserved[law, j] * y[idx[j]]
                b[i] = rest
            # rows scaled by their largest entry: the raw Jacobian spans 1e-5 to 1e8 per day
            largest = 0.0
            for j in range(m):
                largest = max(largest, abs(a[i, j]))
            if largest == 0.0:
                largest = 1.0
            for j in range(m):
                a[i, j] /= largest
            b[i] /= largest
        if not _lu_solve(a, b):
            break
        largest = 0.0
        finite = True
        for j in range(m):
            if not np.isfinite(b[j]):
                finite = False
            largest = max(largest, abs(b[j]))
        if not finite:
            break
        previous = step
        step = largest
        for j in range(m):
            y[idx[j]] += b[j] * scale[j]
        if step < round_off_step or (step < step_tolerance and step > 0.5 * previous):
            break
    # the assessment of steady_state.assess
    for j in range(m):
        i = idx[j]
        if abs(y[i]) < round_off_step * atol[i]:
            y[i] = 0.0
    rhs(y, p, f)
    residual = 0.0
    for j in range(m):
        i = idx[j]
        residual = max(residual, abs(f[i]) / (abs(y[i]) + atol[i]))
    info[WARM_ITERATIONS] = iteration
    info[WARM_STEP] = step
    info[WARM_RESIDUAL] = residual
    if not step < step_tolerance:
        return WARM_NOT_CONVERGED
    for i in range(n):
        if not np.isfinite(y[i]):
            return WARM_NOT_CONVERGED
    for j in range(m):
        if y[idx[j]] < -atol[idx[j]]:
            return WARM_NEGATIVE
    # A species left at round-off dust (not zeroed above, far below its tolerance) is one whose
    # conserved pool is empty (an FcRn total of 0): the integration keeps it exactly 0, and a
    # 0/0 observable must stay undefined, so such a point integrates.
    for j in range(m):
        if y[idx[j]] != 0.0 and abs(y[idx[j]]) < DUST * atol[idx[j]]:
            return WARM_NOT_CONVERGED
    # Likewise a law whose total is exactly 0 and whose coefficients are all non-negative empties
    # every species in it; Newton may leave them at +-1e-10 (a cancellation in the solve, above the
    # dust), where the integration keeps them exactly 0, so such a point integrates too.
    for law in range(k):
        if totals[law] != 0.0:
            continue
        signed = False
        for j in range(m):
            if conserved[law, j] < 0.0:
                signed = True
        if signed:
            continue
        for j in range(m):
            if conserved[law, j] > 0.0 and y[idx[j]] != 0.0:
                return WARM_NOT_CONVERGED
    # Stability on the conserved manifold: the species a law determines follow from the others
    # (y_P = const - reduced y_rest), so the Jacobian there is J_rr - J_rP reduced_r.
    jac(y, p, jacobian)
    rest = np.empty(m - k, dtype=np.int64)
    r = 0
    for j in range(m):
        if law_of[j] < 0:
            rest[r] = j
            r += 1
    restricted = np.empty((m - k, m - k))
    for u in range(m - k):
        iu = idx[rest[u]]
        for v in range(m - k):
            value = jacobian[iu, idx[rest[v]]]
            for law in range(k):
                value -= jacobian[iu, idx[pivot[law]]] * reduced[law, rest[v]]
            restricted[u, v] = value
    growth = largest_growth_rate(restricted)
    info[WARM_GROWTH] = growth
    if not growth <= stability_tolerance:
        return WARM_UNSTABLE
    return WARM_OK
