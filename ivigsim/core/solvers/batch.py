"""Many parameter vectors of one model through the Rodas4 driver in one compiled call.

Fitting needs the model's outputs at a parameter vector and at small
perturbations of it (finite-difference sensitivities). This driver takes the
whole batch at once: row ``k`` of ``y0s``/``ps``/``inputs``/``jumps`` is one
simulation, all sharing the segment boundaries and output times. The loop runs
in compiled code without the GIL, so a batch costs one Python call however
many rows it has, and batches of different fit starts run in parallel on
threads. Per-segment parameter controls (plasma exchange sessions) are
shared by every row, as the segment boundaries are.

:func:`entry` hands out the compiled entry point of a driver, which a caller
that makes thousands of short calls uses to skip Numba's per-call typing of
the arguments (about 0.1 ms a call, as much as a short integration).
"""

from numba import types

from ivigsim.core.kernel.lazy import LazyJit
from ivigsim.core.kernel.signatures import FactorFunction, JacFunction, RhsFunction, SolveFunction
from ivigsim.core.solvers import rodas

# integrate_batch is compiled on first use, not at import (see ivigsim.core.kernel.lazy); it
# reads rodas.integrate_controlled when it compiles, so importing this module compiles neither.
_LAZY = LazyJit(globals())
__getattr__ = _LAZY.module_getattr()

_SIGNATURE = types.void(
    RhsFunction, JacFunction, FactorFunction, SolveFunction,
    types.int64,                  # lu_size
    types.float64[:, ::1],        # y0s (m, n)
    types.float64[:, ::1],        # ps (m, n_p)
    types.float64[::1],           # t_breaks (n_seg + 1,), shared
    types.float64[:, :, ::1],     # inputs (m, n_seg, n_inputs)
    types.int64[::1],             # input_target (n_inputs,), shared
    types.float64[:, :, ::1],     # jumps (m, n_seg, n)
    types.int64[::1],             # control_index (n_controls,), shared
    types.float64[:, ::1],        # control_values (n_seg, n_controls), shared
    types.float64[::1],           # t_out (n_out,), shared
    types.float64,                # rtol
    types.float64[::1],           # atol (n,)
    types.int64,                  # max_steps per row
    types.float64[:, :, ::1],     # y_out (m, n_out, n)
    types.int64[:, ::1],          # stats (m, N_STATS)
    types.int64[::1],             # status (m,): the driver's status code per row
)


@_LAZY.define("integrate_batch", _SIGNATURE, cache=True, nogil=True)
def _integrate_batch(rhs, jac, factor, solve, lu_size, y0s, ps, t_breaks, inputs, input_target, jumps,
                     control_index, control_values, t_out, rtol, atol, max_steps, y_out, stats, status):
    """Integrate every row; a failed row leaves its status code and the others go on."""
    integrate = rodas.integrate_controlled
    for k in range(y0s.shape[0]):
        status[k] = integrate(rhs, jac, factor, solve, lu_size, y0s[k], ps[k], t_breaks, inputs[k], input_target,
                              jumps[k], control_index, control_values, t_out, rtol, atol, 0.0, 1e300, max_steps,
                              y_out[k], stats[k])


def entry(dispatcher):
    """The compiled entry point of a driver compiled for one explicit signature.

    Called with exactly the declared argument types it runs the same machine
    code as the dispatcher, without typing each argument first. With the JIT
    disabled (``NUMBA_DISABLE_JIT=1``) the driver is a plain function and is
    returned as it is.
    """
    found = _ENTRIES.get(dispatcher)
    if found is None:
        overloads = getattr(dispatcher, "overloads", None)
        signatures = getattr(dispatcher, "signatures", None)
        found = overloads[signatures[0]].entry_point if overloads and signatures and len(signatures) == 1 \
            else dispatcher
        _ENTRIES[dispatcher] = found
    return found


_ENTRIES = {}
