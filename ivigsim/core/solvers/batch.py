"""Many parameter vectors of one model through the Rodas4 driver in one compiled call.

Fitting needs the model's outputs at a parameter vector and at small
perturbations of it (finite-difference sensitivities). This driver takes the
whole batch at once: row ``k`` of ``y0s``/``ps``/``inputs``/``jumps`` is one
simulation, all sharing the segment boundaries and output times. The loop runs
in compiled code without the GIL, so a batch costs one Python call however
many rows it has, and batches of different fit starts run in parallel on
threads.
"""

import numba as nb
from numba import types

from ivigsim.core.kernel.signatures import FactorFunction, JacFunction, RhsFunction, SolveFunction
from ivigsim.core.solvers.rodas import integrate

_SIGNATURE = types.void(
    RhsFunction, JacFunction, FactorFunction, SolveFunction,
    types.int64,                  # lu_size
    types.float64[:, ::1],        # y0s (m, n)
    types.float64[:, ::1],        # ps (m, n_p)
    types.float64[::1],           # t_breaks (n_seg + 1,), shared
    types.float64[:, :, ::1],     # inputs (m, n_seg, n_inputs)
    types.int64[::1],             # input_target (n_inputs,), shared
    types.float64[:, :, ::1],     # jumps (m, n_seg, n)
    types.float64[::1],           # t_out (n_out,), shared
    types.float64,                # rtol
    types.float64[::1],           # atol (n,)
    types.int64,                  # max_steps per row
    types.float64[:, :, ::1],     # y_out (m, n_out, n)
    types.int64[:, ::1],          # stats (m, N_STATS)
    types.int64[::1],             # status (m,): the driver's status code per row
)


@nb.njit(_SIGNATURE, cache=True, nogil=True)
def integrate_batch(rhs, jac, factor, solve, lu_size, y0s, ps, t_breaks, inputs, input_target, jumps,
                    t_out, rtol, atol, max_steps, y_out, stats, status):
    """Integrate every row; a failed row leaves its status code and the others go on."""
    for k in range(y0s.shape[0]):
        status[k] = integrate(rhs, jac, factor, solve, lu_size, y0s[k], ps[k], t_breaks, inputs[k],
                              input_target, jumps[k], t_out, rtol, atol, 0.0, 1e300, max_steps,
                              y_out[k], stats[k])
