"""bench/cluster.py end to end, in its short form (`--quick --suite intl`, about 40 s): a network of
four node processes comes up in a temporary folder, takes the workload, reports its figures, and
every node it started is stopped again and its folder removed. The figures themselves are not
judged here (a busy machine may miss a target: exit status 1); that the run holds together is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[3]


def _processes_under(folder: Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any(str(folder) in part for part in p.info["cmdline"] or ()):
            found.append(p)
    return found


def test_the_cluster_bench_runs_and_stops_every_node_it_started(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the bench's network folder goes here
    bench = subprocess.Popen([sys.executable, str(ROOT / "bench" / "cluster.py"), "--quick", "--suite", "intl"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        out, err = bench.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        bench.send_signal(signal.SIGTERM)  # the bench stops its nodes on SIGTERM
        out, err = bench.communicate(timeout=60)
        pytest.fail(f"bench/cluster.py --quick ran past 300 s:\n{out}\n{err}")
    finally:
        for p in _processes_under(tmp_path):  # anything it left behind, by pid
            p.kill()
    assert bench.returncode in (0, 1), f"{out}\n{err}"
    assert "not VALID" not in out, out
    summary = [line.split() for line in out.splitlines() if line.startswith("intl ")]
    assert len(summary) == 1 and float(summary[0][1]) > 0, out  # VALID tx/s at saturation
    assert "saturation:" in out and "half:" in out and "bare loop" in out, out
    assert not _processes_under(tmp_path)
    assert not list(tmp_path.iterdir()), "the network's folder was left behind"
