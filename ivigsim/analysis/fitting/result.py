"""``FitResult``: the best parameters, every start, and the uncertainty around the optimum."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FitResult:
    """What :func:`ivigsim.fit` found.

    Attributes
    ----------
    problem : FitProblem
    objective : Objective
        The objective it minimised (PEtab negative log-likelihood).
    starts : tuple of StartResult
        Every start, by start index.
    best : StartResult
        The start with the lowest objective.
    wald : Wald or None
        Jacobian-based standard errors and correlations at the optimum.
    profiles : tuple of Profile
        Profile likelihoods (empty when not computed).
    seconds : dict
        Wall time of the starts and of the profiles.
    workers : int
    """

    problem: object
    objective: object
    starts: tuple
    best: object
    wald: object
    profiles: tuple
    seconds: dict
    workers: int

    # ------------------------------------------------------------------ numbers
    @property
    def x(self):
        """Best point on the estimation scale."""
        return self.best.x

    @property
    def value(self):
        """Best negative log-likelihood."""
        return self.best.objective

    @property
    def estimates(self):
        """Estimated parameter -> best value in its unit."""
        return {p.name: float(p.from_scale(v)) for p, v in zip(self.objective.estimated, self.best.x)}

    @property
    def best_parameters(self):
        """Model parameter -> value: the estimates and the fixed values of ``parameters.tsv``.

        This is the override table that ``simulate(params=...)`` and an
        experiment's ``[parameters]`` accept (noise parameters left out).
        """
        values = self.objective.values(self.best.x)
        return {p.name: values[p.name] for p in self.problem.parameters if not p.is_noise}

    @property
    def n_converged(self):
        """Starts that reached the best objective (within 0.1 in negative log-likelihood)."""
        return sum(1 for s in self.starts if s.ok and s.objective - self.value < 0.1)

    def intervals(self):
        """Rows of (name, unit, estimate, profile lower/upper, Wald lower/upper, identifiable, note)."""
        rows = []
        for k, p in enumerate(self.objective.estimated):
            se = self.wald.se[k] if self.wald is not None else np.nan
            wald_lo, wald_hi = (np.nan, np.nan)
            if np.isfinite(se):
                wald_lo = float(p.from_scale(self.x[k] - 1.96 * se))
                wald_hi = float(p.from_scale(self.x[k] + 1.96 * se))
            prof = self.profiles[k] if self.profiles else None
            lo = float(p.from_scale(prof.lower)) if prof is not None and np.isfinite(prof.lower) else np.nan
            hi = float(p.from_scale(prof.upper)) if prof is not None and np.isfinite(prof.upper) else np.nan
            identifiable = prof.identifiable if prof is not None else bool(np.isfinite(se))
            note = prof.note if prof is not None else ("" if np.isfinite(se) else "singular Fisher information")
            rows.append((p.name, p.unit if not p.is_noise else "sigma", float(p.from_scale(self.x[k])), lo, hi,
                         wald_lo, wald_hi, identifiable, note))
        return rows

    def correlated_pairs(self, threshold=None):
        """Pairs of estimated parameters whose correlation at the optimum exceeds ``threshold``."""
        from ivigsim.analysis.fitting.uncertainty import HIGH_CORRELATION
        threshold = HIGH_CORRELATION if threshold is None else threshold
        if self.wald is None:
            return []
        names = self.objective.names
        corr = self.wald.correlation
        return [(names[i], names[j], float(corr[i, j])) for i in range(len(names)) for j in range(i + 1, len(names))
                if abs(corr[i, j]) > threshold]

    # ------------------------------------------------------------------ notebook
    def to_dataframe(self):
        """One row per estimated parameter: estimate, profile and Wald 95 % intervals, identifiability."""
        import pandas as pd
        columns = ["parameter", "unit", "estimate", "ci_lower", "ci_upper", "wald_lower", "wald_upper",
                   "identifiable", "note"]
        return pd.DataFrame(self.intervals(), columns=columns).set_index("parameter")

    def to_xarray(self):
        """The estimates and their intervals as an ``xarray.Dataset`` over ``parameter``; units in attrs."""
        import xarray as xr
        frame = self.to_dataframe()
        ds = xr.Dataset({c: ("parameter", frame[c].to_numpy()) for c in
                         ("estimate", "ci_lower", "ci_upper", "wald_lower", "wald_upper", "identifiable")},
                        coords={"parameter": frame.index.to_numpy()})
        ds.attrs["units"] = dict(zip(frame.index, frame["unit"]))
        ds.attrs["problem"] = self.problem.name
        ds.attrs["negative_log_likelihood"] = float(self.value)
        return ds

    def __repr__(self):
        parts = []
        for name, unit, est, lo, hi, *_ in self.intervals():
            ci = f" [{lo:.4g}, {hi:.4g}]" if np.isfinite(lo) and np.isfinite(hi) else ""
            parts.append(f"{name}={est:.4g}{ci}")
        text = (f"FitResult(problem={self.problem.name!r}, objective={self.value:.6g}, "
                f"starts={len(self.starts)} ({self.n_converged} at best), {', '.join(parts)})")
        return text if len(text) < 1000 else text[:995] + "...)"

    def _repr_html_(self):
        head = ("<tr><th>parameter</th><th>unit</th><th>estimate</th><th>95 % CI (profile)</th>"
                "<th>95 % CI (Wald)</th><th>identifiable</th></tr>")
        rows = []
        for name, unit, est, lo, hi, wlo, whi, ident, note in self.intervals():
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{html.escape(unit)}</td><td>{est:.4g}</td>"
                        f"<td>{_interval(lo, hi)}</td><td>{_interval(wlo, whi)}</td>"
                        f"<td>{'yes' if ident else html.escape(note or 'no')}</td></tr>")
        from ivigsim.interfaces.notebook import small_figure
        figure = small_figure(self._draw_first_panel)
        return (f"<div><b>Fit of {html.escape(self.problem.name)}</b>: negative log-likelihood "
                f"{self.value:.6g}; {self.n_converged} of {len(self.starts)} starts reached it."
                f"<table>{head}{''.join(rows)}</table>{figure}</div>")

    def _draw_first_panel(self, ax):
        """The best fit over the data of the first condition and observable (the notebook's thumbnail)."""
        from ivigsim.analysis.fitting.figures import plot_fit
        plot_fit(self, ax=ax)          # with one axis given, it draws the first panel only

    def plot(self, kind="fit", ax=None):
        """Draw one figure kind: ``"fit"``, ``"residuals"``, ``"waterfall"`` or ``"profiles"``.

        Returns the matplotlib axes (an array of them for ``fit`` and ``profiles``).
        """
        from ivigsim.analysis.fitting import figures
        kinds = {"fit": figures.plot_fit, "residuals": figures.plot_residuals,
                 "waterfall": figures.plot_waterfall, "profiles": figures.plot_profiles}
        if kind not in kinds:
            from ivigsim.errors import ParameterError
            raise ParameterError(f"unknown plot kind {kind!r}; expected one of {', '.join(kinds)}")
        return kinds[kind](self, ax=ax)

    def save(self, out):
        """Write every output into the new directory ``out`` (see :mod:`ivigsim.analysis.fitting.outputs`)."""
        from ivigsim.analysis.fitting.outputs import write_outputs
        return write_outputs(self, out)


def _interval(lo, hi):
    if np.isfinite(lo) and np.isfinite(hi):
        return f"{lo:.4g} – {hi:.4g}"
    if np.isfinite(lo) or np.isfinite(hi):
        return f"{lo:.4g} – open" if np.isfinite(lo) else f"open – {hi:.4g}"
    return "open"
