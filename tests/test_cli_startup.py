"""Starting the `ivigsim` command compiles nothing: building its parser (every command,
`--help` included) imported the fitter, whose batch integrator compiled the solver on import,
seconds on a cold cache before any command ran, with Numba's notice about first-class function
types printed outside the command's own warnings."""

import json
import subprocess
import sys

from conftest import ROOT

PROBE = """
import json, sys
from ivigsim.interfaces.cli import build_parser
build_parser()
from numba.core.registry import CPUDispatcher
compiled = sorted(f"{name}.{attr}" for name, module in list(sys.modules.items())
                  if name.split(".")[0] == "ivigsim"
                  for attr, value in vars(module).items()
                  if isinstance(value, CPUDispatcher) and value.signatures)
print(json.dumps({"compiled": compiled, "fitter": "ivigsim.analysis.fitting.simulator" in sys.modules}))
"""


def test_building_the_command_line_compiles_nothing():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"compiled": [], "fitter": False}


def test_the_fitting_package_still_offers_its_names():
    import ivigsim as iv
    import ivigsim.analysis.fitting as fitting
    assert fitting.fit is iv.fit
    assert {"fit", "load_problem", "FitProblem", "FitResult", "FitProblemError"} <= set(dir(fitting))
    assert issubclass(fitting.FitProblemError, iv.IvigsimError)
