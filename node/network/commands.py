"""`baochain network up`, `status` and `down` (`node.network.control`), added to the `network`
group of `node.network.cli`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from node.network.cli import Refused, network
from node.network.control import READY_TIMEOUT_S, ControlError, up as start_nodes, down as stop_nodes, status as node_status
from node.network.errors import NetworkError

_FOLDER = click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, exists=True, path_type=Path))


@network.command(short_help="Start every node that is not running; return once all are ready.")
@_FOLDER
@click.option("--timeout", "timeout_s", type=click.FloatRange(1, 3600), default=READY_TIMEOUT_S, show_default=True,
              help="Seconds to wait for every node to be ready.")
def up(directory: Path, timeout_s: float) -> None:
    """Start every node of the network in DIR that is not running, each its own process (its log in
    DIR/nodes/NODE/node.log), and return once every node answers /readyz."""
    try:
        result = start_nodes(directory, timeout_s=timeout_s, progress=click.echo)
    except ControlError as exc:
        raise Refused(str(exc), exc.log) from None
    except NetworkError as exc:
        raise Refused(str(exc)) from None
    for name, pid, started in result:
        if not started:
            click.echo(f"{name} was running (pid {pid})")
    click.echo(f"{len(result)} node(s) ready")


@network.command(short_help="Show each node: pid, API, process, peers, and per channel height and state hash.")
@_FOLDER
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: {\"nodes\": [...]}.")
def status(directory: Path, as_json: bool) -> None:
    """Show every node of the network in DIR: its pid, whether it runs, its API address, its process
    (CPU seconds, resident memory, open files, uptime), its links to its peers, and for each channel
    it holds the height and state hash it reports (asked as its organisation's admin), and with
    PBFT its view, the view's leader, its last stable checkpoint and the replicas it is linked to."""
    try:
        report = node_status(directory)
    except NetworkError as exc:
        raise Refused(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for node in report["nodes"]:
        state = f"pid {node['pid']}" if node["alive"] else "not running"
        click.echo(f"{node['name']} ({node['org']}): {state}, api {node['api']}")
        process = node.get("process")
        if process is not None:
            click.echo(f"  process: {process['error']}" if "error" in process else f"  process: {_process(process)}")
        if node.get("peers"):
            click.echo("  peers: " + ", ".join(f"{p['name']} {'up' if p['connected'] else 'down'}"
                                               for p in node["peers"]))
        for channel, info in node["channels"].items():
            if "error" in info:
                click.echo(f"  {channel}: {info['error']}")
            else:
                click.echo(f"  {channel}: height {info['height']}, state {info['state_hash']}{_consensus(info)}")


def _consensus(info: dict) -> str:
    """``; pbft view 2, leader peer0-org3, checkpoint 32, 3 peers`` (nothing for solo)."""
    if info.get("consensus") != "pbft" or info.get("view") is None:
        return ""
    peers = info.get("peers") or []
    return (f"; pbft view {info['view']}, leader {info['leader']}, checkpoint {info['checkpoint']}, "
            f"{len(peers)} peer{'s' if len(peers) != 1 else ''}")


def _process(figures: dict) -> str:
    """``cpu 1.25 s, memory 84.0 MiB, 37 open files, up 2 min 5 s``"""
    total = int(figures["uptime_s"])
    hours, minutes, seconds = total // 3600, total // 60 % 60, total % 60
    uptime = (f"{hours} h " if hours else "") + (f"{minutes} min " if hours or minutes else "") + f"{seconds} s"
    return (f"cpu {figures['cpu_seconds']:.2f} s, memory {figures['memory_bytes'] / 2**20:.1f} MiB, "
            f"{figures['open_files']} open files, up {uptime}")


@network.command(short_help="Stop every running node (SIGTERM, then SIGKILL after a timeout).")
@_FOLDER
def down(directory: Path) -> None:
    """Stop every running node of the network in DIR: SIGTERM, and SIGKILL for one that has not
    stopped within 15 seconds."""
    try:
        result = stop_nodes(directory)
    except NetworkError as exc:
        raise Refused(str(exc)) from None
    for name, pid, how in result:
        click.echo(f"{name}: {how}" + (f" (pid {pid})" if pid else ""))


@network.command("add-node", short_help="Add an organisation and its node to the running network, without downtime.")
@_FOLDER
@click.option("--org", "org", required=True, metavar="NAME", help="The new organisation's name.")
@click.option("--roles", "roles", default="", metavar="R1,R2",
              help="Its party roles, comma-separated (each a client identity ROLE@ORG), e.g. insurer,hospital.")
@click.option("--channel", "channels", multiple=True, metavar="CH",
              help="A channel it joins (repeatable). [default: every channel]")
@click.option("--timeout", "timeout_s", type=click.FloatRange(1, 3600), default=READY_TIMEOUT_S, show_default=True,
              help="Seconds to wait for the new node to be ready (caught up).")
def add_node(directory: Path, org: str, roles: str, channels: tuple[str, ...], timeout_s: float) -> None:
    """Add organisation NAME to the running network in DIR: its CA and wallet identities, its node
    (linked to every running node, which reload their configuration on SIGHUP), a configuration
    update signed by the members' admins that makes it a member of each channel (and, with PBFT,
    its node a consenter), and the node started; it returns once the node has caught up."""
    from node.network.membership import add_node as grow

    wanted = tuple(r.strip() for r in roles.split(",") if r.strip())
    try:
        node = grow(directory, org, wanted, tuple(channels), progress=click.echo, timeout_s=timeout_s)
    except ControlError as exc:
        raise Refused(str(exc), exc.log) from None
    except NetworkError as exc:
        raise Refused(str(exc)) from None
    click.echo(f"{node.name} of {node.org} joined {', '.join(node.channels)}; api {node.api}")
