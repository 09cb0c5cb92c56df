"""`baochain contract|tx|block`: a network's contracts, transactions and blocks from the command line,
through the client library (`node.client`), as an identity of the network folder's wallet.

    baochain contract deploy FILE.bao --network DIR --channel CH --as admin@ORG [--name N]
                                      [--version V] [--policy P] [--init JSON] [--role R] [--json]
    baochain contract invoke NAME ENTRY [ARGS...] --network DIR --channel CH --as ID@ORG [--role R] [--json]
    baochain contract query  NAME ENTRY [ARGS...] --network DIR --channel CH --as ID@ORG [--role R] [--json]
    baochain tx show TXID --network DIR --channel CH [--as ID@ORG] [--json]
    baochain block show N --network DIR --channel CH [--as ID@ORG] [--json]

ARGS are read as `baochain run` reads them (`dsl.cli.run`): JSON values, a bare word that is
not JSON being Text. ``--init`` is a JSON array of init's arguments (another JSON value is its one
argument). A deploy compiles FILE here, with the diagnostics `baochain check` gives, and deploys
the module (a ``.baom`` built with `baochain build` is deployed as it is); ``--name`` defaults to
the file's stem. ``tx show`` and ``block show`` read as ``--as``, by default the wallet's admin
of the first member organisation of the channel.

A command that commits (deploy, invoke; `baochain contract upgrade` and `baochain channel update`
too) returns once every node of the channel that answers holds its block, or after 5 s
(`Network.spread`): the next command, another process, may reach any node, and one that had not
yet committed a deploy would refuse the contract as unknown.

Output: a few lines for people, or with ``--json`` one object: invoke and deploy -> ``tx_id``,
``code``, ``block``, ``result`` (section 7's JSON form), ``events``; query -> ``result``; ``tx show``
-> the status with the transaction's contract, entry, creator and events; ``block show`` -> the
block as the API shows it. A refused call exits 1 with one line saying why (with ``--json``, an
object with ``code`` and ``message``: for an abort, CONTRACT_ABORT and the contract's own
message); a usage mistake exits 2. Unreachable nodes are named with what went wrong.

Tests inject the HTTP connection: ``obj={"connect": callable}`` on the click context is passed
to the `Gateway` (`connect(node) -> httpx.Client`).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from node.client.errors import ClientError

if TYPE_CHECKING:
    from node.client.gateway import Gateway
    from node.client.netfile import NetworkFile

_JSON_HELP = "Print one JSON object (a refusal: {\"code\", \"message\"})."


def _common(require_identity: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(command: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option("--network", "network_dir", required=True, metavar="DIR",
                         type=click.Path(file_okay=False, path_type=Path),
                         help="The network folder (`baochain network init`)."),
            click.option("--channel", required=True, metavar="CH", help="The channel."),
            click.option("--as", "identity", required=require_identity, metavar="ID@ORG",
                         help="The wallet identity to act as." if require_identity else
                         "The wallet identity to read as.  [default: the admin of the channel's first member]"),
            click.option("--json", "as_json", is_flag=True, help=_JSON_HELP),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return wrap


def _refusals(command: Callable[..., Any]) -> Callable[..., Any]:
    """A `ClientError` ends the command with one line (or one JSON object) and exit status 1."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except ClientError as exc:
            message = " ".join(exc.message.split())  # one line, whatever the node wrote
            if kwargs.get("as_json"):
                click.echo(json.dumps({"code": exc.code, "message": message}, ensure_ascii=False))
            else:
                click.echo(f"{_word(exc)}: {message}", err=True)
            sys.exit(1)

    return run


def _word(exc: ClientError) -> str:
    from node.client.errors import ContractAborted, Refused, TransactionFailed

    if isinstance(exc, ContractAborted):
        return "aborted"
    if isinstance(exc, TransactionFailed):
        return f"not committed ({exc.code})"
    if isinstance(exc, Refused):
        return f"refused ({exc.code})"
    return "error"


def _gateway(ctx: click.Context, network_dir: Path, channel: str, identity: str | None) -> Gateway:
    from node.client.gateway import Gateway
    from node.client.netfile import NetworkFile

    index = NetworkFile.load(network_dir)
    if identity is None:
        identity = _default_reader(index, channel)
    options: dict[str, Any] = {"tls_roots": index.tls_roots}
    if isinstance(ctx.obj, dict) and ctx.obj.get("connect") is not None:
        options["connect"] = ctx.obj["connect"]
    return Gateway(index.wallet.get(identity), index.nodes, **options)


