"""Another node's API as this node calls it: an endorsement asked for over HTTP, the request signed
with this node's own peer identity (`node.api.signature`), as the client library signs its own.

The node's one-request invoke (`node.api.invoking`) asks the nodes of the organisations a
contract's policy needs; the ones of other organisations are reached here, through their HTTP
API, the way any client reaches them: the peer identity is a current identity of a member
organisation, so their gate admits it like any member's client, and their refusals come back
with the API's code words. Choices, each with its reason:

- Every answer sorts into an endorsement's bytes, a refusal of the proposal (`ProposalRefused`
  with the other node's code and message: the caller's mistake, final), or "that node cannot
  answer now" (`EndorserUnavailable`: a connection that fails, a timeout, a 5xx such as 503
  ``behind``), after which another node is asked. The same split as the client's
  (`node.client.link`), for the same reason.
- The request asks for this node's height (``X-Baochain-Min-Height``): an endorser behind this
  node waits for it (at most its own bound) rather than simulate on older state, whose result
  would not match this node's endorsement.
- Request times strictly increase (as the client library's), so two requests alike in all but
  time are never taken for a replay.
- The network view (`node.api.network`) reads the other nodes' ``/api/v1/node`` and channel
  views through `PeerApi.get`, with the same identity and the same split (a refusal there is
  one more way of not answering: nothing of the caller's is at stake).
- How a peer is reached (its URL, plain HTTP on loopback or HTTPS with its organisation's
  transport root) is the caller's ``connect``: the daemon builds it from node.toml, tests from
  in-process apps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

from node.api.errors import read_refusal
from node.api.runtime import EndorserUnavailable
from node.api.signature import HEADER_MIN_HEIGHT, sign_request
from node.chain.endorser import ProposalRefused
from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey
from node.tx.clock import now_ms

ENDORSE_TIMEOUT_S = 15.0  # above the endorser's own wait for a height (10 s), so its 503 comes back
_BINARY = "application/octet-stream"


class PeerApi:
    """Signed calls to other nodes' APIs as the peer identity ``certificate`` (DER) with ``key``;
    ``connect(name)`` gives the client for a node (None: no such peer)."""

    def __init__(self, suite: CryptoSuite, certificate: bytes, key: PrivateKey,
                 connect: Callable[[str], httpx.AsyncClient | None]) -> None:
        self.suite = suite
        self.certificate = certificate
        self._key = key
        self._connect = connect
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._last = 0
        self._lock = threading.Lock()

    def _time(self) -> int:
        with self._lock:
            self._last = max(now_ms(), self._last + 1)
            return self._last

    def _client(self, node: str) -> httpx.AsyncClient:
        client = self._clients.get(node)
        if client is None:
            client = self._connect(node)
            if client is None:
                raise EndorserUnavailable(node, "this node knows no API address (or transport root) for it")
            self._clients[node] = client
        return client

    async def endorse(self, node: str, channel: str, signed_proposal: bytes, min_height: int = 0) -> bytes:
        """``node``'s endorsement of ``signed_proposal`` (see the module docstring)."""
        client = self._client(node)
        headers = {"content-type": _BINARY}
        if min_height:
            headers[HEADER_MIN_HEIGHT] = str(min_height)
        try:
            request = client.build_request("POST", f"/api/v1/channels/{channel}/endorse", content=signed_proposal,
                                           headers=headers, timeout=ENDORSE_TIMEOUT_S)
            request.headers.update(sign_request(self.suite, self._key, self.certificate, "POST",
                                                request.url.raw_path.decode("ascii"), self._time(), signed_proposal))
            answer = await client.send(request)
        except httpx.TimeoutException:
            raise EndorserUnavailable(node, "no answer in time") from None
        except httpx.HTTPError as exc:
            raise EndorserUnavailable(node, f"cannot be reached: {exc or type(exc).__name__}") from None
        if answer.status_code == 200:
            return answer.content
        code, message = read_refusal(answer)
        if answer.status_code >= 500:
            raise EndorserUnavailable(node, f"{code}: {message}")
        raise ProposalRefused(code, message)

    def address(self, node: str) -> str | None:
        """The base URL this node reaches ``node``'s API at (None: it knows none)."""
        try:
            return str(self._client(node).base_url).rstrip("/")
        except EndorserUnavailable:
            return None

    async def get(self, node: str, path: str, timeout_s: float) -> Any:
        """``node``'s JSON answer to a signed GET of ``path``; `EndorserUnavailable` (that node
        cannot answer now, or refused: the reason says which) otherwise."""
        client = self._client(node)
        try:
            request = client.build_request("GET", path, timeout=timeout_s)
            request.headers.update(sign_request(self.suite, self._key, self.certificate, "GET",
                                                request.url.raw_path.decode("ascii"), self._time(), b""))
            answer = await client.send(request)
        except httpx.TimeoutException:
            raise EndorserUnavailable(node, f"no answer within {timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise EndorserUnavailable(node, f"cannot be reached: {exc or type(exc).__name__}") from None
        if answer.status_code != 200:
            code, message = read_refusal(answer)
            raise EndorserUnavailable(node, f"{code}: {message}")
        try:
            return answer.json()
        except ValueError:
            raise EndorserUnavailable(node, "its answer is not JSON") from None

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


def transport_roots(paths: Iterable[Path]) -> dict[str, bytes]:
    """The transport roots (PEM) of ``paths`` by the organisation each names (its subject's O):
    a client trusts a node's API certificate only from its own organisation's transport CA
    (`node.api.transport`). A file that does not read is left out: the links refuse it anyway."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    roots: dict[str, bytes] = {}
    for path in paths:
        try:
            pem = path.read_bytes()
            orgs = x509.load_pem_x509_certificate(pem).subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        except (OSError, ValueError):
            continue
        if len(orgs) == 1 and isinstance(orgs[0].value, str):
            roots[orgs[0].value] = roots.get(orgs[0].value, b"") + pem
    return roots
