"""The `baochain` command: the root group. Language tools are mounted from `dsl.cli`;
the CA and (later) network, node, channel and contract commands from their own modules."""

from __future__ import annotations

import click

from dsl.cli import LANGUAGE_COMMANDS
from node.ca.cli import ca
from node.client import upgrade_cli as _upgrade_commands  # noqa: F401  (adds upgrade, approve to `contract`)
from node.client.channel_cli import channel
from node.client.cli import CLIENT_COMMANDS
from node.client.session_cli import session
from node.daemon.main import node_group
from node.demo.cli import demo
from node.dev import dev
from node.network.cli import network
from node.network import commands as _network_commands  # noqa: F401  (adds up, status, down to the group)
from node.users.cli import user


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="baochain", prog_name="baochain")
def cli() -> None:
    """Baochain: a consortium blockchain for the insurance industry.

    Write contracts in Bao, check and test them locally, run a CA for your organisation,
    and run the nodes of a network.
    """


for _command in (*LANGUAGE_COMMANDS, ca, node_group, network, *CLIENT_COMMANDS, channel, user, session, demo, dev):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="baochain")
