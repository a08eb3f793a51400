"""The numerics with Numba's JIT switched off (``NUMBA_DISABLE_JIT=1``), for debugging and coverage.

The tests marked ``jit_off`` are fast enough to run as plain Python; ``.ci/run``
runs them again in a separate step with ``NUMBA_DISABLE_JIT=1``.  In the default
run they run compiled, and one test here runs a simulation in a fresh process
with the JIT off and compares it with the compiled one.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import ivigsim as iv
from conftest import DATA, ROOT

pytestmark = pytest.mark.jit_off


def test_linear_decay_is_exact():
    res = iv.simulate(iv.load_model(DATA / "one_compartment.toml"), t_end=20, rtol=1e-9)
    np.testing.assert_allclose(res["drug"], 2.0 * np.exp(-0.1 * res.t), rtol=1e-7)


def test_bolus_then_decay():
    res = iv.simulate(iv.load_model(DATA / "one_compartment.toml"), regimen=iv.Regimen.bolus(0.3, at_day=2.0),
                      t_end=5, body_weight_kg=50, params={"c0": 0.0}, rtol=1e-10)
    assert res.at("concentration", 5.0) == pytest.approx(6000.0 * math.exp(-0.3), rel=1e-7)


def test_stochastic_birth_death_runs():
    model = iv.load_model(DATA / "birth_death.toml")
    res = iv.simulate(model, t_end=2.0, method="ssa", seed=1)
    assert len(res.t) > 1 and np.all(np.isfinite(res.states)) and np.all(res.states >= 0)


PROBE = """
import json, ivigsim as iv
res = iv.simulate("fcrn_pk", iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8), t_end=30.0,
                  body_weight_kg=70.0)
print(json.dumps({"t": res.t.tolist(), "igg": res["igg_total"].tolist()}))
"""


def test_simulate_without_the_jit_agrees_with_the_compiled_solver():
    if os.environ.get("NUMBA_DISABLE_JIT") == "1":
        pytest.skip("already running with the JIT off")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    plain = json.loads(out.stdout.strip().splitlines()[-1])
    compiled = iv.simulate("fcrn_pk", iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8), t_end=30.0,
                           body_weight_kg=70.0)
    np.testing.assert_array_equal(plain["t"], compiled.t)
    # the same algorithm in Python and in LLVM: equal up to the last bits of exp/log
    np.testing.assert_allclose(plain["igg"], compiled["igg_total"], rtol=1e-9)
