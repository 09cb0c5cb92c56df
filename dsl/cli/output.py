"""What every language command shares: reading a file into the pipeline, reporting diagnostics,
writing a file, and ending the command.

Diagnostics go to standard error, each with the source line it points into; a command's summary
(`2 files ok, 1 with errors`) goes to standard output. Every command ends through `finish` (its exit
status) or `fail` (a message, then status 1): the one exit path, so that no command ends in the
middle of its output or with a traceback for a user's mistake.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from dsl.diagnostics import Code, CompileError, Diagnostic
from dsl.pipeline import Compilation
from dsl.semantics import ModuleLoader
from dsl.syntax import ast
from vm.files import write_atomically

# Exit statuses of every language command.
OK, FAILED, USAGE = 0, 1, 2


def finish(status: int) -> NoReturn:
    """End the command with `status` (OK, FAILED)."""
    raise click.exceptions.Exit(status)


def fail(message: str) -> NoReturn:
    """Say why on standard error and end the command with FAILED."""
    click.echo(message, err=True)
    finish(FAILED)


def echo_diagnostics(diagnostics: tuple[Diagnostic, ...], sources: dict[str, str]) -> None:
    """Each diagnostic with the source line it points into (when `sources` has its file), then the
    count of errors; all on standard error."""
    for d in diagnostics:
        click.echo(d.render(sources.get(d.span.file)), err=True)
    count = sum(d.is_error for d in diagnostics)
    click.echo(f"{count} error{'s' if count != 1 else ''}", err=True)


def sources(*units: Compilation) -> dict[str, str]:
    return {u.path: u.source for u in units}


def load(path: Path) -> Compilation:
    """The pipeline of one file, its `use`d modules searched beside it first. Raises OSError when
    the file cannot be read and CompileError when it is not UTF-8."""
    return Compilation.from_file(path, ModuleLoader((path.parent,)))


def cannot_read(path: Path, exc: OSError) -> NoReturn:
    fail(f"{path}: cannot read the file: {exc.strerror or exc}")


def module_bytes(path: Path, instead: str) -> bytes:
    """The module bytes of a contract, verified; a file that cannot be read or compiled is
    reported (FAILED). `instead` tells a user who gave a test file what to do with it."""
    try:
        unit = load(path)
    except CompileError as exc:  # not UTF-8: there is no source to quote
        echo_diagnostics(exc.diagnostics, {})
        finish(FAILED)
    except OSError as exc:
        cannot_read(path, exc)
    try:
        if isinstance(unit.tree, ast.TestFile):
            raise CompileError([Diagnostic(f"this is a test file: {instead}", unit.tree.span, code=Code.B0701)])
        return unit.verified.encoded
    except CompileError as exc:
        echo_diagnostics(exc.diagnostics, sources(unit))
        finish(FAILED)


def write_file(path: Path, data: bytes, option: str | None = None) -> None:
    """Replace `path` with `data` whole (`vm.files.write_atomically`). A path that cannot be written
    is a usage error on `option` when the user named it there, else a failure."""
    try:
        write_atomically(path, data)
    except OSError as exc:
        message = f"cannot write {path}: {exc.strerror or exc}"
        if option is not None:
            raise click.BadParameter(message, param_hint=f"'{option}'") from None
        fail(message)
