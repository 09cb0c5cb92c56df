"""`baochain network …`: a local network of nodes in one folder. This module holds the `network`
group and its `init` command; `up`, `status` and `down` join the group from their own modules.

A refused command prints ``error: …`` on stderr (a spec error with its line of the file and a
caret when the column is known) and exits 1; a usage mistake exits 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from node.ca.errors import CAError
from node.crypto.suite import SUITE_NAMES
from node.identity.names import escaped
from node.network.errors import NetworkError, SpecError
from node.network.init import init_network
from node.network.spec import DEFAULT_CHANNEL, DEFAULT_ROLE, MAX_ORGS, load_spec, spec_for_orgs

DEFAULT_SUITE = "gm"


class Refused(click.ClickException):
    """One refusal: ``error: …`` on stderr (escaped: it quotes paths and names as given), exit 1."""

    exit_code = 1

    def __init__(self, message: str, detail: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.detail = detail

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {escaped(self.format_message())}", err=True)
        for line in self.detail:
            click.echo(line, err=True)


def _source_lines(error: SpecError) -> tuple[str, ...]:
    """The spec's line the error is on, and a caret under its column, as compilers show them."""
    if error.line is None:
        return ()
    try:
        lines = Path(error.file).read_text("utf-8", errors="replace").split("\n")
        text = escaped(lines[error.line - 1].rstrip("\r"))
    except (OSError, IndexError):
        return ()
    gutter = f"{error.line:>4} | "
    shown = [gutter + text]
    if error.column is not None:
        shown.append(" " * (len(gutter) + error.column - 1) + "^")
    return tuple(shown)


@click.group("network", short_help="Make and run a local network of nodes.")
def network() -> None:
    """Make and run a local network: every organisation's CA, identities and node in one folder,
    on this machine's loopback."""


@network.command(short_help="Make a network's CAs, identities, node configurations and genesis blocks.")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="The network spec (TOML): suite, [[orgs]] name and roles, [[channels]] name, orgs, regulators.")
@click.option("--orgs", "org_count", type=click.IntRange(1, MAX_ORGS), metavar="N",
              help=f"Instead of a spec: organisations Org1..OrgN, each with the role {DEFAULT_ROLE}, "
                   f"all in one channel named {DEFAULT_CHANNEL!r}.")
@click.option("--suite", type=click.Choice(SUITE_NAMES),
              help=f"With --orgs: the crypto suite of the CAs and the channel (default {DEFAULT_SUITE}).")
def init(directory: Path, spec_file: Path | None, org_count: int | None, suite: str | None) -> None:
    """Make a network in DIR, a new or empty folder: for each organisation a CA (its passphrase
    beside it), a wallet of client identities (admin@ORG and ROLE@ORG, certificate and
    unencrypted key), and a node (peer identity, transport certificate, node.toml with free
    ports of 127.0.0.1); for each channel its genesis block; and DIR/network.json, the index
    that `network up` and the client read.

    Keys are unencrypted and CA passphrases lie beside the CAs: a network for one machine.

    \b
    Examples:
      baochain network init net --orgs 3
      baochain network init net --orgs 2 --suite intl
      baochain network init net --spec network.toml
    """
    if (spec_file is None) == (org_count is None):
        raise click.UsageError("give either --spec FILE or --orgs N")
    if spec_file is not None and suite is not None:
        raise click.UsageError("--suite goes with --orgs; a spec names its suite itself")
    try:
        spec = load_spec(spec_file) if spec_file is not None else spec_for_orgs(org_count or 0, suite or DEFAULT_SUITE)
        index = init_network(spec, directory, progress=lambda line: click.echo(escaped(line)))
    except SpecError as exc:
        raise Refused(str(exc), _source_lines(exc)) from None
    except (NetworkError, CAError) as exc:
        raise Refused(str(exc)) from None
    except OSError as exc:
        raise Refused(f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc)) from None
    count = f"{len(index.orgs)} organisation" + ("s" if len(index.orgs) != 1 else "")
    click.echo(escaped(f"made a network of {count} ({index.suite}) in {directory}"))
    for node in index.nodes:
        click.echo(escaped(f"  node {node.name} ({node.org}): p2p {node.p2p}, api {node.api}"))
    click.echo(escaped("  wallet: " + ", ".join(w.id for w in index.wallet)))
    click.echo(escaped(f"next: baochain network up {directory}"))
