"""The generated kernels: Jacobian, stoichiometry, switches and the on-disk cache."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ivigsim as iv
from conftest import ROOT
from ivigsim.core.expressions import symbols
from ivigsim.core.kernel.compiled import load_kernel

MODELS = sorted(iv.model_paths())


def _point(spec, kernel, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.uniform(0.1, 2.0, spec.n_species) * np.array(
        [10.0 if s.unit.dims == spec.species[0].unit.dims else 1.0 for s in spec.species])
    p = kernel.parameter_vector(spec.default_parameters(), np.ones(len(spec.mechanisms)))
    return y, p


@pytest.mark.parametrize("name", MODELS)
def test_jacobian_matches_finite_differences(name):
    spec = iv.load_model(name)
    kernel = load_kernel(spec)
    y, p = _point(spec, kernel)
    n = spec.n_species
    J = np.empty((n, n))
    kernel.jac(y, p, J)
    f_plus, f_minus = np.empty(n), np.empty(n)
    fd = np.empty((n, n))
    for j in range(n):
        h = 1e-6 * max(abs(y[j]), 1e-3)
        yp, ym = y.copy(), y.copy()
        yp[j] += h
        ym[j] -= h
        kernel.rhs(yp, p, f_plus)
        kernel.rhs(ym, p, f_minus)
        fd[:, j] = (f_plus - f_minus) / (2 * h)
    scale = np.abs(J).max()
    np.testing.assert_allclose(J, fd, atol=1e-6 * scale, rtol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_rhs_is_stoichiometry_times_rates_over_volume(name):
    spec = iv.load_model(name)
    kernel = load_kernel(spec)
    y, p = _point(spec, kernel, seed=1)
    rates = np.empty(len(spec.reactions))
    kernel.rates(y, p, rates)
    env = spec.environment(spec.default_parameters())
    volumes = np.array([env[s.compartment] for s in spec.species])
    dydt = np.empty(spec.n_species)
    kernel.rhs(y, p, dydt)
    np.testing.assert_allclose(dydt, spec.stoichiometry() @ rates / volumes, rtol=1e-12,
                               atol=1e-12 * np.abs(dydt).max())


@pytest.mark.parametrize("name", MODELS)
def test_switching_a_mechanism_off_removes_exactly_its_reactions(name):
    spec = iv.load_model(name)
    kernel = load_kernel(spec)
    y, _ = _point(spec, kernel, seed=2)
    values = spec.default_parameters()
    all_on = np.empty(len(spec.reactions))
    kernel.rates(y, kernel.parameter_vector(values, np.ones(len(spec.mechanisms))), all_on)
    for m, mechanism in enumerate(spec.mechanism_names):
        switches = np.ones(len(spec.mechanisms))
        switches[m] = 0.0
        rates = np.empty(len(spec.reactions))
        p = kernel.parameter_vector(values, switches)
        kernel.rates(y, p, rates)
        mine = np.array([r.mechanism == mechanism for r in spec.reactions])
        # A mechanism may also appear in rate laws as a 0/1 coupling (e.g. fcrn_saturation).
        coupled = np.array([mechanism in symbols(r.rate) for r in spec.reactions])
        assert np.all(rates[mine] == 0.0)
        np.testing.assert_array_equal(rates[~mine & ~coupled], all_on[~mine & ~coupled])
        if coupled.any() and not mine.any():
            assert np.any(rates[coupled] != all_on[coupled])     # the coupling really acts
        J = np.empty((spec.n_species, spec.n_species))
        kernel.jac(y, p, J)
        assert np.all(np.isfinite(J))


def test_kernel_is_cached_on_disk_for_a_second_process(tmp_path):
    env = dict(os.environ, IVIGSIM_CACHE_DIR=str(tmp_path / "cache"))
    code = ("import ivigsim as iv; from ivigsim.core.kernel.compiled import load_kernel;"
            "k = load_kernel(iv.load_model('fcrn_pk'));"
            "print(sum(k.rhs.stats.cache_hits.values()), sum(k.rhs.stats.cache_misses.values()))")
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           cwd=ROOT, check=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert first.stdout.split() == ["0", "1"]       # compiled in the first process
    assert second.stdout.split() == ["1", "0"]      # loaded from disk in the second
    assert any((tmp_path / "cache").glob("kernel_fcrn_pk_*.py"))


def test_generated_source_is_readable_python():
    spec = iv.load_model("fcrn_pk")
    source = open(load_kernel(spec).source_path).read()
    compile(source, "kernel", "exec")
    assert "def rhs(y, p, dydt):" in source and "def jac(y, p, J):" in source
    assert "eval(" not in source and "exec(" not in source
