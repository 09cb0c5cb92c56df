"""bench/console.py --quick runs (a short chain, a few rounds) so the bench cannot rot: it commits
through the real path, serves the API on loopback, asks every request a console page makes, and
prints its table. The bar itself is the full run's to judge, not this test's (a shared machine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_console_bench_runs_quick():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "console.py"), "--quick", "--blocks", "30",
                           "--rounds", "2"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: a request over the bar on a busy machine
    lines = done.stdout.splitlines()
    assert lines[0].startswith("32 blocks on channel bench (intl)"), done.stdout
    table = {line.split("  ")[0].strip() for line in lines[2:18]}
    for what in ("console page", "blocks, deep page", "transaction", "contract explain", "record history",
                 "activity", "network"):
        assert what in table, done.stdout
