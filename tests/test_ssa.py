"""Stochastic simulation: Gillespie's direct method and tau-leaping against exact results.

Statistical checks use fixed seeds (so a test passes or fails every time) and
a tolerance of 5 standard errors, with the standard error computed from the
known distribution where there is one (Poisson for the birth-death process).
"""

import math

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.errors import ParameterError, SolverError
from ivigsim.core.simulation import prepare
from ivigsim.core.stochastic import simulate_stochastic, species_scales

from conftest import DATA

K_B, K_D = 100.0, 1.0          # birth_death.toml defaults: stationary Poisson(100)
Z = 5.0                        # tolerance, in standard errors


@pytest.fixture(scope="module")
def birth_death():
    return iv.load_model(DATA / "birth_death.toml")


def _replicates(run, method, n, name, first_seed=0, **kw):
    return np.array([simulate_stochastic(run, method, seed, **kw)[name]
                     for seed in range(first_seed, first_seed + n)])


def _check_stationary(x, dt_sample, label):
    """Mean and variance of a Poisson(K_B/K_D) process sampled every dt_sample, within Z SE."""
    lam = K_B / K_D
    rho = math.exp(-K_D * dt_sample)                        # autocorrelation of successive samples
    n = len(x)
    se_mean = math.sqrt(lam / n * (1 + rho) / (1 - rho))
    se_var = math.sqrt((2 * lam ** 2 + lam) / n * (1 + rho ** 2) / (1 - rho ** 2))
    assert abs(x.mean() - lam) < Z * se_mean, f"{label}: mean {x.mean():.3f} vs {lam} (SE {se_mean:.3f})"
    assert abs(x.var() - lam) < Z * se_var, f"{label}: variance {x.var():.3f} vs {lam} (SE {se_var:.3f})"


@pytest.mark.parametrize("method", ["ssa", "tau_leaping"])
def test_stationary_distribution_is_poisson(birth_death, method):
    t = np.arange(0.0, 4001.0)
    res = iv.simulate(birth_death, t_end=4000, t_eval=t, params={"x0": 100.0}, method=method, seed=11)
    _check_stationary(res["x"][10:], 1.0, method)
    assert res.stats["method"] == method
    assert res.stats["events"] == pytest.approx(2 * K_B * 4000, rel=0.02)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ssa", "tau_leaping"])
def test_stationary_distribution_long_run(birth_death, method):
    t = np.arange(0.0, 100_001.0)
    res = iv.simulate(birth_death, t_end=100_000, t_eval=t, params={"x0": 100.0}, method=method, seed=12)
    _check_stationary(res["x"][10:], 1.0, method)


@pytest.mark.parametrize("method", ["ssa", "tau_leaping"])
def test_transient_mean_from_zero(birth_death, method):
    # From x(0) = 0 the count stays Poisson with mean m(t) = (k_b/k_d)(1 - exp(-k_d t)).
    t = np.array([0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0])
    run = prepare(birth_death, t_end=4.0, t_eval=t)
    n = 400
    x = _replicates(run, method, n, "x")
    m = K_B / K_D * (1 - np.exp(-K_D * t))
    assert np.all(x[:, 0] == 0)
    mean, var = x.mean(axis=0)[1:], x.var(axis=0)[1:]
    se_mean = np.sqrt(m[1:] / n)
    se_var = np.sqrt((2 * m[1:] ** 2 + m[1:]) / n)
    assert np.all(np.abs(mean - m[1:]) < Z * se_mean), (mean, m)
    assert np.all(np.abs(var - m[1:]) < Z * se_var), (var, m)


def test_tau_leaping_agrees_with_ssa(birth_death):
    t = np.array([0.5, 1.0, 3.0])
    run = prepare(birth_death, t_end=3.0, t_eval=t)
    n = 400
    exact = _replicates(run, "ssa", n, "x")
    leaped = _replicates(run, "tau_leaping", n, "x", first_seed=10_000, tau_day=0.02)
    se = np.sqrt(exact.var(axis=0) / n + leaped.var(axis=0) / n)
    assert np.all(np.abs(exact.mean(axis=0) - leaped.mean(axis=0)) < Z * se)
    res = simulate_stochastic(run, "tau_leaping", 0, tau_day=0.02)
    assert res.stats["leaps"] >= 3.0 / 0.02 and res.stats["tau_day"] == 0.02


