"""Model comparisons: one experiment run on several model variants, side by side.

>>> from ivigsim.analysis.comparison import compare
>>> cmp = compare(["fcrn_pk", "fcrn_pk_qss"], "experiments/fcrn_dose_response.toml", out="cmp")  # doctest: +SKIP
>>> print(cmp.summary())                                                                         # doctest: +SKIP

:mod:`~ivigsim.analysis.comparison.core` runs and judges, :mod:`~ivigsim.analysis.comparison.plan`
decides what the variants share, :mod:`~ivigsim.analysis.comparison.report` and
:mod:`~ivigsim.analysis.comparison.plots` write the tables and figures, and
:mod:`~ivigsim.analysis.comparison.cli` is ``ivigsim compare``.
"""

from ivigsim.analysis.comparison.core import (DEFAULT_ATOL, DEFAULT_RTOL, Comparison, Variant, as_variant, compare,
                                     parse_variant, relative_difference, within)

__all__ = ["compare", "Comparison", "Variant", "parse_variant", "as_variant", "relative_difference", "within",
           "DEFAULT_RTOL", "DEFAULT_ATOL"]
