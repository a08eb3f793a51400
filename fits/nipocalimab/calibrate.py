"""Calibrate nipocalimab's drug parameters in ``fcrn_pk`` on the tables of this directory.

The same reference fit as ``fits/fcrn_human/calibrate.py`` (multi-start
trust-region least squares over :func:`ivigsim.simulate`, Wald intervals on the
log10 scale), run on this directory's PEtab tables: serum nipocalimab and FcRn
occupancy after 30 and 60 mg/kg IV (see README.md). Writes ``fitted.toml``.
Run from the repository root::

    python fits/nipocalimab/calibrate.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _reference_fit():
    """fits/fcrn_human/calibrate.py as a module, reading this directory's tables."""
    spec = importlib.util.spec_from_file_location("fcrn_human_calibrate", HERE.parent / "fcrn_human" / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = HERE
    return module


def main():
    """The reference fit's own main, on this directory (its fitted.toml names this script)."""
    _reference_fit().main()


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
