"""The fitter recovers known parameters, deterministically, with intervals that cover the truth."""

import numpy as np
import pytest

import ivigsim as iv
from ivigsim.analysis.fitting import load_problem
from ivigsim.analysis.fitting.objective import Objective

from fit_helpers import DIDACTIC, TRUE, multi_condition


@pytest.fixture(scope="module")
def didactic_fit():
    return iv.fit(DIDACTIC, workers=1, progress=False)


def test_true_values_lie_in_the_profile_and_wald_intervals(didactic_fit):
    table = didactic_fit.to_dataframe()
    for name, true in TRUE.items():
        row = table.loc[name]
        assert row.ci_lower < true < row.ci_upper, (name, row)
        assert row.wald_lower < true < row.wald_upper, (name, row)
        assert row.identifiable
        # The interval is informative: within a factor 2.5 from end to end (15 data, 8 % noise).
        assert np.log10(row.ci_upper / row.ci_lower) < 0.4


def test_interval_ends_are_where_the_profile_crosses_the_chi2_threshold(didactic_fit):
    from ivigsim.analysis.fitting.multistart import optimise
    from ivigsim.analysis.fitting.uncertainty import chi2_threshold
    objective = didactic_fit.objective
    for k, prof in enumerate(didactic_fit.profiles):
        for end in (prof.lower, prof.upper):
            res = optimise(objective, didactic_fit.x, fixed=(k, end))
            assert res.objective - didactic_fit.value == pytest.approx(chi2_threshold(), abs=0.02)


def test_every_start_reaches_the_same_optimum(didactic_fit):
    values = [s.objective for s in didactic_fit.starts]
    assert all(s.ok for s in didactic_fit.starts)
    assert max(values) - min(values) < 1e-5
    assert didactic_fit.n_converged == len(didactic_fit.starts)


def test_the_optimum_is_a_minimum_of_the_objective(didactic_fit):
    objective = didactic_fit.objective
    best = didactic_fit.value
    assert objective.nll(didactic_fit.x) == pytest.approx(best, abs=1e-9)
    for k in range(len(didactic_fit.x)):
        for step in (-0.01, 0.01):
            x = didactic_fit.x.copy()
            x[k] += step
            assert objective.nll(x) > best


def test_the_truth_is_less_likely_than_the_optimum_but_within_the_threshold(didactic_fit):
    objective = didactic_fit.objective
    truth = np.log10([TRUE[n] for n in objective.names])
    rise = objective.nll(truth) - didactic_fit.value
    assert 0 < rise < 3.0          # chi2(3 dof, 95 %) / 2 = 3.91: the truth is in the joint region


def test_one_and_two_workers_give_identical_numbers(tmp_path):
    problem = load_problem(multi_condition(tmp_path))
    one = iv.fit(problem, n_starts=4, workers=1, profiles=False, progress=False)
    two = iv.fit(problem, n_starts=4, workers=2, profiles=False, progress=False)
    for a, b in zip(one.starts, two.starts):
        assert a.index == b.index
        np.testing.assert_array_equal(a.x0, b.x0)
        np.testing.assert_array_equal(a.x, b.x)
        assert a.objective == b.objective


def test_estimated_sigma_with_a_prior_uses_the_likelihood_and_recovers_the_noise(tmp_path):
    d = multi_condition(tmp_path, sigma="sigma_igg",
                        extra_parameters="sigma_igg\tassay sigma (log scale)\tlog10\t0.01\t1\t0.1\t1\n")
    problem = load_problem(d)
    objective = Objective(problem)
    assert not objective.least_squares
    result = iv.fit(problem, n_starts=3, profiles=False, progress=False)
    sigma = result.estimates["sigma_igg"]
    # The maximum-likelihood sigma is the root-mean-square log residual at the optimum.
    sim = objective.simulate(result.x)
    rms = np.sqrt(np.mean((np.log(sim) - np.log(problem.measurements.value)) ** 2))
    assert sigma == pytest.approx(rms, rel=2e-3)


_FORK_CHECK = """
import json, os, sys
import numpy as np
import ivigsim as iv
from ivigsim.analysis.fitting import load_problem, multistart
out = {"can_fork": multistart._can_fork(), "parent": os.getpid()}
out["map"] = multistart.map_ordered(lambda k: (k * k, os.getpid()), range(7), 2)
problem = load_problem(sys.argv[1])
forked = iv.fit(problem, n_starts=3, workers=2, profiles=False, progress=False)
multistart._can_fork = lambda: False
threaded = iv.fit(problem, n_starts=3, workers=2, profiles=False, progress=False)
out["same"] = all(np.array_equal(a.x, b.x) and a.objective == b.objective and a.n_evaluations == b.n_evaluations
                  for a, b in zip(forked.starts, threaded.starts))
print(json.dumps(out))
"""


def test_forked_workers_keep_item_order_and_match_threads_bit_for_bit(tmp_path):
    """In a fresh single-threaded process (the test process may hold other threads, and then
    map_ordered uses threads): items 1.. run in forked workers, in order, and a fit on forked
    workers equals the same fit on threads."""
    import json
    import multiprocessing
    import os
    import subprocess
    import sys
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("this platform cannot fork")
    problem = multi_condition(tmp_path)
    done = subprocess.run([sys.executable, "-c", _FORK_CHECK, str(problem)], capture_output=True, text=True,
                          env=dict(os.environ), timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["can_fork"]
    assert [v for v, _ in out["map"]] == [k * k for k in range(7)]
    assert out["map"][0][1] == out["parent"]                          # the first item compiles here
    assert all(pid != out["parent"] for _, pid in out["map"][1:])     # the rest run in forked workers
    assert out["same"]
