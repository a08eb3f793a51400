"""Regression references: every shipped experiment against its stored output.

>>> from ivigsim.analysis.regression import regress
>>> print(regress().summary())            # doctest: +SKIP
>>> regress(update=True, experiments=["fcrn_dose_response"])   # doctest: +SKIP

:mod:`~ivigsim.analysis.regression.core` runs the deterministic experiments and compares
them at relative 1e-6; :mod:`~ivigsim.analysis.regression.stochastic` holds the
stochastic cases (bit-identical on the recording platform, statistical tests
elsewhere); :mod:`~ivigsim.analysis.regression.files` is the on-disk format and
:mod:`~ivigsim.analysis.regression.cli` is ``ivigsim regress``.
"""

from ivigsim.analysis.regression.core import (ATOL, RTOL, ExperimentCheck, RegressionReport, check_results, regress,
                                     references_dir, shipped_experiments, write_reference)

__all__ = ["regress", "check_results", "write_reference", "references_dir", "shipped_experiments",
           "RegressionReport", "ExperimentCheck", "RTOL", "ATOL"]
