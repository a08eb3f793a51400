"""A regimen shows every part of itself: apheresis sessions and doses given on a trigger,
not only the infusions (a plasma exchange printed as "no treatment" before)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import ivigsim as iv  # noqa: E402

PLEX = iv.Regimen.plasma_exchange(plasma_volumes=1.0, sessions=5, every_days=2)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_a_plasma_exchange_is_not_printed_as_no_treatment():
    assert repr(PLEX) == ("Regimen('PLEX': '5 × plasma exchange of 1 plasma volume (albumin replacement), "
                          "2 h each, every 2 d', 5 sessions)")
    adsorption = iv.Regimen.immunoadsorption(plasma_volumes=2.0, sessions=3, every_days=1)
    assert "no treatment" not in repr(adsorption) and "3 sessions" in repr(adsorption)
    html = PLEX._repr_html_()
    assert "no treatment" not in html and "5 plasma volumes in 5 sessions" in html


def test_a_trigger_rule_is_not_printed_as_no_treatment():
    rule = iv.Regimen.when_below("igg_total", 6.0, 0.4, min_interval_days=14)
    assert repr(rule) == ("Regimen('when_below': '0.4 g/kg ivig (iv) when igg_total < 6, at most every "
                          "14 days', 1 triggered dose rule)")
    assert "no treatment" not in rule._repr_html_()


def test_ivig_then_plex_counts_and_grams_both_parts():
    both = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5) + iv.Regimen.plasma_exchange(start_day=5.0)
    assert repr(both).endswith("2 g/kg in total, 5 administrations, 5 sessions)")
    html = both._repr_html_()
    assert "ivig given at 70 kg</td><td>140 g" in html


def test_the_plot_marks_every_session_over_its_hours():
    both = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5) + iv.Regimen.plasma_exchange(start_day=5.0)
    ax = both.plot(body_weight_kg=70)
    spans = ax.patches                                                # axvspan rectangles
    starts = sorted(round(p.get_x(), 9) for p in spans)
    widths = {round(p.get_width(), 9) for p in spans}
    assert starts == [5.0, 7.0, 9.0, 11.0, 13.0]
    assert widths == {round(2.0 / 24.0, 9)}                          # 2 h sessions
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["IV infusion", "plasma exchange session"]
    assert ax.get_xlim()[1] >= 13.0 + 2.0 / 24.0
