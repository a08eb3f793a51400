"""The outcome of one simulation: time course of every species and observable."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ivigsim.errors import ParameterError


@dataclass(frozen=True)
class SimulationResult:
    """Trajectories on the output grid ``t`` (days).

    ``result[name]`` gives any species (in its declared unit) or observable (in
    its declared unit) as an array over ``t``; ``result.units[name]`` names the
    unit.  In a notebook the result shows as a summary table with a small
    figure; ``to_dataframe``, ``to_xarray`` and ``plot`` hand it on.
    """

    model: object                       # ModelSpec
    t: np.ndarray                       # (n_times,) days
    states: np.ndarray                  # (n_times, n_species)
    observables: np.ndarray             # (n_times, n_observables)
    parameters: dict                    # name -> value used
    mechanisms: dict                    # name -> on/off
    regimen: object = None
    body_weight_kg: float | None = None
    stats: dict = field(default_factory=dict)
    # times (days) -> (states, observables) from the solver itself; None where not kept (stochastic runs)
    dense: object = field(default=None, repr=False, compare=False)

    def __repr__(self):
        from ivigsim.interfaces.notebook import result_repr
        return result_repr(self)

    def _repr_html_(self):
        from ivigsim.interfaces.notebook import result_html
        return result_html(self)

    def __getitem__(self, name):
        spec = self.model
        if name in spec._index["observables"]:
            return self.observables[:, spec._index["observables"][name]]
        if name in spec._index["species"]:
            return self.states[:, spec._index["species"][name]]
        known = ", ".join(spec.observable_names + spec.species_names)
        raise KeyError(f"'{name}' is neither a species nor an observable of model "
                       f"'{spec.name}'; available: {known}")

    def __contains__(self, name):
        return name in self.model._index["observables"] or name in self.model._index["species"]

    @property
    def names(self):
        return self.model.observable_names + self.model.species_names

    @property
    def units(self):
        return {name: str(self.model.unit_of(name)) for name in self.names}

    def at(self, name, t_day):
        """Value of ``name`` at ``t_day`` (days, within the simulated span).

        On an output time the stored value is returned.  Between output times
        the solver's own dense output is used where the result keeps it (ODE
        runs: the Rodas4 interpolant of the integration from t = 0), else the
        output grid is interpolated linearly (stochastic runs).

        Raises
        ------
        ParameterError
            If ``t_day`` lies outside [t0, t_end]: there is no value to give.
        """
        values = self[name]
        t_day = float(t_day)
        if not (self.t[0] <= t_day <= self.t[-1]):
            raise ParameterError(f"at({name!r}, {t_day:g}): time outside the simulated span "
                                 f"[{self.t[0]:g}, {self.t[-1]:g}] days; simulate longer (t_end) to read it")
        k = int(np.searchsorted(self.t, t_day))
        if k < len(self.t) and self.t[k] == t_day:
            return float(values[k])
        if self.dense is None:
            return float(np.interp(t_day, self.t, values))
        states, observables = self.dense(np.array([t_day]))
        if name in self.model._index["observables"]:
            return float(observables[0, self.model._index["observables"][name]])
        return float(states[0, self.model._index["species"][name]])

    def to_dataframe(self, names=None):
        """Tidy table (pandas): columns ``time_day``, ``output``, ``value``, ``unit``; default every output."""
        from ivigsim.interfaces.notebook import result_dataframe
        return result_dataframe(self, names)

    def to_xarray(self, names=None):
        """``xarray.Dataset`` over ``time`` (days), one variable per output with ``attrs['units']``."""
        from ivigsim.interfaces.notebook import result_xarray
        return result_xarray(self, names)

    def plot(self, outputs=None, ax=None, label=None):
        """Plot outputs (one unit per axes) against time; returns the matplotlib axes."""
        from ivigsim.interfaces.plotting import plot_outputs
        return plot_outputs(self, outputs, ax=ax, label=label)

    def to_csv(self, path, names=None):
        """Write ``t`` and the chosen columns (default: observables) with units in the header."""
        names = list(names or self.model.observable_names)
        units = self.units
        path = Path(path)
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["t [day]"] + [f"{n} [{units[n]}]" for n in names])
            columns = [self[n] for n in names]
            for k, t in enumerate(self.t):
                writer.writerow([f"{t:.6g}"] + [f"{c[k]:.8g}" for c in columns])
        return path
