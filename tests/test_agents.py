"""Agent-based NK–tumour model: reproducibility, NK heterogeneity, mean-field limits, API.

The fast tests pass driver arrays directly, so they do not depend on the ODE
model ``ivig_antitumour``; one integration test uses it when it exists.
Statistical tolerances are stated at each test: 4 standard errors (a chance
failure of about 6e-5 per check) unless said otherwise.
"""

import math

import numpy as np
import pytest
from scipy.linalg import expm

import ivigsim as iv
from ivigsim.core.agents import load_agent_model, simulate_agents
from ivigsim.errors import ModelFileError, ParameterError

from conftest import ROOT

T = np.array([0.0, 100.0])
UNTREATED = {"t": T, "ivig_g_per_l": np.zeros(2), "il12_pg_per_ml": np.zeros(2)}
DRIVER_T = np.linspace(0.0, 20.0, 401)
# Drivers shaped like the ODE model ivig_antitumour for a 20 g mouse: baseline IL-12 of
# 10 pg/mL; after 1 g/kg IVIG, about 12.5 g/L of IVIG (half-life 7 days) and IL-12 rising
# to about 65 pg/mL within two days.
BASELINE = {"t": T, "ivig_g_per_l": np.zeros(2), "il12_pg_per_ml": np.full(2, 10.0)}
TREATED = {"t": DRIVER_T, "ivig_g_per_l": 12.5 * np.exp(-DRIVER_T * math.log(2.0) / 7.0),
           "il12_pg_per_ml": 10.0 + 57.0 * -np.expm1(-DRIVER_T / 0.7) * np.exp(-DRIVER_T / 30.0)}
SMALL = {"inoculum_scale": 0.02}          # 4,000 tumour and 2,000 NK cells simulated

# An in-vitro killing assay: abundant targets that neither divide nor leave, no NK turnover,
# about one NK-target encounter per hour (24e-6 per cell pair per day x 10^6 targets).
ASSAY = {"inoculum_cells": 1.0e6, "nk_cells": 1.0e5, "inoculum_scale": 0.01, "clearance_rate": 0.0,
         "seeding_rate": 0.0, "nk_proliferation_rate": 0.0, "nk_loss_rate": 0.0,
         "nk_encounter_rate": 24.0e-6, "nk_activation_max_rate": 1000.0, "nk_deactivation_rate": 0.0}
IL12_SATURATING = {"t": T, "ivig_g_per_l": np.zeros(2), "il12_pg_per_ml": np.full(2, 1.0e5)}

# Tumour cells alone: no NK cells (the drivers are zero or IVIG only).
NO_NK = {"nk_cells": 0.0, "inoculum_scale": 1.0}


def _arrays(res):
    return (res.foci_counts, res.tumour_cells, res.nk_activated, res.time_to_extinction,
            res.kills_by_nk, res.events)


# --------------------------------------------------------------------------
# reproducibility
# --------------------------------------------------------------------------

def test_same_seed_same_numbers_other_seed_other_numbers():
    run = lambda seed: simulate_agents(t_end=4, seed=seed, replicates=6, params=SMALL, drivers=TREATED)
    a, b, c = run(7), run(7), run(8)
    for x, y in zip(_arrays(a), _arrays(b)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.tumour_cells, c.tumour_cells)
    assert len(set(a.replicate_seeds)) == 6                  # replicates differ from each other
    assert not np.array_equal(a.tumour_cells[0], a.tumour_cells[1])


def test_results_do_not_depend_on_the_thread_count():
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has a single thread here (NUMBA_NUM_THREADS=1)")
    before = numba.get_num_threads()
    try:
        runs = []
        for threads in (1, 2):
            numba.set_num_threads(threads)
            runs.append(simulate_agents(t_end=3, seed=11, replicates=8, params=SMALL, drivers=TREATED))
    finally:
        numba.set_num_threads(before)
    for x, y in zip(_arrays(runs[0]), _arrays(runs[1])):
        np.testing.assert_array_equal(x, y)


