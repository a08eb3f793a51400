"""In-vitro NK cytotoxicity assay: suppression of per-cell NK killing by IVIG in one well.

The assay of Roussev, Ng & Coulam (2007) incubates a patient's peripheral
blood NK cells with IVIG (2 and 4 mg/mL) and measures their killing of
fluorescence-labelled K562 targets by flow cytometry; IVIG suppressed it by
38.9 ± 5.4 % in women with raised NK activity (44.9 ± 8.1 % with normal
activity), target RPL-03.

This mode is the *per-cell cytotoxicity* channel of ``ivig_autoimmune``
without the body: the cells reach the set-point of the in-vivo law at the
IVIG concentration of the well::

    suppression(C) = nk_imax * C / (nk_ic50 + C)
    cytotoxicity(C) = baseline * (1 - suppression(C))

with the model's own ``nk_imax`` (the largest fall after high-dose IVIG,
RPL-02) and ``nk_ic50`` (set from the fall one week after 20 g/day x 3 in
vivo, RPL-01); IVIG in plasma and IVIG in the well are both total infused IgG
by mass. Nothing is fitted to the assay, so RPL-03 tests the in-vivo
calibration on an independent experiment. The incubation is taken to be long
enough for the cells to reach that set-point (the model's relaxation rate
``k_nk`` plays no part).

This channel is kept apart from the NK *activation* of the antitumour models
(``ivig_antitumour*``), where IVIG raises NK activity through IL-12: in vitro
and in recurrent pregnancy loss IVIG lowers per-cell cytotoxicity.

>>> from ivigsim.core.in_vitro_nk import in_vitro_nk_suppression
>>> res = in_vitro_nk_suppression(ivig_mg_per_ml=[2.0, 4.0])
>>> [round(100 * s, 1) for s in res.suppression]    # doctest: +SKIP
[26.0, 37.1]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivigsim.core.catalogue import load_model
from ivigsim.errors import ParameterError
from ivigsim.core.in_vitro import well_concentrations
from ivigsim.core.simulation import resolve_parameters
from ivigsim.core.views import view

__all__ = ["InVitroNKAssay", "in_vitro_nk_suppression"]

# Model parameters this mode reads (all in the model file, with units and sources).
PARAMETERS = ("nk_imax", "nk_ic50", "nk_cytotoxicity_baseline")
_MG_PER_L_PER_MG_PER_ML = 1000.0
_DEFAULT_IVIG = np.geomspace(0.1, 40.0, 30)


@dataclass(frozen=True)
class InVitroNKAssay:
    """NK cytotoxicity against K562 targets with IVIG in the well.

    Attributes
    ----------
    ivig_mg_per_ml : numpy.ndarray, shape (n,)
        IVIG (IgG) concentrations in the well, ascending, mg/mL.
    suppression : numpy.ndarray, shape (n,)
        Fraction of the cells' cytotoxicity removed by IVIG, 0..nk_imax.
    cytotoxicity_pct : numpy.ndarray, shape (n,)
        Specific lysis with IVIG, % (the baseline times ``1 - suppression``).
    baseline_cytotoxicity_pct : float
        Specific lysis without IVIG, %.
    parameters : dict of str -> float
        The model parameters used, in their declared units.
    """

    ivig_mg_per_ml: np.ndarray
    suppression: np.ndarray
    cytotoxicity_pct: np.ndarray
    baseline_cytotoxicity_pct: float
    parameters: dict

    def __repr__(self):
        return view("in_vitro_nk.repr")(self)

    def _repr_html_(self):
        return view("in_vitro_nk.html")(self)

    def at(self, ivig_mg_per_ml):
        """Suppression (fraction) at one IVIG concentration [mg/mL] (the same law, not interpolated)."""
        c = float(well_concentrations(ivig_mg_per_ml, "ivig_mg_per_ml")[0]) * _MG_PER_L_PER_MG_PER_ML
        return self.parameters["nk_imax"] * c / (self.parameters["nk_ic50"] + c)

    def to_csv(self, path):
        """Write one row per IVIG concentration; returns the path written."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["ivig_mg_per_ml", "suppression", "cytotoxicity_pct", "baseline_cytotoxicity_pct"])
            for c, s, k in zip(self.ivig_mg_per_ml, self.suppression, self.cytotoxicity_pct):
                writer.writerow([repr(float(v)) for v in (c, s, k, self.baseline_cytotoxicity_pct)])
        tmp.replace(path)
        return path

    def plot(self, path):
        """Suppression [%] against IVIG [mg/mL] (log axis); saved as PNG and SVG. Returns the paths."""
        from ivigsim.interfaces.plotting import PALETTE
        from ivigsim.interfaces.sweep_plots import new_figure, save_figure
        with new_figure(5.6, 3.8) as (fig, ax):
            ax.plot(self.ivig_mg_per_ml, 100.0 * self.suppression, "-o", ms=3, lw=1.6, color=PALETTE[0],
                    label="suppression of NK cytotoxicity")
            ax.axhline(100.0 * self.parameters["nk_imax"], color="0.5", lw=0.8, ls=":", label="nk_imax")
            ax.set_xscale("log")
            ax.set_xlabel("IVIG in the well [mg/mL]")
            ax.set_ylabel("suppression [%]")
            ax.grid(alpha=0.3)
            ax.legend(frameon=False, fontsize=8, loc="upper left")
            return save_figure(fig, path)


