"""The cell-surface FcRn pool (mechanism ``fcrn_surface``) of the shipped fcrn_pk and ivig_autoimmune.

Derived in fits/fcrn_surface: a fraction of endothelial FcRn sits at the cell
surface, where plasma FcRn antagonist reaches it at pH 7.4. With no drug the
IgG model must not depend on that fraction (the surface only holds its
amount); with drug, FcRn is conserved across endosome, surface, haematopoietic
pool and deficit, the fast sink is the surface amount, and the two models,
one with free FcRn as a state and one with it algebraic, agree.
"""

import tomllib

import numpy as np
import pytest

import ivigsim as iv
from conftest import ROOT, load_script

STUDY = ROOT / "fits" / "fcrn_surface"
MODELS = ("fcrn_pk", "ivig_autoimmune")
R = iv.Regimen
F_SHIPPED, F_LOWER = 0.0227763, 1e-4                 # the fitted fraction and its lower bound
ENDOSOMAL = ("igg_fcrn", "ivig_fcrn", "aab_fcrn", "aid_fcrn", "fcra_fcrn")
HAEMATOPOIETIC = ("igg_fcrn_h", "ivig_fcrn_h", "aab_fcrn_h", "aid_fcrn_h", "fcra_fcrn_h")


def _bound(res, names):
    return sum(np.asarray(res[n]) for n in names if n in res.names)


def free_endosomal(res):
    """Free endothelial endosomal FcRn (uM): a state in fcrn_pk, the remainder in ivig_autoimmune."""
    if "fcrn" in res.names:
        return np.asarray(res["fcrn"])
    p = res.parameters
    return (p["fcrn_total"] / (1.0 - p["fcrn_surface_fraction"]) - res["fcrn_s"] - res["fcra_fcrn_s"]
            - res["fcrn_deficit"] - _bound(res, ENDOSOMAL))


def free_haematopoietic(res):
    """Free haematopoietic FcRn (uM): a state in fcrn_pk, the remainder in ivig_autoimmune."""
    if "fcrn_h" in res.names:
        return np.asarray(res["fcrn_h"])
    p = res.parameters
    return p["fcrn_total_h"] - res["fcrn_deficit_h"] - _bound(res, HAEMATOPOIETIC)


@pytest.fixture(scope="module", params=MODELS)
def ivig_courses(request):
    """Two monthly 2 g/kg IVIG courses, no antagonist, at the fitted surface fraction and at its lower bound."""
    t = np.linspace(0.0, 60.0, 121)
    reg = R.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=2)
    runs = [iv.simulate(request.param, regimen=reg, t_end=60.0, t_eval=t, body_weight_kg=70.0, rtol=1e-12,
                        atol=1e-16, params={"fcrn_surface_fraction": f}) for f in (F_SHIPPED, F_LOWER)]
    return runs


def test_no_drug_the_igg_model_does_not_see_the_surface(ivig_courses):
    """Every state and observable but the surface's own within 1e-9 of its scale through two IVIG courses."""
    shipped, lower = ivig_courses
    compared = [name for name in shipped.names if name != "fcrn_s"]
    assert {"igg_total", "igg_fcrn", "fcrn_occupancy", "fcrn_occupancy_antagonist"} <= set(compared)
    for name in compared:
        a, b = np.asarray(shipped[name]), np.asarray(lower[name])
        # A fraction such as fcrn_occupancy is held to 1e-9 of 1, not of itself.
        scale = 1.0 if shipped.units[name] == "1" else max(float(np.max(np.abs(a))), 1e-300)
        assert np.max(np.abs(a - b)) <= 1e-9 * scale, name
    np.testing.assert_allclose(free_endosomal(shipped), free_endosomal(lower), rtol=1e-9)


