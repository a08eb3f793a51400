import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent

# Kernels compiled by the tests go to one cache per test session machine, so a
# second run starts fast; it never touches the user's own cache.
os.environ.setdefault("IVIGSIM_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ivigsim-test-kernels"))


def load_script(path: Path, name: str):
    """Import a study script (``fits/*/calibrate.py`` and the like) by its path, under ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def one_compartment():
    import ivigsim as iv
    return iv.load_model(DATA / "one_compartment.toml")


def one_compartment_toml(name, *, k=0.5, k_lines="", reaction="elimination", equation="A ->",
                         mechanisms=None, counters=False, extra=""):
    """TOML text of a one-compartment test model, for the event tests.

    The compartment ``body`` has volume ``volume_body`` (1 L). With ``k`` (1/day)
    species ``A`` starts at 1 mg/L and the reaction named ``reaction``, with
    ``equation`` ``"A ->"`` or ``"A -> B"``, of mechanism ``elimination``, runs at
    ``k * A * body``, so A = exp(-k t) until an event acts; ``k=None`` leaves A,
    k and the reaction out. ``k_lines`` are further fields of ``[parameters.k]``. ``counters`` adds
    the rule states ``x`` (unit 1) and ``z`` (a time) with rate 0, which only
    events change. ``mechanisms`` ({name: description}, default the
    elimination of A) and ``extra`` (more tables: species, events) complete it.
    """
    if mechanisms is None:
        mechanisms = {"elimination": "first-order elimination of A"}
    text = f'\n[model]\nname = "{name}"\n'
    text += "".join(f'mechanisms.{key} = "{value}"\n' for key, value in mechanisms.items())
    text += '\n[compartments.body]\nvolume = "volume_body"\nunit = "L"\n'
    if k is not None:
        text += '\n[species.A]\ncompartment = "body"\nunit = "mg/L"\ninitial = "1"\n'
    text += ('\n[parameters.volume_body]\nvalue = 1.0\nunit = "L"\nbounds = [0.1, 10.0]\n'
             'source = "test value"\n')
    if k is not None:
        text += (f'\n[parameters.k]\nvalue = {k}\nunit = "1/day"\nbounds = [0.0, 10.0]\n'
                 f'source = "test value"\n{k_lines}'
                 f'\n[reactions.{reaction}]\nequation = "{equation}"\nrate = "k * A * body"\n'
                 'mechanism = "elimination"\n')
    if counters:
        text += '\n[rules.x]\nrate = "0"\nunit = "1"\n\n[rules.z]\nrate = "0"\nunit = "day"\n'
    return text + extra


@pytest.fixture()
def saved(monkeypatch):
    """Figures saved while the fixture is active (``Figure.savefig`` wrapped), each rendered."""
    from matplotlib.figure import Figure
    figures = []
    original = Figure.savefig

    def capture(self, *args, **kwargs):
        figures.append(self)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(Figure, "savefig", capture)
    return figures
