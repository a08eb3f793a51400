"""Tests for the model variants: rapid-equilibrium FcRn (fcrn_pk_qss) and linear (igg_linear).

Both are checked against the full FcRn model (fcrn_pk) through the public API.
"""

import functools

import numpy as np
import pytest

import ivigsim as iv

WEIGHT = 70.0
RTOL = 1e-8
T_END = 56.0

REGIMENS = {
    "standard": lambda: iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8,
                                        every_days=28, cycles=2),
    "1g_x2": lambda: iv.Regimen.ivig(dose_g_per_kg=1.0, days=2, infusion_hours=8,
                                     every_days=28, cycles=2),
}

# Binding 100x slower than the default (same K_D = k_off / k_on = 0.04276 uM): the
# slowest rates the bounds in fcrn_pk.toml allow (k_on >= 100 /uM/day, k_off >= 1 /day).
# Now the complex dissociates at only about 1.4 x the recycling rate, so binding is no
# longer at equilibrium and the QSS model must visibly disagree.
SLOW_BINDING = (("k_on", 134.16), ("k_off", 5.736))

SHARED = ("igg_total", "igg_endogenous", "ivig", "autoantibody", "tracer", "fcrn_occupancy", "igg_body",
          "total_catabolised", "intravascular_fraction")
FCRN_ONLY = ("tracer", "fcrn_occupancy")          # the linear model has no FcRn to bind or to be blind to


@functools.lru_cache(maxsize=None)
def run(model, regimen="standard", params=(), t_end=T_END):
    reg = REGIMENS[regimen]() if isinstance(regimen, str) else regimen
    return iv.simulate(model, regimen=reg, t_end=t_end, body_weight_kg=WEIGHT,
                       params=dict(params) or None, rtol=RTOL)


def relative_difference(a, b, name):
    """Largest |a - b| over time, relative to the largest |a|."""
    scale = np.max(np.abs(a[name]))
    assert scale > 0, name
    return float(np.max(np.abs(a[name] - b[name])) / scale)


def worst_difference(full, qss):
    np.testing.assert_array_equal(full.t, qss.t)
    return max(relative_difference(full, qss, name) for name in SHARED)


# ---------------------------------------------------------------------------
# The variants load and share the full model's interface
# ---------------------------------------------------------------------------


def test_variants_share_observables_units_and_doses():
    full = iv.load_model("fcrn_pk")
    for name in ("fcrn_pk_qss", "igg_linear"):
        spec = iv.load_model(name)
        expected = SHARED if name == "fcrn_pk_qss" else tuple(o for o in SHARED if o not in FCRN_ONLY)
        assert spec.observable_names == expected
        for obs in expected:
            assert spec.unit_of(obs) == full.unit_of(obs), (name, obs)
        assert dict(spec.doses["ivig"].routes) == dict(full.doses["ivig"].routes)
        assert spec.initial_state == "steady_state"
        for par in spec.parameters:
            if par.name in full.parameter_names:
                ref = full.parameters[full.parameter_index(par.name)]
                assert (par.value, par.unit, par.bounds, par.source) == \
                    (ref.value, ref.unit, ref.bounds, ref.source), (name, par.name)
        assert set(spec.mechanism_names) <= set(full.mechanism_names)


# ---------------------------------------------------------------------------
# Rapid-equilibrium FcRn model against the full model
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("regimen", sorted(REGIMENS))
def test_qss_agrees_with_full_model(regimen):
    full, qss = run("fcrn_pk", regimen), run("fcrn_pk_qss", regimen)
    for name in SHARED:
        assert relative_difference(full, qss, name) < 0.01, name
    # The course visibly perturbs the system, so the agreement is not trivial.
    assert np.max(full["ivig"]) > 5.0
    # FcRn occupancy (both pools) at least doubles from its baseline of about 11 %: the
    # haematopoietic pool saturates, while the endothelial pool, 92 % of the receptor, stays far
    # from saturation
    assert np.max(full["fcrn_occupancy"]) > 2.0 * full["fcrn_occupancy"][0]


@pytest.mark.parametrize("regimen", sorted(REGIMENS))
def test_qss_disagrees_when_binding_is_slow(regimen):
    qss = run("fcrn_pk_qss", regimen)
    fast = worst_difference(run("fcrn_pk", regimen), qss)
    slow = worst_difference(run("fcrn_pk", regimen, SLOW_BINDING), qss)
    assert slow > 5 * fast
    assert slow > 0.01          # the 1 % agreement test would fail for slow binding


# ---------------------------------------------------------------------------
# Linear model: no FcRn competition
# ---------------------------------------------------------------------------


def nadir_ratio(res):
    aab = res["autoantibody"]
    return float(np.min(aab) / aab[0])


def test_linear_model_autoantibody_unaffected_by_ivig():
    assert nadir_ratio(run("igg_linear")) == pytest.approx(1.0, abs=1e-6)
    assert nadir_ratio(run("fcrn_pk")) < 0.95
    # The IVIG itself does reach the linear model's plasma.
    assert np.max(run("igg_linear")["ivig"]) > 5.0


def test_untreated_steady_states_agree():
    totals = {m: float(run(m, iv.Regimen.none(), t_end=1.0)["igg_total"][0])
              for m in ("fcrn_pk", "fcrn_pk_qss", "igg_linear")}
    ref = totals["fcrn_pk"]
    assert ref == pytest.approx(11.52, rel=0.01)
    for model, value in totals.items():
        assert value == pytest.approx(ref, rel=0.005), model


# ---------------------------------------------------------------------------
# FcRn knockout in the QSS model: fcrn_total = 0
# ---------------------------------------------------------------------------


def tracer_half_life(model, params=()):
    res = run(model, iv.Regimen.bolus(0.001, at_day=0.0), params, t_end=60.0)
    window = (res.t >= 10.0) & (res.t <= 40.0)
    slope = np.polyfit(res.t[window], np.log(res["ivig"][window]), 1)[0]
    return float(np.log(2.0) / -slope)


def test_qss_fcrn_knockout_shortens_half_life():
    knockout = tracer_half_life("fcrn_pk_qss", (("fcrn_total", 0.0), ("fcrn_total_h", 0.0)))
    default = tracer_half_life("fcrn_pk_qss")
    assert 2.0 < knockout < 10.0
    assert 18.0 < default < 26.0
    assert tracer_half_life("fcrn_pk") == pytest.approx(default, rel=0.02)


def test_qss_fcrn_knockout_is_finite():
    res = run("fcrn_pk_qss", "standard", (("fcrn_total", 0.0),))
    for name in SHARED:
        assert np.all(np.isfinite(res[name])), name
    # B / fcrn_total tends to T / (T + K_D) as fcrn_total -> 0: finite, in [0, 1].
    assert np.all((res["fcrn_occupancy"] >= 0.0) & (res["fcrn_occupancy"] <= 1.0))
    assert np.all(res["ivig_endo"] >= 0.0)
