"""Real networks for the integration tests: `baochain network init` into a temporary folder (free
ephemeral ports of 127.0.0.1), every node its own process (`network up`), and at the end every
process this test started stopped by its pid, whether the test passed or not. The nodes' APIs
are HTTPS; `LiveNetwork.get` is a raw request, as curl makes it, trusting the node's
organisation's transport root."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from node.api.transport import client_context
from node.cli import cli
from node.network import control
from node.network.init import init_network
from node.network.layout import NetworkLayout
from node.network.spec import parse_spec, spec_for_orgs

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


class LiveNetwork:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def up(self) -> None:
        control.up(self.folder, timeout_s=60)

    def pids(self) -> dict[str, int]:
        _, procs = control.processes(self.folder)
        return {p.entry.name: pid for p in procs if (pid := p.pid()) is not None}

    def kill9(self, node: str) -> None:
        pid = self.pids()[node]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: node not in self.pids(), 10, f"{node} (pid {pid}) to die after SIGKILL")
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    def api(self, node: str) -> str:
        """The base URL of ``node``'s API."""
        entry = NetworkLayout(self.folder).load_index().node(node)
        assert entry is not None, node
        return f"https://{entry.api}"

    def get(self, node: str, path: str, **kw: object) -> httpx.Response:
        """An unsigned ``GET path`` of ``node``'s API over HTTPS, its organisation's transport root
        the only one trusted."""
        layout = NetworkLayout(self.folder)
        entry = layout.load_index().node(node)
        assert entry is not None, node
        root = (layout.tls_ca(entry.org) / "cert.pem").read_bytes()
        return httpx.get(self.api(node) + path, verify=client_context(root), timeout=10, **kw)  # type: ignore[arg-type]

    def cli(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    def status(self) -> dict:
        return control.status(self.folder)

    def stop_all(self) -> None:
        """Every node started for this network, stopped by its pid: SIGTERM, then SIGKILL."""
        try:
            control.down(self.folder, timeout_s=10)
        finally:
            for pid in self.pids().values():  # anything `down` could not stop
                os.kill(pid, signal.SIGKILL)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s} s for {what}")
        time.sleep(0.1)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Callable[..., LiveNetwork]]:
    made: list[LiveNetwork] = []

    def make(spec_text: str | None = None, *, orgs: int = 3, suite: str = "intl") -> LiveNetwork:
        folder = tmp_path / f"net{len(made)}"
        spec = parse_spec(spec_text, "network.toml") if spec_text else spec_for_orgs(orgs, suite)
        init_network(spec, folder)
        net = LiveNetwork(folder)
        made.append(net)
        net.up()
        return net

    yield make
    for net in made:
        net.stop_all()
