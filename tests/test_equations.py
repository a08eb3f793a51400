"""Equations on show: the ODEs, rate laws and observables of a model card, generated from the parsed model."""

import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

import ivigsim as iv
from conftest import ROOT
from ivigsim.interfaces.cards import model_card
from ivigsim.core.equations import model_equations, ode_text
from ivigsim.core.expressions import evaluate
from ivigsim.core.kernel.compiled import load_kernel

# igg_linear, derived by hand from its file: concentrations (uM) in plasma and
# interstitium change by the net reaction flux (umol/day) over the compartment volume.
HAND_DERIVED_ODES = {
    "igg_p": "d[igg_p]/dt = (v_igg_synthesis - v_igg_extravasation + v_igg_lymph_return - v_igg_elimination) / plasma",
    "igg_i": "d[igg_i]/dt = (v_igg_extravasation - v_igg_lymph_return) / interstitium",
    "igg_catabolised": "d[igg_catabolised]/dt = v_igg_elimination",
    "ivig_p": ("d[ivig_p]/dt = (-v_ivig_extravasation + v_ivig_lymph_return - v_ivig_elimination "
               "+ v_sc_absorption) / plasma"),
    "ivig_sc": "d[ivig_sc]/dt = -v_sc_absorption - v_sc_presystemic_loss",
}


def _hand_rhs(y, p):
    """igg_linear written out by hand (amounts over volumes), independently of ivigsim."""
    bw = p["body_weight"]
    vp, vi = p["v_plasma"] * bw, p["v_interstitial"] * bw
    ext, lym, cl = p["cl_extravasation"] * bw, p["lymph_flow"] * bw, p["cl_linear"] * bw
    out = {}
    for x, prod in (("igg", p["igg_production"] * bw / p["mw_igg"]), ("aab", p["aab_production"] * bw / p["mw_igg"]),
                    ("ivig", 0.0)):
        cp, ci = y[f"{x}_p"], y[f"{x}_i"]
        absorbed = p["f_sc"] * p["ka_sc"] * y["ivig_sc"] if x == "ivig" else 0.0
        out[f"{x}_p"] = (prod - ext * cp + lym * ci - cl * cp + absorbed) / vp
        out[f"{x}_i"] = (ext * cp - lym * ci) / vi
        out[f"{x}_catabolised"] = cl * cp + ((1 - p["f_sc"]) * p["ka_sc"] * y["ivig_sc"] if x == "ivig" else 0.0)
    out["ivig_sc"] = -p["ka_sc"] * y["ivig_sc"]
    return out


def test_igg_linear_card_shows_the_hand_derived_odes():
    card = model_card(iv.load_model("igg_linear"))
    for line in HAND_DERIVED_ODES.values():
        assert line in card
    assert "v_igg_elimination = cl_linear*body_weight*igg_p" in card
    assert "v_sc_presystemic_loss = (1 - f_sc)*ka_sc*ivig_sc" in card
    assert "igg_total = 0.001 × ((igg_p + ivig_p + aab_p)*mw_igg)   [g/L]" in card
    assert "[uM/day]" in card and "[umol/day]" in card


def test_igg_linear_equations_evaluate_to_the_hand_derived_and_compiled_rhs():
    spec = iv.load_model("igg_linear")
    params = dict(zip(spec.parameter_names, spec.default_parameters()))
    rng = np.random.default_rng(3)
    state = dict(zip(spec.species_names, rng.uniform(0.1, 80.0, spec.n_species)))
    env = {**spec.environment(spec.default_parameters()), **state}
    odes, rates, _ = model_equations(spec)
    v = {r.reaction: evaluate(r.rate, env) for r in rates}
    from_card = {o.species: sum(c * v[name] for c, name in o.terms) / (env[o.volume] if o.volume else 1.0)
                 for o in odes}
    by_hand = _hand_rhs(state, params)
    kernel = load_kernel(spec)
    dydt = np.empty(spec.n_species)
    kernel.rhs(np.array([state[s] for s in spec.species_names]), kernel.parameter_vector(
        spec.default_parameters(), np.ones(len(spec.mechanisms))), dydt)
    for k, name in enumerate(spec.species_names):
        assert from_card[name] == pytest.approx(by_hand[name], rel=1e-12, abs=1e-12), name
        assert dydt[k] == pytest.approx(by_hand[name], rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize("name", sorted(iv.model_paths()))
def test_every_model_card_has_one_ode_per_species_in_every_format(name):
    spec = iv.load_model(name)
    text = model_card(spec)
    assert sum(f"d[{s}]/dt = " in text for s in spec.species_names) == spec.n_species
    assert all(f"v_{r.name} = " in text for r in spec.reactions)
    tex = model_card(spec, format="tex")
    assert tex.count(r"\frac{\mathrm{d}[") == spec.n_species and r"\begin{align*}" in tex
    md = model_card(spec, format="md")
    assert f"`{ode_text(model_equations(spec)[0][0])}`" in md
    page = model_card(spec, format="html")
    assert page.count("<math displaystyle='true'>") == spec.n_species + len(spec.reactions) + len(spec.observables)
    assert page.count("Equations") == 1
    _assert_well_formed(page)


class _Nesting(HTMLParser):
    VOID = {"br", "img", "meta", "link", "hr", "input", "col", "wbr", "source"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def _assert_well_formed(text):
    parser = _Nesting()
    parser.feed(text)
    parser.close()
    assert not parser.errors, parser.errors[:3]
    assert not parser.stack, parser.stack


def test_html_card_escapes_text_from_the_file(tmp_path):
    source = (ROOT / "models" / "igg_linear.toml").read_text()
    hostile = source.replace('name = "igg_linear"', 'name = "igg_hostile"').replace(
        'description = """Linear', 'description = """<script>alert(1)</script> & Linear')
    path = tmp_path / "igg_hostile.toml"
    path.write_text(hostile)
    page = iv.load_model(path)._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Linear" in page
    _assert_well_formed(page)


def test_cli_card_formats_and_the_agent_model():
    def run(*args):
        return subprocess.run([sys.executable, "-m", "ivigsim.interfaces.cli", *args], capture_output=True, text=True,
                              cwd=ROOT)
    out = run("models", "--card", "igg_linear", "--format", "tex")
    assert out.returncode == 0 and r"\mathit{igg\_p}" in out.stdout
    out = run("models")
    assert "nk_tumour_abm" in out.stdout and "agent-based" in out.stdout
    out = run("models", "--card", "nk_tumour_abm")
    assert out.returncode == 0, out.stderr
    assert "# nk_tumour_abm" in out.stdout and "nk_encounter_rate" in out.stdout
    out = run("models", "--card", "igg_linaer")
    assert out.returncode == 2 and "did you mean 'igg_linear'?" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