def test_replicate_seeds_come_from_seed_sequence_spawn():
    res = simulate_agents(t_end=0.5, seed=5, replicates=3, params=SMALL, drivers=UNTREATED)
    expected = [c.generate_state(1, dtype=np.uint32)[0] for c in np.random.SeedSequence(5).spawn(3)]
    np.testing.assert_array_equal(res.replicate_seeds, expected)
    assert res.seed == 5


# --------------------------------------------------------------------------
# NK cells: heterogeneity (NK-02, NK-03) and exhaustion (NK-04)
# --------------------------------------------------------------------------

def test_half_of_activated_and_three_quarters_of_resting_nk_cells_kill_nothing_in_12_h():
    activated = simulate_agents(t_end=0.5, seed=3, replicates=10, params=ASSAY, drivers=IL12_SATURATING)
    resting = simulate_agents(t_end=0.5, seed=3, replicates=10, params=ASSAY, drivers=UNTREATED)
    zero_act = activated.zero_kill_fraction(activated=True)
    zero_rest = resting.zero_kill_fraction(activated=False)
    print(f"\nzero-kill fraction in 12 h: activated {zero_act:.3f} (NK-02: about half), "
          f"resting {zero_rest:.3f} (NK-03: about 75 %)")
    assert 0.42 <= zero_act <= 0.58                       # NK-02: about half (10,000 cells: SE 0.005)
    assert 0.68 <= zero_rest <= 0.82                      # NK-03: ~75 %
    hist = resting.kills_by_nk[:, 0].sum(axis=0)
    assert hist[3:].sum() > 0                             # NK-03: some resting cells kill >= 3
    # NK-02: a minority of serial killers (>= 3 kills) makes most of the kills
    hist = activated.kills_by_nk[:, 1].sum(axis=0)
    kills = np.arange(hist.size) * hist
    serial_share = hist[3:].sum() / hist.sum()
    print(f"serial killers: {serial_share:.2f} of activated cells make {kills[3:].sum() / kills.sum():.2f} of kills")
    assert serial_share < 0.4 and kills[3:].sum() / kills.sum() > 0.6


def test_kills_per_nk_cell_saturate_with_granule_depletion():
    means, left = [], []
    for t_end in (0.5, 1.0, 2.0, 4.0):
        res = simulate_agents(t_end=t_end, seed=4, replicates=4, params=ASSAY, drivers=IL12_SATURATING)
        means.append(res.mean_kills_per_nk(activated=True))
        left.append(res.tumour_cells[:, -1].mean() / res.tumour_cells[:, 0].mean())
        assert res.kills_by_nk.shape[-1] == 7            # nobody exceeds nk_exhaustion_kills = 6
    rates = np.diff([0.0] + means) / np.diff([0.0, 0.5, 1.0, 2.0, 4.0])
    print("\nkills per activated NK cell at 0.5, 1, 2, 4 days:", np.round(means, 2),
          "per day:", np.round(rates, 2), "targets left:", np.round(left, 2))
    assert np.all(np.diff(rates) < 0)                     # every later kill comes slower...
    assert rates[-1] < 0.15 * rates[0]                    # ...the rate falls > 6-fold
    assert left[-1] > 0.6                                 # while targets stay plentiful
    assert means[-1] < 0.6 * 6                            # killers (60 %) x 6 kills at most


# --------------------------------------------------------------------------
# mean-field limits (no NK: the scheme is exact, only sampling error remains)
# --------------------------------------------------------------------------

def _mean_field(res, p):
    """Mean cells of the linear ODE C' = -(c + s + a(t)) C, F' = s C + (b - d - a(t)) F.

    The apoptosis rate a(t) is constant over each step (the core's drivers), so
    the ODE is solved exactly, one matrix exponential per step.
    """
    ivig = res.drivers["ivig_g_per_l"]
    apo = p["ivig_apoptosis_max_rate"] * ivig / (ivig + p["ivig_apoptosis_ec50"])
    r = math.log(2.0) / p["doubling_time"]
    c, s, dt = p["clearance_rate"], p["seeding_rate"], res.time_step
    y = np.array([p["inoculum_cells"], 0.0])
    out = [y.sum()]
    every = round((res.t[1] - res.t[0]) / dt)
    for k, a in enumerate(apo):
        y = expm(np.array([[-(c + s + a), 0.0], [s, r - a]]) * dt) @ y
        if (k + 1) % every == 0:
            out.append(y.sum())
    return np.array(out)


