"""SBML Level 3 interchange: :func:`export_sbml`, :func:`import_sbml` and their commands.

>>> import ivigsim as iv
>>> from ivigsim.io.sbml import export_sbml, import_sbml
>>> reg = iv.Regimen.ivig(dose_g_per_kg=0.4, days=5, infusion_hours=8, every_days=28, cycles=2)
>>> xml = export_sbml("fcrn_pk", "fcrn_pk.xml", regimen=reg, body_weight_kg=70)   # doctest: +SKIP
>>> toml = import_sbml("model.xml", "model.toml")                                # doctest: +SKIP

Both need python-libsbml (``pip install "ivigsim[sbml]"``). The export holds
one patient (parameter values, body weight, mechanism switches) and one
regimen (as events); the import turns the subset of SBML that the model format
can hold into a model file and refuses the rest, naming the element. See
:mod:`ivigsim.io.sbml.export` and :mod:`ivigsim.io.sbml.importer` for what is written
and read, and :mod:`ivigsim.io.sbml.cli` for the ``export-sbml`` and
``import-sbml`` commands.
"""

from __future__ import annotations

from ivigsim.io.sbml.export import export_sbml
from ivigsim.io.sbml.importer import import_sbml

__all__ = ["export_sbml", "import_sbml"]
