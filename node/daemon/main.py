"""`baochain node start --config node.toml`: run one node until SIGTERM or SIGINT.

Start-up, in order: read and check the configuration (`node.daemon.config`), configure JSON-lines
logs, open every channel (creating its database from the genesis block the first time, resuming
from disk after that, a kill -9 included: each block is one synced LevelDB write), start the
links (`node.net.Mesh`), then the HTTP API (uvicorn in the same event loop). A node that cannot
start says why in one line on stderr and exits 1 (a configuration it cannot use, a port in use,
a damaged database); it never prints a traceback for an operator's mistake.

Shut-down on SIGTERM or SIGINT: the API stops taking requests, the orderer cuts what it holds, the
links close, and every channel's database is closed. Nothing in flight is lost that was reported
committed: a commit is reported only after its write.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import click

from node.daemon.config import NodeConfig, NodeConfigError, load_config

log = logging.getLogger("baochain.node")


class StartError(Exception):
    """A node that cannot start (the message says why)."""


async def serve(config: NodeConfig) -> None:
    import uvicorn

    from node.api.app import create_app
    from node.chain.channel import ChainError
    from node.daemon.node import Node
    from node.net import Mesh, Peer, tls_contexts

    try:
        node = Node(config)
    except ChainError as exc:
        raise StartError(str(exc)) from None
    tls = tls_contexts(config.tls_certificate, config.tls_key, config.tls_roots)
    peers = [Peer(p.name, p.org, p.p2p.host, p.p2p.port) for p in config.peers]
    mesh = Mesh(config.name, config.org, tls, peers, node.on_message, listen=(config.p2p.host, config.p2p.port),
                on_connected=node.on_connected)
    try:
        await mesh.start()
    except OSError as exc:
        await node.close()
        raise StartError(f"cannot listen for other nodes on {config.p2p}: {exc.strerror or exc}") from None
    await node.start(mesh)
    app = create_app(node)
    server = uvicorn.Server(uvicorn.Config(app, host=config.api.host, port=config.api.port, log_config=None,
                                           access_log=False, lifespan="off"))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    log.info("node started", extra={"p2p": str(config.p2p), "api": str(config.api),
                                    "channels": [c.name for c in config.channels]})
    try:
        await server.serve()
        if not server.started:
            raise StartError(f"cannot serve the API on {config.api} (is the port in use?)")
    finally:
        log.info("node stopping")
        await node.close_orderers()
        await mesh.close()
        node.close_channels()
        log.info("node stopped")


@click.group("node")
def node_group() -> None:
    """Run a node of a Baochain network."""


@node_group.command("start", short_help="Run a node until SIGTERM or Ctrl-C.")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="The node's node.toml (written by `baochain network init`).")
def start(config_path: Path) -> None:
    """Start the node described by FILE and run it until SIGTERM or SIGINT (Ctrl-C)."""
    from node.daemon.logs import configure

    try:
        config = load_config(config_path)
    except NodeConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    configure(config.name, config.log_level)
    try:
        asyncio.run(serve(config))
    except StartError as exc:
        log.error("node cannot start: %s", exc)
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
