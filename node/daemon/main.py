"""`baochain node start --config node.toml`: run one node until SIGTERM or SIGINT.

Start-up, in order: read and check the configuration (`node.daemon.config`), configure JSON-lines
logs, open every channel (creating its database from the genesis block the first time, resuming
from disk after that, a kill -9 included: each block is one synced LevelDB write), start the
links (`node.net.Mesh`), then the HTTP API (uvicorn in the same event loop): HTTPS with the
certificate and key of node.toml's ``[api]``, or plain HTTP on loopback only (`node.api.transport`;
the configuration is refused otherwise). A node that cannot start says why in one line on stderr
and exits 1 (a configuration it cannot use, an API certificate that does not load or does not
match its key, a port in use, a damaged database); it never prints a traceback for an operator's
mistake.

Reload on SIGHUP: the node reads its configuration file again and takes on, while it serves, the
peers and the TLS roots it did not know (`baochain network add-node` adds a node this way); a
file it cannot use is logged and ignored, and changes to anything else wait for a restart.

The event loop is uvloop's where it is installed (a dependency on Linux and macOS), asyncio's
otherwise (`run_on_node_loop`). Why: a node spends much of its time in the loop's own machinery, the
TLS of its API and of its links above all, which asyncio runs in Python and uvloop in C over
libuv. Measured with bench/cluster.py (intl, 4 nodes on 2 cores): the nodes' CPU per transaction
fell from 5.37 to 4.55 ms (-15%) and the cluster went from 346 to 407 tx/s. The node uses nothing
that one loop has and the other lacks (the links' accept path was made so: `node.net.mesh`).

Shut-down on SIGTERM or SIGINT: the API stops taking requests, the orderer cuts what it holds, the
links close, and every channel's database is closed. Nothing in flight is lost that was reported
committed: a commit is reported only after its write.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from node.daemon.config import NodeConfig, NodeConfigError, load_config

T = TypeVar("T")
log = logging.getLogger("baochain.node")


class StartError(Exception):
    """A node that cannot start (the message says why)."""


async def serve(config: NodeConfig) -> None:
    import uvicorn

    from node.api.app import create_app
    from node.chain.channel import ChainError
    from node.daemon.http import CorkedHttp
    from node.daemon.node import Node
    from node.net import Mesh, Peer, tls_contexts

    api_tls = api_ssl_options(config)  # before any database opens: nothing to close on a refusal
    from node.users.authority import CAUnusable

    try:
        node = Node(config)
    except ChainError as exc:
        raise StartError(str(exc)) from None
    except CAUnusable as exc:
        raise StartError(f"{config.path}: {exc}") from None
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
    tune_garbage_collector()
    server = uvicorn.Server(uvicorn.Config(app, host=config.api.host, port=config.api.port, log_config=None,
                                           access_log=False, lifespan="off", http=CorkedHttp, **api_tls))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    loop.add_signal_handler(signal.SIGHUP, lambda: reload(node, mesh, tls))
    log.info("node started", extra={"p2p": str(config.p2p), "api": str(config.api), "api_tls": config.api_tls,
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


def run_on_node_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on a fresh event loop of the node's kind: uvloop's when
    installed, asyncio's otherwise (see above). The node runs on it; so do the tools and tests
    that must see what the node sees."""
    try:
        import uvloop
    except ImportError:  # Windows, or installed without it: asyncio's loop serves the same, slower
        factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    else:
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coroutine)


GC_YOUNG_THRESHOLD = 10_000  # container allocations between young collections (CPython's default: 700)


def tune_garbage_collector() -> None:
    """Once the node has started: what start-up made (modules, the API's routes and models, the
    contracts' machines) lives as long as the process, so it is frozen out of every collection;
    and young collections run every `GC_YOUNG_THRESHOLD` allocations, not every 700. A
    transaction allocates thousands of short-lived objects (decoded messages, VM values), and a
    collection walks every tracked object of its generations: with CPython's defaults the
    collector took 13% of a node's CPU under the session batch load of bench/api.py (0.61 s of
    4.66 s for 3,000 invokes, 173,000 tracked objects), with these 4% (0.17 s of 4.20 s). Cyclic
    garbage is still collected, only in fewer, larger sweeps (a few MB more at the peak)."""
    import gc

    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)


def api_ssl_options(config: NodeConfig) -> dict[str, Any]:
    """uvicorn's TLS options for the API (none: plain HTTP, which the configuration allows on
    loopback only), once the certificate and key were seen to load together: uvicorn would fail
    later, with a traceback."""
    import ssl

    if config.api_certificate is None or config.api_key is None:
        return {}
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(str(config.api_certificate), str(config.api_key))
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise StartError(f"{config.path}: api: cannot serve HTTPS with {config.api_certificate} and "
                         f"{config.api_key}: {getattr(exc, 'reason', None) or exc} (a PEM certificate and its "
                         "unencrypted key)") from None
    return {"ssl_certfile": str(config.api_certificate), "ssl_keyfile": str(config.api_key)}


def reload(node, mesh, tls) -> None:  # noqa: ANN001 - Node, Mesh, TlsContexts (imported lazily, as in serve)
    """SIGHUP: take on the new peers and TLS roots of the node's configuration file."""
    from node.net import Peer

    try:
        fresh = load_config(node.config.path)
    except NodeConfigError as exc:
        log.error("configuration not reloaded: %s", exc)
        return
    if (fresh.name, fresh.org) != (node.config.name, node.config.org):
        log.error("configuration not reloaded: %s names node %s of %s; this is %s of %s", fresh.path, fresh.name,
                  fresh.org, node.config.name, node.config.org)
        return
    roots = [r for r in fresh.tls_roots if r not in node.config.tls_roots]
    for root in roots:
        tls.server.load_verify_locations(cafile=str(root))
        tls.client.load_verify_locations(cafile=str(root))
    known = {p.name for p in node.config.peers}
    added = [p for p in fresh.peers if p.name not in known]
    for p in added:
        mesh.add_peer(Peer(p.name, p.org, p.p2p.host, p.p2p.port))
    node.reconfigure(fresh)
    log.info("configuration reloaded", extra={"peers_added": [p.name for p in added],
                                              "tls_roots_added": [str(r) for r in roots]})


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
        run_on_node_loop(serve(config))
    except StartError as exc:
        log.error("node cannot start: %s", exc)
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