def _default_reader(index: NetworkFile, channel: str) -> str:
    orgs = index.channels.get(channel)
    if orgs is None:
        raise ClientError(f"the network in {index.folder} has no channel {channel!r} (it has: "
                          f"{', '.join(sorted(index.channels)) or 'none'})")
    held = index.wallet.labels()
    for org in orgs:
        if f"admin@{org}" in held:
            return f"admin@{org}"
    for label in held:
        if label.rpartition("@")[2] in orgs:
            return label
    raise ClientError(f"the wallet {index.wallet.folder} holds no identity of a member of {channel!r}; "
                      "give one with --as")


def _args(args: tuple[str, ...]) -> list[Any]:
    from dsl.cli.run import _json_arg

    return [_json_arg(i, a) for i, a in enumerate(args, 1)]


def _print(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


# --- contract

@click.group("contract", short_help="Deploy, invoke and query contracts on a network.")
def contract() -> None:
    """Deploy, invoke and query contracts on a network's channel, as an identity of its wallet."""


@contract.command("deploy", short_help="Deploy a contract on a channel.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_common(require_identity=True)
@click.option("--name", metavar="N", help="The contract's name on the channel.  [default: the file's stem]")
@click.option("--version", "contract_version", default="1", show_default=True, metavar="V", help="Its version.")
@click.option("--policy", default="majority", show_default=True, metavar="P",
              help="The endorsement policy: 'any of A, B', 'N of A, B, C', 'all' or 'majority'.")
@click.option("--init", "init_json", metavar="JSON", help="init's arguments: a JSON array (or one JSON value).")
@click.option("--role", metavar="R", help="The role to act in (when the identity holds several).")
@click.pass_context
@_refusals
def deploy(ctx: click.Context, file: Path, network_dir: Path, channel: str, identity: str, as_json: bool,
           name: str | None, contract_version: str, policy: str, init_json: str | None, role: str | None) -> None:
    """Compile FILE (Bao source, or a module built with `baochain build`) and deploy it on the
    channel, endorsed as its policy asks, running its init with --init's arguments."""
    init_args = _init_args(init_json)
    code = _module(file, as_json)
    with _gateway(ctx, network_dir, channel, identity) as gateway:
        network = gateway.network(channel)
        done = network.deploy(code, name or file.stem, contract_version, policy, init_args, role)
        network.spread(done.block)  # the next command may go to any node
    if as_json:
        _print({**done.to_json(), "contract": name or file.stem, "version": contract_version})
    else:
        click.echo(f"deployed {name or file.stem} version {contract_version} on {channel}: block {done.block}, "
                   f"tx {done.tx_id}")


def _module(file: Path, as_json: bool) -> bytes:
    """FILE's module: built here, so that its diagnostics are shown as `baochain check` shows them
    (under --json, the first of them is the refusal's message)."""
    if file.suffix == ".baom":
        try:
            return file.read_bytes()
        except OSError as exc:
            raise ClientError(f"{file}: cannot read the file: {exc.strerror or exc}") from None
    if not as_json:
        from dsl.cli import module_bytes

        return module_bytes(file, f"deploy the contract it tests, not {file.name}")
    from dsl.syntax import ast
    from dsl.diagnostics import CompileError
    from dsl.pipeline import Compilation
    from dsl.semantics import ModuleLoader

    try:
        unit = Compilation.from_file(file, ModuleLoader((file.parent,)))
        if isinstance(unit.tree, ast.TestFile):
            raise ClientError(f"{file} is a test file: deploy the contract it tests")
        encoded: bytes = unit.verified.encoded
        return encoded
    except CompileError as exc:
        error = ClientError(exc.diagnostics[0].render())
        error.code = "compile"
        raise error from None
    except OSError as exc:
        raise ClientError(f"{file}: cannot read the file: {exc.strerror or exc}") from None


def _init_args(text: str | None) -> list[Any]:
    if text is None:
        return []
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise click.BadParameter("not JSON: give a JSON array of init's arguments", param_hint="'--init'") from None
    return value if isinstance(value, list) else [value]


@contract.command("invoke", short_help="Call an action: endorse, order, commit.")
@click.argument("name")
@click.argument("entry")
@click.argument("args", nargs=-1)
@_common(require_identity=True)
@click.option("--role", metavar="R", help="The role to act in (when the identity holds several).")
@click.option("--record-abort", is_flag=True, help="Record an abort on the ledger (as CONTRACT_ABORT).")
@click.pass_context
@_refusals
def invoke(ctx: click.Context, name: str, entry: str, args: tuple[str, ...], network_dir: Path, channel: str,
           identity: str, as_json: bool, role: str | None, record_abort: bool) -> None:
    """Call ENTRY of contract NAME with ARGS; returns once the transaction has committed."""
    values = _args(args)
    with _gateway(ctx, network_dir, channel, identity) as gateway:
        network = gateway.network(channel)
        done = network.contract(name).submit(entry, *values, role=role, record_abort=record_abort)
        network.spread(done.block)  # the next command may go to any node
    if as_json:
        _print(done.to_json())
        return
    click.echo(f"{done.code}: block {done.block}, tx {done.tx_id}")
    if done.result is not None:
        click.echo("result: " + json.dumps(done.result, ensure_ascii=False))
    for event in done.events:
        click.echo(f"event {event['event']} " + json.dumps(event["fields"], ensure_ascii=False))


@contract.command("query", short_help="Call a view on any live node.")
@click.argument("name")
@click.argument("entry")
@click.argument("args", nargs=-1)
@_common(require_identity=True)
@click.option("--role", metavar="R", help="The role to act in (when the identity holds several).")
@click.pass_context
@_refusals
def query(ctx: click.Context, name: str, entry: str, args: tuple[str, ...], network_dir: Path, channel: str,
          identity: str, as_json: bool, role: str | None) -> None:
    """Run the view ENTRY of contract NAME with ARGS and print its result."""
    values = _args(args)
    with _gateway(ctx, network_dir, channel, identity) as gateway:
        result = gateway.network(channel).contract(name).evaluate(entry, *values, role=role)
    _print({"result": result} if as_json else result)


# --- tx, block

@click.group("tx", short_help="Show transactions.")
def tx() -> None:
    """Transactions of a network's channel."""


@tx.command("show", short_help="A transaction's status and what it did.")
@click.argument("tx_id", metavar="TXID")
@_common(require_identity=False)
@click.pass_context
@_refusals
def tx_show(ctx: click.Context, tx_id: str, network_dir: Path, channel: str, identity: str | None,
            as_json: bool) -> None:
    """Show transaction TXID: pending, unknown, or committed with its code, block and events."""
    tx_id = tx_id.lower()
    with _gateway(ctx, network_dir, channel, identity) as gateway:
        net = gateway.network(channel)
        status, _ = net.read("GET", f"/transactions/{tx_id}", f"read transaction {tx_id}")
        detail: dict[str, Any] = {}
        if status["status"] == "committed":
            detail = net.block(status["block"])["transactions"][status["index"]]
    out = {**status, **{k: detail.get(k) for k in ("kind", "contract", "entry", "creator", "events")}}
    if out.get("code_name"):  # as `contract invoke --json` says it: the code's name (its number stays in the API)
        out["code"] = out["code_name"]
    if as_json:
        _print(out)
        return
    click.echo(f"transaction {out['tx_id']}: {out['status']}")
    if out["status"] == "committed":
        click.echo(f"  code: {out['code_name']} ({out['explanation']})")
        click.echo(f"  block {out['block']}, position {out['index']}")
        if out["contract"]:
            creator = out["creator"] or {}
            click.echo(f"  {out['kind']} {out['contract']}" + (f".{out['entry']}" if out["entry"] else "")
                       + (f" by {creator.get('name')}@{creator.get('org')} as {creator.get('role')}" if creator else ""))
        if out["message"]:
            click.echo(f"  message: {' '.join(out['message'].split())}")
        for event in out["events"] or ():
            click.echo(f"  event {event['event']} " + json.dumps(event["fields"], ensure_ascii=False))


@click.group("block", short_help="Show blocks.")
def block() -> None:
    """Blocks of a network's channel."""


@block.command("show", short_help="A block's header and transactions.")
@click.argument("ref", metavar="N")
@_common(require_identity=False)
@click.pass_context
@_refusals
def block_show(ctx: click.Context, ref: str, network_dir: Path, channel: str, identity: str | None,
               as_json: bool) -> None:
    """Show block N (a number; or a block id in hex): its header and each transaction's code."""
    with _gateway(ctx, network_dir, channel, identity) as gateway:
        found = gateway.network(channel).block(ref)
    if as_json:
        _print(found)
        return
    click.echo(f"block {found['number']}  id {found['id']}")
    click.echo(f"  previous {found['previous']}")
    click.echo(f"  state before {found['state_hash']}, after {found['state_after']}")
    click.echo(f"  time {found['time']} ms, {len(found['transactions'])} transaction(s)")
    for t in found["transactions"]:
        what = t["kind"] or "?"
        if t["contract"]:
            what += f" {t['contract']}" + (f".{t['entry']}" if t["entry"] else "")
        click.echo(f"  [{t['index']}] {t['code_name']:<22} {what}" + (f"  tx {t['tx_id']}" if t["tx_id"] else ""))


CLIENT_COMMANDS = (contract, tx, block)
