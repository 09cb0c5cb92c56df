"""The demo's network on this machine: made in a folder, started, stopped, removed.

Making and running go through `node.network` as `baochain network init`, `up`, `status` and
`down` do; nothing here re-implements them. What this module adds is the bookkeeping that lets
the demo end cleanly whenever it is stopped:

- The folder is chosen before anything is made (a new temporary folder, or the user's
  ``--dir``), so that whatever happens later knows what to stop and what to remove.
- Stopping is `control.down` (SIGTERM to each node by the pid in its pid file, SIGKILL after
  its timeout), then a look for node processes of this folder that this process started but
  whose pid file was not yet written: `control.up` starts a node and writes its pid file just
  after, and an interruption can fall between the two. Such a process is found by its parent
  (this process) and its command line (a node.toml of this folder), and stopped by its pid the
  same way. Nothing else is ever signalled.
- Only a network this process made is stopped (a ``--dir`` that already held one is refused by
  init and left as it was), and only a temporary folder is removed; a ``--dir`` folder is the
  user's and stays.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.demo.story import CHANNEL, spec_text
from node.network import control

if TYPE_CHECKING:
    from node.network.layout import NetworkIndex

READY_TIMEOUT_S = 60.0  # every node answers /readyz within this, or the demo fails naming the node
STOP_TIMEOUT_S = 10.0  # SIGTERM, then SIGKILL after this
SETTLE_TIMEOUT_S = 10.0  # how long the summary waits for every node to reach the story's last block


class DemoNetwork:
    def __init__(self, folder: Path | None) -> None:
        """The network in ``folder`` (the user's), or in a new temporary folder when None."""
        self.temporary = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="baochain-demo-")) if folder is None else folder
        self.made = False  # whether this process made the network in the folder

    def make(self, suite: str, progress: Callable[[str], None]) -> NetworkIndex:
        """`baochain network init` of the story's cast; the network's index."""
        from node.network.init import init_network
        from node.network.spec import parse_spec

        index = init_network(parse_spec(spec_text(suite), "demo network"), self.folder, progress=progress)
        self.made = True
        return index

    def start(self) -> list[tuple[str, int, bool]]:
        """Start every node and wait until each is ready: (name, pid, started now) per node."""
        return control.up(self.folder, timeout_s=READY_TIMEOUT_S)

    def heights(self, at_least: int) -> list[dict[str, Any]]:
        """Each node's name, org, API address and height of the story's channel, as the node itself
        says (`control.status`), once every node has ``at_least`` blocks or `SETTLE_TIMEOUT_S` passed."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while True:
            nodes = [{"name": n["name"], "org": n["org"], "api": n["api"],
                      "height": n["channels"].get(CHANNEL, {}).get("height")}
                     for n in control.status(self.folder)["nodes"]]
            behind = [n for n in nodes if not isinstance(n["height"], int) or n["height"] < at_least]
            if not behind or time.monotonic() > deadline:
                return nodes
            time.sleep(0.2)

    def stop(self) -> list[str]:
        """Stop every node of the network, if this process made it, and any node process of this
        folder that this process started; a line per node stopped. A network that was in a
        ``--dir`` folder before (init refused it) is not this process's to stop."""
        lines = []
        if self.made:
            for name, pid, how in control.down(self.folder, timeout_s=STOP_TIMEOUT_S):
                if pid is not None:
                    lines.append(f"{name}: {how} (pid {pid})")
        for pid in _own_nodes(self.folder):
            lines.append(f"pid {pid}: {_stop(pid)}")
        return lines

    def remove(self) -> bool:
        """Remove the folder if it is a temporary one; whether it was removed."""
        if self.temporary:
            shutil.rmtree(self.folder, ignore_errors=True)
        return self.temporary


def _own_nodes(folder: Path) -> list[int]:
    """Pids of this process's children that run a node of ``folder`` (see the module docstring)."""
    nodes = str(folder.resolve() / "nodes")
    me = os.getpid()
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []  # no /proc: only the pid files tell
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1] == str(me) and fields[0] != "Z" and any(a.startswith(nodes) for a in cmdline):
            found.append(int(entry))
    return found


def _stop(pid: int) -> str:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return "gone"
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return "stopped"
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "killed"
