"""Assignment rules, rate rules and ``time`` in the model language."""

import numpy as np
import pytest

from conftest import DATA
from ivigsim.errors import ModelFileError
from ivigsim.core.simulation import simulate
from ivigsim.core.spec import load_model_file

RULES = DATA / "language" / "rules_decay.toml"
EVENTS = DATA / "language" / "threshold_reset.toml"


def load_with(tmp_path, path, old, new, *more):
    """The model at ``path`` with ``old`` replaced by ``new`` (and further old, new pairs)."""
    text = path.read_text()
    pairs = [(old, new), *zip(more[::2], more[1::2])]
    for a, b in pairs:
        assert a in text, a
        text = text.replace(a, b, 1)
    target = tmp_path / "model.toml"
    target.write_text(text)
    return load_model_file(target)


def test_rules_lower_to_states_and_substituted_rate_laws():
    spec = load_model_file(RULES)
    assert spec.species_names == ("A", "k_extra", "time")      # user species keep their indices
    assert spec.mechanism_names == ("elimination", "rate_rules", "model_time")
    assert [r.name for r in spec.rules] == ["k_extra", "k_total", "amount", "k_check"]
    elimination = spec.reactions[0]
    # the rate law reads the rules' expressions, in dependency order
    from ivigsim.core.expressions import symbols
    assert symbols(elimination.rate) == {"k0", "k_extra", "A", "body"}


def test_rules_match_the_analytic_solution():
    t = np.linspace(0.0, 5.0, 11)
    result = simulate(str(RULES), t_end=5.0, t_eval=t, rtol=1e-10, atol=1e-13)
    k0, growth, a0 = 0.2, 0.5, 10.0
    exact = a0 * np.exp(-(k0 * t + k0 * growth * t ** 2 / 2))
    np.testing.assert_allclose(result.states[:, 0], exact, rtol=2e-9)
    np.testing.assert_allclose(result.states[:, 2], t, rtol=1e-12, atol=1e-12)     # the clock
    np.testing.assert_allclose(result.states[:, 1], k0 * growth * t, rtol=1e-10, atol=1e-14)
    # k_total (rate-rule state) and k_check (time) agree at every output
    assert np.max(np.abs(result.observables[:, 1])) < 1e-12


def test_switching_rate_rules_off_freezes_their_states():
    result = simulate(str(RULES), t_end=2.0, t_eval=[0.0, 2.0], mechanisms={"rate_rules": False})
    assert result.states[-1, 1] == 0.0
    np.testing.assert_allclose(result.states[-1, 0], 10.0 * np.exp(-0.4), rtol=1e-5)


def test_a_rule_cycle_is_refused_naming_the_cycle(tmp_path):
    with pytest.raises(ModelFileError, match=r"rules\.(k_total|k_loop).*cycle: .*k_total.*k_loop"):
        load_with(tmp_path, RULES, 'assignment = "k0 + k_extra"', 'assignment = "k0 + k_loop"',
                  '[rules.amount]', '[rules.k_loop]\nassignment = "k_total * 2"\nunit = "1/day"\n\n'
                  '[rules.amount]')


def test_a_self_referencing_rule_is_a_cycle(tmp_path):
    with pytest.raises(ModelFileError, match=r"\[rules\.k_total\].*cycle: k_total -> k_total"):
        load_with(tmp_path, RULES, 'assignment = "k0 + k_extra"', 'assignment = "k0 + k_total"')


@pytest.mark.parametrize("old,new,key,words", [
    ('assignment = "k0 + k_extra"', 'assignment = "k0 + A"', "rules.k_total.assignment", "unit"),
    ('rate = "k0 * growth"', 'rate = "k0"', "rules.k_extra.rate", "its unit per day"),
    ('rate = "k0 * growth"', 'rate = "k0 * growth"\nassignment = "k0"', "rules.k_extra", "exactly one"),
    ('assignment = "k0 + k_extra"', 'assignment = "k0 + k_extr"', "rules.k_total.assignment",
     "undefined symbol 'k_extr'"),
    ('initial = "0"', 'initial = "A0"', "rules.k_extra.initial", "unit"),
    ('assignment = "k0 + k_extra"', 'assignment = "k0 + k_extra"\ninitial = "0"', "rules.k_total.initial",
     "no initial value"),
    ('initial_state = "initial"', 'initial_state = "steady_state"', "model.initial_state", "time"),
    ('[parameters.k0]', '[parameters.time]\nvalue = 1.0\nunit = "day"\nbounds = [0.0, 2.0]\n'
     'source = "x"\n\n[parameters.k0]', "parameters.time", "reserved"),
    ('volume = "volume_body"', 'volume = "amount / A"', "compartments.body.volume",
     "assignment rules of parameters"),
])
def test_rule_defects_name_the_key(tmp_path, old, new, key, words):
    with pytest.raises(ModelFileError) as info:
        load_with(tmp_path, RULES, old, new)
    message = str(info.value)
    assert f"[{key}]" in message and words in message, message


