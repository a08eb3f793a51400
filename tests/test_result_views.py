"""Every public result object reads well in a notebook: a short repr with the numbers a reader
looks for first, and an HTML table. The factorial, the two in-vitro assays and the agent model
printed their dataclass fields before, every array included (an agent run: 14,000 characters)."""

from html.parser import HTMLParser

import pytest

import ivigsim as iv

REG = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.open, self.seen = [], set()

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        if tag not in ("br", "img", "meta"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing"


def _well_formed(page):
    parser = _Tags()
    parser.feed(page)
    assert parser.open == [] and {"table", "td"} <= parser.seen


@pytest.fixture(scope="module")
def results():
    return {"factorial": iv.mechanism_factorial("ivig_autoimmune", REG, 30.0, "autoantibody_free_auc"),
            "in_vitro": iv.in_vitro_inhibition(),
            "in_vitro_nk": iv.in_vitro_nk_suppression(),
            "agents": iv.simulate_agents(regimen=REG, t_end=7.0, seed=3, replicates=5)}


@pytest.mark.parametrize("name", ["factorial", "in_vitro", "in_vitro_nk", "agents"])
def test_repr_is_a_glance_and_html_a_table(results, name):
    obj = results[name]
    text = repr(obj)
    assert len(text) < 300 and "array(" not in text and "\n" not in text
    _well_formed(obj._repr_html_())


def test_the_numbers_shown_are_the_results(results):
    f = results["factorial"]
    for mechanism, effect in f.single.items():
        assert f"{mechanism} alone {100 * effect:.1f} %" in repr(f)
    assert f"all together {100 * f.joint:.1f} %" in repr(f)
    assert f"{100 * f.bliss_excess:+.1f} points" in f._repr_html_()
    v = results["in_vitro"]
    assert f"max inhibition {100 * v.max_inhibition:.1f} %" in repr(v)
    nk = results["in_vitro_nk"]
    assert f"{nk.baseline_cytotoxicity_pct:.3g} % without IVIG" in repr(nk)
    a = results["agents"]
    assert f"{a.replicates} replicates" in repr(a) and f"seed {a.seed}" in repr(a)
    assert f"{a.extinction_probability:.3f}" in repr(a)