def test_no_drug_the_surface_holds_its_amount(ivig_courses):
    """Surface FcRn stays at fcrn_total * f / (1 - f) while IVIG moves the endosomal free FcRn."""
    for res, f in zip(ivig_courses, (F_SHIPPED, F_LOWER)):
        assert res.parameters["fcrn_surface_fraction"] == f
        np.testing.assert_allclose(res["fcrn_s"], res.parameters["fcrn_total"] * f / (1.0 - f), rtol=1e-12)
        assert np.all(res["fcra_fcrn_s"] == 0.0)
    assert np.ptp(free_endosomal(ivig_courses[0])) > 0.1        # the endosomal free FcRn did move


@pytest.fixture(scope="module")
def rozanolixizumab_7():
    """7 mg/kg rozanolixizumab IV over 1 h, the shipped catalogue, on both models (and the surface switched off)."""
    t = np.linspace(0.0, 14.0, 57)
    reg = R.fcrn_antagonist("rozanolixizumab", dose_mg_per_kg=7.0, doses=1, route="iv", infusion_hours=1.0)
    out = {}
    for model in MODELS:
        for on in (True, False):
            out[model, on] = iv.simulate(model, regimen=reg, t_end=14.0, t_eval=t, body_weight_kg=70.0, rtol=1e-10,
                                         mechanisms=None if on else {"fcrn_surface": False})
    return out


@pytest.mark.parametrize("model", MODELS)
def test_fcrn_is_conserved_with_drug(rozanolixizumab_7, model):
    """Free + bound + degraded-not-remade FcRn, endosome with surface and haematopoietic pool, stays constant."""
    res = rozanolixizumab_7[model, True]
    p = res.parameters
    endothelial = (free_endosomal(res) + _bound(res, ENDOSOMAL) + res["fcrn_deficit"]
                   + res["fcrn_s"] + res["fcra_fcrn_s"])
    np.testing.assert_allclose(endothelial, p["fcrn_total"] / (1.0 - p["fcrn_surface_fraction"]), rtol=1e-9)
    haematopoietic = free_haematopoietic(res) + _bound(res, HAEMATOPOIETIC) + res["fcrn_deficit_h"]
    np.testing.assert_allclose(haematopoietic, p["fcrn_total_h"], rtol=1e-9)
    # The checks bite: the drug took surface FcRn, degraded some with it, and no free pool went negative.
    assert np.max(res["fcra_fcrn_s"]) > 0.5 * res["fcrn_s"][0]
    assert np.max(res["fcrn_deficit"]) > 1e-3 * p["fcrn_total"]
    assert np.min(free_endosomal(res)) > 0.0 and np.min(free_haematopoietic(res)) > 0.0


def test_the_two_models_agree_after_rozanolixizumab(rozanolixizumab_7):
    """fcrn_pk (free FcRn a state) and ivig_autoimmune (free FcRn algebraic) give the same drug, occupancy, IgG."""
    a, b = rozanolixizumab_7["fcrn_pk", True], rozanolixizumab_7["ivig_autoimmune", True]
    for name in ("antagonist_concentration", "fcrn_occupancy_antagonist", "igg_total", "fcra_fcrn_s"):
        x, y = np.asarray(a[name])[1:], np.asarray(b[name])[1:]       # t = 0: no drug, occupancy 0 in both
        assert np.max(np.abs(y / x - 1.0)) < 1e-6, name
    # Free surface FcRn falls to 0.1 % of its amount: held to 1e-6 of that amount (measured 2e-9).
    assert np.max(np.abs(b["fcrn_s"] - a["fcrn_s"])) < 1e-6 * a["fcrn_s"][0]
    np.testing.assert_allclose(free_endosomal(b), free_endosomal(a), rtol=1e-6)


@pytest.mark.parametrize("model", MODELS)
def test_the_surface_switched_off_takes_no_drug(rozanolixizumab_7, model):
    """mechanisms={"fcrn_surface": False}: the surface keeps its initial amount and holds no drug."""
    off, on = rozanolixizumab_7[model, False], rozanolixizumab_7[model, True]
    p = off.parameters
    f = p["fcrn_surface_fraction"]
    np.testing.assert_allclose(off["fcrn_s"], p["fcrn_total"] * f / (1.0 - f), rtol=1e-12)
    assert np.all(off["fcra_fcrn_s"] == 0.0) and np.all(off["antagonist_bound_surface"] == 0.0)
    # Without its surface sink the drug stays in plasma longer (rozanolixizumab has no other fast route).
    k = int(np.searchsorted(off.t, 2.0))
    assert off["antagonist_concentration"][k] > 1.5 * on["antagonist_concentration"][k]


