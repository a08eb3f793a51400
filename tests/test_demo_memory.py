"""``ivigsim demo --html`` stays under 500 MB of peak memory (it once held every trajectory: 1.27 GB)."""

import subprocess
import sys

import pytest

from conftest import ROOT

LIMIT_BYTES = 500e6


@pytest.mark.slow
def test_demo_html_peak_memory_is_under_500_mb(tmp_path):
    code = ("import resource, sys, ivigsim as iv; iv.set_quiet(); iv.demo_html(sys.argv[1]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)")     # Linux: ru_maxrss in KiB
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "lesson.html")], capture_output=True,
                         text=True, cwd=ROOT, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    peak = int(out.stdout.split()[-1])
    assert peak < LIMIT_BYTES, f"peak resident memory {peak / 1e6:.0f} MB"
    assert (tmp_path / "lesson.html").stat().st_size > 1e6
