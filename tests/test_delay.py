"""delay(x, tau): the run's history buffer, read at t - tau, against exact solutions.

x' = -k x(t - tau) with x = 1 before the start has, by the method of steps, a
piecewise-polynomial exact solution: on [0, 1] x = 1 - t, on [1, 2]
x = 1 - t + (t - 1)^2 / 2, on [2, 3] that minus (t - 2)^3 / 6 (k = tau = 1).
"""

import math
import warnings

import numpy as np
import pytest

from ivigsim.core.kernel import history
from ivigsim.core.simulation import simulate
from ivigsim.core.spec import load_model_file
from ivigsim.errors import IvigsimError, ParameterError

MODEL = """
[model]
name = "delayed_decay"
initial_state = "initial"
mechanisms.kinetics = "decay driven by the state one lag ago"

[compartments.body]
volume = "volume_body"
unit = "L"

[species.X]
compartment = "body"
unit = "mg/L"
initial = "1"

[parameters.volume_body]
value = 1.0
unit = "L"
bounds = [0.1, 10.0]
source = "test value"

[parameters.k]
value = 1.0
unit = "1/day"
bounds = [0.0, 10.0]
source = "test value"

[parameters.lag]
value = 1.0
unit = "day"
bounds = [0.1, 10.0]
source = "test value"

[reactions.decay]
equation = "X ->"
rate = "RATE"
mechanism = "kinetics"

[observables.X_past]
expression = "delay(X, lag)"
unit = "mg/L"
"""


def model(tmp_path, rate="k * delay(X, lag) * body", extra=""):
    path = tmp_path / "delayed.toml"
    path.write_text(MODEL.replace("RATE", rate) + extra)
    return str(path)


def exact(t):
    """x' = -x(t - 1), x = 1 for t <= 0, on [0, 3]."""
    t = np.asarray(t, dtype=float)
    x = 1.0 - t
    x = np.where(t > 1, x + (t - 1) ** 2 / 2, x)
    return np.where(t > 2, x - (t - 2) ** 3 / 6, x)


def test_method_of_steps_solution_and_the_error_falls_with_the_tolerance(tmp_path):
    path = model(tmp_path)
    t = np.linspace(0.0, 3.0, 13)
    errors = []
    for rtol in (1e-4, 1e-6, 1e-8, 1e-10):
        result = simulate(path, t_end=3.0, t_eval=t, rtol=rtol, atol=rtol * 1e-2)
        errors.append(np.abs(result.states[:, 0] - exact(t)).max())
        # the observable delay(X, lag) is X one day ago: the initial value before the start
        np.testing.assert_allclose(result.observables[:, 0], np.where(t >= 1, exact(t - 1), 1.0),
                                   rtol=0, atol=errors[-1] + 1e-15)
        assert result.stats["steps"] < 60          # steps land on t = k tau, and the step is not crippled
    assert errors[-1] < 1e-12 and errors[2] < 1e-9 and errors[0] < 1e-5
    assert errors[0] > errors[1] > errors[2] > errors[3]


def test_a_delay_shorter_than_the_dynamics_limits_the_step_and_matches_scipy(tmp_path):
    # x' = -k x(t - tau) with k = 2, tau = 0.3 oscillates (k tau > 1/e); reference: the method of
    # steps with SciPy's DOP853 on each interval of length tau, reading the dense output of the last
    from scipy.integrate import solve_ivp
    path = model(tmp_path)
    k, tau, t_end = 2.0, 0.3, 3.0
    t = np.linspace(0.0, t_end, 31)
    result = simulate(path, t_end=t_end, t_eval=t, rtol=1e-10, atol=1e-12, params={"k": k, "lag": tau})
    pieces, start, x0 = [], 0.0, 1.0
    while start < t_end - 1e-12:
        past = pieces[-1] if pieces else (lambda s: np.array([1.0]))
        sol = solve_ivp(lambda s, x, past=past: -k * past(s - tau), (start, start + tau), [x0],
                        method="DOP853", rtol=1e-12, atol=1e-14, dense_output=True)
        pieces.append(sol.sol)
        start, x0 = start + tau, sol.y[0, -1]
    want = np.array([pieces[min(int(s / tau + 1e-9), len(pieces) - 1)](s)[0] for s in t])
    np.testing.assert_allclose(result.states[:, 0], want, rtol=0, atol=1e-9)
    assert result.states[:, 0].min() < -0.1                # k tau > 1/e: it overshoots below zero