@pytest.fixture(scope="module")
def slow_cycling_dose():
    """1 mg/kg rozanolixizumab IV with slow cycling: the surface amount is the fast sink."""
    t = np.linspace(0.0, 4.0, 97)
    reg = R.fcrn_antagonist("rozanolixizumab", dose_mg_per_kg=1.0, doses=1, route="iv", infusion_hours=1.0)
    params = {"fcra_capture": 0.0, "fcra_capture_h": 1e-4, "fcra_complex_deg": 0.5,
              "fcrn_surface_fraction": 0.02, "fcrn_surface_cycling": 0.01}
    return t, iv.simulate("fcrn_pk", regimen=reg, t_end=4.0, t_eval=t, params=params, rtol=1e-10)


def test_the_fast_sink_is_the_surface_amount(slow_cycling_dose):
    """Within hours the drug fills the surface (0.35 umol) and no more: cycling at 0.01 /day is slow."""
    t, res = slow_cycling_dose
    p = res.parameters
    endo = p["v_endosome"] * p["body_weight"]
    f = p["fcrn_surface_fraction"]
    surface_amount = p["fcrn_total"] * f / (1.0 - f) * endo
    k = int(np.searchsorted(t, 0.25))
    bound = res["antagonist_bound_surface"][k]
    assert 0.9 * surface_amount < bound <= surface_amount * (1.0 + 1e-9)
    assert res["fcrn_occupancy_surface"][k] > 0.9
    # The dose (0.47 umol) exceeds the surface: what stays in plasma is the excess, not more.
    dose_umol = 1.0 * p["body_weight"] / p["fcra_mw"]
    assert res["fcra_p"][k] * p["v_plasma"] * p["body_weight"] < dose_umol - 0.9 * surface_amount


@pytest.fixture(scope="module")
def calibrate():
    """The study's calibrate.py, imported once for the four stored fits."""
    return load_script(STUDY / "calibrate.py", "fcrn_surface_calibrate")


def _stored_objective(path):
    return float(path.read_text().split("objective (sum of squared weighted residuals) ")[1].split(";")[0])


@pytest.mark.parametrize("drug, name, free", [
    ("rozanolixizumab", "fitted.toml", ()),
    ("nipocalimab", "fitted.toml", ()),
    ("nipocalimab", "fitted_capture_free.toml", ("fcra_capture",)),
    ("efgartigimod", "fitted_capture_free.toml", ("fcra_capture",)),
])
def test_the_stored_fits_reproduce_their_objective(calibrate, drug, name, free):
    """The study's fitted values, re-simulated on the shipped fcrn_pk, give the objective stored (6 digits)."""
    path = STUDY / drug / name
    fitted = tomllib.loads(path.read_text())
    problem = calibrate.EfgartigimodProblem(free) if drug == "efgartigimod" else calibrate.PetabProblem(drug, free)
    if free:
        assert "fcra_capture" in problem.names
    else:
        assert problem.fixed["fcra_capture"] == 0.0
    x = np.log10([fitted[n]["value"] for n in problem.names])
    r = problem.residuals(x)
    assert float(r @ r) == pytest.approx(_stored_objective(path), rel=1e-5)
    # What the README reads from these fits: on the surface alone rozanolixizumab is carried (every point
    # within 1 sigma), nipocalimab is not (day 14 after 60 mg/kg); with its lumped capture it is.
    worst = float(np.max(np.abs(r)))
    expected_worst = {("rozanolixizumab", ()): (0.0, 1.0), ("nipocalimab", ()): (10.0, np.inf)}
    low, high = expected_worst.get((drug, free), (0.0, 2.0))
    assert low < worst < high
