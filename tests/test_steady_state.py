"""The untreated steady state: Newton on the compiled Jacobian, conserved moieties, bounds corners."""

import numpy as np
import pytest
from scipy.stats import qmc

import ivigsim as iv
from ivigsim.core import simulation, steady_state
from ivigsim.core.kernel.compiled import load_kernel

COURSE = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=13)


def _start(name, params=None):
    spec = iv.load_model(name)
    run = simulation.prepare(spec, None, 10.0, 70.0 if "body_weight" in spec.parameter_names else None, params)
    y = simulation.initial_state(spec, run.kernel, run.values, run.p, run.rtol, run.atol)
    return spec, run, y


def test_linear_model_converges_in_one_newton_step(one_compartment):
    """First-order loss, no input: y* = 0, reached by the first (exact) Newton step."""
    spec = iv.load_model(one_compartment)
    kernel = load_kernel(spec)
    values = spec.default_parameters()
    p = kernel.parameter_vector(values, np.ones(len(spec.mechanisms)))
    atol = np.full(spec.n_species, 1e-9)
    free = ~np.array([s.cumulative for s in spec.species])
    out = steady_state.newton(kernel.rhs, kernel.jac, np.full(spec.n_species, 1.0), p, atol, free,
                              np.zeros((0, int(free.sum()))))
    assert out.converged and out.iterations <= 2
    assert np.allclose(out.y[free], 0.0, atol=1e-15)
    dydt = np.empty(spec.n_species)
    kernel.rhs(out.y, p, dydt)
    assert np.max(np.abs(dydt[free])) < 1e-12 * max(1.0, np.max(np.abs(out.y)))


def test_fcrn_pool_is_a_conserved_moiety_and_newton_keeps_it():
    spec, run, y = _start("fcrn_pk")
    free = ~np.array([s.cumulative for s in spec.species])
    env = spec.environment(run.values)
    volumes = np.array([env[s.compartment] for s in spec.species])
    rows = steady_state.conservation_rows(spec.stoichiometry(), volumes, np.ones(len(spec.reactions), bool), free)
    assert rows.shape[0] == 2                       # each FcRn pool: free FcRn + every bound form
    names = list(np.array(spec.species_names)[free])
    for receptor, total, suffix in (("fcrn", "fcrn_total", ""), ("fcrn_h", "fcrn_total_h", "_h")):
        # the FcRn degraded with an antagonist complex, until re-made, belongs to the pool too
        pool = [n for n in names if n in (receptor, "fcrn_deficit" + suffix) or n.endswith("_fcrn" + suffix)]
        if not suffix:                              # endothelial FcRn at the cell surface, free and drug-bound
            pool += ["fcrn_s", "fcra_fcrn_s"]
        assert {receptor, "igg_fcrn" + suffix, "ivig_fcrn" + suffix, "aab_fcrn" + suffix} <= set(pool)
        expected = np.array([volumes[spec.species_index(n)] / volumes[spec.species_index(receptor)]
                             if n in pool else 0.0 for n in names])
        # the pool's law lies in the span of the conservation rows (any basis of the two)
        coef = np.linalg.lstsq(rows.T, expected, rcond=None)[0]
        np.testing.assert_allclose(rows.T @ coef, expected, atol=1e-9)
        # the steady state keeps the pool the file starts with: fcrn_total(_h) in its endosome
        bound = sum(y[spec.species_index(n)] for n in pool)
        present = run.values[spec.parameter_index(total)]
        if not suffix:                              # the surface adds fcrn_total * f / (1 - f)
            present /= 1.0 - run.values[spec.parameter_index("fcrn_surface_fraction")]
        assert bound == pytest.approx(present, rel=1e-10)


def test_steady_state_drift_is_round_off_not_failure():
    """A corner of the bounds whose drift test failed at 1e-9/day: Newton converges; the state is stationary."""
    params = {"mw_igg": 153.8976, "v_plasma": 0.0348, "v_interstitial": 0.2946, "v_endosome": 0.0061,
              "lymph_flow": 0.1874, "cl_extravasation": 0.0297, "cl_uptake": 0.0043, "k_on": 8502370.8384,
              "k_off": 202.7797, "fcrn_total": 479.8622, "k_recycle": 5.2167, "k_deg": 33706.3248,
              "igg_production": 233.3513, "aab_production": 25.1058, "ka_sc": 1.6252, "f_sc": 0.3255}
    spec, run, y = _start("fcrn_pk", params)
    res = iv.simulate("fcrn_pk", t_end=200.0, body_weight_kg=70.0, params=params)
    # untreated: every observable stays at its t = 0 value
    for name in ("igg_total", "autoantibody"):
        assert np.allclose(res[name], res[name][0], rtol=1e-7)


def _hypercube(name, n, seed):
    spec = iv.load_model(name)
    params = [p for p in spec.parameters if p.name != "body_weight" and p.bounds[0] < p.bounds[1]]
    lo = np.array([p.bounds[0] for p in params])
    hi = np.array([p.bounds[1] for p in params])
    u = qmc.LatinHypercube(d=len(params), seed=seed).random(n)
    for row in u:
        yield {p.name: float(v) for p, v in zip(params, lo + row * (hi - lo))}


@pytest.mark.parametrize("name,n", [("fcrn_pk", 40), ("ivig_autoimmune", 40)])
def test_no_failed_point_across_declared_bounds(name, n):
    failures = []
    for params in _hypercube(name, n, seed=20261206):
        try:
            iv.simulate(name, regimen=COURSE, t_end=365.0, body_weight_kg=70.0, params=params)
        except iv.IvigsimError as exc:
            failures.append(str(exc))
    assert failures == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fcrn_pk", "fcrn_pk_qss", "ivig_autoimmune"])
def test_no_failed_point_in_a_300_point_hypercube(name):
    failures = []
    for params in _hypercube(name, 300, seed=1):
        try:
            iv.simulate(name, regimen=COURSE, t_end=365.0, body_weight_kg=70.0, params=params)
        except iv.IvigsimError as exc:
            failures.append(str(exc))
    assert failures == []
