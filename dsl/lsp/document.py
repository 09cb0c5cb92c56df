"""One version of an open document, checked: `Snapshot`, and the `Workspace` that makes them.

A snapshot holds what the pipeline made of the text (`dsl.pipeline.Compilation`): its
diagnostics, and, where the phases got that far, the tree, the analysis and its `Index`. The
editor asks its questions of the newest snapshot that got as far as the question needs (an
outline needs a tree, a hover an analysis): while a person types, the text in between rarely
parses, and the last good analysis still answers.

Checking is in two stages, so a keystroke is answered at the speed of the checker: `check`
runs the phases up to the analysis (every lexical, syntax, name and type problem, with the
checker's warnings); `check_limits` goes on to the verified module, as `baochain check` does,
for the bytecode format's limits, and is run when the typing stops.

**Caches.** `use`d modules are parsed and checked once per `ModuleLoader` (its own cache); the
workspace keeps one loader per folder for as long as no module changes, so a keystroke in a
contract never parses `stdlib/insurance.bao` again. A module open in the editor is read from
disk like any other (the loader reads files): its edits reach the contracts that use it when it
is saved, and then every loader is dropped.

Nothing a document holds makes `check` raise: a problem of the text is a diagnostic, and a
defect of the toolchain is reported as one too (B0901), so that the server answers every
document.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

from dsl.codegen import verified_tests
from dsl.diagnostics import Code, CompileError, Diagnostic, DslError
from dsl.lsp.index import Index
from dsl.lsp.pieces import Parsed, reparse
from dsl.pipeline import Compilation
from dsl.scenarios import load_target
from dsl.semantics import Analysis, ModuleLoader, check_tests
from dsl.syntax import ast


@dataclass
class Snapshot:
    """One version of a document and what the pipeline made of it."""

    path: str
    text: str
    version: int | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: ast.SourceFile | ast.TestFile | None = None
    analysis: Analysis | None = None
    index: Index | None = None
    compilation: Compilation | None = None
    by_pieces: bool = False  # parsed by its changed declaration only (`dsl.lsp.pieces`)

    @property
    def parsed(self) -> Parsed | None:
        """The text and its tree, where it parsed as a contract or module."""
        return Parsed(self.text, self.tree) if isinstance(self.tree, ast.SourceFile) else None

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines() or [""]


# What a defect of the toolchain raises (never a problem of the text, which is a CompileError).
_DEFECTS = (DslError, RecursionError, ValueError, KeyError, TypeError, AttributeError, AssertionError, IndexError)


def _defect(path: str, exc: BaseException) -> Diagnostic:
    last = traceback.extract_tb(exc.__traceback__)[-1:]
    where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
    return Diagnostic(f"internal error: the toolchain failed on this text: {type(exc).__name__}: {exc}{where}",
                      ast.Span(path, 1, 1, 1, 1), "this is a defect of the toolchain; please report it with this file",
                      code=Code.B0901)


class Workspace:
    """Makes snapshots; keeps one module loader per folder (see the module's docstring)."""

    def __init__(self) -> None:
        self._loaders: dict[Path, ModuleLoader] = {}

    def loader(self, path: str) -> ModuleLoader:
        folder = Path(path).parent
        if folder not in self._loaders:
            self._loaders[folder] = ModuleLoader((folder,))
        return self._loaders[folder]

    def modules_changed(self) -> None:
        """A module was saved: forget every module read so far."""
        self._loaders.clear()

    def check(self, path: str, text: str, version: int | None, previous: Parsed | None = None) -> Snapshot:
        """The phases up to the analysis (for a test file: up to its checked scenarios). Given the
        ``previous`` text that parsed, only the declaration the edit changed is parsed again where
        that gives the same tree (`dsl.lsp.pieces`)."""
        snap = Snapshot(path, text, version)
        try:
            unit = Compilation(text, path, self.loader(path))
            snap.compilation = unit
            if previous is not None:
                snap.by_pieces = True  # a problem the piece raises is its answer too
                tree = reparse(previous, text, path)
                if tree is not None:
                    unit.tree = tree  # the pipeline's first phase, done by pieces
                snap.by_pieces = tree is not None
            snap.tree = unit.tree
            if isinstance(snap.tree, ast.TestFile):
                target = load_target(Path(path), snap.tree)
                verified_tests(check_tests(snap.tree, target.analysis))
            else:
                snap.analysis = unit.analysis
                snap.index = Index(snap.analysis)
                snap.diagnostics = list(snap.analysis.warnings)
        except CompileError as exc:
            snap.diagnostics = list(exc.diagnostics)
        except OSError as exc:  # the contract a test file names, or a module, cannot be read
            where = ast.Span(path, 1, 1, 1, 1)
            snap.diagnostics = [Diagnostic(f"cannot read {exc.filename or 'a file'}: {exc.strerror or exc}", where,
                                           code=Code.B0100)]
        except _DEFECTS as exc:  # a defect, not the author's: reported, and the server goes on
            snap.diagnostics = [_defect(path, exc)]
        return snap

    def check_limits(self, snap: Snapshot) -> list[Diagnostic]:
        """What the later phases add for a contract or module that checked: the bytecode format's
        limits and the verifier's refusals (as `baochain check` reports them)."""
        if snap.compilation is None or snap.analysis is None:
            return []
        try:
            snap.compilation.verified
        except CompileError as exc:
            return list(exc.diagnostics)
        except _DEFECTS as exc:
            return [_defect(snap.path, exc)]
        return []