def test_history_interpolates_a_cubic_exactly_and_is_right_continuous():
    n, at = 2, 3
    p = history.allocate(n, 10, np.zeros(at))
    cubic = lambda t: t ** 3 - 2 * t + 1.0                          # noqa: E731
    slope = lambda t: 3 * t ** 2 - 2.0                              # noqa: E731
    history.start(p, at, 0.0, np.array([cubic(0.0), 5.0]))
    for t in (0.0, 0.4, 1.1, 2.0):
        assert history.record(p, at, t, np.array([cubic(t), 5.0]), np.array([slope(t), 0.0])) == 0
    assert p[at + 2] == 4                                          # t = 0 stored once, its slope set
    for tq in (0.1, 0.4, 0.75, 1.9):
        assert history.value(p, at, 0, tq) == pytest.approx(cubic(tq), rel=1e-13, abs=1e-13)
        assert history.rate(p, at, 0, tq) == pytest.approx(slope(tq), rel=1e-12, abs=1e-12)
    assert history.value(p, at, 0, -3.0) == cubic(0.0) and history.rate(p, at, 0, -3.0) == 0.0
    # a dose at t = 2 sets the state: a second entry at the same time, read from t = 2 on
    history.record(p, at, 2.0, np.array([10.0, 5.0]), np.array([0.0, 0.0]))
    assert history.value(p, at, 0, 2.0) == 10.0
    assert history.value(p, at, 0, 2.0 - 1e-9) == pytest.approx(cubic(2.0), abs=1e-7)
    # a vector without a buffer gives NaN, never a read outside it
    assert math.isnan(history.value(np.zeros(at), at, 0, 1.0))


def test_a_full_history_is_a_status_not_an_overflow():
    p = history.allocate(1, 2)
    history.start(p, 0, 0.0, np.array([1.0]))
    assert history.record(p, 0, 1.0, np.array([1.0]), np.array([0.0])) == 0
    assert history.record(p, 0, 2.0, np.array([1.0]), np.array([0.0])) == history.HISTORY_FULL


def test_shipped_style_models_without_delay_have_no_history(tmp_path):
    path = model(tmp_path, rate="k * X * body")
    text = open(path).read().replace('[observables.X_past]\nexpression = "delay(X, lag)"',
                                     '[observables.X_past]\nexpression = "X"')
    open(path, "w").write(text)
    assert not load_model_file(path).uses_delay
    result = simulate(path, t_end=1.0, t_eval=[1.0], rtol=1e-10, atol=1e-12)
    assert result.states[0, 0] == pytest.approx(math.exp(-1.0), rel=1e-8)


@pytest.mark.parametrize("rate, extra, match", [
    ("k * delay(X, lag * X / X) * body", "", "delay\\(\\) whose delay reads 'X'"),
    ("k * delay(X, time) * body", "", "delay\\(\\) whose delay reads 'time'"),
    ("k * delay(X, k) * body", "", "not in days"),
    ("k * delay(X, lag) * body", """
[[events]]
name = "refill"
trigger = "lt(X, 0.5)"
[events.assignments]
X = "1"
""", "cannot have events"),
])
def test_what_delay_does_not_support_is_refused_with_the_key(tmp_path, rate, extra, match):
    with pytest.raises(IvigsimError, match=match):
        load_model_file(model(tmp_path, rate=rate, extra=extra))


def test_a_delay_in_a_steady_state_model_or_of_zero_length_is_refused(tmp_path):
    text = open(model(tmp_path)).read().replace('initial_state = "initial"', 'initial_state = "steady_state"')
    path = tmp_path / "steady.toml"
    path.write_text(text)
    with pytest.raises(IvigsimError, match="no steady state"):
        load_model_file(path)
    text = open(model(tmp_path)).read().replace('unit = "day"\nbounds = [0.1, 10.0]', 'unit = "day"\nbounds = [0.0, 10.0]')
    path.write_text(text)
    with pytest.raises(ParameterError, match="delays must be positive"):
        simulate(str(path), t_end=1.0, params={"lag": 0.0})


def test_an_sbml_delay_in_minutes_matches_the_method_of_steps(tmp_path):
    # S' = -k S(t - 1 min) / cell, S = 10 before the start, k = 0.1 /min, in a model timed in minutes
    pytest.importorskip("antimony")
    from test_sbml import antimony_sbml
    from ivigsim.io.sbml import import_sbml
    path = antimony_sbml(tmp_path, """
model delayed()
  unit time_unit = 60 second
  unit substance = 1e-6 mole
  unit volume = litre
  unit per_min = 1 / time_unit
  compartment cell = 1 litre;
  species S in cell = 10;
  k = 0.1 per_min;
  R: S => ; k * delay(S, 1) * cell;
end
""", name="delayed")
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # a bare delay of 1 is 1 minute: the units check
        import_sbml(path, tmp_path / "delayed.toml")
        spec = load_model_file(tmp_path / "delayed.toml")
    minutes = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    result = simulate(spec, t_end=2.0 / 1440, t_eval=minutes / 1440, rtol=1e-10, atol=1e-12)
    k, s0 = 0.1, 10.0
    want = np.where(minutes <= 1, s0 - k * s0 * minutes,
                    s0 - k * s0 * minutes + k * k * s0 * (minutes - 1) ** 2 / 2)
    np.testing.assert_allclose(result["S"], want, rtol=1e-9)
