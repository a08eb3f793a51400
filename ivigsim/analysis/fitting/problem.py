"""A fit problem: PEtab v1 tables plus ``ivigsim.toml``, as one checked, immutable object.

The objects here hold a problem once read; :func:`ivigsim.analysis.fitting.reader.load_problem`
reads and checks a problem directory (the layout is described in :mod:`ivigsim.analysis.fitting`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivigsim.sweep.experiment import RegimenSpec

SCALES = ("lin", "log", "log10")
TRANSFORMATIONS = ("lin", "log", "log10")
DISTRIBUTIONS = ("normal", "laplace")
PRIOR_TYPES = ("uniform", "normal", "laplace", "parameterScaleUniform", "parameterScaleNormal",
               "parameterScaleLaplace")
NOISE_PLACEHOLDER = "noiseParameter1_"


@dataclass(frozen=True)
class FitParameter:
    """One row of ``parameters.tsv``: a model parameter or a noise (sigma) parameter."""

    name: str
    scale: str                  # lin | log | log10: the scale the optimiser works on
    lower: float                # bounds and nominal value in the parameter's unit (linear)
    upper: float
    nominal: float
    estimate: bool
    is_noise: bool
    unit: str
    label: str = ""
    prior_type: str = ""
    prior_parameters: tuple = ()

    def to_scale(self, value):
        """Value(s) in the unit -> the estimation scale."""
        value = np.asarray(value, dtype=np.float64)
        return {"lin": value, "log": np.log(value), "log10": np.log10(value)}[self.scale]

    def from_scale(self, x):
        """Estimation scale -> value(s) in the parameter's unit."""
        x = np.asarray(x, dtype=np.float64)
        return {"lin": x, "log": np.exp(x), "log10": 10.0 ** x}[self.scale]


@dataclass(frozen=True)
class FitObservable:
    """One row of ``observables.tsv``."""

    name: str
    formula: str
    node: object                # parsed expression of model species / observables / parameters
    transformation: str
    noise_formula: str
    noise_distribution: str


@dataclass(frozen=True)
class FitCondition:
    """One simulated situation: a regimen, a body weight and the parameters it clamps."""

    name: str
    label: str
    regimen: RegimenSpec
    body_weight_kg: float | None
    clamps: tuple               # ((model parameter, number or id of a parameter in parameters.tsv), ...)


@dataclass(frozen=True)
class Measurements:
    """``measurements.tsv`` as arrays (one entry per data row, file order)."""

    observable: tuple           # observable ids
    condition: tuple            # condition ids
    time: np.ndarray            # days
    value: np.ndarray           # in the observable's unit, untransformed
    noise: tuple                # per row: float (fixed sigma) or str (id of a parameter in parameters.tsv)
    dataset: tuple
    replicate: tuple

    def __len__(self):
        return len(self.time)


@dataclass(frozen=True)
class FitProblem:
    """A checked fit problem (see :func:`ivigsim.analysis.fitting.reader.load_problem`)."""

    name: str
    directory: str
    model: str                  # as written in ivigsim.toml: a model name or a path
    spec: object
    seed: int
    n_starts: int
    t_end_days: float
    rtol: float
    parameters: tuple
    observables: tuple
    conditions: tuple
    measurements: Measurements
    readme: str = ""

    @property
    def estimated(self):
        """The parameters the optimiser varies, in ``parameters.tsv`` order."""
        return tuple(p for p in self.parameters if p.estimate)

    def parameter(self, name):
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def to_petab(self, directory, sbml=True):
        """Write this problem as a problem directory (see :func:`ivigsim.analysis.fitting.export.write_problem`)."""
        from ivigsim.analysis.fitting.export import write_problem
        return write_problem(self, directory, sbml=sbml)
