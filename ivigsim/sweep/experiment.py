"""Experiment files: what to simulate, over which parameters, and what to report.

An experiment file (``experiments/*.toml``) names a model, one or more dosing
regimens, a sweep over parameters, regimen keywords or body weight, the
metrics to compute from every trajectory and the plots to draw from them.
:func:`load_experiment` reads one into an immutable :class:`Experiment`,
checking everything that can be checked before a single simulation runs; each
error names the file and the key, e.g.::

    experiments/x.toml: [sweep.variables.dose_g_per_kg.low]: expected a positive
    number for a log scale, got -1

File layout (see ``experiments/fcrn_dose_response.toml`` for a worked example)::

    [experiment]              name, model, seed, t_end_days (required); description,
                              output_step_days, rtol, body_weight_kg, replicates, mechanisms
    [parameters]              fixed overrides: parameter name = number
    [regimens.NAME]           kind = ivig | bolus | infusion | scig | none | fcrn_antagonist | when_below |
                              plasma_exchange | immunoadsorption, and the keyword arguments of
                              that Regimen constructor; or kind = "combine" with
                              parts = [{kind = ...}, ...] (the parts given together)
    [sweep]                   method = grid | latin_hypercube | sobol | sobol_indices | morris |
                              virtual_population | none; n
    [sweep.variables.NAME]    values, or low / high / count / scale
    [sweep.variability.NAME]  cv (virtual population: log-normal inter-individual variability)
    [sweep.body_weight]       mean, sd, low, high (virtual population: truncated normal)
    [[sweep.correlations]]    a, b, r (between two log-normal variabilities)
    [metrics.NAME]            kind, output, at_day, window_days, threshold,
                              price_usd_per_g, baseline, price_usd_per_mg, price_usd_per_session
    [plots.NAME]              kind, x, y, metric, output, group_by

``sobol_indices`` and ``morris`` sweeps run a global sensitivity analysis with
SALib (the ``sensitivity`` extra; see :mod:`ivigsim.sweep.sensitivity`): their ``n``
is SALib's base sample size N, and they run N(d + 2) (Sobol first and total
order) or N(d + 1) (Morris) points for d variables.

A sweep variable is a model parameter, ``body_weight_kg``, or a keyword of the
regimen constructors (it then applies to every regimen that accepts it).
Points are drawn from the sweep by :func:`ivigsim.sweep.samplers.sample_points`.
"""

from ivigsim.sweep._experiment_reader import load_experiment
from ivigsim.sweep._experiment_types import (
    BASELINES,
    BODY_WEIGHT_VARIABLE,
    DOSING_METRIC_KINDS,
    GROUP_BY,
    MAX_POINTS,
    METRIC_KINDS,
    PLOT_KINDS,
    REGIMEN_KINDS,
    SCALES,
    SWEEP_METHODS,
    BodyWeightDistribution,
    Correlation,
    Experiment,
    ExperimentFileError,
    MetricSpec,
    PlotSpec,
    RegimenSpec,
    Sweep,
    SweepVariable,
    Variability,
)

__all__ = [
    "ExperimentFileError", "Experiment", "RegimenSpec", "SweepVariable", "Variability",
    "Correlation", "BodyWeightDistribution", "Sweep", "MetricSpec", "PlotSpec",
    "load_experiment", "METRIC_KINDS", "DOSING_METRIC_KINDS", "REGIMEN_KINDS",
    "SWEEP_METHODS", "PLOT_KINDS", "BODY_WEIGHT_VARIABLE", "MAX_POINTS", "SCALES", "BASELINES",
    "GROUP_BY",
]

