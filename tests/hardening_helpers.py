"""Small experiments and helpers shared by the hardening tests."""

import subprocess
import sys
from pathlib import Path

from conftest import DATA, ROOT

MODEL = DATA / "one_compartment.toml"


def tiny_experiment(directory, model=MODEL, doses=(0.5, 1.0, 2.0), k_el=(0.1, 0.2), extra="", name="tiny",
                    t_end=20.0):
    """Write a small sweep on ``model`` into ``directory``; returns its path."""
    path = Path(directory) / f"{name}.toml"
    path.write_text(f"""
[experiment]
name = "{name}"
model = "{model}"
seed = 3
t_end_days = {t_end}
output_step_days = 0.5

[regimens.daily]
kind = "ivig"
days = 2
infusion_hours = 8

[sweep]
method = "grid"

[sweep.variables.dose_g_per_kg]
values = {list(doses)}

[sweep.variables.k_el]
values = {list(k_el)}

[metrics.peak]
kind = "max"
output = "concentration"
{extra}
""")
    return path


def ivigsim(*args, cwd=ROOT, **kwargs):
    """Run the command line in a fresh process."""
    return subprocess.run([sys.executable, "-m", "ivigsim.interfaces.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, **kwargs)


def no_traceback(proc):
    """The process ended with a one-line ``ivigsim: error: ...``, not a traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if line.startswith("ivigsim: error:")]
    return lines[-1] if lines else proc.stderr.strip().splitlines()[-1]
