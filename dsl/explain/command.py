"""`baochain explain`: the click command (mounted by `dsl.cli.commands`). Only this layer prints."""

from __future__ import annotations

from pathlib import Path

import click

from dsl.diagnostics import CompileError
from dsl.explain.phrases import LANGUAGES
from dsl.explain.render import FORMATS, ExplainError, explain_file, render
from vm.files import write_atomically


@click.command("explain", short_help="Render a contract as a document for business readers.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the document to this file (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: one self-contained page with state diagrams; md: Markdown with Mermaid diagrams.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the fixed phrases (identifiers and comments stay as written).")
@click.option("--with-tests", is_flag=True,
              help="Add the contract's scenarios (NAME.test.bao beside it) as acceptance examples with their outcome.")
def explain(file: Path, output: Path | None, fmt: str, lang: str, with_tests: bool) -> None:
    """Render a contract as a document that underwriters, claims staff, auditors and the
    regulator can hold against the policy wording: parties, records, lifecycles as state
    diagrams, and each action as plain steps with its formulas."""
    if output is not None and output.exists() and output.resolve() == file.resolve():
        raise click.BadParameter(f"{output} is the contract itself; writing the document there would destroy it",
                                 param_hint="'-o'")
    try:
        explained = explain_file(file, lang, with_tests)
    except ExplainError as exc:
        _fail(exc.diagnostics, exc.sources)
    except CompileError as exc:  # a file that cannot be decoded (the test file, with --with-tests)
        _fail(exc.diagnostics, {})
    except OSError as exc:
        click.echo(f"{exc.filename or file}: cannot read the file: {exc.strerror or exc}", err=True)
        raise click.exceptions.Exit(1)
    for w in explained.warnings:
        click.echo(w.render(explained.sources.get(w.span.file)), err=True)
    text = render(explained.document, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text)


def _fail(diagnostics, sources: dict[str, str]) -> None:
    for d in diagnostics:
        click.echo(d.render(sources.get(d.span.file)), err=True)
    count = sum(d.is_error for d in diagnostics)
    click.echo(f"{count} error{'s' if count != 1 else ''}", err=True)
    raise click.exceptions.Exit(1)


def _write(output: Path, text: str) -> None:
    """Replace `output` with the document whole, so a reader never sees half of one."""
    try:
        write_atomically(output, text.encode("utf-8"))
    except OSError as exc:
        raise click.BadParameter(f"cannot write {output}: {exc.strerror or exc}", param_hint="'-o'") from None
