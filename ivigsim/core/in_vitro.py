"""In-vitro mixing: inhibition of an autoantibody by IVIG's anti-idiotypes in one well.

The published mixing experiments (Rossi & Kazatchkine 1989; Caccavo et al.
1994; the lupus-anticoagulant study of target AI-02) add IVIG, or its
F(ab')2, at increasing concentrations to a patient's IgG and measure how much
the patient's autoantibody still binds its antigen (ELISA).  Inhibition rises
with IVIG, is largest at a particular patient IgG : IVIG ratio and falls again
at high IVIG excess (a prozone, target AI-05).

Here that is an equilibrium of three antibody populations in one well, with no
body and no time:

* **A**, the patient's autoantibody: total ``aab_fraction_in_patient_igg`` x
  patient IgG;
* **D**, IVIG's anti-idiotypes against it: total ``f_antiidiotype_in_vitro``
  x IVIG;
* **I**, IgG in IVIG that carries the same (or a cross-reactive) idiotype:
  total ``f_idiotype_ivig`` x IVIG.

D binds A 1:1 with K_D = ``k_off_aid / k_on_aid`` (the chemistry of the in-vivo
model ``ivig_autoimmune``, same parameters) and binds I 1:1 with K_D =
``k_d_idiotype``.  The anti-idiotype content has its own parameter because it
is specific to each autoantibody: ``f_antiidiotype`` is that of the in-vivo
ITP autoantibody, and with its default (0.001) and K_D = 0.1 uM the largest
maximum that still falls again before 40 mg/mL IVIG is about 42 % (a random
search of the other parameters within their bounds), short of AI-03's 43-55 %
with a clear prozone (AI-05).  Pass ``params={"f_antiidiotype_in_vitro": ...}``
to tie the two.  I competes with A for the anti-idiotypes, and what is left
of it free binds the antigen too, with a reactivity ``antigen_reactivity_ivig``
relative to the patient's autoantibody.  The ELISA signal is taken as
proportional to::

    A_free + antigen_reactivity_ivig * I_free

and the inhibition is ``1 - signal(with IVIG) / signal(patient IgG alone)``,
where the signal without IVIG is ``A_total``.  At large IVIG excess the free
idiotype-bearing IgG of IVIG can bind more antigen than the anti-idiotypes
have taken away, so the inhibition can become *negative* (the mixture binds
more than the patient's serum alone).  That is the model's prozone carried to
its end, not a numerical fault.

Mass concentrations of IgG are converted to uM with ``mw_igg`` (150 mg/umol:
1 mg/mL = 6.667 uM).  Free anti-idiotype is found by a bracketed root search
(:func:`scipy.optimize.brentq`) of its mass balance; free A and free I follow
in closed form, so the totals of A and I are conserved to rounding and the
total of D to the root's precision (about 1e-15 relative).

>>> from ivigsim.core.in_vitro import in_vitro_inhibition
>>> res = in_vitro_inhibition()                     # default: patient IgG 1 mg/mL
>>> round(res.max_inhibition, 2), round(1 / res.ratio_at_max, 1)   # doctest: +SKIP
(0.48, 17.5)
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from ivigsim.core.catalogue import load_model
from ivigsim.errors import ParameterError
from ivigsim.core.simulation import resolve_parameters
from ivigsim.core.views import view

__all__ = ["InVitroInhibition", "in_vitro_inhibition", "equilibrium", "well_concentrations"]

# Model parameters this mode reads (all in the model file, with units and sources).
PARAMETERS = (
    "mw_igg",                       # mg/umol
    "f_antiidiotype_in_vitro",      # 1
    "k_on_aid",                     # 1/(uM*day)
    "k_off_aid",                    # 1/day
    "aab_fraction_in_patient_igg",  # 1
    "f_idiotype_ivig",              # 1
    "k_d_idiotype",                 # uM
    "antigen_reactivity_ivig",      # 1
)
# mg/mL of IgG divided by mw_igg [mg/umol] is umol/mL; x 1000 gives umol/L = uM.
_UM_PER_MG_PER_ML_PER_INV_MW = 1000.0
_DEFAULT_IVIG = np.geomspace(0.1, 40.0, 30)
_SPECIES = ("a_total", "d_total", "i_total", "a_free", "d_free", "i_free",
            "ad_complex", "di_complex")


# ---------------------------------------------------------------------------
# The equilibrium of one well
# ---------------------------------------------------------------------------

def _free_antiidiotype(a_tot, d_tot, i_tot, kd_a, kd_i):
    """Free anti-idiotype [uM] solving its mass balance, all arguments in uM.

    Balance: ``d + a_tot d/(kd_a + d) + i_tot d/(kd_i + d) = d_tot``; the left
    side rises strictly with d, so the root is unique.  It lies in
    ``[d_tot / (1 + a_tot/kd_a + i_tot/kd_i), d_tot]`` (each bound fraction is
    at most d/kd), a bracket at most a factor ``1 + a_tot/kd_a + i_tot/kd_i``
    wide, searched in log space so that a very small free fraction is found
    to full relative precision.
    """
    if d_tot == 0.0:
        return 0.0

    def excess(d):
        return d + a_tot * d / (kd_a + d) + i_tot * d / (kd_i + d) - d_tot

    if excess(d_tot) <= 0.0:          # nothing to bind (a_tot = i_tot = 0)
        return d_tot
    log_high = math.log(d_tot)
    log_low = log_high - math.log1p(a_tot / kd_a + i_tot / kd_i)
    low = math.exp(log_low)
    if low == d_tot or excess(low) >= 0.0:    # rounding at the lower bound
        return low
    log_root = brentq(lambda u: excess(math.exp(u)), log_low, log_high,
                      xtol=1e-14, rtol=4.0 * np.finfo(float).eps, maxiter=500)
    d = min(max(math.exp(log_root), low), d_tot)
    # One Newton step in linear space polishes the last bits lost to exp/log.
    slope = 1.0 + a_tot * kd_a / (kd_a + d) ** 2 + i_tot * kd_i / (kd_i + d) ** 2
    polished = d - excess(d) / slope
    if low <= polished <= d_tot and abs(excess(polished)) <= abs(excess(d)):
        d = polished
    return d


def equilibrium(a_total, d_total, i_total, kd_autoantibody, kd_idiotype):
    """Free and bound concentrations of the three populations in one well.

    Parameters
    ----------
    a_total, d_total, i_total : float or array_like
        Totals of the patient's autoantibody (A), IVIG's anti-idiotypes (D)
        and IVIG's idiotype-bearing IgG (I), in uM; broadcast together.
    kd_autoantibody : float
        K_D of anti-idiotype binding to the autoantibody, uM (> 0).
    kd_idiotype : float
        K_D of anti-idiotype binding to IVIG's idiotype-bearing IgG, uM (> 0).

    Returns
    -------
    dict of str -> numpy.ndarray
        ``a_total, d_total, i_total, a_free, d_free, i_free, ad_complex,
        di_complex`` in uM.  ``a_free + ad_complex = a_total``,
        ``i_free + di_complex = i_total`` and
        ``d_free + ad_complex + di_complex = d_total``.
    """
    kd_a, kd_i = float(kd_autoantibody), float(kd_idiotype)
    if not (math.isfinite(kd_a) and kd_a > 0 and math.isfinite(kd_i) and kd_i > 0):
        raise ParameterError(f"dissociation constants must be positive and finite, got "
                             f"{kd_a:g} uM (autoantibody) and {kd_i:g} uM (idiotype)")
    a, d, i = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (a_total, d_total, i_total)))
    if not all(np.all(np.isfinite(x)) and np.all(x >= 0) for x in (a, d, i)):
        raise ParameterError("total concentrations must be finite and not negative")
    d_free = np.array([_free_antiidiotype(float(aa), float(dd), float(ii), kd_a, kd_i)
                       for aa, dd, ii in zip(a.ravel(), d.ravel(), i.ravel())]).reshape(a.shape)
    ad = a * d_free / (kd_a + d_free)
    di = i * d_free / (kd_i + d_free)
    return {
        "a_total": a.copy(), "d_total": d.copy(), "i_total": i.copy(),
        "a_free": a * kd_a / (kd_a + d_free), "d_free": d_free, "i_free": i * kd_i / (kd_i + d_free),
        "ad_complex": ad, "di_complex": di,
    }


# ---------------------------------------------------------------------------
# The mixing experiment
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class InVitroInhibition:
    """Inhibition of autoantibody binding by IVIG in a mixing experiment.

    Attributes
    ----------
    ivig_mg_per_ml : numpy.ndarray, shape (n,)
        IVIG IgG concentrations in the well, ascending, mg/mL.
    patient_igg_mg_per_ml : float
        The patient's IgG in the well, mg/mL.
    ratio_patient_to_ivig : numpy.ndarray, shape (n,)
        Patient IgG : IVIG by mass (1/25 for "1:25").
    inhibition : numpy.ndarray, shape (n,)
        Fraction of the autoantibody's antigen binding removed by IVIG, 0..1.
        Negative at large IVIG excess when IVIG's own idiotype-bearing IgG
        binds more antigen than its anti-idiotypes remove.
    free_autoantibody_fraction : numpy.ndarray, shape (n,)
        Free patient autoantibody / its total.
    parameters : dict of str -> float
        The model parameters used (in their declared units); can be passed
        back as ``params=`` to repeat the calculation.
    species_um : dict of str -> numpy.ndarray
        Totals, free and bound concentrations in uM at each point (see
        :func:`equilibrium`).
    """

    ivig_mg_per_ml: np.ndarray
    patient_igg_mg_per_ml: float
    ratio_patient_to_ivig: np.ndarray
    inhibition: np.ndarray
    free_autoantibody_fraction: np.ndarray
    parameters: dict
    species_um: dict = field(default_factory=dict, repr=False)

    def __repr__(self):
        return view("in_vitro.repr")(self)

    def _repr_html_(self):
        return view("in_vitro.html")(self)

    @property
    def _argmax(self):
        return int(np.argmax(self.inhibition))

    @property
    def max_inhibition(self):
        """Largest inhibition over the IVIG concentrations computed (fraction)."""
        return float(self.inhibition[self._argmax])

    @property
    def ivig_at_max_mg_per_ml(self):
        """IVIG concentration [mg/mL] of the largest inhibition (on the grid computed)."""
        return float(self.ivig_mg_per_ml[self._argmax])

    @property
    def ratio_at_max(self):
        """Patient IgG : IVIG by mass at the largest inhibition (1/20 for "1:20")."""
        return float(self.ratio_patient_to_ivig[self._argmax])

    def to_csv(self, path):
        """Write one row per IVIG concentration; returns the path written."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = ["ivig_mg_per_ml", "patient_igg_mg_per_ml", "ratio_patient_to_ivig",
                   "inhibition", "free_autoantibody_fraction"]
        species = [name for name in _SPECIES if name in self.species_um]
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns + [f"{name}_uM" for name in species])
            for k in range(len(self.ivig_mg_per_ml)):
                row = [self.ivig_mg_per_ml[k], self.patient_igg_mg_per_ml,
                       self.ratio_patient_to_ivig[k], self.inhibition[k],
                       self.free_autoantibody_fraction[k]]
                row += [self.species_um[name][k] for name in species]
                writer.writerow([repr(float(v)) for v in row])
        return path

    def plot(self, path):
        """Inhibition [%] against IVIG [mg/mL] (log axis), with the patient : IVIG
        ratio on a second axis; saved as PNG and SVG (see :mod:`ivigsim.interfaces.sweep_plots`).
        Returns the two paths written."""
        from ivigsim.interfaces.plotting import PALETTE
        from ivigsim.interfaces.sweep_plots import new_figure, save_figure
        with new_figure(5.6, 3.8) as (fig, ax):
            ax.plot(self.ivig_mg_per_ml, 100.0 * self.inhibition, "-o", ms=3, lw=1.6,
                    color=PALETTE[0], label="inhibition of antigen binding")
            ax.plot([self.ivig_at_max_mg_per_ml], [100.0 * self.max_inhibition], "D", ms=7,
                    color=PALETTE[1],
                    label=f"max {100 * self.max_inhibition:.0f} % at 1:{1 / self.ratio_at_max:.3g}")
            ax.axhline(0.0, color="0.5", lw=0.8)
            ax.set_xscale("log")
            ax.set_xlabel("IVIG [mg/mL]")
            ax.set_ylabel("inhibition [%]")
            ax.grid(alpha=0.3)
            ax.legend(frameon=False, fontsize=8, loc="upper left",
                      title=f"patient IgG {self.patient_igg_mg_per_ml:g} mg/mL", title_fontsize=8)
            patient = self.patient_igg_mg_per_ml
            top = ax.secondary_xaxis("top", functions=(lambda x: x / patient, lambda r: r * patient))
            top.set_xlabel("IVIG : patient IgG (mass)")
            return save_figure(fig, path)