@pytest.mark.parametrize("method", ["ssa", "tau_leaping"])
def test_same_seed_same_trajectory(birth_death, method):
    kw = dict(t_end=20, t_eval=np.linspace(0, 20, 201), method=method)
    a = iv.simulate(birth_death, seed=7, **kw)
    b = iv.simulate(birth_death, seed=7, **kw)
    c = iv.simulate(birth_death, seed=8, **kw)
    np.testing.assert_array_equal(a.states, b.states)
    assert a.stats == b.stats
    assert not np.array_equal(a.states, c.states)
    assert a.stats["seed"] == 7


def test_unseeded_runs_differ_and_record_their_seed(birth_death):
    a = iv.simulate(birth_death, t_end=20, method="ssa")
    b = iv.simulate(birth_death, t_end=20, method="ssa")
    assert not np.array_equal(a.states, b.states)
    again = iv.simulate(birth_death, t_end=20, method="ssa", seed=a.stats["seed"])
    np.testing.assert_array_equal(a.states, again.states)


@pytest.mark.parametrize("method", ["ssa", "tau_leaping"])
def test_bolus_adds_its_count(birth_death, method):
    # Birth and death off: only the dose changes x. 0.0523 g/kg x 1 kg / (1 mg/cell) = 52.3 -> 52 cells.
    off = {"birth": False, "death": False}
    reg = iv.Regimen.bolus(0.0523, at_day=1.0, product="cells")
    t = np.array([0.0, 0.5, 1.0, 2.0])
    res = iv.simulate(birth_death, regimen=reg, t_end=2, t_eval=t, mechanisms=off, method=method, seed=1)
    np.testing.assert_array_equal(res["x"], [0, 0, 52, 52])
    assert res.stats["events"] == 0
    # 10 counts per cell: 523 particles, shown as 52.3 cells
    res = iv.simulate(birth_death, regimen=reg, t_end=2, t_eval=t, mechanisms=off, method=method, seed=1,
                      ssa_scale={"x": 10.0})
    np.testing.assert_allclose(res["x"], [0, 0, 52.3, 52.3], rtol=1e-12)


def test_infusion_adds_poisson_counts(birth_death):
    # 0.2 g/kg over 24 h from day 1 = 200 cells in expectation, one at a time: Poisson(200 * fraction).
    off = {"birth": False, "death": False}
    reg = iv.Regimen.infusion(0.2, at_day=1.0, hours=24, product="cells")
    t = np.array([0.5, 1.0, 1.5, 2.0, 3.0])
    run = prepare(birth_death, regimen=reg, t_end=3, t_eval=t, mechanisms=off)
    n = 300
    for method in ("ssa", "tau_leaping"):
        x = _replicates(run, method, n, "x")
        assert np.all(x[:, :2] == 0) and np.all(x[:, 3] == x[:, 4])
        assert np.all(np.diff(x, axis=1) >= 0)
        expected = np.array([100.0, 200.0])
        mean = x[:, 2:4].mean(axis=0)
        assert np.all(np.abs(mean - expected) < Z * np.sqrt(expected / n)), (method, mean)
        assert np.all(np.abs(x[:, 2:4].var(axis=0) - expected) < Z * np.sqrt((2 * expected ** 2 + expected) / n))


def _convergence(model, regimen, t, name, scales, n, **kw):
    """Per scale: (relative deviation of the replicate mean, its SE, rms relative deviation)."""
    ode = iv.simulate(model, regimen=regimen, t_end=t[-1], t_eval=t, rtol=1e-9, **kw)[name]
    run = prepare(model, regimen, t_end=t[-1], t_eval=t, **kw)
    out = []
    for scale in scales:
        x = _replicates(run, "ssa", n, name, ssa_scale=scale)
        rel = x / ode - 1.0
        out.append((rel.mean(axis=0), rel.std(axis=0) / math.sqrt(n), math.sqrt(np.mean(rel ** 2))))
    return out


