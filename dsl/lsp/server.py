"""`baochain lsp`: the Bao language server, over stdio (pygls).

**Documents.** Full or incremental sync (pygls applies either; the server asks for incremental).
Every document opened is checked at once and every change after `DEBOUNCE` seconds without a
newer one; each check publishes the document's diagnostics, an empty list included, tagged with
the version checked. After `LIMITS_IDLE` seconds more without a change, the later phases run
(`Workspace.check_limits`) and their diagnostics, if any, are published with the checker's. A
check blocks the server's loop while it runs (the toolchain is synchronous and holds the GIL
anyway), so requests are answered in order, on the newest snapshot.

**Which snapshot answers.** Hover, definition and rename ask the newest snapshot that checked
(`_checked`); completion reads the text as it is now and the names of that snapshot; outline and
formatting the newest one that parsed. A file saved that is a module makes the workspace read
modules again and re-checks every open document.

**Errors.** A request the server declines (renaming a keyword, formatting a file that does not
parse) is answered with the protocol's RequestFailed error and the reason in words; nothing a
document holds ends the server (see `dsl.lsp.document`).
"""

from __future__ import annotations

import asyncio
from typing import Callable, TypeVar

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from dsl.diagnostics import Diagnostic
from dsl.lsp import features
from dsl.lsp.document import Snapshot, Workspace
from dsl.syntax import ast

DEBOUNCE = 0.015  # seconds without a newer change before a document is checked
LIMITS_IDLE = 0.4  # seconds more before the bytecode format's limits are checked
REQUEST_FAILED = -32803  # the protocol's LSPErrorCodes.RequestFailed

T = TypeVar("T")


class BaoServer(LanguageServer):
    """The server and what it knows of each open document (by URI)."""

    def __init__(self) -> None:
        super().__init__("baochain-lsp", "1.1")
        self.bao = Workspace()
        self.current: dict[str, Snapshot] = {}  # the newest snapshot of each document
        self.checked: dict[str, Snapshot] = {}  # the newest that got as far as an index
        self.parsed: dict[str, Snapshot] = {}  # the newest that parsed
        self.pending: dict[str, asyncio.Task[None]] = {}

    # -- checking ------------------------------------------------------------------------------
    def check_now(self, uri: str, by_pieces: bool = False) -> Snapshot:
        """Check the document as it is now and publish its diagnostics; ``by_pieces``: parse only
        the declaration changed since the newest snapshot that parsed (`dsl.lsp.pieces`)."""
        doc = self.workspace.get_text_document(uri)
        before = self.parsed.get(uri) if by_pieces else None
        snap = self.bao.check(features.fs_path(uri), doc.source, doc.version, before.parsed if before else None)
        self.current[uri] = snap
        if snap.tree is not None:
            self.parsed[uri] = snap
        if snap.index is not None:
            self.checked[uri] = snap
        self.publish(uri, snap, snap.diagnostics)
        return snap

    def publish(self, uri: str, snap: Snapshot, found: list[Diagnostic]) -> None:
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=snap.version,
            diagnostics=features.diagnostics(snap, found, self.workspace.position_codec)))

    def schedule(self, uri: str, delay: float) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._check_later(uri, delay))

    async def _check_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        first = self.check_now(uri, by_pieces=True)
        await asyncio.sleep(LIMITS_IDLE)
        snap = self.check_now(uri) if first.by_pieces else first
        more = self.bao.check_limits(snap)
        if more:
            self.publish(uri, snap, snap.diagnostics + more)

    def forget(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        for table in (self.current, self.checked, self.parsed):
            table.pop(uri, None)


def _answer(request: Callable[[], T]) -> T:
    """Run a request; a `features.Refusal` becomes the protocol's RequestFailed error."""
    try:
        return request()
    except features.Refusal as exc:
        raise JsonRpcException(message=str(exc), code=REQUEST_FAILED) from None


def build_server() -> BaoServer:
    server = BaoServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: BaoServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: BaoServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: BaoServer, params: lsp.DidSaveTextDocumentParams) -> None:
        snap = ls.parsed.get(params.text_document.uri)
        if snap is not None and isinstance(snap.tree, ast.SourceFile) and snap.tree.kind == "module":
            ls.bao.modules_changed()
            for uri in list(ls.current):
                ls.schedule(uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BaoServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        snap = ls.current.get(uri)
        ls.forget(uri)
        if snap is not None:
            ls.publish(uri, snap, [])

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: BaoServer, params: lsp.HoverParams) -> lsp.Hover | None:
        snap = ls.checked.get(params.text_document.uri)
        return features.hover(snap, params.position, ls.workspace.position_codec) if snap else None

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: BaoServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        snap = ls.checked.get(params.text_document.uri)
        return features.definition(snap, params.position, ls.workspace.position_codec) if snap else None

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
    def completion(ls: BaoServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        doc = ls.workspace.get_text_document(uri)
        now = Snapshot(features.fs_path(uri), doc.source, doc.version)
        good = ls.checked.get(uri)
        return features.completion(now, good.index if good else None, params.position, ls.workspace.position_codec)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    def rename(ls: BaoServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit:
        uri = params.text_document.uri
        snap = ls.checked.get(uri)
        if snap is None or snap is not ls.current.get(uri):
            snap = ls.check_now(uri)  # a rename edits the text as it is: never an older snapshot's
        return _answer(lambda: features.rename(snap, params.position, params.new_name,
                                               ls.workspace.position_codec, uri))

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: BaoServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        uri = params.text_document.uri
        snap = ls.current.get(uri)
        if snap is None or snap.text != ls.workspace.get_text_document(uri).source:
            snap = ls.check_now(uri)
        return _answer(lambda: features.formatting(snap, ls.workspace.position_codec))

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def outline(ls: BaoServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        snap = ls.parsed.get(params.text_document.uri)
        return features.outline(snap, ls.workspace.position_codec) if snap else []

    return server


def serve() -> None:
    """Serve one client over stdin and stdout until it exits."""
    build_server().start_io()
