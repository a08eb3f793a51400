"""Dense LU factorisation with partial pivoting, in place and allocation-free.

The models here have tens of states, where a hand-written LU beats a LAPACK call
from Numba (which allocates a copy on every call).
"""

import numba as nb
import numpy as np

from ivigsim.core.kernel.signatures import FACTOR_SIG, SOLVE_SIG


@nb.njit(cache=True)
def lu_factor(a, piv):
    """Factor ``a`` (n x n, overwritten) as P L U; ``piv`` (n,) int64 receives pivots.

    Returns 0 on success, or k + 1 if the pivot of column k is exactly zero
    (a singular matrix).
    """
    n = a.shape[0]
    for k in range(n):
        p = k
        biggest = abs(a[k, k])
        for i in range(k + 1, n):
            v = abs(a[i, k])
            if v > biggest:
                biggest = v
                p = i
        piv[k] = p
        if biggest == 0.0:
            return k + 1
        if p != k:
            for j in range(n):
                tmp = a[k, j]
                a[k, j] = a[p, j]
                a[p, j] = tmp
        inv = 1.0 / a[k, k]
        for i in range(k + 1, n):
            a[i, k] *= inv
            f = a[i, k]
            if f != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= f * a[k, j]
    return 0


@nb.njit(cache=True)
def lu_solve(lu, piv, b):
    """Solve ``A x = b`` in place in ``b`` from the factors of :func:`lu_factor`."""
    n = lu.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
    for i in range(1, n):
        s = b[i]
        for j in range(i):
            s -= lu[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= lu[i, j] * b[j]
        b[i] = s / lu[i, i]


def solve(a, b):
    """Solve ``a x = b`` (a convenience wrapper for tests); returns x."""
    lu = np.array(a, dtype=np.float64, order="C", copy=True)
    x = np.array(b, dtype=np.float64, copy=True)
    piv = np.zeros(lu.shape[0], dtype=np.int64)
    if lu_factor(lu, piv) != 0:
        raise np.linalg.LinAlgError("singular matrix")
    lu_solve(lu, piv, x)
    return x


@nb.njit(FACTOR_SIG, cache=True)
def dense_only_factor(J, c, lu):
    """A ``factor`` that always declines, so the solver uses its dense pivoted LU.

    For hand-written problems without a generated sparse factorisation.
    """
    return 1


@nb.njit(SOLVE_SIG, cache=True)
def dense_only_solve(lu, b):
    """Never called: :func:`dense_only_factor` always declines."""
    return
