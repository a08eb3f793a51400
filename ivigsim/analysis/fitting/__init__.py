"""Fitting: estimate model parameters from data, with multi-start optimisation and profile likelihoods.

>>> import ivigsim as iv
>>> result = iv.fit("fits/igg_course_didactic", progress=False)
>>> result.to_dataframe()              # estimates with profile and Wald 95 % intervals

A fit problem is a directory: PEtab v1 tables for the data, the observables
with their noise model and the parameters, and ``ivigsim.toml`` for what PEtab
cannot say about an ivigsim run (the model and each condition's regimen).

``problem.yaml``
    PEtab v1: ``format_version: 1``, ``parameter_file: parameters.tsv`` and one
    problem with ``sbml_files: [model.xml]``, ``condition_files: [conditions.tsv]``,
    ``measurement_files: [measurements.tsv]``, ``observable_files: [observables.tsv]``.
``model.xml``
    The model as ``ivigsim export-sbml`` writes it (first condition's patient and
    regimen), so that other tools (pyPESTO, COPASI) can take the problem.
    ivigsim itself simulates the model named in ``ivigsim.toml``.
``ivigsim.toml``
    ``[fit]``: ``model`` (a shipped model name, or a ``.toml`` path relative to the
    directory), ``seed`` (integer), ``n_starts``, optional ``t_end_days``
    (default: the last measurement) and ``rtol`` (default 1e-8).
    ``[conditions.<conditionId>]``: one table per condition of ``conditions.tsv``,
    with optional ``body_weight_kg`` and the regimen in the experiment-file syntax,
    either as a ``regimen`` sub-table (``[conditions.X.regimen]`` with ``kind = "ivig"``,
    ``dose_g_per_kg``, ``days``, ``infusion_hours``, ``every_days``, ``cycles``, ...)
    or inline in the condition's table (``kind = "none"`` for untreated).
``conditions.tsv``
    ``conditionId``, optional ``conditionName``, then one column per model
    parameter a condition clamps (empty cell: not clamped), e.g.
    ``igg_production`` = 0 for agammaglobulinaemia. A clamp wins over an estimate.
``measurements.tsv``
    ``observableId``, ``simulationConditionId``, ``time`` (days), ``measurement``
    (the observable's unit; finite, non-negative, positive when log-transformed),
    optional ``noiseParameters`` (a number or a parameter id), ``datasetId``, ``replicateId``.
``observables.tsv``
    ``observableId``, ``observableFormula`` (a species, observable or parameter of
    the model, or a whitelist expression of them), ``observableTransformation``
    (lin, log or log10), ``noiseFormula`` (a positive number, a parameter id, or
    ``noiseParameter1_<observableId>`` to read sigma from ``noiseParameters``) and
    ``noiseDistribution`` (normal or laplace). Sigma is on the transformed scale.
``parameters.tsv``
    ``parameterId`` (a model parameter or a sigma), ``parameterScale`` (lin, log,
    log10: the scale the optimiser and the Latin hypercube work on), ``lowerBound``,
    ``upperBound``, ``nominalValue`` (all in the parameter's declared unit, inside
    the model's plausible range), ``estimate`` (0: fixed at the nominal value; 1:
    estimated), optional ``parameterName``, ``objectivePriorType`` (normal, laplace,
    uniform or their ``parameterScale`` variants) and ``objectivePriorParameters``
    (``a;b``).
``README.md``
    What the problem is and where every datum comes from.

The objective is the PEtab negative log-likelihood (:mod:`ivigsim.analysis.fitting.objective`);
the optimiser :func:`scipy.optimize.least_squares` (trust-region reflective) for
normal noise with fixed sigma, L-BFGS-B on the likelihood otherwise
(:mod:`ivigsim.analysis.fitting.multistart`); uncertainty from profile likelihoods and the
Jacobian (:mod:`ivigsim.analysis.fitting.uncertainty`).
"""

import importlib

# Imported on first use (PEP 562): the command line registers `ivigsim fit` from
# ivigsim.analysis.fitting.cli, and importing this package must not pull in the fitter
# (its simulator and SciPy's optimisers) for every `ivigsim` command,
# `--help` included.
_WHERE = {"fit": "api", "load_problem": "reader", "FitProblem": "problem", "FitResult": "result",
          "FitProblemError": "tables"}

__all__ = ["fit", "load_problem", "FitProblem", "FitResult", "FitProblemError"]


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
