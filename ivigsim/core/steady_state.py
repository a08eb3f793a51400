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

Warm starts. Many nearby parameter vectors (a fit's successive evaluations,
its finite-difference perturbations) need a steady state each. From a
neighbour's steady state, Newton's method alone converges in a few
iterations, so :func:`newton` takes the conserved totals to reach (those of
the new parameter vector's initial values) instead of keeping the start's,
and :func:`chord` reuses one factorised Newton matrix for many small
perturbations. :func:`is_stable` tells whether a state found this way is one
an untreated patient relaxes to (a warm start must not land on an unstable
branch that the cold integration would never reach).

The warm start of every simulation. A sweep needs one steady state per
point, and the integration costs several times more than Newton's method
from a nearby state. So :func:`ivigsim.core.simulation.initial_state` first
tries :func:`warm_start`: Newton's method from the *nominal* steady state
(that of the model's default parameter values, with the run's mechanism
switches and tolerances, found once by the integration), with the run's own
conserved totals. It keeps the result only when Newton converged by the test
above, no species is below ``-atol`` and the state is stable on the
conserved manifold (:func:`is_stable`, compiled). Far from the defaults
(parameters drawn 10^4 times theirs at the corners of the declared bounds)
Newton from the nominal state can land on a root with a negative species;
the warm start then walks the parameters from the nominal vector to the
run's in log space, a Newton solve per stage from the root before
(:mod:`ivigsim.core.solvers.newton_continuation`), and keeps the last
stage, the run itself, only when it passes the same checks. Otherwise it
integrates, as without a warm start. The guess depends only on the model, the switches
and the tolerances, never on which runs came before, so ``simulate`` and
every sweep point (whatever the chunking, the workers or the scheduler) do
the same arithmetic and agree bit for bit. The state found warm equals the
integrated one to round-off: about 1e-13 of each species near the defaults,
up to about 1e-11 at corners of the declared bounds, where the integration's
own drift of a conserved total is the larger error. A model with several
stable steady states would need the integration to tell which one the
untreated patient relaxes to; for the shipped models that start from a
steady state (``fcrn_pk``, ``fcrn_pk_qss``, ``ivig_autoimmune``,
``igg_linear``) the warm and the integrated states agree at every point of
300-point hypercubes across the declared bounds
(``benchmarks/bench_sweep_steady.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A state is stable when no eigenvalue of the Jacobian on the conserved-moiety
#: manifold has a real part above this fraction of the spectral radius (the
#: round-off level of the eigenvalues; a real unstable mode is far above it).
STABILITY_TOLERANCE = 1e-10


#: Most Newton iterations of a warm start before the integration takes over.
WARM_NEWTON_ITERATIONS = 15

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


def structure(spec, env, p):
    """(free, conserved, cumulative) of the steady state of ``spec`` at kernel parameters ``p``.

    Parameters
    ----------
    spec : ModelSpec
    env : dict
        The run's environment (parameter values and compartment volumes).
    p : ndarray
        Kernel parameter vector (parameter values, then mechanism switches).

    Returns
    -------
    free : ndarray of bool, shape (n_species,)
        Species in the Newton system: touched by a switched-on reaction, not running totals.
    conserved : ndarray, shape (n_laws, n_free)
        Rows of :func:`conservation_rows`.
    cumulative : ndarray of bool, shape (n_species,)
        Running totals, reset to their initial values after the steady state.
    """
    n_par = len(spec.parameters)
    active = np.array([p[n_par + spec.mechanism_names.index(r.mechanism)] != 0 for r in spec.reactions],
                      dtype=bool)
    stoichiometry = spec.stoichiometry()
    cumulative = np.array([s.cumulative for s in spec.species], dtype=bool)
    free = ~cumulative & np.any(stoichiometry[:, active] != 0, axis=1)
    volumes = np.array([env[s.compartment] for s in spec.species], dtype=np.float64)
    return free, conservation_rows(stoichiometry, volumes, active, free), cumulative


def warm_start(kernel, nominal, y_init, p, atol, free, conserved, p_nominal=None):
    """The steady state by Newton's method from ``nominal``, or None when it cannot stand (module docstring).

    Parameters
    ----------
    kernel : CompiledModel
    nominal : ndarray, shape (n_species,)
        A nearby steady state: the start of the species in the system.
    y_init : ndarray, shape (n_species,)
        The run's initial values: they give the conserved totals to reach and
        the species outside the system.
    p, atol, free, conserved
        As for :func:`newton`.
    p_nominal : ndarray, shape (n_p,), optional
        The parameter vector of ``nominal``. When given and Newton from
        ``nominal`` is refused, the parameters are continued from it to ``p``
        (:mod:`ivigsim.core.solvers.newton_continuation`); without it, only the
        direct attempt is made.

    Returns
    -------
    ndarray or None
        The steady state (running totals still at ``y_init``), or None when
        Newton did not converge, a species went negative or the state is not
        stable.
    """
    from ivigsim.core.solvers import newton as compiled
    from ivigsim.core.solvers import newton_continuation as continued
    from ivigsim.core.solvers.batch import entry

    y = np.empty(y_init.size)
    start = np.ascontiguousarray(nominal, dtype=np.float64)
    y_init = np.ascontiguousarray(y_init, dtype=np.float64)
    p = np.ascontiguousarray(p, dtype=np.float64)
    atol = np.ascontiguousarray(atol, dtype=np.float64)
    idx = np.flatnonzero(free).astype(np.int64)
    conserved = np.ascontiguousarray(conserved, dtype=np.float64)
    if p_nominal is None:
        info = np.zeros(compiled.N_WARM_INFO)
        code = entry(compiled.warm_steady_state)(
            kernel.typed.rhs, kernel.typed.jac_nonzeros, start, y_init, p, atol, idx, conserved,
            WARM_NEWTON_ITERATIONS, STEP_TOLERANCE, ROUND_OFF_STEP, STABILITY_TOLERANCE, y, info)
    else:
        info = np.zeros(continued.N_INFO)
        code = entry(continued.continued_steady_state)(
            kernel.typed.rhs, kernel.typed.jac_nonzeros, start, np.ascontiguousarray(p_nominal, dtype=np.float64),
            y_init, p, atol, idx, conserved, WARM_NEWTON_ITERATIONS, STEP_TOLERANCE, ROUND_OFF_STEP,
            STABILITY_TOLERANCE, continued.MAX_SOLVES, y, info)
    return y if code == compiled.WARM_OK else None


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
    # Rows l_i V_i (amounts are conserved), C-contiguous: the compiled Newton
    # and chord iterations are typed for C-ordered rows and called through
    # their entry point, which does not check the layout (a transpose is
    # F-ordered and would be read scrambled once there are two laws or more).
    return np.ascontiguousarray(_echelon(left.T) * volumes[free][None, :])


def _echelon(rows, tiny=1e-12):
    """``rows`` in reduced row echelon form, entries under ``tiny`` of a row's largest set to 0.

    The null space comes as an orthonormal basis, which mixes independent
    laws (two FcRn pools) into rows of mixed sign. In echelon form each pool's
    law is a row of its own, non-negative, so a pool whose total is 0 can be
    recognised (:func:`ivigsim.core.solvers.newton.warm_steady_state`).
    """
    a = np.array(rows, dtype=np.float64)
    k, m = a.shape
    r = 0
    for c in range(m):
        if r == k:
            break
        pivot = r + int(np.argmax(np.abs(a[r:, c])))
        if abs(a[pivot, c]) <= tiny:
            continue
        a[[r, pivot]] = a[[pivot, r]]
        a[r] /= a[r, c]
        for i in range(k):
            if i != r:
                a[i] -= a[i, c] * a[r]
        r += 1
    a[np.abs(a) <= tiny * np.max(np.abs(a), axis=1, keepdims=True)] = 0.0
    return a


def newton(rhs, jac, y, p, atol, free, conserved, totals=None, max_iterations=MAX_NEWTON_ITERATIONS):
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
    totals : ndarray, shape (n_laws,), optional
        Conserved totals ``conserved @ y[free]`` to reach (the first step
        lands on them: the laws are linear). Default: keep those of ``y``.
    max_iterations : int
    """
    y = np.array(y, dtype=np.float64)
    n = y.size
    f = np.empty(n)
    jacobian = np.zeros((n, n))
    idx = np.flatnonzero(free)
    block = np.ix_(idx, idx)
    zeros = np.zeros(conserved.shape[0])
    a = np.empty((idx.size + conserved.shape[0], idx.size))
    step = previous = np.inf
    for iteration in range(1, max_iterations + 1):
        rhs(y, p, f)
        jac(y, p, jacobian)
        scale = np.abs(y[idx]) + atol[idx]
        # Columns scaled by each species' magnitude and rows by their largest
        # entry: the raw Jacobian spans 1e-5 to 1e8 per day.
        a[:idx.size] = jacobian[block]
        a[idx.size:] = conserved
        a *= scale[None, :]
        b = np.concatenate([-f[idx], zeros if totals is None else totals - conserved @ y[idx]])
        row = np.max(np.abs(a), axis=1)
        row[row == 0] = 1.0
        delta, *_ = np.linalg.lstsq(a / row[:, None], b / row, rcond=None)
        if not np.all(np.isfinite(delta)):
            break
        previous, step = step, (float(np.max(np.abs(delta))) if delta.size else 0.0)
        y[idx] += delta * scale
        if step < ROUND_OFF_STEP or (step < STEP_TOLERANCE and step > 0.5 * previous):
            break
    return assess(rhs, y, p, atol, free, iteration, step)


def assess(rhs, y, p, atol, free, iterations, step, idx=None):
    """The :class:`NewtonOutcome` of iterations that ended at ``y`` (modified) with scaled ``step``.

    Also used for the compiled iterations of :mod:`ivigsim.core.solvers.newton`;
    ``idx`` is ``np.flatnonzero(free)`` when the caller has it.
    """
    idx = np.flatnonzero(free) if idx is None else idx
    f = np.empty(y.size)
    # Round-off of the least-squares solve leaves ~1e-40 in species that are
    # identically zero (no IVIG given, a switched-off mechanism): far below the
    # solver's resolution, so they are returned as the exact zeros they are.
    y[idx[np.abs(y[idx]) < ROUND_OFF_STEP * atol[idx]]] = 0.0
    rhs(y, p, f)
    residual = float(np.max(np.abs(f[idx]) / (np.abs(y[idx]) + atol[idx]))) if idx.size else 0.0
    ok = bool(step < STEP_TOLERANCE and np.all(np.isfinite(y)) and np.all(y[idx] >= -atol[idx]))
    return NewtonOutcome(y, ok, iterations, step, residual)


@dataclass(frozen=True)
class Linearisation:
    """The scaled Newton matrix at one state, kept as its pseudo-inverse for :func:`chord`."""

    scale: np.ndarray        # (n_free,) species magnitudes the columns were scaled by
    row: np.ndarray          # (n_free + n_laws,) row scaling
    inverse: np.ndarray      # (n_free, n_free + n_laws) pseudo-inverse of the scaled matrix


def linearise(jac, y, p, atol, free, conserved):
    """The Newton matrix of :func:`newton` at ``y``, factorised once (see :func:`chord`)."""
    idx = np.flatnonzero(free)
    jacobian = np.zeros((y.size, y.size))
    jac(np.ascontiguousarray(y, dtype=np.float64), p, jacobian)
    scale = np.abs(y[idx]) + atol[idx]
    a = np.vstack([jacobian[np.ix_(idx, idx)], conserved]) * scale[None, :]
    row = np.max(np.abs(a), axis=1)
    row[row == 0] = 1.0
    return Linearisation(scale, row, np.ascontiguousarray(np.linalg.pinv(a / row[:, None], rcond=1e-15)))


def chord(rhs, linear, y, p, atol, free, conserved, totals, max_iterations=MAX_NEWTON_ITERATIONS):
    """:func:`newton` with the Newton matrix frozen at a nearby state (the chord method).

    For a small perturbation of the parameters (a finite-difference step) the
    neighbour's Jacobian is exact to the size of the perturbation, so the
    iteration contracts by about that factor per step while each step costs
    one right-hand side and one matrix-vector product. Converged means the same
    as in :func:`newton`.
    """
    y = np.array(y, dtype=np.float64)
    f = np.empty(y.size)
    idx = np.flatnonzero(free)
    step = previous = np.inf
    for iteration in range(1, max_iterations + 1):
        rhs(y, p, f)
        b = np.concatenate([-f[idx], totals - conserved @ y[idx]]) / linear.row
        delta = linear.inverse @ b
        if not np.all(np.isfinite(delta)):
            break
        previous, step = step, (float(np.max(np.abs(delta))) if delta.size else 0.0)
        y[idx] += delta * linear.scale
        if step < ROUND_OFF_STEP or (step < STEP_TOLERANCE and step > 0.5 * previous):
            break
        if step > 0.5 * previous:        # not contracting: the frozen matrix is too far off
            break
    return assess(rhs, y, p, atol, free, iteration, step)


def manifold(conserved):
    """Orthonormal basis (n_free, n_free - n_laws) of the directions that keep every conserved total."""
    from scipy.linalg import null_space
    return null_space(conserved) if conserved.shape[0] else None


def is_stable(jac, y, p, free, conserved, basis=None):
    """Whether the steady state ``y`` attracts nearby states that keep the conserved totals.

    The Jacobian is restricted to the directions that keep every conserved
    total (``basis``, from :func:`manifold` of ``conserved`` when not given),
    which removes the zero eigenvalue each conservation law contributes.
    """
    idx = np.flatnonzero(free)
    if idx.size == 0:
        return True
    jacobian = np.zeros((y.size, y.size))
    jac(np.ascontiguousarray(y, dtype=np.float64), p, jacobian)
    j = jacobian[np.ix_(idx, idx)]
    if conserved.shape[0]:
        q = manifold(conserved) if basis is None else basis
        j = q.T @ j @ q
    if j.size == 0:
        return True
    eigenvalues = np.linalg.eigvals(j)
    radius = float(np.max(np.abs(eigenvalues)))
    return bool(np.all(np.isfinite(eigenvalues)) and np.max(eigenvalues.real) <= STABILITY_TOLERANCE * radius)