def well_concentrations(values, what):
    """``values`` as a 1-d array of positive, finite concentrations [mg/mL]; ``what`` names them in errors."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} must be numbers in mg/mL, got {values!r}") from None
    if array.ndim > 1:
        raise ParameterError(f"{what} must be a single list of concentrations, got shape {array.shape}")
    array = np.atleast_1d(array)
    if array.size == 0:
        raise ParameterError(f"{what}: give at least one concentration")
    bad = array[~(np.isfinite(array) & (array > 0))]
    if bad.size:
        raise ParameterError(f"{what} must be positive, finite concentrations in mg/mL; "
                             f"got {bad[0]!r}")
    return array


def in_vitro_inhibition(model="ivig_autoimmune", ivig_mg_per_ml=_DEFAULT_IVIG,
                        patient_igg_mg_per_ml=1.0, params=None):
    """Inhibition of a patient's autoantibody by IVIG in a mixing experiment.

    Parameters
    ----------
    model : str, Path or ModelSpec
        A model with the parameters listed in :data:`PARAMETERS` (default
        ``"ivig_autoimmune"``; its file documents and sources them).
    ivig_mg_per_ml : array_like
        IVIG (IgG) concentrations in the well, mg/mL, each positive and
        finite.  They need not be sorted: the result is sorted ascending
        (duplicates kept).  Default: 30 values from 0.1 to 40 mg/mL, log-spaced.
    patient_igg_mg_per_ml : float
        The patient's IgG in the well, mg/mL (positive).  The default 1 mg/mL
        is the concentration the model's calibration (targets AI-02, AI-03,
        AI-05) refers to; then IVIG 25 mg/mL is the ratio 1:25.
    params : dict, optional
        Parameter overrides by name (checked for name, bounds and units like
        :func:`ivigsim.simulate`), e.g. one patient's
        ``{"aab_fraction_in_patient_igg": 0.02}`` or one IVIG lot's
        ``{"f_idiotype_ivig": 0.005}``.

    Returns
    -------
    InVitroInhibition
    """
    spec = load_model(model)
    missing = [name for name in PARAMETERS if name not in spec.parameter_names]
    if missing:
        raise ParameterError(f"model '{spec.name}' lacks the parameters of the in-vitro mixing "
                             f"mode: {', '.join(missing)}; use 'ivig_autoimmune'")
    ivig = np.sort(well_concentrations(ivig_mg_per_ml, "IVIG concentrations (ivig_mg_per_ml)"))
    patient = well_concentrations(patient_igg_mg_per_ml, "patient IgG (patient_igg_mg_per_ml)")
    if patient.size != 1:
        raise ParameterError("patient IgG (patient_igg_mg_per_ml) must be one concentration in mg/mL")
    patient = float(patient[0])

    values = resolve_parameters(spec, params)
    p = {name: float(values[spec.parameter_index(name)]) for name in PARAMETERS}
    if p["k_on_aid"] <= 0:
        raise ParameterError("k_on_aid must be positive in the in-vitro mode (K_D = k_off_aid / k_on_aid)")
    if p["k_off_aid"] <= 0 or p["k_d_idiotype"] <= 0:
        raise ParameterError("k_off_aid and k_d_idiotype must be positive (a finite affinity)")
    if p["aab_fraction_in_patient_igg"] <= 0:
        raise ParameterError("aab_fraction_in_patient_igg must be positive: without autoantibody "
                             "there is no binding to inhibit")

    um_per_mg_per_ml = _UM_PER_MG_PER_ML_PER_INV_MW / p["mw_igg"]
    ivig_um = ivig * um_per_mg_per_ml
    a_total = p["aab_fraction_in_patient_igg"] * patient * um_per_mg_per_ml
    well = equilibrium(np.full_like(ivig_um, a_total), p["f_antiidiotype_in_vitro"] * ivig_um,
                       p["f_idiotype_ivig"] * ivig_um,
                       p["k_off_aid"] / p["k_on_aid"], p["k_d_idiotype"])
    signal = well["a_free"] + p["antigen_reactivity_ivig"] * well["i_free"]
    inhibition = 1.0 - signal / a_total
    return InVitroInhibition(
        ivig_mg_per_ml=ivig,
        patient_igg_mg_per_ml=patient,
        ratio_patient_to_ivig=patient / ivig,
        inhibition=inhibition,
        free_autoantibody_fraction=well["a_free"] / a_total,
        parameters=p,
        species_um=well,
    )
