"""One pipeline for every language tool: source → tree → analysis → module → encoded bytes →
verified module → translation.

`Compilation` wraps one source file; each phase runs on first use (``cached_property``) on what
the phase before it handed on, and every tool asks it for the phase it needs: `check`, `build` and
`run` go to the verified module (the bytecode format's limits are found on the way, and `check`
must refuse what `build` would), `fmt` takes the tree, `explain` the analysis. No tool parses on
its own.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from dsl.bytecode_limits import SourceMap, max_module_bytes, verifier_refusal
from dsl.codegen import CompilerDefect, compile_with_sources
from dsl.diagnostics import Code, CompileError, Diagnostic
from dsl.semantics import Analysis, ModuleLoader, check
from dsl.syntax import ast, parse_source
from vm.errors import VerifyError
from vm.gas import DEFAULT_LIMITS
from vm.module import Module, encode_module
from vm.translate import TranslateError, Translation, translate
from vm.verify import VerifiedModule, verify


def _not_utf8(path: str, data: bytes, exc: UnicodeDecodeError) -> Diagnostic:
    """Point at the first byte that is not UTF-8: its line, and its column in characters."""
    before = data[:exc.start]
    line = before.count(b"\n") + 1
    col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
    return Diagnostic(f"file is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason})",
                      ast.Span(path, line, col, line, col + 1), hint="save the file as UTF-8", code=Code.B0101)


class Compilation:
    """The phases of one `.bao` source file."""

    def __init__(self, source: str, path: str = "<memory>", loader: ModuleLoader | None = None):
        self.source = source
        self.path = path
        self.loader = loader or ModuleLoader((Path(path).parent,) if path != "<memory>" else ())

    @classmethod
    def from_file(cls, path: str | Path, loader: ModuleLoader | None = None) -> "Compilation":
        p = Path(path)
        data = p.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CompileError([_not_utf8(str(p), data, exc)]) from None
        return cls(text, str(p), loader)

    @cached_property
    def tree(self) -> ast.SourceFile | ast.TestFile:
        return parse_source(self.source, self.path)

    @cached_property
    def analysis(self) -> Analysis:
        """The checked contract or module; raises CompileError."""
        tree = self.tree
        if not isinstance(tree, ast.SourceFile):
            raise CompileError([Diagnostic("a test file is not a contract: check its target instead",
                                           tree.span, code=Code.B0306)])
        return check(tree, self.loader)

    @cached_property
    def _compiled(self) -> tuple[Module, SourceMap]:
        analysis = self.analysis
        try:
            return compile_with_sources(analysis)
        except CompilerDefect as exc:  # our bug, never the author's: said so, at the contract
            raise CompileError([Diagnostic(f"internal error: the compiler failed: {exc}", analysis.tree.name.span,
                                           "this is a defect of the compiler; please report it with this file",
                                           code=Code.B0901)]) from None

    @property
    def module(self) -> Module:
        """The compiled module; CompileError where it would pass a limit of the bytecode format
        (`dsl.bytecode_limits`)."""
        return self._compiled[0]

    @cached_property
    def encoded(self) -> bytes:
        data = encode_module(self.module)
        if len(data) > max_module_bytes():
            raise CompileError([Diagnostic(
                f"the compiled contract is {len(data):,} bytes, more than the {max_module_bytes():,} a module may be "
                "(with the modules it uses)", self.analysis.tree.name.span, "split it into several contracts",
                code=Code.B0603)])
        return data

    @cached_property
    def verified(self) -> VerifiedModule:
        """The module as the VM's verifier accepted it: where `check` stops and what `build` writes,
        so `check` refuses what `build` would. A refusal is a compile error at the source its
        instruction came from."""
        try:
            return verify(self.encoded)
        except VerifyError as exc:
            raise CompileError([verifier_refusal(str(exc), self._compiled[1], self.analysis.tree.name.span)]) from None

    @cached_property
    def translation(self) -> Translation:
        """The verified module's functions translated to Python (`vm.translate`), as a machine
        runs them under the default limits: the last phase, reading the module the verifier
        proved. A translator's refusal is its defect, never the author's: reported as one."""
        try:
            return translate(self.verified, DEFAULT_LIMITS.collection_length, DEFAULT_LIMITS.nesting)
        except TranslateError as exc:
            raise CompileError([Diagnostic(f"internal error: the translator failed: {exc}", self.analysis.tree.name.span,
                                           "this is a defect of the VM; please report it with this file",
                                           code=Code.B0901)]) from None
