"""The untreated steady state of a model: a short integration, then Newton's method.

Integrating to ever longer horizons and testing ``|dy/dt| / |y|`` is the wrong
test for a stiff model: a fast endosomal species whose rate terms cancel at
1e7 per day carries a round-off drift of 1e-9 to 1e-7 per day however long one
integrates. What matters is how far the state is from the steady state, which
is the Newton step ``J⁻¹ f``, scaled by each species' magnitude. So the state is
found by integrating a fixed horizon (which lands inside the basin of the
stable state the untreated patient relaxes to) and then solving ``f(y) = 0`` by
Newton's method on the compiled analytic Jacobian.

Two structural facts make ``J`` singular and are handled explicitly:

* running totals (``cumulative`` species) grow forever; they are left out of
  the system and reset to their initial values afterwards; so are species that
  no switched-on reaction touches (they keep their values);
* conserved moieties (the FcRn pool: free plus every bound form) make ``J``
  rank deficient. Their totals ``Σ l_i V_i y_i`` come from the left null space
  of the stoichiometry of the reactions that are switched on, and are added to
  the Newton system as extra rows, so each step keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Newton has converged when no species would move by more than this fraction
#: of its magnitude (plus its absolute tolerance): 100 times tighter than the
#: default integration rtol. Iterations go on while the step still shrinks, down
#: to the round-off floor of an ill-conditioned Jacobian (about 1e-10 at the
#: corners of the declared bounds).
STEP_TOLERANCE = 1e-8
ROUND_OFF_STEP = 1e-13
MAX_NEWTON_ITERATIONS = 30


@dataclass(frozen=True)
class NewtonOutcome:
    """What Newton's method reached from one starting point."""

    y: np.ndarray            # the refined state (all species, cumulative ones untouched)
    converged: bool
    iterations: int
    scaled_step: float       # max |Δy_i| / (|y_i| + atol_i) of the last step
    scaled_residual: float   # max |f_i| / (|y_i| + atol_i), per day, at the returned state


def conservation_rows(stoichiometry, volumes, active, free):
    """Rows ``L`` with ``L @ y[free]`` constant in time (conserved moieties).

    Parameters
    ----------
    stoichiometry : ndarray, shape (n_species, n_reactions)
    volumes : ndarray, shape (n_species,)
        Volume of each species' compartment (concentration × volume = amount).
    active : ndarray of bool, shape (n_reactions,)
        Reactions whose mechanism is switched on.
    free : ndarray of bool, shape (n_species,)
        Species in the Newton system (not running totals).
    """
    from scipy.linalg import null_space

    n = stoichiometry[np.ix_(free, active)]
    if n.size == 0:
        return np.zeros((0, int(free.sum())))
    left = null_space(n.T)                    # columns l with l @ N = 0
    return (left * volumes[free][:, None]).T  # rows l_i V_i: amounts are conserved


def newton(rhs, jac, y, p, atol, free, conserved):
    """Refine ``y`` towards ``rhs(y) = 0`` on the ``free`` species.

    Parameters
    ----------
    rhs, jac : compiled kernel functions ``rhs(y, p, out)`` and ``jac(y, p, J)``
    y : ndarray, shape (n_species,)
        Starting state, species units; not modified.
    p : ndarray
        Kernel parameter vector.
    atol : ndarray, shape (n_species,)
        Absolute tolerance per species, which sets the scale of small species.
    free : ndarray of bool, shape (n_species,)
    conserved : ndarray, shape (n_laws, n_free)
        Rows of :func:`conservation_rows`.
    """
    y = np.array(y, dtype=np.float64)
    n = y.size
    f = np.empty(n)
    jacobian = np.zeros((n, n))
    idx = np.flatnonzero(free)
    zeros = np.zeros(conserved.shape[0])
    step = previous = np.inf
    for iteration in range(1, MAX_NEWTON_ITERATIONS + 1):
        rhs(y, p, f)
        jac(y, p, jacobian)
        scale = np.abs(y[idx]) + atol[idx]
        # Columns scaled by each species' magnitude and rows by their largest
        # entry: the raw Jacobian spans 1e-5 to 1e8 per day.
        a = np.vstack([jacobian[np.ix_(idx, idx)], conserved]) * scale[None, :]
        b = np.concatenate([-f[idx], zeros])
        row = np.max(np.abs(a), axis=1)
        row[row == 0] = 1.0
        delta, *_ = np.linalg.lstsq(a / row[:, None], b / row, rcond=None)
        if not np.all(np.isfinite(delta)):
            break
        previous, step = step, (float(np.max(np.abs(delta))) if delta.size else 0.0)
        y[idx] += delta * scale
        if step < ROUND_OFF_STEP or (step < STEP_TOLERANCE and step > 0.5 * previous):
            break
    # Round-off of the least-squares solve leaves ~1e-40 in species that are
    # identically zero (no IVIG given, a switched-off mechanism): far below the
    # solver's resolution, so they are returned as the exact zeros they are.
    y[idx[np.abs(y[idx]) < ROUND_OFF_STEP * atol[idx]]] = 0.0
    rhs(y, p, f)
    residual = float(np.max(np.abs(f[idx]) / (np.abs(y[idx]) + atol[idx]))) if idx.size else 0.0
    ok = bool(step < STEP_TOLERANCE and np.all(np.isfinite(y)) and np.all(y[idx] >= -atol[idx]))
    return NewtonOutcome(y, ok, iteration, step, residual)
