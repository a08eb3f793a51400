"""Generate a sparse LU factorisation of ``W = c I - J`` for one model's Jacobian pattern.

The Rosenbrock solver factors ``W`` once per step. The Jacobians of these
models are sparse (the FcRn model: 47 non-zeros in 17 x 17), and their pattern
is known from the symbolic Jacobian, so the factorisation is generated as
straight-line code over the non-zeros of the filled pattern, in a
fill-reducing (minimum degree) order, without pivoting.

No pivoting is safe only while the pivots stay large; every pivot is checked
against the largest entry below it in its column (threshold 0.1, the usual
threshold-pivoting criterion), and if the check fails the generated function
returns ``k + 1`` and the solver falls back to a dense LU with partial
pivoting for that step. So the structured path is an optimisation, never a
change in results beyond rounding.
"""

from __future__ import annotations

PIVOT_THRESHOLD = 0.1


def minimum_degree_order(n, pattern):
    """Greedy minimum-degree elimination order of the symmetrised pattern."""
    adjacent = {i: set() for i in range(n)}
    for i, j in pattern:
        if i != j:
            adjacent[i].add(j)
            adjacent[j].add(i)
    order, remaining = [], set(range(n))
    while remaining:
        k = min(remaining, key=lambda v: (len(adjacent[v] & remaining), v))
        order.append(k)
        neighbours = adjacent[k] & remaining
        for a in neighbours:                 # eliminating k joins its neighbours
            adjacent[a] |= neighbours - {a}
        remaining.remove(k)
    return order


def symbolic_factor(n, pattern):
    """Filled pattern (set of (i, j), permuted indices) of an LU without pivoting."""
    filled = set(pattern) | {(i, i) for i in range(n)}
    for k in range(n):
        rows = [i for i in range(k + 1, n) if (i, k) in filled]
        cols = [j for j in range(k + 1, n) if (k, j) in filled]
        filled.update((i, j) for i in rows for j in cols)
    return filled


def generate(n, jacobian_pattern):
    """Source of ``factor(J, c, lu) -> int`` and ``solve(lu, b)`` for this pattern.

    Returns (source, lu_size).
    """
    perm = minimum_degree_order(n, jacobian_pattern)
    position = {orig: k for k, orig in enumerate(perm)}
    pattern = {(position[i], position[j]) for i, j in jacobian_pattern}
    filled = sorted(symbolic_factor(n, pattern))
    slot = {entry: s for s, entry in enumerate(filled)}
    inv = len(filled)                        # lu[inv + k] = 1 / pivot k
    size = inv + n

    f = ["@nb.njit(FACTOR_SIG, cache=True)", "def factor(J, c, lu):",
         f"    # W = c I - J in minimum-degree order {perm}; {len(filled)} stored entries"]
    for (a, b), s in slot.items():
        i, j = perm[a], perm[b]
        if (a, b) in pattern:
            f.append(f"    lu[{s}] = {'c - ' if a == b else '-'}J[{i}, {j}]")
        elif a == b:
            f.append(f"    lu[{s}] = c")
        else:
            f.append(f"    lu[{s}] = 0.0")
    for k in range(n):
        below = [slot[(i, k)] for i in range(k + 1, n) if (i, k) in slot]
        right = [(j, slot[(k, j)]) for j in range(k + 1, n) if (k, j) in slot]
        d = slot[(k, k)]
        f.append(f"    pivot = lu[{d}]")
        if below:
            biggest = ", ".join(f"abs(lu[{s}])" for s in below)
            biggest = f"max({biggest})" if len(below) > 1 else biggest
            f.append(f"    if not abs(pivot) >= {PIVOT_THRESHOLD} * {biggest} or pivot == 0.0:")
        else:
            f.append("    if not abs(pivot) > 0.0:")
        f.append(f"        return {k + 1}")
        f.append(f"    inv = 1.0 / pivot")
        f.append(f"    lu[{inv + k}] = inv")
        for i in range(k + 1, n):
            if (i, k) not in slot:
                continue
            s_ik = slot[(i, k)]
            f.append(f"    lu[{s_ik}] *= inv")
            if right:
                f.append(f"    m = lu[{s_ik}]")
            for j, s_kj in right:
                f.append(f"    lu[{slot[(i, j)]}] -= m * lu[{s_kj}]")
    f.append("    return 0")

    s_lines = ["@nb.njit(SOLVE_SIG, cache=True)", "def solve(lu, b):"]
    for k in range(n):
        s_lines.append(f"    x{k} = b[{perm[k]}]")
    for i in range(n):
        terms = [f"lu[{slot[(i, j)]}] * x{j}" for j in range(i) if (i, j) in slot]
        if terms:
            s_lines.append(f"    x{i} -= {' + '.join(terms)}")
    for i in range(n - 1, -1, -1):
        terms = [f"lu[{slot[(i, j)]}] * x{j}" for j in range(i + 1, n) if (i, j) in slot]
        rest = f"(x{i} - ({' + '.join(terms)}))" if terms else f"x{i}"
        s_lines.append(f"    x{i} = {rest} * lu[{inv + i}]")
    for k in range(n):
        s_lines.append(f"    b[{perm[k]}] = x{k}")
    return "\n".join(f) + "\n\n\n" + "\n".join(s_lines), size
