"""`baochain explain`: a contract rendered as a document (`dsl.explain`), written to standard
output or a file; diagnostics on standard error, like every language command."""

from __future__ import annotations

from pathlib import Path

import click

from dsl.cli.output import FAILED, echo_diagnostics, fail, finish, write_file
from dsl.diagnostics import CompileError
from dsl.explain import FORMATS, LANGUAGES, ExplainError, explain_file, render


@click.command("explain", short_help="Render a contract as a document for business readers.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the document to this file (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: one self-contained page with state diagrams; md: Markdown with Mermaid diagrams.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of the fixed phrases and the descriptions (identifiers stay as written; a "
                   "description the contract lacks in this language is shown in the other, marked).")
@click.option("--with-tests", is_flag=True,
              help="Add the contract's scenarios (NAME.test.bao beside it) as acceptance examples with their outcome.")
def explain(file: Path, output: Path | None, fmt: str, lang: str, with_tests: bool) -> None:
    """Render a contract as a document that underwriters, claims staff, auditors and the
    regulator can read and sign off: parties, records, lifecycles as state diagrams, and each
    action as plain steps with its formulas, in English or Chinese."""
    if output is not None and output.exists() and output.resolve() == file.resolve():
        raise click.BadParameter(f"{output} is the contract itself; writing the document there would destroy it",
                                 param_hint="'-o'")
    try:
        explained = explain_file(file, lang, with_tests)
    except ExplainError as exc:
        echo_diagnostics(exc.diagnostics, exc.sources)
        finish(FAILED)
    except CompileError as exc:  # a file that cannot be decoded (the test file, with --with-tests)
        echo_diagnostics(exc.diagnostics, {})
        finish(FAILED)
    except OSError as exc:
        fail(f"{exc.filename or file}: cannot read the file: {exc.strerror or exc}")
    for w in explained.warnings:
        click.echo(w.render(explained.sources.get(w.span.file)), err=True)
    text = render(explained.document, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    write_file(output, text.encode("utf-8"), "-o")
