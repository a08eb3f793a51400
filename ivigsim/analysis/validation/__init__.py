"""The literature validation suite: the published targets, computed from the models and judged.

The targets are data (``validation/targets.toml``); each names a registered
check that computes its quantity from a simulation. :func:`validate` runs
them and returns a :class:`ValidationReport`, which writes a Markdown and a
self-contained HTML report with one figure per target.

>>> from ivigsim.analysis.validation import validate, format_summary
>>> report = validate(out="results/validation")          # doctest: +SKIP
>>> print(format_summary(report))                        # doctest: +SKIP
"""

from ivigsim.analysis.validation.registry import CheckResult, Curve, Figure, NotModelled, checks, register
from ivigsim.analysis.validation.report import format_summary
from ivigsim.analysis.validation.runner import Row, ValidationReport, validate
from ivigsim.analysis.validation.targets import Target, TargetFileError, load_targets, targets_for_model

__all__ = ["CheckResult", "Curve", "Figure", "NotModelled", "Row", "Target", "TargetFileError",
           "ValidationReport", "checks", "format_summary", "load_targets", "register", "targets_for_model",
           "validate"]