def test_a_volume_may_use_a_rule_of_parameters(tmp_path):
    spec = load_with(tmp_path, RULES, 'volume = "volume_body"', 'volume = "double_volume / 2"',
                     '[rules.amount]', '[rules.double_volume]\nassignment = "2 * volume_body"\nunit = "L"\n\n'
                     '[rules.amount]')
    assert spec.environment(spec.default_parameters())["body"] == 2.0


def test_models_without_rules_keep_their_fingerprint():
    # the fingerprint of a model file without rules or events (kernels and references depend on it)
    spec = load_model_file(DATA / "one_compartment.toml")
    assert spec.rules == () and spec.events == ()
    assert "events" not in repr(spec.fingerprint())


def test_events_are_read_with_their_defaults():
    spec = load_model_file(EVENTS)
    (event,) = spec.events
    assert event.name == "reset" and event.trigger_text == "lt(A, A_low)"
    assert (event.persistent, event.initial_value, event.use_values_from_trigger_time) == (True, True, True)
    assert event.delay is None and event.priority is None
    assert [t for t, _ in event.assignments] == ["A", "resets"]


@pytest.mark.parametrize("old,new,key,words", [
    ('trigger = "lt(A, A_low)"', 'trigger = "A - A_low"', "events.reset.trigger", "a condition"),
    ('trigger = "lt(A, A_low)"', 'trigger = "lt(A, k)"', "events.reset.trigger", "compare"),
    ('A = "A0"', 'k = "A0"', "events.reset.assignments.k", "but 'k' is in 1/day"),       # a parameter
    ('A = "A0"', 'body = "A0"', "events.reset.assignments.body", "but 'body' is in L"),   # a compartment
    ('A = "A0"', 'rule_states = "2"', "events.reset.assignments.rule_states", "size is fixed at 1"),
    ('A = "A0"', 'A = "k"', "events.reset.assignments.A", "unit"),
    ('A = "A0"', 'A = "A_zero"', "events.reset.assignments.A", "undefined symbol 'A_zero'"),
    ('description = "A is restored', 'delay = "A0"\ndescription = "A is restored', "events.reset.delay",
     "a time in days"),
    ('description = "A is restored', 'priority = "k"\ndescription = "A is restored', "events.reset.priority",
     "pure number"),
    ('description = "A is restored', 'persistent = 1\ndescription = "A is restored',
     "events.reset.persistent", "true or false"),
    ('description = "A is restored', 'triger = 1\ndescription = "A is restored', "events[0].triger",
     "did you mean 'trigger'"),
])
def test_event_defects_name_the_key(tmp_path, old, new, key, words):
    with pytest.raises(ModelFileError) as info:
        load_with(tmp_path, EVENTS, old, new)
    message = str(info.value)
    assert f"[{key}]" in message and words in message, message


def test_duplicate_event_names_are_refused(tmp_path):
    text = EVENTS.read_text()
    block = text[text.index("[[events]]"):]
    target = tmp_path / "model.toml"
    target.write_text(text + "\n" + block)
    with pytest.raises(ModelFileError, match=r"\[events\.reset\.name\].*already named"):
        load_model_file(target)


def test_equations_and_card_show_rules_and_events():
    from ivigsim.interfaces.cards import model_card
    from ivigsim.core.equations import equations_html, equations_latex, equations_text
    rules = load_model_file(RULES)
    text = equations_text(rules)
    assert "dk_extra/dt = k0*growth   [1/day/day]" in text and "k_total = k0 + k_extra   [1/day]" in text
    assert r"\frac{\mathrm{d}\mathit{k\_extra}}{\mathrm{d}t}" in equations_latex(rules)
    events = load_model_file(EVENTS)
    assert "reset: when lt(A, A_low) -> A = A0; resets = resets + 1" in equations_text(events)
    assert "<b>reset</b>: when <code>lt(A, A_low)</code>" in equations_html(events)
    card = model_card(events)
    assert "## Events\n- reset: when lt(A, A_low): A is restored to A0" in card
    assert "- resets [1], rate rule: the number of resets so far" in card


def test_a_delayed_event_with_options_is_rendered_with_them(tmp_path):
    from ivigsim.core.equations import equations_text
    spec = load_with(tmp_path, EVENTS, 'description = "A is restored',
                     'delay = "1 / k"\npriority = "2"\npersistent = false\ndescription = "A is restored')
    assert "when lt(A, A_low) (after 1/k days; priority 2; cancelled if the trigger turns false before)" \
        in equations_text(spec)
