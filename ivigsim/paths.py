"""Where ivigsim's own files are: the package folder, and the checkout around it when there is one.

Every module that finds a shipped file (models, experiments, references, fit problems) asks
here, so that moving a module between layer folders cannot silently change where it looks.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""The installed or checked-out ``ivigsim`` package folder."""

CHECKOUT_DIR = PACKAGE_DIR.parent
"""The folder holding the package: the repository root in a source checkout."""
