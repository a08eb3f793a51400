"""A clock state (``time``, or an imported SBML model's time) is exact at the output times.

The integrated clock can sit a rounding error off ``t``; a rule that switches at
an output time (``piecewise(f, time < 1, g)`` sampled at ``t = 1``) would then
take the wrong branch. The output grid's clock is set to ``rate * t`` first.
"""

import numpy as np

from conftest import DATA
from ivigsim.core.simulation import prepare, solve

RULES = DATA / "language" / "rules_decay.toml"


def test_the_clock_equals_the_output_times_exactly():
    t = np.array([0.0, 0.1, 0.3, 0.7, 1.1, 2.3, 2.9, 3.7])      # not sums of the solver's steps
    solution = solve(prepare(str(RULES), t_end=4.0, t_eval=t, rtol=1e-6, atol=1e-9))
    clock = solution.problem.spec.species_index("time")
    assert np.array_equal(solution.states[:, clock], t)
    ys, _ = solution.dense(t)
    assert np.array_equal(ys[:, clock], t)


def test_a_switched_off_clock_is_left_alone():
    t = np.array([0.0, 0.5, 1.0])
    solution = solve(prepare(str(RULES), t_end=1.0, t_eval=t, mechanisms={"model_time": False}))
    clock = solution.problem.spec.species_index("time")
    assert np.array_equal(solution.states[:, clock], np.zeros(3))
