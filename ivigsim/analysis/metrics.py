"""Sweep metrics: one number per sweep point from its trajectory or its regimen.

A sweep runs many simulations (sweep points) on one output grid.  A metric
reduces each point's trajectory of one output to a single number, e.g. the
nadir of the autoantibody, the day of the IgG peak, the area under a curve or
the time spent above a protective trough; or it reads a fact about the
regimen the point was given, e.g. the grams of immunoglobulin or their cost.

Trajectories come batched: ``t`` is the shared time grid, shape ``(n_t,)``, in
days, and ``y`` holds the metric's output at every point, shape
``(n_points, n_t)``, in that output's unit.  Every computation is vectorised
over the points.

A metric is described by a spec: any object with the attributes ``name``,
``kind``, ``output``, ``at_day``, ``window_days``, ``threshold``,
``price_usd_per_g`` and ``baseline`` (the sweep specification's frozen
dataclass is one).  The kinds, the fields they need and their units:

- ``value_at`` (needs ``at_day``): the output at that day, in the output's unit;
- ``max``, ``min``: in the output's unit;
- ``time_of_max``, ``time_of_min``: day of the first maximum or minimum, day;
- ``percent_change_min``, ``percent_change_max``: change of the minimum or
  maximum from the baseline, %; with ``baseline = "start"`` the baseline is
  the value at the first time point, with ``baseline = "untreated"`` it is
  the same patient untreated at the same time (the extreme of the ratio
  treated / untreated is taken);
- ``auc``: area under the curve, output unit * day;
- ``time_above``, ``time_below`` (need ``threshold``, in the output's unit):
  time spent strictly above or below the threshold, day;
- ``half_life`` (needs ``window_days``): from a log-linear fit, day;
- ``max_rate_of_rise``: steepest rise between output times, output unit / day;
- ``grams_given`` (needs a dose context): immunoglobulin given, g;
- ``cost_usd`` (needs a dose context): grams times ``price_usd_per_g``
  (default :data:`DEFAULT_PRICE_USD_PER_G`), USD;
- ``max_infusion_rate_mg_per_kg_per_min`` (needs a dose context): the fastest
  infusion, mg/kg/min;
- ``antagonist_mg_given`` (needs a dose context): FcRn antagonist given, mg;
- ``apheresis_sessions`` (needs a dose context): plasma exchange or
  immunoadsorption sessions, count;
- ``therapy_cost_usd`` (needs a dose context): immunoglobulin grams times
  ``price_usd_per_g``, plus antagonist mg times ``price_usd_per_mg`` (default:
  the drug's catalogue price; NaN where the catalogue has none), plus sessions
  times ``price_usd_per_session`` (default
  :data:`ivigsim.core.apheresis.DEFAULT_PRICE_USD_PER_SESSION`), USD;
- ``thrombosis_flag`` (needs a dose context): 1 where some day has 35 g or
  more of immunoglobulin (target PK-33), else 0;
- ``auc_change_pct`` (needs ``baseline = "untreated"``): change of the area
  under the curve against the same patient untreated, %;
- ``hyperviscosity_band``: 0 below 3 cP, then 1, 2 or 3 for a maximum of the
  output (a viscosity in cP) at or above 3, 4 or 5 cP (target PK-32).

``grams_given`` counts immunoglobulin products only, never an FcRn antagonist.

Windows
-------
``window_days = (a, b)`` restricts ``max``, ``min``, ``time_of_*``,
``percent_change_*``, ``auc``, ``time_above``, ``time_below`` and
``max_rate_of_rise`` to ``a <= t <= b``; the window must lie inside the
simulated range.  The trajectory is taken as piecewise linear between grid
points, and its values at ``a`` and ``b`` are interpolated, so an area or a
time above a threshold is the exact integral over ``[a, b]`` even when ``a``
or ``b`` falls between grid points.  ``half_life`` fits the grid points
inside ``[a, b]`` only (linear interpolation is not exact in log space).
Without a window the whole simulated range is used.

Failed points
-------------
A point whose trajectory contains a NaN (a failed simulation) gets NaN for
every trajectory metric; the other points are unaffected and nothing is
raised.  Regimen metrics (``grams_given``, ``cost_usd``,
``max_infusion_rate_mg_per_kg_per_min``) describe what was prescribed and do
not depend on the trajectory.
"""

from ivigsim.analysis._metric_kinds import (
    DEFAULT_PRICE_USD_PER_G,
    METRIC_KINDS,
    metric_unit,
    validate_metric,
)
from ivigsim.analysis._metric_context import DoseContext, dose_context
from ivigsim.analysis._metric_compute import compute_metric

__all__ = [
    "METRIC_KINDS",
    "DEFAULT_PRICE_USD_PER_G",
    "DoseContext",
    "dose_context",
    "metric_unit",
    "compute_metric",
    "validate_metric",
]
