"""The words of ``report.html``: what each sweep method, metric kind and baseline means.

Internal to :mod:`ivigsim.interfaces.report`.
"""

#: Up to this many points the result table lists every point; above, a summary per regimen.
FEW_POINTS = 30
#: Failed points listed one by one on the page (all of them are in metrics.csv).
MAX_LISTED_FAILURES = 200
#: Swept regimen keywords beyond which only the all-low and all-high regimens are shown.
MAX_CORNER_KEYWORDS = 3

SWEEP_METHODS = {
    "grid": "a full grid: every combination of the listed values, the last variable varying fastest",
    "latin_hypercube": "a Latin hypercube: each variable's range is cut into n equally likely strata "
                       "and every stratum is sampled once",
    "sobol": "a scrambled Sobol sequence: n points spread evenly over the ranges",
    "sobol_indices": "Saltelli sampling for variance-based (Sobol) sensitivity indices: "
                     "N base samples x (d + 2) runs for d variables",
    "morris": "Morris elementary-effects screening: N trajectories x (d + 1) runs for d variables",
    "virtual_population": "a virtual population: parameters vary log-normally between patients "
                          "around the model's values",
    "none": "no sweep: each regimen is simulated once, as written",
}

METRIC_KINDS = {
    "value_at": "{output} on day {at_day:g}",
    "max": "highest {output}",
    "min": "lowest {output}",
    "time_of_max": "day on which {output} first reaches its highest value",
    "time_of_min": "day on which {output} first reaches its lowest value",
    "percent_change_min": "deepest fall of {output}: change of its minimum from {baseline}",
    "percent_change_max": "largest rise of {output}: change of its maximum from {baseline}",
    "auc": "area under the {output} curve",
    "time_above": "days with {output} above {threshold:g} {output_unit}",
    "time_below": "days with {output} below {threshold:g} {output_unit}",
    "half_life": "half-life of {output} from a log-linear fit",
    "max_rate_of_rise": "steepest rise of {output} between two output times",
    "grams_given": "immunoglobulin given over the whole regimen, for the patient's body weight",
    "cost_usd": "grams given x US${price:g} per gram",
    "max_infusion_rate_mg_per_kg_per_min": "fastest infusion of the regimen",
    "antagonist_mg_given": "FcRn antagonist given over the whole regimen, for the patient's body weight",
    "apheresis_sessions": "plasma exchange or immunoadsorption sessions",
    "therapy_cost_usd": "IgG grams x US${price:g} per gram + antagonist mg x its price per mg + "
                        "sessions x the price per session",
    "thrombosis_flag": "1 if some day has 35 g or more of immunoglobulin (PK-33), else 0",
    "hyperviscosity_band": "hyperviscosity band of the highest {output}: 0 below 3 cP, 1, 2, 3 from "
                           "3, 4, 5 cP (Crawford et al. 1985)",
    "auc_change_pct": "change of the area under the {output} curve from {baseline}",
}
BASELINES = {"start": "its value on day 0",
              "untreated": "the same patient untreated, at the same time"}
