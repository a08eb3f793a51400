"""The in-vitro NK cytotoxicity assay mode (target RPL-03), its limits and its refusals."""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.errors import ParameterError


@pytest.fixture(scope="module")
def assay():
    return iv.in_vitro_nk_suppression(ivig_mg_per_ml=np.geomspace(1e-4, 1e4, 81))


def test_limits_and_half_maximum(assay):
    imax, ic50_mg_per_ml = assay.parameters["nk_imax"], assay.parameters["nk_ic50"] / 1000.0
    assert assay.suppression[0] == pytest.approx(imax * 1e-4 / ic50_mg_per_ml, rel=1e-4)   # linear near 0
    assert assay.suppression[-1] == pytest.approx(imax * 1e4 / (ic50_mg_per_ml + 1e4), rel=1e-12)
    assert imax - assay.suppression[-1] < 5e-4 * imax                              # saturating IVIG: nk_imax
    assert assay.at(ic50_mg_per_ml) == pytest.approx(imax / 2, rel=1e-12)
    assert np.all(np.diff(assay.suppression) > 0) and np.all(assay.suppression < imax)
    np.testing.assert_allclose(assay.cytotoxicity_pct,
                               assay.baseline_cytotoxicity_pct * (1.0 - assay.suppression), rtol=1e-15)


def test_it_is_the_in_vivo_set_point_law():
    """The in-vivo rate law at a plasma IVIG of C mg/L has the set-point baseline x (1 - s(C))."""
    res = iv.in_vitro_nk_suppression(ivig_mg_per_ml=[3.0])
    assert res.suppression[0] == pytest.approx(0.65 * 0.5, rel=1e-12)             # C = nk_ic50 = 3 g/L
    # the override reaches the assay, checked like simulate's
    other = iv.in_vitro_nk_suppression(ivig_mg_per_ml=[3.0], params={"nk_imax": 0.5, "nk_ic50": 1000.0})
    assert other.suppression[0] == pytest.approx(0.5 * 3000 / 4000, rel=1e-12)
    with pytest.raises(ParameterError, match="nk_imax"):
        iv.in_vitro_nk_suppression(params={"nk_imax": 2.0})


def test_roussev_2007_concentrations():
    """RPL-03: 38.9 +/- 5.4 % at 2-4 mg/mL; the model gives 37.1 % at 4 mg/mL with no fitting."""
    res = iv.in_vitro_nk_suppression(ivig_mg_per_ml=[4.0, 2.0], baseline_cytotoxicity_pct=30.0)
    assert res.ivig_mg_per_ml.tolist() == [2.0, 4.0]
    assert 100 * res.suppression[1] == pytest.approx(37.14, abs=0.01)
    assert 100 * res.suppression[0] == pytest.approx(26.0, abs=0.01)
    assert res.cytotoxicity_pct[1] == pytest.approx(30.0 * (1 - 0.65 * 4 / 7), rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"ivig_mg_per_ml": [1.0, -2.0]}, "must be positive"),
    ({"ivig_mg_per_ml": [np.nan]}, "must be positive"),
    ({"ivig_mg_per_ml": []}, "at least one"),
    ({"ivig_mg_per_ml": "lots"}, "must be numbers"),
    ({"baseline_cytotoxicity_pct": 120.0}, "between 0 and 100"),
    ({"baseline_cytotoxicity_pct": True}, "between 0 and 100"),
    ({"model": "fcrn_pk"}, "lacks the parameters of the in-vitro NK assay: nk_imax"),
    ({"params": {"nk_ic5": 1.0}}, "nk_ic5"),
])
def test_bad_input_is_refused_in_one_line(kwargs, match):
    with pytest.raises(ParameterError, match=match) as err:
        iv.in_vitro_nk_suppression(**kwargs)
    assert "\n" not in str(err.value)


def test_csv_and_plot(tmp_path, assay):
    path = assay.to_csv(tmp_path / "nk" / "assay.csv")
    rows = path.read_text().splitlines()
    assert rows[0] == "ivig_mg_per_ml,suppression,cytotoxicity_pct,baseline_cytotoxicity_pct"
    assert len(rows) == 1 + len(assay.ivig_mg_per_ml)
    assert float(rows[-1].split(",")[1]) == assay.suppression[-1]
    written = assay.plot(tmp_path / "assay")
    assert all(p.stat().st_size > 0 for p in written)
