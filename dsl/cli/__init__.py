"""The language commands of `baochain`: `check`, `build`, `disasm`, `fmt`, `test`, `run` and
`explain`, as click commands (`LANGUAGE_COMMANDS`, which `node.cli` mounts on its root group), and
`module_bytes`, the verified module of a contract as the commands that deploy one read it. Only
this layer (and the REST API) turns the toolchain's errors into output (`dsl.cli.output`).
"""

import click

from dsl.cli.commands import build, check, disasm, fmt, test_command
from dsl.cli.output import module_bytes
from dsl.cli.run import run
from dsl.cli.explain import explain
from dsl.lsp.command import lsp

LANGUAGE_COMMANDS: list[click.Command] = [check, build, disasm, fmt, test_command, run, explain, lsp]

__all__ = ["LANGUAGE_COMMANDS", "module_bytes"]
