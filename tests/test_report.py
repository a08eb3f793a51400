"""report.html: written by every run, self-contained, complete, escaped, well formed."""

import base64
import pathlib
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import ivigsim as iv
from conftest import DATA
from ivigsim.sweep import ensemble
from ivigsim.interfaces import report
from ivigsim.errors import SolverError
from ivigsim.sweep.experiment import load_experiment
from ivigsim.interfaces.runs import run_experiment

SMALL = DATA / "small_sweep.toml"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Page(HTMLParser):
    """Checks that every element closes in order, and collects the text of table rows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.seen, self.rows = [], [], {}, []
        self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        self.seen[tag] = self.seen.get(tag, 0) + 1
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()
        if tag in ("td", "th") and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(text):
    page = _Page()
    page.feed(text)
    page.close()
    return page


def number(cell):
    """A number as the report prints it (thousands separated)."""
    return float(cell.replace(",", ""))


def run_small(out, source=SMALL, **kwargs):
    return run_experiment(source, out=out, workers=1, progress=False, **kwargs)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    res = run_small(tmp_path_factory.mktemp("report") / "run")
    return res, (res.path / "report.html").read_text(encoding="utf-8")


def test_every_run_writes_a_well_formed_report(small):
    res, text = small
    page = parse(text)
    assert page.errors == [] and page.stack == []
    for tag in ("html", "head", "body", "main", "header", "title", "style", "h1"):
        assert page.seen.get(tag) == 1, tag
    assert page.seen["section"] == 4


def test_report_says_what_was_run(small):
    res, text = small
    experiment = load_experiment(SMALL)
    spec = iv.load_model("fcrn_pk")
    assert "<h1>small_sweep</h1>" in text and '<p class="lead">engine test</p>' in text
    assert ("12 simulations of the model fcrn_pk (2 regimens x 6 sweep points x 1 replicate), "
            "each over 42 days; 0 failed.") in text
    assert "fcrn_pk" in text and spec.description.split()[0] in text
    for name in spec.mechanism_names:
        assert f"<td>{name}</td>" in text
    for parameter in spec.parameters:
        assert f"<td>{parameter.name}</td>" in text
    assert "swept: 30, 60" in text                                   # fcrn_total, as used
    for variable in ("dose_g_per_kg", "fcrn_total"):
        assert f"<td>{variable}</td>" in text
    for metric in experiment.metrics:
        assert f"<td>{metric.name}</td>" in text
    assert "the same patient untreated, at the same time" in text     # nadir_vs_untreated_pct
    # each regimen at both ends of the swept dose, with grams for 70 kg and the safety flags
    rows = parse(text).rows
    low = next(r for r in rows if r[:3] == ["five_day", "ivig", "dose_g_per_kg = 0.2"])
    high = next(r for r in rows if r[:3] == ["five_day", "ivig", "dose_g_per_kg = 1"])
    assert low[3] == iv.Regimen.ivig(dose_g_per_kg=0.2, days=5, infusion_hours=8).describe()
    assert low[4] == "70" and low[7] == "none"
    assert high[4] == "350" and "risk of thrombosis" in high[7]


def test_report_carries_the_provenance(small):
    res, text = small
    prov = res.provenance
    rows = {r[0]: r[1] for r in parse(text).rows if len(r) == 2}
    assert rows["seed"] == "7"
    assert rows["experiment sha256"] == prov["experiment_sha256"]
    assert rows["model fingerprint"] == prov["model_fingerprint"]
    assert rows["git commit"] == (prov["git_commit"] or "not a git checkout")
    assert rows["ivigsim version"] == iv.__version__
    assert rows["solver"] == "Rodas4, rtol 1e-06, atol 1e-09"
    assert rows["executor"].startswith("in-process, workers: 1")


def test_figures_are_embedded_and_nothing_is_fetched(small):
    res, text = small
    pngs = sorted((res.path / "figures").glob("*.png"))
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(pngs) == len(embedded) == 1
    assert base64.b64decode(embedded[0]) == pngs[0].read_bytes()
    assert "<figcaption>dose_response: nadir_pct [%]" in text
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', text)
    assert "<link" not in text and "<script" not in text and "@import" not in text


def test_metric_table_lists_every_point_of_a_small_sweep(small):
    res, text = small
    rows = parse(text).rows
    header = next(r for r in rows if r and r[0] == "point" and "status" in r)
    assert header[2:5] == ["dose_g_per_kg [g/kg/day]", "fcrn_total [uM]", "nadir_pct [%]"]
    peak = header.index("peak [g/L]")
    body = [r for r in rows if len(r) == len(header) and r[0].isdigit()]
    assert len(body) == 12
    for row, value in zip(body, res.metrics["peak"]):
        assert number(row[peak]) == pytest.approx(value, rel=5e-4)


def test_large_sweep_gets_median_and_range_per_regimen(small, tmp_path, monkeypatch):
    res, _ = small
    monkeypatch.setattr("ivigsim.interfaces._report_results.FEW_POINTS", 5)
    experiment = load_experiment(SMALL)
    path = report.write_report(experiment, iv.load_model("fcrn_pk"), res, tmp_path / "summary.html")
    assert path == tmp_path / "summary.html"
    rows = parse(path.read_text(encoding="utf-8")).rows
    assert ["metric", "five_day (n = 6)", "two_day (n = 6)"] in rows
    cells = next(r for r in rows if r[0] == "peak [g/L]")
    peaks = res.metrics.loc[res.metrics["regimen"] == "two_day", "peak"].to_numpy()
    p5, median, p95 = np.quantile(peaks, [0.05, 0.5, 0.95])
    assert cells[2] == f"{median:.4g} ({p5:.4g} to {p95:.4g})"


def test_text_from_files_is_escaped(tmp_path):
    source = tmp_path / "hostile.toml"
    source.write_text('# <img src=x onerror="alert(1)"> in a comment\n'
                      + SMALL.read_text().replace('description = "engine test"',
                                                  'description = "<script>alert(1)</script> & <b>x</b>"'))
    res = run_small(tmp_path / "run", source)
    text = (res.path / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; in a comment" in text
    assert "<script" not in text and "<b>x" not in text and "<img src=x" not in text
    assert parse(text).errors == []


def test_switched_mechanisms_and_fixed_parameters_are_shown_as_used(tmp_path):
    source = tmp_path / "switched.toml"
    text = SMALL.read_text().replace('description = "engine test"',
                                     'description = "engine test"\nmechanisms = { sc_absorption = false }')
    source.write_text(text.replace("[regimens.five_day]", "[parameters]\nk_deg = 2000.0\n\n[regimens.five_day]"))
    res = run_small(tmp_path / "run", source)
    rows = parse((res.path / "report.html").read_text(encoding="utf-8")).rows
    mechanisms = {r[0]: r[2] for r in rows if len(r) == 3 and r[2].startswith(("on", "off"))}
    assert mechanisms["sc_absorption"] == "off (set by the experiment)"
    assert mechanisms["fcrn_recycling"] == "on"
    k_deg = next(r for r in rows if r[0] == "k_deg")
    assert k_deg[1:3] == ["2,000 (fixed by the experiment)", "1/day"]


def test_failed_points_are_listed_with_their_reasons(tmp_path, monkeypatch):
    real = ensemble.run_point

    def flaky(experiment, spec, points, i, t_out, untreated=False):
        if i == 4:
            raise SolverError("integration failed: the step size fell below the resolution", 2)
        return real(experiment, spec, points, i, t_out, untreated)

    monkeypatch.setattr(ensemble, "run_point", flaky)
    # run_point is the per-point path's; the compiled chunk path records its failures the same way
    monkeypatch.setattr(ensemble, "compiled_engine", lambda experiment, spec: (False, "per point: test"))
    res = run_small(tmp_path / "run")
    page = parse((res.path / "report.html").read_text(encoding="utf-8"))
    failures = [r for r in page.rows if r and "step size fell below the resolution" in r[-1]]
    assert len(failures) == 1
    assert failures[0][:4] == ["4", "five_day", "1", "30"]
    point_row = next(r for r in page.rows if r and r[0] == "4" and r[-1] in ("ok", "failed"))
    assert point_row[-1] == "failed" and "—" in point_row


def test_a_resumed_run_writes_the_report(tmp_path, monkeypatch):
    out = tmp_path / "run"
    real = ensemble.run_chunk

    def crash_after_two(experiment, points, index, start, stop):
        if index >= 2:
            raise KeyboardInterrupt("killed")
        return real(experiment, points, index, start, stop)

    monkeypatch.setattr(ensemble, "run_chunk", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_small(out, chunk_size=3)
    assert not (out / "report.html").exists()
    monkeypatch.setattr(ensemble, "run_chunk", real)
    run_small(out, resume=True)
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "for the 6 points run in the last session (the run was resumed)" in text
    assert "data:image/png;base64," in text


def test_sensitivity_sweep_reports_its_indices(tmp_path):
    pytest.importorskip("SALib")
    source = tmp_path / "sobol.toml"
    source.write_text("""
