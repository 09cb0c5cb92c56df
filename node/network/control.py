"""Running a local network: start its nodes, ask how they are, stop them.

- `up(folder)` starts every node of ``network.json`` that is not running, each its own process
  (``python -m node node start --config nodes/NODE/node.toml``, in a new session, its output
  appended to ``nodes/NODE/node.log``, its pid in ``nodes/NODE/node.pid``), then waits until every
  node answers ``GET /readyz`` with 200: the node's channels are open and caught up. It asks over
  HTTPS, as every client does, trusting for each node its organisation's transport root only
  (`node.api.transport`). The wait is bounded; when it runs out, or a node exits, the error names
  the node, says what its API last answered and quotes the last lines of its log, and the nodes
  this call started are stopped again (those that ran before stay).
- `status(folder)` reports, per node: name, org, pid, alive, API address, and for each channel
  the node holds its height and state hash, read through the node's own API with a signed request
  of its organisation's admin (``admin@ORG``): what the node itself says, not what the files say.
  From ``GET /api/v1/node`` it adds the node's ``version``, its ``process`` (cpu_seconds,
  memory_bytes, open_files, uptime_s: the figures of its ``/metrics``) and its ``peers`` (name,
  org, connected, and the link's figures); for a node that is not running they are null and [],
  and a node that does not answer has ``{"error": why}`` as its process. Each channel also shows
  its ``consensus`` (pbft or solo) and, for PBFT, this node's ``view``, that view's ``leader`` (a
  node's name), its last stable ``checkpoint`` (a block number), the other replicas it has a
  live link to (``peers``) and the ``view_changes`` it went through; for solo, ``leader`` is the
  orderer and the others are null.
- `down(folder)` sends SIGTERM to every running node, waits for it to stop cleanly, and sends
  SIGKILL to one that has not stopped in time. It removes the pid files.

A node counts as running when its pid file names a live process whose command line carries its
configuration file: a pid the system reused for another program is not taken for the node.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from node.network.errors import NetworkError
from node.network.layout import NetworkIndex, NetworkLayout, NodeEntry

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
LOG_TAIL_LINES = 8


class ControlError(NetworkError):
    """A node that would not start or stop: the message names it, ``log`` holds the last lines of
    its log (shown under the message)."""

    def __init__(self, message: str, log: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True, slots=True)
class NodeProcess:
    entry: NodeEntry
    config: Path
    pid_file: Path
    log_file: Path

    def pid(self) -> int | None:
        """The node's pid if it is running, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _runs(pid, self.config) else None


def _runs(pid: int, config: Path) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid
    if _is_zombie(pid):
        return False
    return str(config).encode() in cmdline


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def processes(folder: Path) -> tuple[NetworkIndex, list[NodeProcess]]:
    layout = NetworkLayout(folder.resolve())  # absolute: a node runs in its own folder
    index = layout.load_index()
    out = []
    for node in index.nodes:
        home = layout.node(node.name)
        out.append(NodeProcess(node, layout.resolve(node.config), home / "node.pid", home / "node.log"))
    return index, out


def _tail(path: Path) -> tuple[str, ...]:
    try:
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return ("    (no log)",)
    return tuple("    " + line for line in lines[-LOG_TAIL_LINES:]) or ("    (the log is empty)",)


class _Readiness:
    """``GET /readyz`` of each node, over HTTPS with its organisation's transport root; the last
    failure of each kept for the error that ends a wait."""

    def __init__(self, folder: Path) -> None:
        from node.api.transport import client_context
        from node.client.netfile import NetworkFile

        self._verify: dict[str, Any] = {org: client_context(root)
                                        for org, root in NetworkFile.load(folder).tls_roots.items()}
        self.last: dict[str, str] = {}

    def ready(self, node: NodeEntry) -> bool:
        from node.client.netfile import api_url

        try:
            answer = httpx.get(f"{api_url(node.api)}/readyz", timeout=2.0, verify=self._verify.get(node.org, True))
        except httpx.HTTPError as exc:
            self.last[node.name] = f"{type(exc).__name__}: {exc}"
            return False
        self.last[node.name] = f"HTTP {answer.status_code} {answer.text[:120]}"
        return answer.status_code == 200


