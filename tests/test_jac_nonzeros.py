"""``jac_nonzeros``: the Jacobian's structural non-zeros, written into a matrix zeroed once.

The solver zeroes its Jacobian matrix once per integration and then calls
``jac_nonzeros`` at every step. That is exact only if ``jac_nonzeros`` writes
every entry ``jac`` can make non-zero and nothing else, for every model and
both kernel styles; and an integration with it must equal one with ``jac``.
"""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.core.catalogue import load_model
from ivigsim.core.kernel.compiled import load_kernel
from ivigsim.core.simulation import prepare
from ivigsim.core.solvers import rodas

MODELS = sorted(iv.model_paths())


def _point(spec, kernel, seed):
    rng = np.random.default_rng(seed)
    y = rng.uniform(0.5, 2.0, spec.n_species)
    p = kernel.parameter_vector(spec.default_parameters(), np.ones(len(spec.mechanisms)))
    return y, p


def _check(spec, kernel):
    n = spec.n_species
    for seed in (1, 2):
        y, p = _point(spec, kernel, seed)
        full = np.full((n, n), np.nan)
        kernel.jac(y, p, full)                       # zeroes, then fills
        assert np.all(np.isfinite(full))
        marked = np.full((n, n), 7.25)               # a value no Jacobian entry here has
        kernel.jac_nonzeros(y, p, marked)
        written = marked != 7.25
        # everything jac makes non-zero is written, with the same value ...
        assert np.all(written[full != 0])
        np.testing.assert_array_equal(marked[written], full[written])
        # ... and the rest is left alone, so a matrix zeroed once gives jac's matrix
        zeroed = np.zeros((n, n))
        kernel.jac_nonzeros(y, p, zeroed)
        np.testing.assert_array_equal(zeroed, full)


@pytest.mark.parametrize("name", MODELS)
def test_jac_nonzeros_writes_exactly_the_structural_entries(name):
    spec = load_model(name)
    _check(spec, load_kernel(spec))


def test_tape_kernel_jac_nonzeros_writes_exactly_the_structural_entries():
    spec = load_model("fcrn_pk_qss")
    _check(spec, load_kernel(spec, style="tape"))


def test_integration_with_jac_nonzeros_equals_the_full_jacobian():
    regimen = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=2)
    run = prepare("fcrn_pk", regimen, t_end=60.0, body_weight_kg=70.0)
    kernel, sched = run.kernel, run.schedule
    fn = kernel.typed
    out = {}
    for name, jac in (("full", fn.jac), ("nonzeros", fn.jac_nonzeros)):
        y_out = np.zeros((len(run.t_out), kernel.n_species))
        stats = np.zeros(rodas.N_STATS, dtype=np.int64)
        status = rodas.integrate_controlled(
            fn.rhs, jac, fn.factor, fn.solve, kernel.lu_size, np.ascontiguousarray(run.initial_state()), run.p,
            sched.t_breaks, sched.inputs, sched.input_target, sched.jumps,
            np.ascontiguousarray(sched.control_index, dtype=np.int64),
            np.ascontiguousarray(sched.control_values, dtype=np.float64),
            np.ascontiguousarray(run.t_out, dtype=np.float64), 1e-6, np.full(kernel.n_species, 1e-9),
            0.0, np.inf, 100_000, y_out, stats)
        assert status == rodas.SUCCESS
        out[name] = (y_out, stats)
    np.testing.assert_array_equal(out["nonzeros"][0], out["full"][0])
    np.testing.assert_array_equal(out["nonzeros"][1], out["full"][1])
    assert out["full"][1][rodas.STAT_ACCEPTED] > 100
