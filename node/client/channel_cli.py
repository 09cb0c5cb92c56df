"""`baochain channel show|update`: a network's channel configuration from the command line, through
the client library (`node.client.channel_config`), as identities of the network folder's wallet.

    baochain channel show   --network DIR --channel CH [--as ID@ORG] [--json]
    baochain channel update --network DIR --channel CH --as admin@ORG [--sign admin@ORG2 ...]
                            [--crl ORG ...] [--block-max-tx N] [--block-timeout-ms N]
                            [--gas-limit N] [--clock-skew-ms N] [--json]

``update`` reads the configuration in force, applies the changes, has ``--as`` and each ``--sign``
identity sign the result, submits it and waits until it is in force (every peer applies it at
the same height: it is ordered like a transaction). ``--crl ORG`` takes the CRL that ORG's CA
last issued (its CA home in the network folder, DIR/orgs/ORG/ca: `baochain ca revoke` writes it
there) into the configuration, so that the identities it revokes are refused from then on. The
channel needs the signatures of admins of a majority of its members; with too few the update is
recorded as refused and the command exits 1 with the reason (``not committed (CONFIG_REFUSED):
...``). Output: a few lines, or with ``--json`` one object (``show``: the configuration as the API
shows it, without its bytes; ``update``: ``tx_id``, ``code``, ``block``, ``sequence``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from node.client.cli import _common, _gateway, _print, _refusals
from node.client.errors import ClientError


@click.group("channel", short_help="Show and change a channel's configuration.")
def channel() -> None:
    """A network's channel: its configuration (members, CRLs, block size, limits), and changes to it
    signed by the members' admins."""


@channel.command("show", short_help="The channel's configuration in force.")
@_common(require_identity=False)
@click.pass_context
@_refusals
def show(ctx: click.Context, network_dir: Path, channel: str, identity: str | None, as_json: bool) -> None:
    """Show the configuration in force on the channel: its members with their CAs and CRLs, its
    regulators, orderer, block size and timeout, gas limit and clock-skew window."""
    from node.client.channel_config import read_config

    with _gateway(ctx, network_dir, channel, identity) as gateway:
        _, _, view = read_config(gateway.network(channel))
    view = {k: v for k, v in view.items() if k != "config"}
    for org in view["orgs"]:
        org.pop("root", None)
    if as_json:
        _print(view)
        return
    click.echo(f"channel {view['name']} ({view['suite']}), configuration {view['sequence']}, ordered by "
               f"{view['orderer']} ({view['consensus']})")
    for org in view["orgs"]:
        regulator = " (regulator)" if org["name"] in view["regulators"] else ""
        crls = ", ".join(f"CRL {c['number']} of {c['this_update'][:10]}: {c['revoked']} revoked" for c in org["crls"])
        click.echo(f"  {org['name']}{regulator}: CA {org['ca']!r}" + (f"; {crls}" if crls else "; no CRL"))
    click.echo(f"  blocks: at most {view['block_max_tx']} transactions or {view['block_timeout_ms']} ms; gas limit "
               f"{view['gas_limit']}; clock skew {view['clock_skew_ms']} ms; time zone "
               f"UTC{view['tz_offset_minutes'] // 60:+03d}:{view['tz_offset_minutes'] % 60:02d}")


@channel.command("update", short_help="Change the channel's configuration, signed by its admins.")
@_common(require_identity=True)
@click.option("--sign", "signers", multiple=True, metavar="ADMIN@ORG",
              help="Another admin of the wallet who signs the update (repeat for each).")
@click.option("--crl", "crl_orgs", multiple=True, metavar="ORG",
              help="Put the CRL that ORG's CA last issued (DIR/orgs/ORG/ca) into the configuration.")
@click.option("--block-max-tx", type=int, metavar="N", help="Cut a block at N transactions.")
@click.option("--block-timeout-ms", type=int, metavar="N", help="... or N ms after its first one arrived.")
@click.option("--gas-limit", type=int, metavar="N", help="The gas a call may use.")
@click.option("--clock-skew-ms", type=int, metavar="N", help="How far a proposal's time may be from a node's clock.")
@click.pass_context
@_refusals
def update(ctx: click.Context, network_dir: Path, channel: str, identity: str, as_json: bool,
           signers: tuple[str, ...], crl_orgs: tuple[str, ...], block_max_tx: int | None,
           block_timeout_ms: int | None, gas_limit: int | None, clock_skew_ms: int | None) -> None:
    """Change the channel's configuration: the CRLs of the --crl organisations, and the numbers
    given. The update is signed by --as and each --sign admin; admins of a majority of the
    channel's members must sign it."""
    from node.client.netfile import NetworkFile

    changes: dict[str, Any] = {k: v for k, v in (("block_max_tx", block_max_tx),
                                                  ("block_timeout_ms", block_timeout_ms), ("gas_limit", gas_limit),
                                                  ("clock_skew_ms", clock_skew_ms)) if v is not None}
    index = NetworkFile.load(network_dir)
    if crl_orgs:
        changes["crls"] = {org: _current_crl(index, org) for org in crl_orgs}
    if not changes:
        raise click.UsageError("nothing to change: give --crl ORG, --block-max-tx, --block-timeout-ms, --gas-limit "
                               "or --clock-skew-ms")
    labels = list(dict.fromkeys((identity, *signers)))
    who = [index.wallet.get(label) for label in labels]
    with _gateway(ctx, network_dir, channel, identity) as gateway:
        network = gateway.network(channel)
        done = network.update_config(changes, who)
        network.spread(done.block)  # the next command may go to any node
    if as_json:
        _print({**done.to_json(), "signed_by": labels})
        return
    click.echo(f"configuration {done.sequence} of {channel} is in force from block {done.block} on "
               f"(update {done.tx_id})")
    for key, value in changes.items():
        if key == "crls":
            click.echo("  CRLs of " + ", ".join(sorted(value)))
        else:
            click.echo(f"  {key} = {value}")


def _current_crl(index: Any, org: str) -> bytes:
    """The DER of the CRL ``org``'s CA last issued (its home in the network folder)."""
    from node.ca.authority import CertificateAuthority
    from node.ca.errors import CAError
    from node.identity import CertificateError

    home = index.ca_homes.get(org)
    if home is None:
        known = ", ".join(sorted(index.ca_homes)) or "none"
        raise ClientError(f"the network in {index.folder} keeps no CA of {org!r} (CAs of: {known}); its CRL has "
                          "to come from that organisation")
    try:
        return bytes(CertificateAuthority(home).current_crl().der)
    except (CAError, CertificateError) as exc:
        raise ClientError(f"{org}'s CA ({home}): {exc}") from None
    except OSError as exc:
        raise ClientError(f"{org}'s CA ({home}): cannot be read: {exc.strerror or exc}") from None
