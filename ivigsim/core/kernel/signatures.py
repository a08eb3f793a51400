"""Numba signatures of the functions every compiled model provides.

A compiled model is a few functions over float64 arrays. They take the state
``y`` (in each species' declared unit) and the kernel parameter vector ``p``
(the model's parameters, then one on/off switch per mechanism) and write into a
preallocated output; none of them allocates. Because they are typed
first-class functions, one compiled solver serves every model.

``rhs(y, p, dydt)``          dydt[i] = d y[i] / dt, species unit per day
``jac(y, p, J)``             J[i, j] = d rhs[i] / d y[j]
``jac_nonzeros(y, p, J)``    the same for the structural non-zeros only; the other entries
                             of J are left as they are (the solver zeroes J once)
``rates(y, p, r)``           r[k] = rate of reaction k, species amount per day
``observables(y, p, out)``   out[m] = observable m, in its declared unit
``factor(J, c, lu) -> int``  sparse LU of W = c I - J into ``lu``; 0, or k + 1 if
                             pivot k is too small (the solver then pivots densely)
``solve(lu, b)``             solve W x = b in place with the factors of ``factor``
"""

from numba import types

_vec = types.float64[::1]
_mat = types.float64[:, ::1]

RHS_SIG = types.void(_vec, _vec, _vec)
JAC_SIG = types.void(_vec, _vec, _mat)
RATES_SIG = RHS_SIG
OBSERVABLES_SIG = RHS_SIG

FACTOR_SIG = types.int64(_mat, types.float64, _vec)
SOLVE_SIG = types.void(_vec, _vec)

RhsFunction = types.FunctionType(RHS_SIG)
JacFunction = types.FunctionType(JAC_SIG)
FactorFunction = types.FunctionType(FACTOR_SIG)
SolveFunction = types.FunctionType(SOLVE_SIG)
