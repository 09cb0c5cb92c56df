"""`baochain dev` as a developer meets it: run in an empty folder, it prints the API's address,
alice's password and exactly two lines holding curl; pasted into one shell one after the other,
they log alice in and invoke the health contract (VALID); Ctrl-C stops the node it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from node.network import control
from tests.node.live.conftest import wait_for


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(subprocess.run(["which", "curl"], capture_output=True).returncode != 0, reason="curl is absent")
def test_dev_prints_a_login_and_an_invoke_that_work_and_ctrl_c_stops_the_node(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "node", "dev", "--suite", "intl"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    node_pid = None
    try:
        wait_for(lambda: any("Ctrl-C stops the node" in line for line in lines) or proc.poll() is not None, 150,
                 "baochain dev to print its commands")
        text = "".join(lines)
        assert proc.poll() is None, text
        assert re.search(r"^API: http://127\.0\.0\.1:\d+", text, re.M), text
        assert re.search(r"password: \S+", text), text
        curls = [line.rstrip("\n") for line in lines if "curl" in line]
        assert len(curls) == 2 and curls[0].startswith("TOKEN=$(curl "), curls
        assert "jq" not in text
        shipped = {f.name.removesuffix(".bao") for f in (Path(__file__).resolve().parents[3] / "contracts").glob("*.bao")
                   if not f.name.endswith(".test.bao")}
        assert set(re.findall(r"^  deployed (\w+) ", text, re.M)) == shipped, text  # every one, none skipped
        pid_file = tmp_path / ".baochain-dev" / "nodes" / "peer0-devorg" / "node.pid"
        node_pid = int(pid_file.read_text().strip())
        shell = subprocess.run(["bash", "-c", f"{curls[0]}\n{curls[1]}"], capture_output=True, text=True, timeout=60)
        assert shell.returncode == 0, shell.stderr
        assert '"code": "VALID"' in shell.stdout and '"status": "committed"' in shell.stdout, shell.stdout
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        assert "stopped" in "".join(lines)
        wait_for(lambda: not _pid_alive(node_pid), 15, f"the node (pid {node_pid}) to stop after Ctrl-C")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if node_pid is not None and _pid_alive(node_pid):
            os.kill(node_pid, signal.SIGKILL)
        chain = tmp_path / ".baochain-dev"
        if (chain / "network.json").exists():  # a node started before the test failed: stopped by its pid
            control.down(chain, timeout_s=10)
