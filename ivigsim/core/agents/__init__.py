"""Agent-based (individual-cell) models; the compiled core is :mod:`ivigsim.core.solvers.agents`.

>>> import ivigsim as iv
>>> res = iv.simulate_agents("nk_tumour_abm", regimen=reg, t_end=14, seed=7, replicates=200)
>>> res.foci_counts, res.extinction_probability, res.summary()
"""

from ivigsim.core.agents.model import (AgentModel, PreparedAgents, load_agent_model, prepare_agents,
                                  run_prepared, simulate_agents)
from ivigsim.core.agents.result import AgentResult

__all__ = ["AgentModel", "AgentResult", "PreparedAgents", "load_agent_model", "prepare_agents",
           "run_prepared", "simulate_agents"]
