"""ivigsim: an in-silico mechanism simulator for intravenous immunoglobulin (IVIG) therapy.

>>> import ivigsim as iv
>>> model = iv.load_model("fcrn_pk")
>>> reg = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=13)
>>> res = iv.simulate(model, regimen=reg, t_end=365, body_weight_kg=70)
>>> res["igg_total"], res["autoantibody"]

``simulate`` is the facade over the one seam every integration goes through:
``iv.solve(iv.prepare(model, reg, t_end=365), iv.SolverOptions(rtol=1e-8)).result()``.
"""

from ivigsim.core.catalogue import experiment_paths, load_model, model_paths
from ivigsim.errors import IvigsimError, ModelFileError, ParameterError, SolverError
from ivigsim.core.regimen import Regimen, RegimenError
from ivigsim.core.result import SimulationResult
from ivigsim.core.simulation import SolverOptions, prepare, simulate, solve
from ivigsim.interfaces import views as _views  # noqa: F401  (registers the views of core objects)

from ivigsim.version import __version__

__all__ = [
    "load_model", "model_paths", "experiment_paths", "load_agent_model", "model_card", "model_equations",
    "simulate", "prepare", "solve", "SolverOptions", "Regimen", "SimulationResult",
    "run_experiment", "load_results", "load_experiment", "ExperimentResults", "mechanism_factorial",
    "in_vitro_inhibition", "in_vitro_nk_suppression", "simulate_agents", "compare", "Comparison", "validate", "ValidationReport",
    "regress", "export_sbml", "import_sbml", "demo_html", "plot_trajectories", "set_quiet",
    "fit", "FitResult",
    "IvigsimError", "ModelFileError", "ParameterError", "RegimenError", "SolverError",
]

_LAZY = {  # sweep machinery pulls in pandas and xarray: import it on first use only
    "run_experiment": "ivigsim.interfaces.runs",
    "load_results": "ivigsim.sweep.run",
    "load_experiment": "ivigsim.sweep.experiment",
    "mechanism_factorial": "ivigsim.analysis.factorial",
    "in_vitro_inhibition": "ivigsim.core.in_vitro",
    "in_vitro_nk_suppression": "ivigsim.core.in_vitro_nk",
    "simulate_agents": "ivigsim.core.agents",
    "compare": "ivigsim.analysis.comparison",
    "validate": "ivigsim.analysis.validation",
    "regress": "ivigsim.analysis.regression",
    "export_sbml": "ivigsim.io.sbml",
    "import_sbml": "ivigsim.io.sbml",
    "demo_html": "ivigsim.interfaces.demo",
    "load_agent_model": "ivigsim.core.agents",
    "model_card": "ivigsim.interfaces.cards",
    "model_equations": "ivigsim.core.equations",
    "ExperimentResults": "ivigsim.sweep.run",
    "Comparison": "ivigsim.analysis.comparison",
    "ValidationReport": "ivigsim.analysis.validation",
    "plot_trajectories": "ivigsim.interfaces.plotting",
    "set_quiet": "ivigsim.interfaces.progress",
    "fit": "ivigsim.analysis.fitting",
    "FitResult": "ivigsim.analysis.fitting",
}


def __dir__():
    """The public API (lazy names included), so that ``dir(ivigsim)`` and tab completion show all of it."""
    return sorted(set(__all__) | {"__version__"})


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ivigsim' has no attribute {name!r}")
