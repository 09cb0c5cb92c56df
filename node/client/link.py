"""One node's HTTP API as the client calls it: every request signed, every answer sorted into a
result, a refusal, or "this node cannot answer now".

- Each request carries the signature headers (`node.api.signature`) over the request target
  exactly as httpx sends it. The signer never uses one millisecond twice, so two requests that
  are otherwise alike never look like a replay to a node.
- A connection failure, a timeout, or a 5xx answer (503 ``behind``: the node lacks the height
  asked for; ``unavailable``: its orderer is unreachable) raise `NodeDown`: the caller asks
  another node. A 4xx answer raises `node.client.errors.Refused` with the API's code word.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from node.api.errors import read_refusal
from node.api.signature import HEADER_MIN_HEIGHT, sign_request
from node.client.errors import Refused
from node.client.netfile import NodeAddress
from node.client.wallet import Identity
from node.tx.clock import now_ms

BINARY = "application/octet-stream"


class NodeDown(Exception):
    """Node ``node`` did not answer (``reason`` says how); another node may."""

    def __init__(self, node: str, reason: str) -> None:
        super().__init__(f"{node}: {reason}")
        self.node = node
        self.reason = reason


# The last time each identity (by certificate) signed a request in this process. A node refuses a
# signed request it has seen (same certificate, same signed message), and two requests alike in
# the same millisecond sign the same message: so times strictly increase per identity across
# every gateway of the process, not only within one (two gateways of one identity, in two
# threads, polling the same route, would otherwise collide now and then).
_LAST_SIGNED: dict[bytes, int] = {}
_LAST_SIGNED_LOCK = threading.Lock()


class RequestSigner:
    """Signs requests as ``identity``, with strictly increasing times (per identity, process-wide)."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def time_ms(self) -> int:
        key = self.identity.der
        with _LAST_SIGNED_LOCK:
            last = max(now_ms(), _LAST_SIGNED.get(key, 0) + 1)
            _LAST_SIGNED[key] = last
            return last

    def headers(self, method: str, target: str, body: bytes) -> dict[str, str]:
        i = self.identity
        return sign_request(i.suite, i.key, i.der, method, target, self.time_ms(), body)


class NodeLink:
    """Signed requests to one node."""

    def __init__(self, node: NodeAddress, http: httpx.Client, signer: RequestSigner) -> None:
        self.node = node
        self.http = http
        self.signer = signer

    @property
    def name(self) -> str:
        return self.node.name

    def call(self, method: str, path: str, *, body: bytes = b"", params: dict[str, Any] | None = None,
             min_height: int | None = None, timeout_s: float | None = None) -> httpx.Response:
        """The node's 2xx answer; `NodeDown` or `Refused` otherwise (see the module docstring)."""
        headers = {"content-type": BINARY} if body else {}
        if min_height:
            headers[HEADER_MIN_HEIGHT] = str(min_height)
        extra: dict[str, Any] = {} if timeout_s is None else {"timeout": timeout_s}
        try:
            request = self.http.build_request(method, path, content=body or None, params=params, headers=headers,
                                              **extra)
            request.headers.update(self.signer.headers(method, request.url.raw_path.decode("ascii"), body))
            answer = self.http.send(request)
        except httpx.TimeoutException:
            raise NodeDown(self.name, f"no answer from {self.node.api} in time") from None
        except httpx.TransportError as exc:
            raise NodeDown(self.name, f"cannot reach {self.node.api}: {exc or type(exc).__name__}") from None
        if answer.status_code < 300:
            return answer
        code, message = read_refusal(answer)
        if answer.status_code >= 500:
            raise NodeDown(self.name, f"{code}: {message}")
        raise Refused(code, message, status=answer.status_code, node=self.name)

    def json(self, method: str, path: str, **kw: Any) -> Any:
        answer = self.call(method, path, **kw)
        try:
            return answer.json()
        except ValueError:
            raise NodeDown(self.name, "answered with something that is not JSON") from None

    def close(self) -> None:
        self.http.close()
