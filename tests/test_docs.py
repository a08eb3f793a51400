"""The documentation runs: every Python block of the tutorial and the README, and the
tutorial's command-line examples.

Python blocks of a file run in order in one namespace, in a fresh working
directory holding a link to ``experiments/``.  A Python block followed
directly by a ```` ```text ```` block must print exactly that text.  Blocks
tagged ```` ```python no-run ```` or ```` ```bash no-run ```` are skipped.

The tutorial's figures are drawn by its blocks; the copies in
``docs/figures/`` are refreshed with::

    IVIGSIM_UPDATE_DOC_FIGURES=1 python -m pytest tests/test_docs.py
"""

import ast
import contextlib
import io
import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"
README = ROOT / "README.md"
FIGURES = ROOT / "docs" / "figures"
UPDATE_FIGURES = os.environ.get("IVIGSIM_UPDATE_DOC_FIGURES") == "1"
MAX_FIGURE_BYTES = 80_000
# README blocks that are known not to run, with the reason; a block listed here that
# starts to run fails the test, so that it is taken off the list.
README_KNOWN_FAILURES = {}
# A user's dosing table, as the README's Regimen.from_event_table example expects.
EVENTS_CSV = "time_day,amount_g_per_kg,duration_h,route\n0,0.4,8,iv\n1,0.4,8,iv\n"
FENCE = re.compile(r"^```(.*)$")


@dataclass
class Block:
    """A fenced code block of a Markdown file."""

    language: str
    tags: tuple
    code: str
    line: int                  # line of the block's first code line, 1-based
    output: str | None = None  # the ```text block right after it, if any

    @property
    def runs(self):
        return "no-run" not in self.tags


def code_blocks(path):
    """The fenced blocks of a Markdown file, in order; a ```text block directly after a
    Python block becomes that block's expected output."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    blocks, i, last_close = [], 0, None
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            if lines[i].strip():
                last_close = None
            i += 1
            continue
        info = match.group(1).split()
        end = next(k for k in range(i + 1, len(lines)) if lines[k].strip() == "```")
        block = Block(info[0] if info else "", tuple(info[1:]), "\n".join(lines[i + 1:end]) + "\n", i + 2)
        if block.language == "text" and last_close is not None and last_close.language == "python":
            last_close.output = block.code
        else:
            blocks.append(block)
        last_close, i = block, end + 1
    return blocks


def run_python(block, namespace, path):
    """Run one block in ``namespace``; return what it printed.  Tracebacks name the
    Markdown file and line."""
    tree = ast.parse(block.code, filename=str(path))
    ast.increment_lineno(tree, block.line - 1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(tree, str(path), "exec"), namespace)
    return printed.getvalue()


def _normalise(text):
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def check_output(block, printed, path):
    if block.output is None:
        return
    assert _normalise(printed) == _normalise(block.output), (
        f"{path.name}:{block.line}: the block printed\n{printed}\nbut the file shows\n{block.output}")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A fresh working directory, as a reader's checkout would be: experiments/ beside it."""
    import matplotlib
    matplotlib.use("Agg")
    (tmp_path / "experiments").symlink_to(ROOT / "experiments")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    import matplotlib.pyplot as plt
    plt.close("all")


def referenced_figures(path):
    return re.findall(r"!\[[^\]]*\]\(figures/([^)\s]+\.png)\)", path.read_text(encoding="utf-8"))


def test_tutorial_python_blocks_run_and_print_what_is_shown(workdir):
    blocks = [b for b in code_blocks(TUTORIAL) if b.language == "python" and b.runs]
    assert len(blocks) >= 10
    assert sum(b.output is not None for b in blocks) >= 6
    namespace = {"__name__": "__tutorial__"}
    for block in blocks:
        check_output(block, run_python(block, namespace, TUTORIAL), TUTORIAL)

    figures = referenced_figures(TUTORIAL)
    assert len(figures) >= 4
    for name in figures:
        drawn = workdir / name
        assert drawn.is_file(), f"the tutorial shows figures/{name} but no block draws {name}"
        if UPDATE_FIGURES:
            FIGURES.mkdir(exist_ok=True)
            shutil.copyfile(drawn, FIGURES / name)
        assert (FIGURES / name).is_file(), f"docs/figures/{name} is missing: set IVIGSIM_UPDATE_DOC_FIGURES=1"
        assert (FIGURES / name).stat().st_size < MAX_FIGURE_BYTES, name
    assert (workdir / "results" / "fcrn_dose_response" / "report.html").is_file()


def test_tutorial_command_lines_run(workdir, capsys):
    from ivigsim.interfaces.cli import main
    commands = [line for b in code_blocks(TUTORIAL) if b.language == "bash" and b.runs
                for line in b.code.splitlines() if line.startswith("ivigsim ")]
    assert len(commands) >= 4
    for command in commands:
        assert main(shlex.split(command)[1:]) == 0, command
    printed = capsys.readouterr().out
    assert "fcrn_recycling" in printed and "12 points on model fcrn_pk, 0 failed" in printed
    assert (workdir / "results" / "first_course" / "figure.png").is_file()
    assert (workdir / "results" / "fcrn_dose_response_cli" / "report.html").is_file()


def test_tutorial_quotes_the_experiment_file_as_it_is():
    quoted = [b for b in code_blocks(TUTORIAL) if b.language == "toml"]
    assert quoted
    shipped = (ROOT / "experiments" / "fcrn_dose_response.toml").read_text(encoding="utf-8").splitlines()
    for block in quoted:
        for line in filter(None, block.code.splitlines()):
            assert line in shipped, f"tutorial.md:{block.line}: {line!r} is not in the experiment file"


def test_tutorial_walks_to_comparison_and_validation():
    headings = re.findall(r"^## (.+)$", TUTORIAL.read_text(encoding="utf-8"), re.M)
    assert headings[-3:] == ["6. Comparing model variants", "7. Checking against the literature", "Where to go next"]


def test_every_code_block_is_closed_and_labelled():
    for path in (TUTORIAL, README):
        for block in code_blocks(path):
            assert "```" not in block.code, f"{path.name}:{block.line}: a fence inside a block"
    assert all(b.language for b in code_blocks(TUTORIAL)), "tutorial blocks name their language"


def test_readme_python_blocks_run(workdir):
    (workdir / "events.csv").write_text(EVENTS_CSV)
    blocks = [b for b in code_blocks(README) if b.language == "python" and b.runs]
    assert blocks
    namespace = {"__name__": "__readme__"}
    failed, fixed = [], []
    for block in blocks:
        known = [reason for key, reason in README_KNOWN_FAILURES.items() if key in block.code]
        try:
            check_output(block, run_python(block, namespace, README), README)
        except Exception as exc:
            if not known:
                raise AssertionError(f"README.md:{block.line}: {type(exc).__name__}: {exc}") from exc
            failed.append(block.line)
        else:
            if known:
                fixed.append(f"README.md:{block.line} ({known[0]})")
    assert not fixed, f"these README blocks run now; remove them from README_KNOWN_FAILURES: {fixed}"
    assert len(failed) == len(README_KNOWN_FAILURES)


def test_the_docs_experiment_table_lists_every_shipped_experiment():
    import ivigsim as iv
    text = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| `(\w+)` \|", text, re.M))
    shipped = {Path(p).stem: iv.load_experiment(p).model for p in iv.experiment_paths()}
    assert set(rows) == set(shipped)
    assert all(Path(shipped[name]).stem == model for name, model in rows.items())
