"""The one-run seam is public, as DESIGN.md promises: iv.prepare, iv.solve, iv.SolverOptions,
with simulate their facade."""

import numpy as np
import pytest

import ivigsim as iv


def test_prepare_then_solve_is_simulate_bit_for_bit():
    reg = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8)
    problem = iv.prepare("fcrn_pk", reg, t_end=60.0, body_weight_kg=70.0, params={"fcrn_total": 30.0})
    res = iv.solve(problem).result()
    direct = iv.simulate("fcrn_pk", regimen=reg, t_end=60.0, body_weight_kg=70.0, params={"fcrn_total": 30.0})
    np.testing.assert_array_equal(res.t, direct.t)
    np.testing.assert_array_equal(res.states, direct.states)
    tighter = iv.solve(problem, iv.SolverOptions(rtol=1e-9)).result()
    assert tighter.stats["steps"] > res.stats["steps"]
    np.testing.assert_allclose(tighter["igg_total"], res["igg_total"], rtol=1e-4)


def test_the_seam_is_listed_and_refuses_bad_options():
    assert {"prepare", "solve", "SolverOptions"} <= set(iv.__all__) <= set(dir(iv)) | {"__version__"}
    with pytest.raises(iv.ParameterError, match=r"rtol must lie in \(0, 1\), got 2"):
        iv.SolverOptions(rtol=2)
    with pytest.raises(iv.ParameterError, match="max_steps must be a whole number >= 1"):
        iv.SolverOptions(max_steps=0)
