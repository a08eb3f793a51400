"""Event models agree with libRoadRunner (an independent SBML simulator) on the same equations."""

import numpy as np
import pytest

from conftest import one_compartment_toml
from ivigsim.core.simulation import simulate

roadrunner = pytest.importorskip("roadrunner")
antimony = pytest.importorskip("antimony")

CASES = {
    "reset": (0.3, """
[[events]]
name = "reset"
trigger = "lt(A, 0.5)"
[events.assignments]
A = "1"
x = "x + 1"
""", """
A = 1; k = 0.3; x = 0; z = 0
A' = -k*A
reset: at (A < 0.5): A = 1, x = x + 1
"""),
    "delay_priority": (0.5, """
[[events]]
name = "double"
trigger = "lt(A, 0.5)"
delay = "1"
use_values_from_trigger_time = false
[events.assignments]
A = "2 * A"
z = "time"

[[events]]
name = "set_ten"
trigger = "gt(time, 1)"
priority = "2"
[events.assignments]
x = "10"

[[events]]
name = "add_one"
trigger = "gt(time, 1)"
priority = "1"
use_values_from_trigger_time = false
[events.assignments]
x = "x + 1"
""", """
A = 1; k = 0.5; x = 0; z = 0
A' = -k*A
double: at 1 after (A < 0.5), fromTrigger=false: A = 2*A, z = time
set_ten: at (time > 1), priority=2: x = 10
add_one: at (time > 1), priority=1, fromTrigger=false: x = x + 1
"""),
    "persistence": (0.5, """
[[events]]
name = "window"
trigger = "all_of(gt(time, 1), lt(time, 1.5))"
delay = "1"
persistent = false
[events.assignments]
x = "1"

[[events]]
name = "kept"
trigger = "all_of(gt(time, 1), lt(time, 1.5))"
delay = "1"
[events.assignments]
z = "time"
A = "A + A"

[[events]]
name = "start"
trigger = "gt(A, 0.9)"
initial_value = false
[events.assignments]
A = "A * 3"
""", """
A = 1; k = 0.5; x = 0; z = 0
A' = -k*A
window: at 1 after (time > 1 && time < 1.5), persistent=false: x = 1
kept: at 1 after (time > 1 && time < 1.5), persistent=true: z = time, A = A + A
start: at (A > 0.9), t0=false: A = A * 3
"""),
}


def roadrunner_trajectory(body, times):
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(f"model case\n{body}\nend") >= 0, antimony.getLastError()
    rr = roadrunner.RoadRunner(antimony.getSBMLString("case"))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    out = rr.simulate(times=list(times), selections=["time", "A", "x", "z"])
    return np.asarray(out)[:, 1:]


@pytest.mark.parametrize("name", sorted(CASES))
def test_events_agree_with_libroadrunner(tmp_path, name):
    k, events, ant = CASES[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(one_compartment_toml(name, k=k, counters=True, extra=events))
    times = np.linspace(0.0, 10.0, 41) + 0.01      # off the event times: no ambiguity at a jump
    times[0] = 0.0
    ours = simulate(str(path), t_end=10.01, t_eval=times, rtol=1e-10, atol=1e-14).states
    np.testing.assert_allclose(ours, roadrunner_trajectory(ant, times), rtol=1e-7, atol=1e-9)