def test_ssa_mean_converges_to_ode_linear_model():
    # Linear model: the SSA mean equals the ODE at any scale (up to rounding the initial counts),
    # and the relative spread of one trajectory shrinks like 1/sqrt(scale).
    reg = iv.Regimen.bolus(0.4, at_day=0.0)
    t = np.array([1.0, 3.0, 8.0])
    (m1, se1, rms1), (m16, se16, rms16) = _convergence("igg_linear", reg, t, "ivig_p", [1.0, 16.0], 60)
    assert np.all(np.abs(m1) < Z * se1 + 3e-3), m1
    assert np.all(np.abs(m16) < Z * se16 + 2e-4), m16
    assert 0.6 * 4 < rms1 / rms16 < 1.5 * 4, (rms1, rms16)
    assert rms16 < 0.05


def test_ssa_mean_converges_to_ode_fcrn_qss():
    # Nonlinear (saturable FcRn): at small scale the mean is biased by finite-size effects;
    # the rms deviation shrinks like 1/sqrt(scale) and the mean approaches the ODE.
    reg = iv.Regimen.bolus(1.0, at_day=0.0)
    t = np.array([1.0, 3.0, 7.0])
    (m1, se1, rms1), (m16, se16, rms16) = _convergence("fcrn_pk_qss", reg, t, "ivig_p", [1.0, 16.0], 100)
    assert np.all(np.abs(m16) < Z * se16 + 1e-3), m16
    assert np.max(np.abs(m16)) < np.max(np.abs(m1))
    assert 0.6 * 4 < rms1 / rms16 < 1.5 * 4, (rms1, rms16)


def test_molar_model_needs_a_scale():
    with pytest.raises(ParameterError) as info:
        iv.simulate("igg_linear", t_end=1, method="ssa")
    words = str(info.value)
    assert "ssa_scale" in words and "umol" in words and "system-size" in words
    spec = iv.load_model("igg_linear")
    assert np.all(species_scales(spec, 3.0) == 3.0)
    with pytest.raises(ParameterError, match="Did you mean 'ivig_p'"):
        species_scales(spec, {"ivig_pp": 1.0})
    with pytest.raises(ParameterError, match="positive finite"):
        species_scales(spec, -1.0)
    # a dict that splits one reaction's species between two scales would not conserve amount
    scales = {n: 2.0 for n in spec.species_names} | {"ivig_i": 3.0}
    with pytest.raises(ParameterError, match="share one scale"):
        iv.simulate(spec, t_end=1, method="ssa", ssa_scale=scales)


def test_cells_count_one_per_cell_by_default(birth_death):
    assert species_scales(birth_death)[0] == 1.0
    res = iv.simulate(birth_death, t_end=1, method="ssa", seed=0, params={"x0": 3.4})
    assert res["x"][0] == 3.0


def test_homo_reaction_is_refused(tmp_path):
    text = (DATA / "birth_death.toml").read_text().replace('equation = "x ->"', 'equation = "2 x ->"')
    path = tmp_path / "dimer.toml"
    path.write_text(text.replace('name = "birth_death"', 'name = "dimer_decay"'))
    with pytest.raises(ParameterError, match=r"n\(n-1\)"):
        iv.simulate(path, t_end=1, method="ssa")


def test_bad_options_are_refused(birth_death):
    with pytest.raises(ParameterError, match="'ode', 'ssa', 'tau_leaping'"):
        iv.simulate(birth_death, t_end=1, method="gillespie")
    with pytest.raises(ParameterError, match="apply to method"):
        iv.simulate(birth_death, t_end=1, ssa_scale=2.0)
    with pytest.raises(ParameterError, match="tau_leaping' only"):
        iv.simulate(birth_death, t_end=1, method="ssa", tau_day=0.1)
    with pytest.raises(ParameterError, match="tau_day must be a positive"):
        iv.simulate(birth_death, t_end=1, method="tau_leaping", tau_day=0.0)
    with pytest.raises(ParameterError, match="seed must be"):
        iv.simulate(birth_death, t_end=1, method="ssa", seed=-1)


def test_event_cap(birth_death):
    run = prepare(birth_death, t_end=1000)
    with pytest.raises(ParameterError, match="max_events"):          # refused up front
        simulate_stochastic(run, "ssa", 0, max_events=1000)
    run = prepare(birth_death, t_end=100)
    with pytest.raises(SolverError, match="max_events") as info:     # caught in the loop
        simulate_stochastic(run, "ssa", 0, max_events=15_000)
    assert info.value.stats["events"] == 15_000