def up(folder: Path, *, timeout_s: float = READY_TIMEOUT_S, progress: Any = None) -> list[tuple[str, int, bool]]:
    """Start the nodes that are not running; (name, pid, started now) for each node, once all are ready."""
    _, procs = processes(folder)
    started: dict[str, subprocess.Popen] = {}
    result = []
    for p in procs:
        pid = p.pid()
        if pid is not None:
            result.append((p.entry.name, pid, False))
            continue
        with open(p.log_file, "ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "node", "node", "start", "--config", str(p.config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                cwd=p.config.parent)
        p.pid_file.write_text(f"{child.pid}\n")
        started[p.entry.name] = child
        result.append((p.entry.name, child.pid, True))
        if progress is not None:
            progress(f"started {p.entry.name} (pid {child.pid})")
    try:
        _await_ready(procs, started, timeout_s, _Readiness(folder))
    except ControlError:
        _stop_started(procs, started)  # nothing is left half up: the nodes this call started stop
        raise
    return result


def _stop_started(procs: list[NodeProcess], started: dict[str, subprocess.Popen]) -> None:
    for p in procs:
        child = started.get(p.entry.name)
        if child is None:
            continue
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        p.pid_file.unlink(missing_ok=True)


def _await_ready(procs: list[NodeProcess], started: dict[str, subprocess.Popen], timeout_s: float,
                 probe: _Readiness) -> None:
    deadline = time.monotonic() + timeout_s
    waiting = {p.entry.name: p for p in procs}
    while waiting:
        for name, p in list(waiting.items()):
            child = started.get(name)
            if child is not None and child.poll() is not None:
                p.pid_file.unlink(missing_ok=True)
                raise ControlError(f"node {name} exited with status {child.returncode} while starting; "
                                   f"its log ({p.log_file}) ends:", _tail(p.log_file))
            if probe.ready(p.entry):
                del waiting[name]
        if waiting and time.monotonic() > deadline:
            names = ", ".join(sorted(waiting))
            first = next(iter(waiting.values()))
            answered = probe.last.get(first.entry.name, "nothing")
            raise ControlError(f"waited {timeout_s:.0f} s for {names} to answer /readyz (the API of "
                               f"{first.entry.name} last answered: {answered}); the log of "
                               f"{first.entry.name} ({first.log_file}) ends:", _tail(first.log_file))
        if waiting:
            time.sleep(0.1)


def down(folder: Path, *, timeout_s: float = STOP_TIMEOUT_S) -> list[tuple[str, int | None, str]]:
    """Stop every running node: (name, pid, how) with how one of "stopped", "killed", "not running"."""
    _, procs = processes(folder)
    running = {p.entry.name: (p, p.pid()) for p in procs}
    for p, pid in running.values():
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    result = []
    for name, (p, pid) in running.items():
        how = "not running"
        if pid is not None:
            how = "stopped"
            while _runs(pid, p.config):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    how = "killed"
                    break
                time.sleep(0.05)
            _reap(pid)
        p.pid_file.unlink(missing_ok=True)
        result.append((name, pid, how))
    return result


def _reap(pid: int) -> None:
    try:  # our own child when `up` ran in this process (tests): collect it, so it is no zombie
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def status(folder: Path) -> dict[str, Any]:
    """The JSON object `baochain network status --json` prints (see the module docstring)."""
    from node.client.errors import ClientError
    from node.client.gateway import Gateway
    from node.client.link import NodeDown

    index, procs = processes(folder)
    nodes = []
    for p in procs:
        pid = p.pid()
        entry: dict[str, Any] = {"name": p.entry.name, "org": p.entry.org, "pid": pid, "alive": pid is not None,
                                 "api": p.entry.api, "channels": {}, "version": None, "process": None, "peers": []}
        if pid is not None:
            with Gateway.for_network(folder, f"admin@{p.entry.org}") as gateway:
                link = gateway.link(gateway_address(gateway, p.entry.name))
                try:
                    about = link.json("GET", "/api/v1/node")
                    entry.update(version=about.get("version"), process=about.get("process"),
                                 peers=about.get("peers", []))
                except (NodeDown, ClientError) as exc:
                    entry["process"] = {"error": str(exc)}
                for channel in p.entry.channels:
                    try:
                        info = link.json("GET", f"/api/v1/channels/{channel}")
                    except (NodeDown, ClientError) as exc:
                        entry["channels"][channel] = {"error": str(exc)}
                        continue
                    consensus = info.get("consensus", {})
                    entry["channels"][channel] = {
                        "height": info["height"], "state_hash": info["state_hash"],
                        "consensus": consensus.get("type"), "view": consensus.get("view"),
                        "leader": consensus.get("leader", info.get("orderer") or None),
                        "checkpoint": consensus.get("checkpoint"), "peers": consensus.get("peers"),
                        "view_changes": consensus.get("view_changes")}
        nodes.append(entry)
    return {"nodes": nodes}


def gateway_address(gateway: Any, name: str) -> Any:
    for node in gateway.nodes:
        if node.name == name:
            return node
    raise ControlError(f"node {name} is not in the network's index")
