"""Every `--help` a user can reach: listings are not cut short, every option says what it is for,
and the wording is the same across commands."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from node.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


COMMANDS = [((), cli), *_commands(cli)]


@pytest.mark.parametrize("path,command", COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_each_help_is_complete(path: tuple[str, ...], command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    # A summary cut with "..." in a command listing hides what the command does.
    if "Commands:" in result.output:
        assert "..." not in result.output.split("Commands:")[1], result.output
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{' '.join(path)} {param.opts[0]} has no help"
    # One word for a folder, as the rest of the help text says it.
    assert "DIRECTORY" not in result.output