def in_vitro_nk_suppression(model="ivig_autoimmune", ivig_mg_per_ml=_DEFAULT_IVIG, baseline_cytotoxicity_pct=None,
                            params=None):
    """Suppression of per-cell NK cytotoxicity by IVIG in an in-vitro assay.

    Parameters
    ----------
    model : str, Path or ModelSpec
        A model with the parameters in :data:`PARAMETERS` (default ``"ivig_autoimmune"``).
    ivig_mg_per_ml : array_like
        IVIG concentrations in the well, mg/mL, positive and finite; the result is sorted ascending.
        Default: 30 values from 0.1 to 40 mg/mL, log-spaced.
    baseline_cytotoxicity_pct : float, optional
        The sample's specific lysis without IVIG, % (0-100); default the model's
        ``nk_cytotoxicity_baseline``. It scales ``cytotoxicity_pct`` only: the
        suppressed fraction does not depend on it.
    params : dict, optional
        Parameter overrides by name, checked like :func:`ivigsim.simulate`'s.

    Returns
    -------
    InVitroNKAssay
    """
    spec = load_model(model)
    missing = [name for name in PARAMETERS if name not in spec.parameter_names]
    if missing:
        raise ParameterError(f"model '{spec.label}' lacks the parameters of the in-vitro NK assay: "
                             f"{', '.join(missing)}; use 'ivig_autoimmune'")
    ivig = np.sort(well_concentrations(ivig_mg_per_ml, "IVIG concentrations (ivig_mg_per_ml)"))
    values = resolve_parameters(spec, params)
    p = {name: float(values[spec.parameter_index(name)]) for name in PARAMETERS}
    if p["nk_ic50"] <= 0:
        raise ParameterError("nk_ic50 must be positive in the in-vitro NK assay (a finite potency)")
    baseline = p["nk_cytotoxicity_baseline"] if baseline_cytotoxicity_pct is None else baseline_cytotoxicity_pct
    if isinstance(baseline, bool) or not isinstance(baseline, (int, float)) or not 0.0 <= baseline <= 100.0:
        raise ParameterError(f"baseline_cytotoxicity_pct must be a specific lysis in % between 0 and 100, "
                             f"got {baseline!r}")
    c = ivig * _MG_PER_L_PER_MG_PER_ML
    suppression = p["nk_imax"] * c / (p["nk_ic50"] + c)
    return InVitroNKAssay(ivig_mg_per_ml=ivig, suppression=suppression,
                          cytotoxicity_pct=float(baseline) * (1.0 - suppression),
                          baseline_cytotoxicity_pct=float(baseline), parameters=p)
