import os
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent

# Kernels compiled by the tests go to one cache per test session machine, so a
# second run starts fast; it never touches the user's own cache.
os.environ.setdefault("IVIGSIM_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ivigsim-test-kernels"))


@pytest.fixture(scope="session")
def one_compartment():
    import ivigsim as iv
    return iv.load_model(DATA / "one_compartment.toml")
