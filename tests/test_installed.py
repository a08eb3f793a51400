"""After a plain (non-editable) ``pip install .``, shipped experiments and models work by name, anywhere.

Slow: it builds a wheel and installs it into a temporary virtual environment.
The environment borrows this one's dependencies through a ``.pth`` line (so
nothing but the build backend is downloaded), while ivigsim itself comes
from the wheel: the test checks that it is not the source tree.
"""

import os
import subprocess
import sys
import sysconfig
import venv

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_shipped_experiments_run_by_name_from_a_wheel(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # dependencies from this environment, appended after the new one's own site-packages
    with open(os.path.join(site, "borrowed_dependencies.pth"), "w") as fh:
        fh.write(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["IVIGSIM_CACHE_DIR"] = str(tmp_path / "kernels")
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(ROOT)],
                             capture_output=True, text=True, env=env, timeout=900)
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args):
        out = subprocess.run([str(env_dir / "bin" / "ivigsim"), "--quiet", *args], capture_output=True, text=True,
                             cwd=work, env=env, timeout=900)
        assert out.returncode == 0, (args, out.stderr[-2000:])
        return out.stdout

    where = subprocess.run([str(python), "-c", "import ivigsim; print(ivigsim.__file__)"], capture_output=True,
                           text=True, cwd=work, env=env, check=True).stdout.strip()
    assert where.startswith(site) and not where.startswith(str(ROOT)), where
    assert "fcrn_dose_response" in run("experiments")
    assert "per grid value:" in run("run", "fcrn_dose_response", "--out", "dose")
    assert (work / "dose" / "report.html").is_file()
    assert "verdict:" in run("compare", "fcrn_pk", "igg_linear", "--experiment", "regimen_comparison",
                             "--out", "cmp")
    assert "# nk_tumour_abm" in run("models", "--card", "nk_tumour_abm")
    api = subprocess.run([str(python), "-c", "import ivigsim as iv; r = iv.run_experiment('rpl_conception', "
                                             "out='rpl', progress=False); print(r.provenance['n_points'])"],
                         capture_output=True, text=True, cwd=work, env=env, timeout=900)
    assert api.returncode == 0 and api.stdout.strip() == "2", api.stderr[-2000:]
