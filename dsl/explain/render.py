"""From a `.bao` file to the finished document text, through the shared pipeline.

The whole document is built in memory before anything is written, so a contract with errors
(or a test file with errors, with `--with-tests`) yields diagnostics and never half a document.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsl.diagnostics import Code, CompileError, Diagnostic, DslError
from dsl.explain.acceptance import ExamplesError, collect_examples
from dsl.explain.build import build_document
from dsl.explain.html import render_html
from dsl.explain.markdown import render_markdown
from dsl.explain.model import Document
from dsl.explain.names import ContractNames
from dsl.pipeline import Compilation
from dsl.syntax import ast

FORMATS = ("html", "md")


class ExplainError(DslError):
    """The file cannot be explained: the diagnostics, with the sources they point into."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...], sources: dict[str, str]):
        super().__init__("\n".join(d.render(sources.get(d.span.file)) for d in diagnostics))
        self.diagnostics = diagnostics
        self.sources = sources


@dataclass(frozen=True, slots=True)
class Explained:
    document: Document
    warnings: tuple[Diagnostic, ...]  # the checker's warnings, for the caller to show
    sources: dict[str, str]


def explain_file(path: Path, lang: str = "en", with_tests: bool = False) -> Explained:
    """Check the contract and build its document; raises ExplainError on any error."""
    try:
        unit = Compilation.from_file(path)
    except CompileError as exc:
        raise ExplainError(exc.diagnostics, {}) from None
    sources = {unit.path: unit.source}
    try:
        tree = unit.tree
        if not isinstance(tree, ast.SourceFile):
            raise CompileError([Diagnostic(
                "a test file is not a contract: explain the contract it tests (with --with-tests)", tree.span,
                code=Code.B0306)])
        analysis = unit.analysis  # a contract with errors gets diagnostics, never half a document
    except CompileError as exc:
        raise ExplainError(exc.diagnostics, sources) from None
    modules = tuple(analysis.modules[d.module.name].tree for d in tree.decls if isinstance(d, ast.Use))
    names = ContractNames.of(tree, modules)
    examples = None
    if with_tests:
        try:
            examples = collect_examples(Path(path), analysis, names, lang)
        except ExamplesError as exc:
            raise ExplainError(exc.diagnostics, {**sources, **exc.sources}) from None
    document = build_document(analysis, unit.source, lang, examples)
    warnings = tuple(analysis.warnings)
    return Explained(document, warnings, sources)


def render(document: Document, fmt: str) -> str:
    return render_html(document) if fmt == "html" else render_markdown(document)