def test_agent_mean_converges_to_mean_field_ode_as_the_inoculum_grows():
    params = {**NO_NK, "clearance_rate": 0.5, "seeding_rate": 1.0, "ivig_apoptosis_max_rate": 0.5}
    drivers = {"t": DRIVER_T, "ivig_g_per_l": TREATED["ivig_g_per_l"], "il12_pg_per_ml": 0 * DRIVER_T}
    cvs, rel_err = [], []
    for n0, replicates in ((100, 400), (10_000, 100)):
        res = simulate_agents(t_end=6, seed=21, replicates=replicates, drivers=drivers,
                              params={**params, "inoculum_cells": n0, "output_interval": 0.5})
        ode = _mean_field(res, res.parameters)
        mean = res.tumour_cells.mean(axis=0)
        se = res.tumour_cells.std(axis=0, ddof=1) / math.sqrt(replicates)
        z = np.abs(mean - ode)[1:] / se[1:]
        print(f"\nN0 = {n0}: max |mean - ODE| = {z.max():.2f} SE; relative error at day 6 "
              f"{(mean[-1] - ode[-1]) / ode[-1]:+.4f}")
        assert z.max() < 4.0
        cvs.append(res.tumour_cells[:, -1].std(ddof=1) / ode[-1])
        rel_err.append(abs(mean[-1] - ode[-1]) / ode[-1])
    # per-replicate spread shrinks like 1/sqrt(N0): a 100-fold inoculum, a 10-fold smaller CV
    assert 7.0 < cvs[0] / cvs[1] < 14.0
    # so the mean converges: at N0 = 10^4 (CV 3 %, 100 replicates: SE 0.3 %) within 1.5 %
    assert rel_err[1] < 0.015


def test_death_only_matches_exponential_mean_with_binomial_variance():
    k, n0, replicates = 0.7, 1000, 400
    res = simulate_agents(t_end=3, seed=31, replicates=replicates, drivers=UNTREATED,
                          params={**NO_NK, "clearance_rate": k, "seeding_rate": 0.0,
                                  "inoculum_cells": n0, "output_interval": 0.5})
    p = np.exp(-k * res.t)
    mean, var = res.tumour_cells.mean(axis=0), res.tumour_cells.var(axis=0, ddof=1)
    binom_var = n0 * p * (1 - p)
    z = np.abs(mean - n0 * p)[1:] / np.sqrt(binom_var[1:] / replicates)
    assert z.max() < 4.0
    # sample variance / binomial variance: chi-square with 399 df, 4 SE = 4 sqrt(2/399) = 0.28
    assert np.all(np.abs(var[1:] / binom_var[1:] - 1.0) < 0.28)
    assert np.all(np.isnan(res.time_to_extinction))


@pytest.mark.parametrize("death, birth", [(0.5, 1.0), (0.25, 1.0)])
def test_extinction_of_a_one_cell_focus_is_death_over_birth(death, birth):
    """Linear birth-death from one cell: P(extinct by t) = d (e^{rt} - 1) / (b e^{rt} - d) -> d / b.

    The cell seeds a focus at once (seeding rate 10^4 /day, no clearance, no NK cells).
    """
    replicates, t_end = 4000, 10.0
    r = birth - death
    res = simulate_agents(t_end=t_end, seed=41, replicates=replicates, drivers=UNTREATED,
                          params={**NO_NK, "inoculum_cells": 1.0, "clearance_rate": 0.0,
                                  "seeding_rate": 1.0e4, "tumour_cell_death_rate": death,
                                  "doubling_time": math.log(2.0) / r, "output_interval": 1.0})
    finite_t = death * math.expm1(r * t_end) / (birth * math.exp(r * t_end) - death)
    se = math.sqrt(finite_t * (1 - finite_t) / replicates)
    p_hat = res.extinction_probability
    print(f"\nd/b = {death / birth:.3f}: extinction probability {p_hat:.4f} "
          f"(exact at t = {t_end:g}: {finite_t:.4f}, SE {se:.4f})")
    assert abs(p_hat - finite_t) < 4 * se
    assert abs(p_hat - death / birth) < 4 * se + (death / birth - finite_t)
    extinct = np.isfinite(res.time_to_extinction)
    assert np.all(res.tumour_cells[extinct, -1] == 0) and np.all(res.tumour_cells[~extinct, -1] > 0)
    assert np.all((res.time_to_extinction[extinct] > 0) & (res.time_to_extinction[extinct] <= t_end))
    np.testing.assert_array_equal(res.foci_counts, (~extinct).astype(int))


