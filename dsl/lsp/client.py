"""A small synchronous client of the protocol, for driving a real `baochain lsp` process: the
tests (tests/dsl/lsp) and the benchmark (bench/lsp.py) use it.

`Client.start(argv)` runs the server as a subprocess and frames JSON-RPC messages on its stdin
and stdout (`Content-Length` headers, as the protocol's base layer says); a reader thread queues
what the server sends. Every wait is bounded and says what it waited for when it times out
(`Timeout`); `close` ends the server (shutdown, exit, then kill by pid if it lingers) and is
safe to call twice and after a failure.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import threading
import time
from typing import IO, Any, Callable

Message = dict[str, Any]


class Timeout(AssertionError):
    """The server did not send what was waited for in time."""


class ResponseError(Exception):
    """The server answered a request with an error."""

    def __init__(self, error: Message):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message", "")


def _read_messages(stream: IO[bytes], out: "queue.Queue[Message | None]") -> None:
    try:
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if length is None:
                continue
            out.put(json.loads(stream.read(length)))
    finally:
        out.put(None)  # the server's output ended


class Client:
    """One server process and the messages it sent that nobody has read yet."""

    def __init__(self, process: subprocess.Popen[bytes]):
        self.process = process
        self._ids = itertools.count(1)
        self._incoming: queue.Queue[Message | None] = queue.Queue()
        self._unread: list[Message] = []
        self._reader = threading.Thread(target=_read_messages, args=(process.stdout, self._incoming), daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, argv: list[str], root_uri: str | None = None, timeout: float = 30.0) -> "Client":
        """Start the server and go through the protocol's initialize handshake."""
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        client = cls(process)
        try:
            client.request("initialize", {"processId": None, "rootUri": root_uri, "capabilities": {}}, timeout)
            client.notify("initialized", {})
        except BaseException:
            client.close()
            raise
        return client

    # -- sending -------------------------------------------------------------------------------
    def _send(self, message: Message) -> None:
        body = json.dumps(message).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 10.0) -> Any:
        """Send a request and wait for its answer; raises ResponseError for an error answer."""
        rid = next(self._ids)
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        reply = self.wait(lambda m: m.get("id") == rid and "method" not in m, timeout, f"the answer to {method}")
        if "error" in reply:
            raise ResponseError(reply["error"])
        return reply.get("result")

    # -- receiving -----------------------------------------------------------------------------
    def wait(self, match: Callable[[Message], bool], timeout: float, what: str) -> Message:
        """The first message (read or not yet) that ``match``es, removed from the unread ones."""
        for i, m in enumerate(self._unread):
            if match(m):
                return self._unread.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"waited {timeout} s for {what}; the server is "
                              f"{'running' if self.process.poll() is None else f'gone ({self.process.returncode})'}")
            try:
                got = self._incoming.get(timeout=left)
            except queue.Empty:
                continue
            if got is None:
                raise Timeout(f"the server's output ended while waiting for {what} (exit {self.process.poll()})")
            m = got
            if "method" in m and "id" in m:  # a request of the server's own (configuration, ...): answered empty
                self._send({"jsonrpc": "2.0", "id": m["id"], "result": None})
                continue
            if match(m):
                return m
            self._unread.append(m)

    def diagnostics(self, uri: str, timeout: float = 10.0, version: int | None = None) -> list[Message]:
        """The next diagnostics published for ``uri`` (of ``version``, when given)."""
        def match(m: Message) -> bool:
            p = m.get("params") or {}
            return (m.get("method") == "textDocument/publishDiagnostics" and p.get("uri") == uri
                    and (version is None or p.get("version") == version))
        return list(self.wait(match, timeout, f"diagnostics for {uri} (version {version})")["params"]["diagnostics"])

    def drop_unread(self) -> None:
        self._unread.clear()
        while True:
            try:
                m = self._incoming.get_nowait()
            except queue.Empty:
                return
            if m is None:
                self._incoming.put(None)
                return

    # -- documents -----------------------------------------------------------------------------
    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify("textDocument/didOpen",
                    {"textDocument": {"uri": uri, "languageId": "bao", "version": version, "text": text}})

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify("textDocument/didChange",
                    {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})

    def at(self, method: str, uri: str, line: int, character: int, **extra: Any) -> Any:
        """A request about one position of a document (0-based line and character)."""
        return self.request(method, {"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
                                     **extra})

    # -- ending --------------------------------------------------------------------------------
    def close(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            try:
                self.request("shutdown", None, timeout)
                self.notify("exit", None)
                self.process.wait(timeout)
            except (Timeout, ResponseError, OSError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
