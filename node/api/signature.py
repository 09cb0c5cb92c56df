"""Signed API requests: what a client signs and which headers carry it (docs/node.md, "HTTP API").

Every request that reads or changes a channel carries three headers:

    X-Baochain-Certificate   base64 of the caller's certificate, DER
    X-Baochain-Time          the caller's clock, milliseconds since 1970 (decimal digits)
    X-Baochain-Signature     base64 of the suite signature over the codec list
                             ["baochain/api/1", METHOD, PATH_WITH_QUERY, TIME, hash(BODY)]

METHOD is upper case (``GET``); PATH_WITH_QUERY is the request target exactly as sent on the
wire (percent-encoded path, then ``?`` and the query when there is one: what httpx calls
``url.raw_path`` and ASGI ``raw_path`` + ``query_string``); TIME is the header's value as an
integer; hash and signature are the certificate's suite's (the channel's, for a member). The
tag makes an API signature worthless as a proposal or envelope signature, although the same
keys sign those (`node.tx.signing`).

Optional: ``X-Baochain-Min-Height: n`` asks a channel read to wait until the node has n blocks
(read-your-writes; the node waits at most `MIN_HEIGHT_WAIT_S`).

This module is pure (no web framework): the client library signs with it, the API checks with it.
"""

from __future__ import annotations

import base64

from node import codec
from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey

API_TAG = "baochain/api/1"
HEADER_CERTIFICATE = "X-Baochain-Certificate"
HEADER_TIME = "X-Baochain-Time"
HEADER_SIGNATURE = "X-Baochain-Signature"
HEADER_MIN_HEIGHT = "X-Baochain-Min-Height"
MIN_HEIGHT_WAIT_S = 10.0


def request_message(suite: CryptoSuite, method: str, target: str, time_ms: int, body: bytes) -> bytes:
    """The bytes a request signature covers."""
    return codec.encode([API_TAG, method.upper(), target, time_ms, suite.hash(body)])


def sign_request(suite: CryptoSuite, key: PrivateKey, certificate: bytes, method: str, target: str,
                 time_ms: int, body: bytes = b"") -> dict[str, str]:
    """The three headers of a request signed by the holder of ``certificate`` (DER) and ``key``."""
    signature = suite.sign(key, request_message(suite, method, target, time_ms, body))
    return {
        HEADER_CERTIFICATE: base64.b64encode(certificate).decode("ascii"),
        HEADER_TIME: str(time_ms),
        HEADER_SIGNATURE: base64.b64encode(signature).decode("ascii"),
    }
