"""Events whose trigger holds for less than a step, and events that resize a compartment through SBML."""

import numpy as np
import pytest

from conftest import one_compartment_toml
from ivigsim.core.kernel.events import monitored
from ivigsim.core.simulation import simulate
from ivigsim.core.spec import load_model_file

# X is produced at 1 mg/day from 0 (so X = t); Y counts the executions of the event.
WINDOW = """
[species.X]
compartment = "body"
unit = "mg/L"
initial = "0"

[parameters.Y]
value = 0.0
unit = "1"
bounds = [0.0, 100.0]
source = "test value: a counter of executions"

[parameters.x_ref]
value = 1.0
unit = "mg/L"
bounds = [1.0, 1.0]
source = "definition"

[parameters.r]
value = 1.0
unit = "mg/day"
bounds = [0.0, 10.0]
source = "test value"

[reactions.production]
equation = "-> X"
rate = "r"
mechanism = "production"

[[events]]
name = "mark"
trigger = "{trigger}"
[events.assignments]
Y = "Y + 1"
"""

T_OPEN, T_CLOSE = 3.5, 3.5001       # X = t: the trigger holds for 1e-4 day, far less than a step


def write_window(tmp_path, trigger=f"all_of(gt(X, {T_OPEN}), lt(X, {T_CLOSE}))"):
    path = tmp_path / "short_window.toml"
    path.write_text(one_compartment_toml("short_window", k=None,
                                         mechanisms={"production": "zero-order production of X"},
                                         extra=WINDOW.format(trigger=trigger)))
    return path


def test_a_trigger_window_shorter_than_a_step_fires_at_its_opening(tmp_path):
    path = write_window(tmp_path)
    assert monitored(load_model_file(path)) == [2]
    t = np.array([0.0, T_OPEN - 1e-6, T_OPEN + 1e-6, T_CLOSE + 1e-6, 50.0, 100.0])
    res = simulate(str(path), t_end=100.0, t_eval=t, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(res["X"], t, rtol=1e-10, atol=1e-12)       # analytic: X = t
    # fired exactly once, at the window's opening (located to well under its width)
    np.testing.assert_array_equal(res["Y"], [0.0, 0.0, 1.0, 1.0, 1.0, 1.0])


def test_a_simple_trigger_is_not_monitored_twice(tmp_path):
    assert monitored(load_model_file(write_window(tmp_path, trigger="gt(X, 3.5)"))) == [0]


# A decays at 0.3/day; when it falls to 0.5 the compartment doubles and A is set to 0.9.
RESIZE = one_compartment_toml("resize_assign", k=0.3, extra="""
[[events]]
name = "grow"
trigger = "lt(A, 0.5)"
[events.assignments]
body = "2 * body"
A = "0.9"
""")


def test_an_event_that_resizes_and_sets_a_concentration_survives_the_sbml_round_trip(tmp_path):
    roadrunner = pytest.importorskip("roadrunner")
    pytest.importorskip("libsbml")
    from ivigsim.io.sbml.export import export_sbml
    from ivigsim.io.sbml.importer import import_sbml

    path = tmp_path / "resize_assign.toml"
    path.write_text(RESIZE)
    t_event = np.log(2.0) / 0.3
    t = np.linspace(0.0, 4.0, 17) + 0.01          # off the event time; before A falls to 0.5 again (4.27)
    t[0] = 0.0
    ours = simulate(str(path), t_end=4.01, t_eval=t, rtol=1e-10, atol=1e-14)
    # the concentration is set in the new size, then decays at the same rate
    expected = np.where(t < t_event, np.exp(-0.3 * t), 0.9 * np.exp(-0.3 * (t - t_event)))
    np.testing.assert_allclose(ours["A"], expected, rtol=1e-7)

    sbml = export_sbml(str(path), tmp_path / "model.xml")
    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    theirs = np.asarray(rr.simulate(times=list(t), selections=["[A]", "body"]))
    np.testing.assert_allclose(theirs[:, 0], expected, rtol=1e-7)

    back = tmp_path / "back.toml"
    back.write_text(import_sbml(tmp_path / "model.xml"))
    again = simulate(str(back), t_end=4.01, t_eval=t, rtol=1e-10, atol=1e-14)
    conc = again["A"] / again["body"] if "body" in again else again["A"]
    np.testing.assert_allclose(conc, expected, rtol=1e-7)
