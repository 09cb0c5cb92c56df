"""`baochain demo`: the command, its output and its exit status (the package docstring is the spec)."""

from __future__ import annotations

import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from node.crypto.suite import SUITE_NAMES
from node.demo import story
from node.demo.story import CAST, CHANNEL, CONTRACT, Outcome, Step

if TYPE_CHECKING:
    from node.demo.lifecycle import DemoNetwork

CONTRACT_FILE = Path(__file__).resolve().parents[2] / "contracts" / "health.bao"
SUITES = {"gm": "gm: SM2 signatures, SM3 hashes, SM4", "intl": "intl: ECDSA P-256, SHA-256, AES-GCM"}
INDENT = "  "


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: raised where the demo was, like KeyboardInterrupt, and caught
    by `run` only (a BaseException, so that no `except Exception` on the way swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@click.command("demo", short_help="Run a claims network of four organisations and play a story on it.")
@click.option("--keep", is_flag=True, help="Leave the network running at the end, to explore it "
              "(`baochain network down DIR` stops it).")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Make the network in DIR (new or empty; kept at the end) instead of a temporary folder.")
@click.option("--suite", type=click.Choice(SUITE_NAMES), default="gm", show_default=True,
              help="The crypto suite of the CAs and the channel: gm (SM2/SM3/SM4) or intl (P-256/SHA-256).")
def demo(keep: bool, directory: Path | None, suite: str) -> None:
    """Start a network of four organisations on this machine (two insurers, a hospital and the
    regulator, each with its CA and node, on loopback), deploy the health direct-pay contract
    (contracts/health.bao), and play a short claims story on it: a policy issued and co-insured,
    two hospital bills adjudicated, a duplicate bill refused, the co-insurance statement read.
    Then print the outcome, each node's height and how to explore further, and shut the network
    down (--keep leaves it running).

    Exit status 0 when the story played, 1 when a step failed (the network is shut down), 130 on
    Ctrl-C (every node stopped, the temporary folder removed).

    \b
    Examples:
      baochain demo
      baochain demo --keep --dir demo-net --suite intl
    """
    sys.exit(run(keep=keep, directory=directory, suite=suite))


def run(*, keep: bool, directory: Path | None, suite: str, echo: Callable[..., Any] = click.echo) -> int:
    """The demo; its exit status (the package docstring says what each leaves behind)."""
    caught = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    doing = _Doing()
    net: DemoNetwork | None = None
    status = 1
    failure: tuple[str, tuple[str, ...]] | None = None
    try:
        module = _contract_module()
        from node.demo.lifecycle import DemoNetwork

        doing.now = "making the network"
        net = DemoNetwork(directory)
        _play(echo, doing, net, module, suite, keep)
        status = 0
    except Interrupted as exc:
        echo(f"\ninterrupted while {doing.now}: shutting the network down", err=True)
        status = 128 + exc.signum
    except story.StoryMismatch as exc:
        failure = (str(exc), ())
    except Exception as exc:
        message, detail = _failure(exc)
        if message is None:
            raise
        failure = (f"{doing.now} failed: {message}", detail)
    finally:
        for s in caught:  # shutting down is not interrupted: a second Ctrl-C waits for it
            signal.signal(s, signal.SIG_IGN)
        try:
            if net is not None:
                _finish(echo, net, leave_running=status == 0 and keep, keep_folder=keep and status <= 1)
        finally:
            for s, handler in caught.items():
                signal.signal(s, handler)
    if failure is not None:  # last, below the shutdown's lines, where it is seen
        echo(f"error: {_safe(failure[0])}", err=True)
        for line in failure[1]:
            echo(line, err=True)
    return status


class _Doing:
    """What the demo is doing, for the message of a failure or an interruption."""

    now = "compiling the contract"


def _play(echo: Callable[..., Any], doing: _Doing, net: DemoNetwork, module: bytes, suite: str,
          keep: bool) -> None:
    """Make and start the network, deploy, play the story, and print the outcome, the heights
    and how to explore."""
    from node.demo.ledger import NetworkLedger

    _header(echo, net.folder, net.temporary, suite, keep)
    echo("\nSetting up")
    index = net.make(suite, lambda line: echo(INDENT + _safe(line)))
    doing.now = "starting the nodes"
    apis = {n.name: n.api for n in index.nodes}
    started = net.start()
    for name, pid, _ in started:
        echo(f"{INDENT}started {name}: pid {pid}, api {apis.get(name, '?')}")
    echo(f"{INDENT}{len(started)} nodes ready")
    doing.now = "deploying the contract"
    with NetworkLedger(net.folder) as ledger:
        deployed = ledger.deploy(module)
        echo(f"{INDENT}deployed {CONTRACT} (contracts/{CONTRACT_FILE.name}) on channel {CHANNEL} in block "
             f"{deployed.block}; every transaction needs the endorsements of a majority of the "
             f"{len(CAST)} organisations")
        today = ledger.today()
        echo(f"\nThe story: health policy {story.POLICY_ID} of {story.HOLDER} ({today} on the channel's clock)")

        def starting(number: int, count: int, step: Step) -> None:
            doing.now = f"step {number} of {count} ({step.key}: {step.actor} calls {step.entry})"

        results = story.play(ledger, today, lambda n, c, s, o: _told(echo, n, c, s, o), starting)
        doing.now = "reading the nodes' heights"
        nodes = net.heights(at_least=ledger.height)
    echo("\nOutcome")
    for line in story.outcome_lines(results):
        echo(INDENT + line)
    echo(f"\nNodes (each says its own height of channel {CHANNEL})")
    width = max(len(n["name"]) for n in nodes)
    for n in nodes:
        echo(f"{INDENT}{n['name']:<{width}}  {n['org']:<8} height {n['height']}")
    _explore(echo, net.folder, keep, net.temporary, results, nodes)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _contract_module() -> bytes:
    if not CONTRACT_FILE.is_file():
        raise click.ClickException(f"the demo deploys {CONTRACT_FILE}, which is not there: run it from a "
                                   "checkout of baochain (pip install -e .)")
    from dsl.cli import module_bytes

    return module_bytes(CONTRACT_FILE, "the demo deploys the contract")


def _header(echo: Callable[..., Any], folder: Path, temporary: bool, suite: str, keep: bool) -> None:
    cast = ", ".join(f"{org} ({role})" for org, role in CAST)
    echo("Baochain demo: a health insurance network of four organisations on this machine")
    echo(f"{INDENT}{cast}; one channel, {CHANNEL}")
    echo(f"{INDENT}crypto suite {SUITES.get(suite, suite)}")
    ending = "kept" if keep else ("removed at the end" if temporary else "kept; the nodes stop at the end")
    echo(f"{INDENT}folder {_safe(str(folder))} ({ending})")


def _told(echo: Callable[..., Any], number: int, count: int, step: Step, outcome: Outcome) -> None:
    lines = step.tell(outcome).split("\n")
    if outcome.block is not None:
        lines[-1] += f"  [block {outcome.block}]"
    prefix = f"{INDENT}{number}/{count}  "
    echo(prefix + lines[0])
    for line in lines[1:]:
        echo(" " * len(prefix) + line)


def _explore(echo: Callable[..., Any], folder: Path, keep: bool, temporary: bool, results: story.Results,
             nodes: list[dict[str, Any]]) -> None:
    where = shlex.quote(str(folder)) if keep or not temporary else "DIR"
    on = f"--network {where} --channel {CHANNEL}"
    period = results["statement"].result["period"]
    refused = results["duplicate bill"]
    echo("\nExplore")
    if keep:
        echo(f"{INDENT}the network keeps running in {_safe(str(folder))}:")
    elif temporary:
        echo(f"{INDENT}this network is removed now; `baochain demo --keep --dir DIR` leaves one running, and then:")
    else:
        echo(f"{INDENT}the nodes stop now and {_safe(str(folder))} stays; `baochain network up {where}` starts them "
             "again, and then:")
    commands = [
        (f"baochain network status {where}", "each node: pid, height, state hash, peers"),
        (f"baochain contract query {CONTRACT} statement {story.INSURER} {period} {on} "
         f"--as {story.actor(story.REGULATOR)}", "the co-insurance statement, as the regulator"),
        (f"baochain contract query {CONTRACT} adjudication {story.FIRST_BILL} {on} "
         f"--as {story.actor(story.CO_INSURER)}", "how a bill was paid, as the co-insurer"),
    ]
    if refused.tx_id is not None:  # its id is this network's: a template's TXID is what that run prints
        tx_id = refused.tx_id if where != "DIR" else "TXID"
        commands.append((f"baochain tx show {tx_id} {on}", "the refused bill, as recorded"))
    if refused.block is not None:
        commands.append((f"baochain block show {refused.block} {on}", "the block that records it"))
    if keep:
        commands.append((f"baochain network down {where}", "stop the network when you are done"))
    for command, why in commands:
        echo(f"{INDENT}{_safe(command)}")
        echo(f"{INDENT}    # {why}")
    first = nodes[0]
    api = first["api"] if "://" in first["api"] else f"https://{first['api']}"
    echo(f"{INDENT}API of {first['name']}: {api}/healthz and /metrics unsigned (curl --cacert "
         f"{where}/orgs/{first['org']}/tls-ca/cert.pem); signed reads under /api/v1/channels/{CHANNEL} (docs/node.md)")


def _finish(echo: Callable[..., Any], net: DemoNetwork, *, leave_running: bool, keep_folder: bool) -> None:
    if leave_running:
        echo(f"\nThe network is running; `baochain network down {shlex.quote(str(net.folder))}` stops it.")
        return
    lines = net.stop()
    if keep_folder or not net.temporary:
        if lines:
            lines.append(f"kept {_safe(str(net.folder))}")
    elif net.remove():
        lines.append(f"removed {_safe(str(net.folder))}")
    if lines:
        echo("\nShutting down")
        for line in lines:
            echo(INDENT + line)


def _failure(exc: Exception) -> tuple[str | None, tuple[str, ...]]:
    """What to say of an exception a step may meet (None: a defect, left to show its traceback)."""
    from node.ca.errors import CAError
    from node.client.errors import ClientError
    from node.network.control import ControlError
    from node.network.errors import NetworkError

    if isinstance(exc, ControlError):
        return str(exc), exc.log
    if isinstance(exc, ClientError):
        return " ".join(exc.message.split()), ()
    if isinstance(exc, (NetworkError, CAError)):
        return str(exc), ()
    if isinstance(exc, OSError):
        return (f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc)), ()
    return None, ()


def _safe(text: str) -> str:
    from node.identity.names import escaped

    return escaped(text)