[experiment]
name = "tiny_sobol"
model = "fcrn_pk"
seed = 11
t_end_days = 30.0

[regimens.standard]
kind = "ivig"
dose_g_per_kg = 0.4
days = 5
infusion_hours = 8

[sweep]
method = "sobol_indices"
n = 8

[sweep.variables.fcrn_total]
low = 30.0
high = 60.0

[sweep.variables.cl_uptake]
low = 0.005
high = 0.01

[metrics.peak]
kind = "max"
output = "igg_total"

[plots.peak_sobol]
kind = "sensitivity"
metric = "peak"
""")
    res = run_small(tmp_path / "run", source)
    rows = parse((res.path / "report.html").read_text(encoding="utf-8")).rows
    assert ["metric", "regimen", "variable", "S1", "S1_conf", "ST", "ST_conf"] in rows
    s1 = {r[2]: number(r[3]) for r in rows if len(r) == 7 and r[0] == "peak"}
    table = res.sensitivity.set_index("variable")
    assert sorted(s1) == ["cl_uptake", "fcrn_total"]
    for variable, value in s1.items():
        assert value == pytest.approx(table.loc[variable, "S1"], rel=5e-4)


def test_an_undefined_metric_is_not_counted_as_a_failed_point():
    """therapy_comparison: the arm without a list price ran; 'point failed' was wrong."""
    from types import SimpleNamespace

    import pandas as pd

    from ivigsim.interfaces._report_results import _failures
    experiment = SimpleNamespace(sweep=SimpleNamespace(names=()))
    frame = pd.DataFrame({"point_id": [0, 1, 2], "regimen": ["a", "b", "c"],
                          "status": ["ok", "undefined", "ok"],
                          "reason": ["", "undefined: cost_usd (therapy_cost_usd) has no value", ""]})
    text = _failures(experiment, frame)
    assert "0 of 3 points failed; 1 ran but has a metric with no value (status undefined)" in text
    frame.loc[2, ["status", "reason"]] = ["failed", "SolverError: test"]
    assert "1 of 3 points failed; 1 ran but has" in _failures(experiment, frame)


def test_the_command_line_summary_says_n_a_and_names_an_undefined_metric_once(monkeypatch, capsys):
    """An arm without a price printed 'nan' and 'point 2 undefined: undefined: cost_usd ...'."""
    from types import SimpleNamespace

    import pandas as pd

    from ivigsim.interfaces import cli, runs
    from ivigsim.interfaces.run_summary import format_value
    assert format_value(float("nan"), "USD") == "n/a" and format_value(4638.2, "USD") == "$4,638"
    frame = pd.DataFrame({"point_id": [0, 1], "regimen": ["a", "b"], "status": ["ok", "undefined"],
                          "cost_usd": [21140.0, float("nan")]})
    frame.attrs["units"] = {"cost_usd": "USD"}
    reason = "undefined: cost_usd (therapy_cost_usd) has no value"
    prov = {"experiment": "x", "n_points": 2, "model": "m", "n_failed": 0, "n_undefined": 1,
            "wall_seconds": 1.0, "simulations_per_second": 2.0, "executor": "in-process",
            "failures": [{"point_id": 1, "reason": reason}]}
    fake = SimpleNamespace(provenance=prov, metrics=frame, path=pathlib.Path("/nonexistent"),
                           summary=lambda: "summary")
    monkeypatch.setattr(runs, "run_experiment", lambda *a, **k: fake)
    monkeypatch.setattr("ivigsim.interfaces.run_summary.written_files", lambda path: "files")
    args = SimpleNamespace(experiment="x.toml", out=None, resume=None, overwrite=False, workers=None,
                           scheduler=None, quiet=True)
    assert cli._cmd_run(args) == 0
    out = capsys.readouterr().out
    assert "  point 1 undefined: cost_usd (therapy_cost_usd) has no value" in out
    assert "undefined: undefined" not in out


def test_the_list_of_written_files_leaves_out_the_run_lock(tmp_path):
    from ivigsim.interfaces.run_summary import written_files
    from ivigsim.sweep.locking import LOCK_NAME, RunLock
    (tmp_path / "summary.csv").write_text("x\n")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.png").write_bytes(b"")
    with RunLock(tmp_path):
        pass
    assert (tmp_path / LOCK_NAME).exists()
    assert written_files(tmp_path) == f"{tmp_path}/: summary.csv, figures/a.png"