# --------------------------------------------------------------------------
# treatment
# --------------------------------------------------------------------------

def test_ivig_and_il12_lower_the_mean_foci():
    kw = dict(t_end=14, seed=51, replicates=60)
    untreated = simulate_agents(drivers=BASELINE, **kw)
    treated = simulate_agents(drivers=TREATED, **kw)
    no_nk = simulate_agents(drivers=BASELINE, params={"nk_cells": 0.0}, **kw)
    u, t, n = untreated.foci_counts, treated.foci_counts, no_nk.foci_counts
    welch = lambda a, b: (a.mean() - b.mean()) / math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    print(f"\nmean foci at day 14: no NK {n.mean():.0f}, untreated {u.mean():.0f}, "
          f"IVIG + IL-12 {t.mean():.0f}; zero-kill fraction of activated NK cells in vivo "
          f"{treated.zero_kill_fraction():.2f}")
    assert welch(u, t) > 4.0                        # CA-01: fewer lung foci with IVIG
    assert welch(n, u) > 4.0                        # TU-02: metastasis is NK-dependent
    assert treated.nk_activated[:, -20:].mean() > 2 * untreated.nk_activated[:, -20:].mean()
    assert np.all(untreated.foci_counts <= untreated.foci_seeded)


def test_drivers_and_regimen_together_are_refused_and_drivers_are_checked():
    with pytest.raises(ParameterError, match="not both"):
        simulate_agents(t_end=1, regimen=iv.Regimen.none(), drivers=UNTREATED, params=SMALL)
    with pytest.raises(ParameterError, match="cover"):
        simulate_agents(t_end=200, drivers=UNTREATED, params=SMALL)
    with pytest.raises(ParameterError, match="exactly the keys"):
        simulate_agents(t_end=1, drivers={"t": T, "ivig_g_per_l": T}, params=SMALL)
    with pytest.raises(ParameterError, match="non-negative"):
        simulate_agents(t_end=1, drivers={**UNTREATED, "il12_pg_per_ml": np.array([1.0, -1.0])},
                        params=SMALL)


@pytest.mark.skipif(not (ROOT / "models" / "ivig_antitumour.toml").exists(),
                    reason="models/ivig_antitumour.toml (the ODE model that supplies the IVIG "
                           "and IL-12 drivers) does not exist yet")
def test_drivers_from_the_ode_model_ivig_antitumour():
    reg = iv.Regimen.ivig(dose_g_per_kg=1.0, days=1, infusion_hours=1)
    kw = dict(t_end=14, seed=61, replicates=40)
    treated = simulate_agents(regimen=reg, **kw)
    untreated = simulate_agents(**kw)
    ode = iv.simulate("ivig_antitumour", regimen=reg, t_end=14, body_weight_kg=0.02,
                      t_eval=treated.drivers["t"])
    np.testing.assert_allclose(treated.drivers["ivig_g_per_l"], ode["ivig_plasma"], rtol=1e-12)
    assert treated.drivers["ivig_g_per_l"].max() > 1.0
    assert untreated.drivers["ivig_g_per_l"].max() < treated.drivers["ivig_g_per_l"].max()
    assert treated.foci_counts.mean() < untreated.foci_counts.mean()


# --------------------------------------------------------------------------
# parameters, model file, results
# --------------------------------------------------------------------------

@pytest.mark.parametrize("params, words", [
    ({"nk_cell": 10.0}, "Did you mean 'nk_cells'"),
    ({"seeding_rate": float("nan")}, "finite"),
    ({"nk_granule_depletion": 1.5}, "plausible range"),
    ({"nk_exhaustion_kills": 2.5}, "whole number"),
    ({"doubling_time": (2.0, "g/L")}, "cannot use"),
])
def test_bad_overrides_are_refused(params, words):
    with pytest.raises(ParameterError, match=words):
        simulate_agents(t_end=1, replicates=1, drivers=UNTREATED, params=params)


