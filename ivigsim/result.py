"""The outcome of one simulation: time course of every species and observable."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class SimulationResult:
    """Trajectories on the output grid ``t`` (days).

    ``result[name]`` gives any species (in its declared unit) or observable (in
    its declared unit) as an array over ``t``; ``result.units[name]`` names the
    unit.
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
        """Value of ``name`` at ``t_day``, linearly interpolated on the output grid."""
        return float(np.interp(t_day, self.t, self[name]))

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
