"""Sparse LU of ``W = c I - J`` for large models: index tables plus one compiled routine.

The generated straight-line LU of :mod:`ivigsim.core.kernel.sparse_lu` is the
fastest for small models but, like all straight-line code, compiles in time
superlinear in its length. A large model's LU is instead a fixed pattern held
in index arrays (compressed rows of the filled, permuted matrix), factored
and solved by :func:`factor` and :func:`solve`, compiled once for every model.

The fill-reducing order is SuperLU's minimum degree on the pattern of
``J + J^T`` (``MMD_AT_PLUS_A``), found once at generation on a diagonally
dominant matrix of that pattern, so that SuperLU keeps the diagonal pivots
and the order is symmetric; the filled pattern is that of its L and U.

As in the generated LU there is no pivoting: every multiplier ``l_ik`` must
stay below ``1 / PIVOT_THRESHOLD`` in size (the same threshold-pivoting test,
``|pivot| >= 0.1 max |below|``, seen from the row side), else :func:`factor`
returns ``k + 1`` and the solver falls back to its dense pivoted LU for that step.

The factor array ``lu`` holds the filled entries, then the ``n`` inverse
pivots, then ``n`` entries of workspace: ``lu_size = nnz + 2 n``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ivigsim.core.kernel.sparse_lu import PIVOT_THRESHOLD


def analyse(n, pattern):
    """Tables of the filled LU pattern of ``c I - J`` for the Jacobian ``pattern``.

    Returns ``(tables, lu_size)``; ``tables`` is a dict of integer arrays:
    ``perm`` (permuted row -> model row), ``row_ptr``, ``col`` (sorted within
    a row), ``diag`` (position of each row's pivot) and ``src_row`` /
    ``src_col`` (the entry of J each position starts from, -1 for fill).
    """
    import scipy.sparse as sps
    from scipy.sparse.linalg import splu

    rows = np.array([i for i, _ in pattern] + list(range(n)), dtype=np.int64)
    cols = np.array([j for _, j in pattern] + list(range(n)), dtype=np.int64)
    values = np.where(rows == cols, 4.0 * n, 1.0)       # diagonally dominant: SuperLU keeps the diagonal
    a = sps.csc_matrix((values, (rows, cols)), shape=(n, n))
    a.sum_duplicates()
    lu = splu(a, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    if not np.array_equal(lu.perm_r, lu.perm_c):       # pragma: no cover - the diagonal dominance above
        raise ValueError("SuperLU did not keep the diagonal pivots")
    # L U = Pr A Pc puts entry (i, j) of A at (perm_c[i], perm_c[j]); row k of the factors is model row perm[k]
    perm = np.argsort(lu.perm_c).astype(np.int64)
    filled = (abs(lu.L) + abs(lu.U)).tocsr()
    filled.sort_indices()
    nnz = filled.nnz
    col = filled.indices.astype(np.int64)
    row_ptr = filled.indptr.astype(np.int64)
    diag = np.array([row_ptr[i] + np.searchsorted(col[row_ptr[i]:row_ptr[i + 1]], i) for i in range(n)],
                    dtype=np.int64)
    original = set(zip(rows.tolist(), cols.tolist()))
    src_row = np.full(nnz, -1, dtype=np.int64)
    src_col = np.full(nnz, -1, dtype=np.int64)
    for i in range(n):
        for pos in range(row_ptr[i], row_ptr[i + 1]):
            r, c = perm[i], perm[col[pos]]
            if (r, c) in original:
                src_row[pos], src_col[pos] = r, c
    tables = {"perm": perm, "row_ptr": row_ptr, "col": col, "diag": diag,
              "src_row": src_row, "src_col": src_col}
    return tables, nnz + 2 * n


@nb.njit(cache=True, nogil=True)
def factor(J, c, lu, perm, row_ptr, col, diag, src_row, src_col):
    """Factor ``c I - J`` into ``lu``; 0, or ``k + 1`` when pivot ``k`` is unsafe."""
    n = perm.shape[0]
    nnz = col.shape[0]
    w = lu[nnz + n:]
    limit = 1.0 / PIVOT_THRESHOLD
    for i in range(n):
        for pos in range(row_ptr[i], row_ptr[i + 1]):
            v = 0.0
            if src_row[pos] >= 0:
                v = -J[src_row[pos], src_col[pos]]
            if pos == diag[i]:
                v += c
            w[col[pos]] = v
        for pos in range(row_ptr[i], diag[i]):
            k = col[pos]
            lik = w[k] * lu[nnz + k]
            if not abs(lik) <= limit:
                return k + 1
            w[k] = lik
            for q in range(diag[k] + 1, row_ptr[k + 1]):
                w[col[q]] -= lik * lu[q]
        for pos in range(row_ptr[i], row_ptr[i + 1]):
            lu[pos] = w[col[pos]]
        pivot = lu[diag[i]]
        if not abs(pivot) > 0.0:
            return i + 1
        lu[nnz + i] = 1.0 / pivot
    return 0


@nb.njit(cache=True, nogil=True)
def solve(lu, b, perm, row_ptr, col, diag):
    """Solve ``W x = b`` in place with the factors of :func:`factor`."""
    n = perm.shape[0]
    nnz = col.shape[0]
    x = lu[nnz + n:]
    for k in range(n):
        x[k] = b[perm[k]]
    for i in range(n):
        s = x[i]
        for pos in range(row_ptr[i], diag[i]):
            s -= lu[pos] * x[col[pos]]
        x[i] = s
    for i in range(n - 1, -1, -1):
        s = x[i]
        for pos in range(diag[i] + 1, row_ptr[i + 1]):
            s -= lu[pos] * x[col[pos]]
        x[i] = s * lu[nnz + i]
    for k in range(n):
        b[perm[k]] = x[k]
