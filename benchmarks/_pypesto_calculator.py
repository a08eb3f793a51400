"""pyPESTO's libRoadRunner calculator without the model recompilation around every preequilibration.

pyPESTO 0.7.0's ``RoadRunnerCalculator.simulate_per_condition`` switches
libRoadRunner's conserved-moiety analysis on before each preequilibration (its
Newton solver needs the reduced system) and off after it, on the one RoadRunner
instance that also simulates the conditions. Each switch regenerates and
recompiles the model: on the FcRn recalibration (9 preequilibrations) 86 % of an
objective evaluation went there. ``TwoInstanceCalculator`` keeps one instance per
state instead and does everything else as pyPESTO does:

* the conditions are simulated on pyPESTO's instance, conserved-moiety analysis
  off, as before;
* each preequilibration runs on a second instance, loaded once from the same
  model (pyPESTO's observables included) with the analysis on, with the same
  steady-state settings pyPESTO sets (Newton after a 1000-day presimulation),
  the same solver options and the same parameters (pyPESTO's own
  ``fill_in_parameters``).

One thing must be done by hand. On an instance with the analysis on, ``reset()``
restores the conserved totals computed when the model was loaded, not the totals
of the current parameters: the FcRn totals start from initial assignments on
estimated parameters (``fcrn_total_h``), so the totals would stay at the model
file's values. pyPESTO's recompilation recomputed them from the current state.
Here the preequilibration's initial amounts are taken from pyPESTO's instance
(analysis off, so ``reset()`` evaluates the initial assignments) after filling in
the preequilibration parameters, and written as the second instance's initial
amounts, from which its ``reset()`` computes the totals.
"""

from __future__ import annotations

import numpy as np
import roadrunner
from pypesto.C import TIME
from pypesto.objective.roadrunner.roadrunner_calculator import RoadRunnerCalculator, calculate_llh

# what pyPESTO 0.7.0 sets on the steady-state solver before every preequilibration
PYPESTO_PRESIMULATION = {"allow_presimulation": True, "presimulation_maximum_steps": 1000,
                         "presimulation_time": 1000}


class TwoInstanceCalculator(RoadRunnerCalculator):
    """pyPESTO's calculator with its preequilibrations on a second, conserved-moiety instance.

    Parameters
    ----------
    roadrunner_instance : roadrunner.RoadRunner
        The instance pyPESTO's objective holds (observables already added).
    steady_state_settings : dict
        Extra settings of the Newton steady-state solver, as set on pyPESTO's
        instance (the benchmark's longer simulation fallback).
    """

    def __init__(self, roadrunner_instance, steady_state_settings=None):
        self.preeq = roadrunner.RoadRunner(roadrunner_instance.getCurrentSBML())
        self.preeq.conservedMoietyAnalysis = True
        self.preeq.setSteadyStateSolver("newton")
        solver = self.preeq.getSteadyStateSolver()
        for key, value in {**(steady_state_settings or {}), **PYPESTO_PRESIMULATION}.items():
            solver.setValue(key, value)
        self.n_calls = 0                    # objective evaluations (all conditions), for the benchmark's count

    def __call__(self, x_dct, mode, roadrunner_instance, edatas, x_ids, parameter_mapping, petab_problem,
                 solver_options=None):
        """pyPESTO's call, its solver options applied to the preequilibration instance too."""
        self.n_calls += 1
        if solver_options is not None:
            solver_options.apply_to_roadrunner(self.preeq)
        return super().__call__(x_dct, mode, roadrunner_instance, edatas, x_ids, parameter_mapping,
                                petab_problem, solver_options)

    def simulate_per_condition(self, x_dct, roadrunner_instance, edata, parameter_mapping_per_condition):
        """pyPESTO 0.7.0's ``simulate_per_condition``, the preequilibration on ``self.preeq``."""
        rr, mapping = roadrunner_instance, parameter_mapping_per_condition
        timepoints = list(edata.timepoints)
        if timepoints[0] != 0.0:
            timepoints = [0.0] + timepoints
        if len(timepoints) == 1:
            timepoints = [0.0] + timepoints
        observables_ids = edata.get_observable_ids()
        state_variables = rr.model.getFloatingSpeciesIds()
        state_variables += [r for r in rr.getRateRuleIds() if r not in state_variables]
        preequilibrate = bool(mapping[0] and mapping[2])
        if preequilibrate:
            # the initial state of the preequilibration condition, initial assignments evaluated
            self.fill_in_parameters(x_dct, rr, mapping, preeq=True)
            initial = dict(zip(rr.model.getFloatingSpeciesIds(), rr.model.getFloatingSpeciesAmounts()))
            pre = self.preeq
            self.fill_in_parameters(x_dct, pre, mapping, preeq=True)
            pre.model.setFloatingSpeciesInitAmounts(
                np.array([initial[s] for s in pre.model.getFloatingSpeciesIds()]))
            pre.reset()                     # the conserved totals from these initial amounts
            pre.steadyStateSelections = observables_ids + state_variables
            steady_state = pre.getSteadyStateValuesNamedArray()
            state_ss = steady_state[:, len(observables_ids):].flatten()
            pre.reset()
        par_map = self.fill_in_parameters(x_dct, rr, mapping)
        if preequilibrate:
            rr.setValues(state_variables, state_ss)
            self.fill_in_parameters(x_dct, rr, mapping, filling_mode="only_species")
        sim_res = rr.simulate(times=timepoints, selections=[TIME] + observables_ids)
        llhs = calculate_llh(sim_res, edata, par_map, rr)
        rr.reset()
        return sim_res, llhs
