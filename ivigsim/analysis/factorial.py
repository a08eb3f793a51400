"""Mechanism factorials: what each IVIG mechanism contributes, alone and together.

Every on/off combination of the chosen mechanisms is simulated with everything
else equal. A mechanism's *effect* is the fractional reduction of the metric
against the combination with all chosen mechanisms off::

    effect(S) = 1 - metric(S) / metric(none)

Synergy is judged against two standard null models of non-interaction:

* Bliss independence: mechanisms act as independent probabilistic events, so
  the expected joint effect is ``1 - prod(1 - effect_i)``; the Bliss excess is
  the observed joint effect minus that (> 0: synergy, < 0: antagonism).
* Highest single agent (HSA): the joint effect minus the largest single effect.

References
----------
Bliss CI. The toxicity of poisons applied jointly. Ann Appl Biol 1939;26:585-615.
Greco WR, Bravo G, Parsons JC. The search for synergy: a critical review from a
response surface perspective. Pharmacol Rev 1995;47:331-385.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivigsim.core.catalogue import load_model
from ivigsim.errors import ParameterError
from ivigsim.analysis.metrics import METRIC_KINDS, compute_metric
from ivigsim.core.simulation import simulate
from ivigsim.core.views import view

_SHORTHAND = {"auc": "auc", "min": "min", "max": "max", "end": "end", "mean": "mean",
              "nadir_pct": "percent_change_min", "peak_pct": "percent_change_max"}


@dataclass(frozen=True)
class _Metric:
    name: str
    kind: str
    output: str
    at_day: float | None = None
    window_days: tuple | None = None
    threshold: float | None = None
    price_usd_per_g: float | None = None
    baseline: str = "start"


def _parse_metric(metric, spec):
    """``"<output>_<kind>"`` (kind: auc, min, max, end, mean, nadir_pct, peak_pct) or a callable."""
    if callable(metric):
        return metric
    for suffix, kind in sorted(_SHORTHAND.items(), key=lambda kv: -len(kv[0])):
        if metric.endswith("_" + suffix):
            output = metric[: -len(suffix) - 1]
            if output not in spec.observable_names + spec.species_names:
                break
            return _Metric(metric, kind, output)
    known = ", ".join(spec.observable_names)
    raise ParameterError(f"cannot read metric {metric!r}: write '<output>_<kind>' with kind one of "
                         f"{', '.join(_SHORTHAND)} and output one of: {known}")


def _evaluate(metric, result):
    if callable(metric):
        return float(metric(result))
    y = result[metric.output][None, :]
    if metric.kind == "end":
        return float(y[0, -1])
    if metric.kind == "mean":
        return float(np.trapezoid(y[0], result.t) / (result.t[-1] - result.t[0]))
    assert metric.kind in METRIC_KINDS
    return float(compute_metric(metric, result.t, y)[0])


@dataclass(frozen=True)
class FactorialResult:
    """Outcome of :func:`mechanism_factorial`.

    ``table`` has one row per combination (a column per mechanism, True = on),
    the metric and the effect; ``single`` the effect of each mechanism alone;
    ``joint`` the effect with all on; ``bliss_expected``, ``bliss_excess`` and
    ``hsa_excess`` the synergy scores.
    """

    mechanisms: tuple
    metric: str
    table: object
    single: dict
    marginal: dict
    joint: float
    bliss_expected: float
    bliss_excess: float
    hsa_excess: float

    def __repr__(self):
        return view("factorial.repr")(self)

    def _repr_html_(self):
        return view("factorial.html")(self)

    def summary(self):
        lines = [f"effect on {self.metric} (fractional reduction vs all of "
                 f"{', '.join(self.mechanisms)} off):"]
        lines += [f"  {m} alone: {100 * e:.1f} %   (loss when removed from all: {100 * self.marginal[m]:.1f} %)"
                  for m, e in self.single.items()]
        lines += [f"  all together: {100 * self.joint:.1f} %",
                  f"  Bliss-independent expectation: {100 * self.bliss_expected:.1f} %  "
                  f"-> Bliss excess {100 * self.bliss_excess:+.1f} points",
                  f"  highest single agent excess: {100 * self.hsa_excess:+.1f} points"]
        return "\n".join(lines)

    def plot(self, path):
        """Bar chart of single, joint and expected effects (PNG and SVG); returns the paths."""
        from ivigsim.interfaces import sweep_plots
        labels = [f"{m} alone" for m in self.single] + ["all together", "Bliss expected",
                                                        "highest single"]
        values = [100 * e for e in self.single.values()] + [
            100 * self.joint, 100 * self.bliss_expected, 100 * max(self.single.values())]
        return sweep_plots.bars(labels, np.array(values), Path(path),
                                y_label=f"reduction of {self.metric} [%]")


def mechanism_factorial(model, regimen, t_end, metric, mechanisms=("fcrn_saturation", "anti_idiotype"),
                        body_weight_kg=None, params=None, other_mechanisms=None, t_eval=None,
                        rtol=1e-8):
    """Simulate every on/off combination of ``mechanisms`` and score their contributions.

    Parameters
    ----------
    model : str or ModelSpec
    regimen : Regimen
    t_end : float, days
    metric : str or callable
        ``"<output>_<kind>"`` such as ``"autoantibody_free_auc"`` (kinds: auc, min, max,
        end, mean, nadir_pct, peak_pct), or ``f(SimulationResult) -> float``. The
        metric should be one the mechanisms lower (an effect is a reduction).
    mechanisms : sequence of str
        The mechanisms to toggle; all other mechanisms keep ``other_mechanisms`` or on.
    """
    spec = load_model(model)
    mechanisms = tuple(mechanisms)
    if len(mechanisms) < 1 or len(set(mechanisms)) != len(mechanisms):
        raise ParameterError("give one or more distinct mechanisms to toggle")
    for m in mechanisms:
        if m not in spec.mechanisms:
            raise ParameterError(f"model '{spec.name}' has no mechanism '{m}' "
                                 f"(mechanisms: {', '.join(spec.mechanism_names)})")
    parsed = _parse_metric(metric, spec)
    rows, values = [], {}
    for combo in itertools.product((False, True), repeat=len(mechanisms)):
        switches = dict(other_mechanisms or {})
        switches.update(dict(zip(mechanisms, combo)))
        res = simulate(spec, regimen=regimen, t_end=t_end, body_weight_kg=body_weight_kg,
                       params=params, mechanisms=switches, t_eval=t_eval, rtol=rtol)
        values[combo] = _evaluate(parsed, res)
    base = values[(False,) * len(mechanisms)]
    if not np.isfinite(base) or base == 0:
        raise ParameterError(f"the metric is {base} with all toggled mechanisms off; effects "
                             f"(fractional reductions) need a finite non-zero reference")
    effect = {combo: 1.0 - v / base for combo, v in values.items()}
    import pandas as pd
    for combo, v in values.items():
        rows.append({**dict(zip(mechanisms, combo)), "metric": v, "effect": effect[combo]})
    table = pd.DataFrame(rows)
    n = len(mechanisms)
    single = {m: effect[tuple(j == i for j in range(n))] for i, m in enumerate(mechanisms)}
    everything = (True,) * n
    marginal = {m: effect[everything] - effect[tuple(j != i for j in range(n))]
                for i, m in enumerate(mechanisms)}
    joint = effect[everything]
    bliss = 1.0 - float(np.prod([1.0 - e for e in single.values()]))
    return FactorialResult(mechanisms, parsed.name if not callable(parsed) else getattr(metric, "__name__", "metric"),
                           table, single, marginal, joint, bliss, joint - bliss, joint - max(single.values()))
