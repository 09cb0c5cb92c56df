"""Keys for the PBFT tests: HMAC-SHA256 signatures with a key per replica (fast, and no replica
can sign for another), and client requests tagged under the clients' key so that a faulty
replica cannot make up a request (the replicas' `accept_request` check is `request_check`)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable


def _mac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def replica_key(name: str) -> bytes:
    return hashlib.sha256(b"replica key " + name.encode()).digest()


def hmac_signer(name: str) -> Callable[[bytes], bytes]:
    key = replica_key(name)
    return lambda data: _mac(key, data)


def hmac_verifier(names: tuple[str, ...]) -> Callable[[str, bytes, bytes], bool]:
    keys = {n: replica_key(n) for n in names}

    def verify(author: str, data: bytes, signature: bytes) -> bool:
        key = keys.get(author)
        return key is not None and hmac.compare_digest(_mac(key, data), signature)

    return verify


CLIENT_KEY = b"the clients' key"


def client_request(client: int, number: int) -> bytes:
    body = f"c{client}:{number}:".encode()
    return body + _mac(CLIENT_KEY, body)[:8]


def request_check(request: bytes) -> bool:
    body, tag = request[:-8], request[-8:]
    return len(request) > 8 and hmac.compare_digest(_mac(CLIENT_KEY, body)[:8], tag)


def request_client(request: bytes) -> int:
    return int(request.split(b":", 1)[0][1:])
