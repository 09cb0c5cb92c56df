"""`baochain contract upgrade` and `baochain contract approve`, added to the `contract` group of
`node.client.cli`: a deployed contract's new version, with its admins' approvals.

    baochain contract upgrade FILE.bao --network DIR --channel CH --as admin@ORG --version V
                              [--name N] [--policy P] [--approve admin@ORG2 ...] [--approval FILE ...]
                              [--role R] [--json]
    baochain contract approve FILE.bao --network DIR --channel CH --as admin@ORG --version V
                              [--name N] [--policy P] -o FILE

FILE is built here as `contract deploy` builds it (a ``.baom`` is taken as it is), and the module's
bytes are what every approval signs. The upgrading admin (``--as``) approves too; each
``--approve`` signs with another identity of the wallet; each ``--approval`` reads an approval
that `contract approve` wrote, for admins whose keys are elsewhere (it must approve this very
upgrade: a file for another version, module, policy or channel is named and refused before
anything is sent). Without ``--policy`` the contract keeps its endorsement policy (read from a
node; `approve` reads it the same way unless ``--policy`` is given, and then needs no node).

The nodes decide whether the approvals come from admins of a majority of the channel's members
(`node.chain.upgrade`); a refusal is one line (``refused (upgrade): ...``), exit 1. The upgrade
runs no init and keeps the contract's state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from node.client.cli import _common, _gateway, _module, _print, _refusals, contract
from node.client.errors import ClientError


def _terms_options(command: Any) -> Any:
    for option in reversed([
        click.option("--version", "contract_version", required=True, metavar="V", help="The new version."),
        click.option("--name", metavar="N", help="The contract's name on the channel.  [default: the file's stem]"),
        click.option("--policy", metavar="P", help="The endorsement policy of the new version.  "
                                                   "[default: the contract's current one]"),
    ]):
        command = option(command)
    return command


@contract.command("upgrade", short_help="Upgrade a deployed contract, with its admins' approvals.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_common(require_identity=True)
@_terms_options
@click.option("--approve", "approvers", multiple=True, metavar="ID@ORG",
              help="Another admin of the wallet who approves (repeat for each).")
@click.option("--approval", "approval_files", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An approval written by `baochain contract approve` (repeat for each).")
@click.option("--role", metavar="R", help="The role to act in (when the identity holds several).")
@click.pass_context
@_refusals
def upgrade(ctx: click.Context, file: Path, network_dir: Path, channel: str, identity: str, as_json: bool,
            contract_version: str, name: str | None, policy: str | None, approvers: tuple[str, ...],
            approval_files: tuple[Path, ...], role: str | None) -> None:
    """Deploy FILE as version V of a deployed contract, keeping its state, with the approvals of
    the upgrading admin, of each --approve identity and of each --approval file."""
    from node.client.upgrade import UpgradeTerms, approve, check_matches, read_approval_file

    module = _module(file, as_json)
    name = name or file.stem
    with _gateway(ctx, network_dir, channel, identity) as gateway:
        network = gateway.network(channel)
        text = _policy_text(network, name, policy)
        terms = UpgradeTerms.of(gateway.suite, channel, name, contract_version, module, text)
        wallet = _wallet(network_dir)
        approvals = [approve(gateway.identity, channel, name, contract_version, module, text)]
        for label in approvers:
            approvals.append(approve(wallet.get(label), channel, name, contract_version, module, text))
        for path in approval_files:
            found, _, approval = read_approval_file(path)
            check_matches(path, found, terms)
            approvals.append(approval)
        done = network.upgrade(module, name, contract_version, text, approvals, role)
        network.spread(done.block)  # the next command may go to any node
    if as_json:
        _print({**done.to_json(), "contract": name, "version": contract_version, "policy": text})
    else:
        click.echo(f"upgraded {name} to version {contract_version} on {channel}: block {done.block}, "
                   f"tx {done.tx_id}")


@contract.command("approve", short_help="Write an admin's approval of an upgrade to a file.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--network", "network_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path), help="The network folder (for the wallet).")
@click.option("--channel", required=True, metavar="CH", help="The channel.")
@click.option("--as", "identity", required=True, metavar="ADMIN@ORG", help="The admin who approves.")
@_terms_options
@click.option("-o", "--output", required=True, metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="The approval file to write (a new file).")
@click.pass_context
@_refusals
def approve_command(ctx: click.Context, file: Path, network_dir: Path, channel: str, identity: str,
                    contract_version: str, name: str | None, policy: str | None, output: Path) -> None:
    """Sign, as an admin of the wallet, the upgrade of a contract to version V with FILE's module,
    and write the approval to a new file for the admin who submits the upgrade (--approval)."""
    from node.client.upgrade import UpgradeTerms, approve, write_approval_file

    module = _module(file, False)
    name = name or file.stem
    who = _wallet(network_dir).get(identity)
    if policy is None:
        with _gateway(ctx, network_dir, channel, identity) as gateway:
            policy = _policy_text(gateway.network(channel), name, None)
    approval = approve(who, channel, name, contract_version, module, policy)
    terms = UpgradeTerms.of(who.suite, channel, name, contract_version, module, policy)
    write_approval_file(output, who, terms, approval)
    click.echo(f"{who.label} approves {name} version {contract_version} on {channel} (module "
               f"{terms.module[:16]}..., policy '{terms.policy}'): {output}")


def _policy_text(network: Any, name: str, given: str | None) -> str:
    """The policy given, checked, or the contract's current one."""
    from node.tx.policy import PolicyError, parse_policy, policy_text

    if given is None:
        return str(policy_text(network.contract(name).policy()))
    try:
        return str(policy_text(parse_policy(given)))
    except PolicyError as exc:
        raise ClientError(f"policy {given!r}: {exc}") from None


def _wallet(network_dir: Path) -> Any:
    from node.client.netfile import NetworkFile

    return NetworkFile.load(network_dir).wallet
