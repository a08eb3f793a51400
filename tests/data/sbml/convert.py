"""Regenerate the SBML files of this folder from their Antimony sources.

    python tests/data/sbml/convert.py

Needs the ``antimony`` package (``pip install antimony``).
"""

from pathlib import Path

import antimony

HERE = Path(__file__).resolve().parent

for source in sorted(HERE.glob("*.ant")):
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyFile(str(source)) < 0:
        raise SystemExit(f"{source.name}: {antimony.getLastError()}")
    model = antimony.getMainModuleName()
    source.with_suffix(".xml").write_text(antimony.getSBMLString(model), encoding="utf-8")
    print(f"wrote {source.with_suffix('.xml').name} (model '{model}')")