def test_overrides_convert_units():
    res = simulate_agents(t_end=1, replicates=1, drivers=UNTREATED,
                          params={**SMALL, "doubling_time": (67.2, "h"), "time_step": (0.24, "h")})
    assert res.parameters["doubling_time"] == pytest.approx(2.8)
    assert res.time_step == pytest.approx(0.01)


def test_agent_model_file_is_complete_and_hidden_from_the_reaction_catalogue():
    model = load_agent_model("nk_tumour_abm")
    assert all(p.source.strip() and p.bounds[0] <= p.value <= p.bounds[1] for p in model.parameters)
    assert "nk_tumour_abm" not in iv.model_paths()


@pytest.mark.parametrize("edit, key", [
    (lambda s: s.replace("[parameters.clearance_rate]", "[parameters.clearance_rte]"),
     "parameters.clearance_rte"),
    (lambda s: s.replace('unit = "1/day"\nbounds = [0.0, 100.0]', 'unit = "g/L"\nbounds = [0.0, 100.0]'),
     "parameters.clearance_rate.unit"),
    (lambda s: s.replace('kind = "agent"', 'kind = "reactions"'), "model.kind"),
    (lambda s: s.replace("value = 0.069", "value = 9.0"), "parameters.nk_loss_rate.value"),
])
def test_model_file_errors_name_the_file_and_the_key(tmp_path, edit, key):
    text = (ROOT / "models" / "agents" / "nk_tumour_abm.toml").read_text()
    bad = tmp_path / "bad_abm.toml"
    bad.write_text(edit(text))
    with pytest.raises(ModelFileError) as err:
        load_agent_model(bad)
    assert err.value.key == key and str(bad) in str(err.value)


def test_missing_parameter_is_named(tmp_path):
    text = (ROOT / "models" / "agents" / "nk_tumour_abm.toml").read_text()
    start = text.index("[parameters.nk_granule_depletion]")
    end = text.index("[parameters.nk_exhaustion_kills]")
    bad = tmp_path / "missing.toml"
    bad.write_text(text[:start] + text[end:])
    with pytest.raises(ModelFileError, match="required") as err:
        load_agent_model(bad)
    assert err.value.key == "parameters.nk_granule_depletion"
    with pytest.raises(ModelFileError, match="no agent model named"):
        load_agent_model("no_such_abm")


def test_summary_and_plot(tmp_path):
    res = simulate_agents(t_end=3, seed=1, replicates=5, params=SMALL, drivers=TREATED)
    text = res.summary()
    for words in ("mean", "median", "5-95 %", "extinction probability", "killing nothing"):
        assert words in text
    assert res.foci_counts.dtype.kind == "i" and res.foci_counts.shape == (5,)
    assert res.tumour_cells.shape == res.nk_activated.shape == (5, res.t.size)
    assert res.t[-1] == 3.0 and res.tumour_cells[0, 0] == 2.0e5
    path = res.plot(tmp_path / "agents.png")
    assert path.stat().st_size > 10_000


@pytest.mark.slow
def test_inoculum_scale_keeps_the_mean_foci():
    """Scaling the inoculum and the NK cells together keeps every per-cell rate: same mean foci."""
    full = simulate_agents(t_end=14, seed=71, replicates=40, drivers=TREATED, params={"inoculum_scale": 1.0})
    scaled = simulate_agents(t_end=14, seed=72, replicates=400, drivers=TREATED)
    a, b = full.foci_counts, scaled.foci_counts
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    print(f"\nmean foci: full inoculum {a.mean():.1f} (sd {a.std():.1f}), scale 0.1 {b.mean():.1f} "
          f"(sd {b.std():.1f}); difference {a.mean() - b.mean():+.1f} (SE {se:.1f})")
    assert abs(a.mean() - b.mean()) < 4 * se
    assert a.std() < 0.6 * b.std()                  # the full assay has the smaller spread
