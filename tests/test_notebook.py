"""docs/notebooks/quickstart.ipynb runs top to bottom in a real kernel and shows the notebook views."""

import pytest

from conftest import ROOT

NOTEBOOK = ROOT / "docs" / "notebooks" / "quickstart.ipynb"


def test_quickstart_notebook_runs_top_to_bottom(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "the notebook is stored without outputs"
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "data" in o and "text/html" in o["data"]]
    assert any("ivigsim-card" in h and "<math" in h for h in html)              # the model card, equations
    assert any("Regimen" in h and "<svg" in h for h in html)                    # the regimen and its timeline
    assert any("fcrn_pk: 0.4 g/kg/day" in h and "<table" in h and "<svg" in h for h in html)
    assert any("per grid value" in h and "$31,710" in h for h in html)          # the sweep, per dose
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2          # the plots
    assert any("time_day" in h for h in html)                                   # a tidy table
    assert any("Fit of igg_course_didactic" in h and "95 % CI" in h and "<svg" in h for h in html)  # a fit
    # therapies beside IVIG: the combined regimen counts its sessions, and the run shows the washout
    assert any("5 administrations, 5 sessions" in h and "plasma processed" in h and "<svg" in h for h in html)
    assert any("fcrn_pk: 0.4 g/kg/day × 5 d, 8 h infusions + 5 × plasma exchange" in h for h in html)
