"""ivigsim: an in-silico mechanism simulator for intravenous immunoglobulin (IVIG) therapy.

>>> import ivigsim as iv
>>> model = iv.load_model("fcrn_pk")
>>> reg = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=13)
>>> res = iv.simulate(model, regimen=reg, t_end=365, body_weight_kg=70)
>>> res["igg_total"], res["autoantibody"]
"""

from ivigsim.catalogue import experiment_paths, load_model, model_paths
from ivigsim.errors import IvigsimError, ModelFileError, ParameterError, SolverError
from ivigsim.regimen import Regimen, RegimenError
from ivigsim.result import SimulationResult
from ivigsim.simulation import simulate

__version__ = "0.1.0"

__all__ = [
    "load_model", "model_paths", "experiment_paths", "load_agent_model", "model_card", "model_equations",
    "simulate", "Regimen", "SimulationResult",
    "run_experiment", "load_results", "load_experiment", "ExperimentResults", "mechanism_factorial",
    "in_vitro_inhibition", "in_vitro_nk_suppression", "simulate_agents", "compare", "Comparison", "validate", "ValidationReport",
    "regress", "export_sbml", "import_sbml", "demo_html", "plot_trajectories", "set_quiet",
    "fit", "FitResult",
    "IvigsimError", "ModelFileError", "ParameterError", "RegimenError", "SolverError",
]

_LAZY = {  # sweep machinery pulls in pandas and xarray: import it on first use only
    "run_experiment": "ivigsim.sweep",
    "load_results": "ivigsim.sweep",
    "load_experiment": "ivigsim.experiment",
    "mechanism_factorial": "ivigsim.factorial",
    "in_vitro_inhibition": "ivigsim.in_vitro",
    "in_vitro_nk_suppression": "ivigsim.in_vitro_nk",
    "simulate_agents": "ivigsim.agents",
    "compare": "ivigsim.comparison",
    "validate": "ivigsim.validation",
    "regress": "ivigsim.regression",
    "export_sbml": "ivigsim.sbml",
    "import_sbml": "ivigsim.sbml",
    "demo_html": "ivigsim.demo",
    "load_agent_model": "ivigsim.agents",
    "model_card": "ivigsim.cards",
    "model_equations": "ivigsim.equations",
    "ExperimentResults": "ivigsim.sweep",
    "Comparison": "ivigsim.comparison",
    "ValidationReport": "ivigsim.validation",
    "plot_trajectories": "ivigsim.plotting",
    "set_quiet": "ivigsim.progress",
    "fit": "ivigsim.fitting",
    "FitResult": "ivigsim.fitting",
}


def __dir__():
    """The public API (lazy names included), so that ``dir(ivigsim)`` and tab completion show all of it."""
    return sorted(set(__all__) | {"__version__"})


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ivigsim' has no attribute {name!r}")
