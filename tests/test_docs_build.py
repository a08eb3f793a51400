"""The API reference builds from the numpy-style docstrings, warnings as errors (mkdocs --strict).

It needs the ``docs`` extra (in the ``test`` extra too).  Where mkdocs is
missing the test is skipped, except under ``CI=true``, where the docs must build.
"""

import importlib.util
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def test_the_api_reference_builds_without_warnings(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings_handlers") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the docs extra is not installed on CI: pip install -e '.[test]' should bring mkdocs")
        pytest.skip("the docs extra is not installed (pip install 'ivigsim[docs]')")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "WARNING" not in out.stderr, out.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    import ivigsim as iv
    for name in iv.__all__:
        assert name in api, f"{name} is public (ivigsim.__all__) but missing from docs/api.md"
