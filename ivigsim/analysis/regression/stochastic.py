"""Stochastic regression references: fixed-seed samples, checked bit for bit and statistically.

``references/stochastic/`` holds one CSV of samples per case of
:data:`CASES` (one row per replicate) and ``reference.json``:

* ``agents_foci``: lung foci at day 14 of the agent-based NK–tumour model
  (``simulate_agents``), treated with 1 g/kg IVIG and untreated, 100
  replicates each from ``SeedSequence(seed).spawn(100)``;
* ``ssa_fcrn_pk_qss``: Gillespie's exact direct method (``simulate(...,
  method="ssa")``) on ``fcrn_pk_qss`` at ``ssa_scale = 5`` under the
  standard course (0.4 g/kg/day for 5 days), total IgG at days 7, 14 and 28
  and IVIG at day 28, 60 replicates, replicate ``r`` with seed
  ``seed + r``.

Two checks, both run every time:

* **bit-identical** (the strong check): the same seeds give the same
  samples, whatever the thread count (agent replicates are seeded one by
  one; the SSA runs one thread per trajectory).  Any change to the random
  stream or to the arithmetic shows.  It can also fail on a machine whose
  maths library or compiler rounds differently (one ulp moves an event time
  and the trajectories part), so it is required only when the platform,
  Python, numpy and numba are those that made the reference (or with
  ``strict=True``);
* **statistical** (the robust check): per sample, a two-sample
  Kolmogorov–Smirnov test (the whole distribution) and Welch's t-test (the
  mean) against the reference sample, each at a Bonferroni-corrected level
  so that the chance of a false alarm over all tests together is at most
  :data:`FAMILY_ALPHA`.  The sidecar records, for each sample, the mean
  shift the t-test detects with 80 % power.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
import sys
from pathlib import Path

import numpy as np

from ivigsim.errors import IvigsimError
from ivigsim.analysis.regression.files import (SIDECAR, csv_text, display_path, git_dirty, missing_message, read_csv,
                                   read_sidecar, sha256_of, write_files)
from ivigsim.analysis.regression.report import ExperimentCheck

__all__ = ["CASES", "FAMILY_ALPHA", "simulate_cases", "write_stochastic", "check_stochastic",
           "regress_stochastic"]

#: The stochastic cases, as stored in the sidecar: changing one calls for a new reference.
CASES = {
    "agents_foci": {
        "kind": "agents", "model": "nk_tumour_abm", "driver_model": "ivig_antitumour",
        "t_end_days": 14.0, "seed": 20261201, "replicates": 100,
        "regimen": {"kind": "ivig", "dose_g_per_kg": 1.0, "days": 1, "infusion_hours": 1.0},
        "samples": "lung foci at t_end, treated (regimen) and untreated (no IVIG), same seeds",
    },
    "ssa_fcrn_pk_qss": {
        "kind": "ssa", "model": "fcrn_pk_qss", "method": "ssa", "ssa_scale": 5.0,
        "t_end_days": 28.0, "body_weight_kg": 70.0, "seed": 20261202, "replicates": 60,
        "regimen": {"kind": "ivig", "dose_g_per_kg": 0.4, "days": 5, "infusion_hours": 8.0},
        "outputs": {"igg_total": [7.0, 14.0, 28.0], "ivig": [28.0]},
        "samples": "outputs at the given days; replicate r has seed = seed + r",
    },
}
#: Chance of a false alarm over every statistical test of the stochastic references together.
FAMILY_ALPHA = 0.01
#: Statistical tests per sample: Kolmogorov–Smirnov and Welch's t.
TESTS_PER_SAMPLE = 2
_POWER = 0.8
_VOLATILE = ("created", "git_commit", "git_dirty", "ivigsim_version", "environment")


# ---------------------------------------------------------------------------
# Simulating the cases
# ---------------------------------------------------------------------------


def _regimen(entry):
    from ivigsim.core.regimen_data import regimen_from_data
    return regimen_from_data(entry)


def _agents(case):
    from ivigsim.core.agents import simulate_agents
    kw = dict(model=case["model"], t_end=case["t_end_days"], seed=case["seed"], replicates=case["replicates"])
    treated = simulate_agents(regimen=_regimen(case["regimen"]), **kw)
    untreated = simulate_agents(regimen=None, **kw)
    return {"foci_treated": treated.foci_counts, "foci_untreated": untreated.foci_counts}


def _ssa(case):
    from ivigsim.core.simulation import simulate
    regimen = _regimen(case["regimen"])
    t_eval = sorted({0.0, *(t for times in case["outputs"].values() for t in times)})
    samples = {f"{name}_day{t:g}": np.empty(case["replicates"])
               for name, times in case["outputs"].items() for t in times}
    for r in range(case["replicates"]):
        res = simulate(case["model"], regimen=regimen, t_end=case["t_end_days"],
                       body_weight_kg=case["body_weight_kg"], method=case["method"], seed=case["seed"] + r,
                       ssa_scale=case["ssa_scale"], t_eval=np.array(t_eval))
        for name, times in case["outputs"].items():
            for t in times:
                samples[f"{name}_day{t:g}"][r] = res[name][t_eval.index(t)]
    return samples


def simulate_cases(cases=None) -> dict:
    """Case name -> sample name -> values (replicates,), for every case of :data:`CASES`."""
    cases = CASES if cases is None else cases
    run = {"agents": _agents, "ssa": _ssa}
    return {name: run[case["kind"]](case) for name, case in cases.items()}


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _value_text(value) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value))


def _samples_csv(samples) -> str:
    names = list(samples)
    n = len(next(iter(samples.values())))
    return csv_text([["replicate"] + names]
                     + [[r] + [_value_text(samples[k][r]) for k in names] for r in range(n)])


def _read_samples(path) -> dict:
    header, rows = read_csv(path)
    columns = list(zip(*rows)) if rows else [()] * len(header)
    return {name: np.array(columns[k], dtype=float) for k, name in enumerate(header) if k > 0}


def _environment() -> dict:
    from importlib.metadata import version
    return {"python": sys.version.split()[0], "numpy": np.__version__, "numba": version("numba"),
            "scipy": version("scipy"), "platform": platform.platform(), "machine": platform.machine()}


def _model_hashes(cases) -> dict:
    from ivigsim.core.agents import load_agent_model
    from ivigsim.core.catalogue import load_model
    out = {}
    for case in cases.values():
        if case["kind"] == "agents":
            agent = load_agent_model(case["model"])
            out[case["model"]] = {"file_sha256": sha256_of(agent.path)}
            names = [case["driver_model"]]
        else:
            names = [case["model"]]
        for name in names:
            spec = load_model(name)
            out[name] = {"file_sha256": sha256_of(spec.path), "fingerprint": spec.fingerprint()}
    return out


def _per_test_alpha(samples) -> float:
    n_samples = sum(len(s) for s in samples.values())
    return FAMILY_ALPHA / (TESTS_PER_SAMPLE * n_samples)


def _describe_samples(samples, alpha) -> dict:
    from scipy.stats import norm
    z = norm.ppf(1.0 - alpha / 2.0) + norm.ppf(_POWER)
    out = {}
    for case, columns in samples.items():
        out[case] = {}
        for name, x in columns.items():
            x = np.asarray(x, dtype=float)
            sd = float(np.std(x, ddof=1))
            out[case][name] = {"n": int(x.size), "mean": float(np.mean(x)), "sd": sd,
                               "detectable_mean_shift": z * sd * math.sqrt(2.0 / x.size)}
    return out


def _sidecar(samples) -> dict:
    from ivigsim.version import __version__
    from ivigsim.sweep.store import git_commit
    alpha = _per_test_alpha(samples)
    return {
        "kind": "stochastic", "cases": CASES, "command": "ivigsim regress --update --only stochastic",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "ivigsim_version": __version__, "git_commit": git_commit(), "git_dirty": git_dirty(),
        "environment": _environment(), "models": _model_hashes(CASES),
        "tests": {
            "bit_identical": "every sample equal to the stored one; required when environment "
                             "(platform, python, numpy, numba, scipy) equals the one recorded here, "
                             "or with --strict: the same seed gives the same bits whatever the "
                             "thread count, but another maths library or compiler may round an "
                             "event time differently",
            "statistical": "per sample: scipy.stats.ks_2samp (two-sided) and Welch's t-test "
                           "(scipy.stats.ttest_ind, equal_var=False) against the stored sample; "
                           "Bonferroni over all tests",
            "family_alpha": FAMILY_ALPHA, "tests_per_sample": TESTS_PER_SAMPLE, "per_test_alpha": alpha,
            "detectable_mean_shift": f"the mean shift Welch's test detects with {_POWER:.0%} power "
                                     "at per_test_alpha, from the stored sample's sd",
        },
        "samples": _describe_samples(samples, alpha),
    }


def write_stochastic(folder, samples) -> str:
    """Store ``samples`` (from :func:`simulate_cases`) in ``folder``; ``"updated"`` or ``"unchanged"``."""
    files = {f"{case}.csv": _samples_csv(columns) for case, columns in samples.items()}
    return write_files(Path(folder), files, _sidecar(samples), volatile=_VOLATILE)


# ---------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------


def _p_values(reference, now):
    """(Kolmogorov–Smirnov p, Welch t-test p) of two samples."""
    from scipy.stats import ks_2samp, ttest_ind
    if np.ptp(reference) == 0.0 and np.ptp(now) == 0.0:
        same = float(reference[0] == now[0])
        return same, same
    ks = float(ks_2samp(reference, now).pvalue)
    welch = float(ttest_ind(reference, now, equal_var=False).pvalue)
    return ks, (1.0 if math.isnan(welch) else welch)


def check_stochastic(folder, samples=None, strict=None) -> ExperimentCheck:
    """Compare samples (simulated now unless given) with the stochastic references in ``folder``.

    Parameters
    ----------
    folder : str or Path
        ``references/stochastic``.
    samples : dict, optional
        From :func:`simulate_cases`; simulated when omitted.
    strict : bool, optional
        Require bit-identical samples (True), the statistical tests only
        (False), or decide by whether this environment is the recorded one
        (None).

    Returns
    -------
    ExperimentCheck
        Named ``"stochastic"``; ``"error"`` when the reference is missing or
        the cases changed since it was made.
    """
    folder = Path(folder)
    if not (folder / SIDECAR).exists():
        return ExperimentCheck("stochastic", "error", missing_message("stochastic", folder))
    sidecar = read_sidecar(folder)
    if sidecar.get("cases") != json.loads(json.dumps(CASES)):
        return ExperimentCheck("stochastic", "error", (
            "the stochastic cases (ivigsim.analysis.regression.stochastic.CASES) changed since the reference was "
            "made; the reference must be regenerated: `ivigsim regress --update --only stochastic`"))
    samples = simulate_cases() if samples is None else samples
    if strict is None:
        strict = sidecar.get("environment") == _environment()
    alpha = sidecar["tests"]["per_test_alpha"]
    identical, failing, smallest, n_values = True, [], 1.0, 0
    for case, columns in samples.items():
        stored = _read_samples(folder / f"{case}.csv")
        for name, now in columns.items():
            now = np.asarray(now, dtype=float)
            reference = stored[name]
            n_values += now.size
            identical &= reference.shape == now.shape and bool(np.array_equal(reference, now))
            ks, welch = _p_values(reference, now)
            smallest = min(smallest, ks, welch)
            if ks < alpha or welch < alpha:
                failing.append(f"{case}/{name}: KS p = {ks:.3g}, Welch p = {welch:.3g} (level {alpha:.3g}); "
                               f"mean {reference.mean():.6g} in the reference, {now.mean():.6g} now")
    notes = _model_notes(sidecar)
    bits = "bit-identical to the reference" if identical else "not bit-identical to the reference"
    stats = (f"statistical tests {'fail' if failing else 'pass'} (smallest p = {smallest:.3g}, "
             f"level {alpha:.3g} per test, {FAMILY_ALPHA:g} over all)")
    if failing or (strict and not identical):
        why = "" if failing else (" (required: this machine's platform and versions are those that made "
                                  "the reference, or strict)")
        return ExperimentCheck("stochastic", "fail", f"{bits}{why}; {stats}", n_compared=n_values,
                               n_failed=len(failing) or 1, notes=tuple(failing) + notes)
    if not identical:
        notes = ("samples differ in their bits from the reference, as they may on another platform; "
                 "judged by the statistical tests",) + notes
    return ExperimentCheck("stochastic", "pass", f"{bits}; {stats}", n_compared=n_values, notes=notes)


def _model_notes(sidecar):
    try:
        now = _model_hashes(CASES)
    except IvigsimError as exc:
        return (f"a model of the stochastic cases does not load: {exc}",)
    return tuple(f"model {name} changed since the reference was made"
                 for name, entry in now.items() if sidecar.get("models", {}).get(name) != entry)


def regress_stochastic(folder, update=False, strict=None, samples=None) -> ExperimentCheck:
    """Check the stochastic references in ``folder`` or, with ``update``, rewrite them."""
    if not update:
        return check_stochastic(folder, samples, strict)
    status = write_stochastic(folder, simulate_cases() if samples is None else samples)
    return ExperimentCheck("stochastic", status, f"{display_path(folder)}/ {status}")
