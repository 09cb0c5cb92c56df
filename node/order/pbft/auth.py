"""Signing and checking PBFT messages through an injected signer and verifier.

The replica never holds keys or picks an algorithm: it is given

- a `Signer`: ``sign(data) -> signature``, signing as this replica;
- a `Verifier`: ``verify(author, data, signature) -> bool``, which knows every replica's public key
  and answers False (never raises) for an unknown author or a wrong or malformed signature.

In the node both are the channel's `CryptoSuite` (`suite_signer`, `suite_verifier`); the
simulation uses HMAC-SHA256 with a key per replica, which is fast and still lets no replica speak
for another. What is signed is the codec list ``[SIGNING_TAG, domain, author, body]``: the tag
keeps PBFT signatures apart from every other signature a node makes with the same key, the domain
(the channel) keeps one channel's votes out of another, and the author ties the signature to the
name the message claims.

Messages are often checked more than once (a prepare on arrival, then inside a view change and a
new view), so verified signatures are remembered, by their exact bytes, in a bounded memo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from node import codec
from node.order.pbft.config import PbftConfig
from node.recent import Recent
from node.order.pbft.messages import AnyMessage, Batch, Message, Signed, encode_body

SIGNING_TAG = "baochain/pbft/1"
MEMO_SIZE = 8192  # about two view changes' worth of headers at n = 7, L = 64

Signer = Callable[[bytes], bytes]
Verifier = Callable[[str, bytes, bytes], bool]
Hasher = Callable[[bytes], bytes]


def signing_bytes(domain: str, author: str, body: bytes) -> bytes:
    return codec.encode([SIGNING_TAG, domain, author, body])


class Authenticator:
    """Signs this replica's messages and checks others', for one configuration."""

    def __init__(self, config: PbftConfig, me: str, signer: Signer, verifier: Verifier, hasher: Hasher) -> None:
        self._config = config
        self._me = me
        self._signer = signer
        self._verifier = verifier
        self._known = frozenset(config.replicas)
        self._memo: Recent[tuple[str, bytes, bytes], None] = Recent(MEMO_SIZE)
        self.hash = hasher
        self.null_digest = hasher(Batch(0, ()).to_bytes())

    def sign(self, message: AnyMessage, batch: bytes | None = None) -> Signed[AnyMessage]:
        body = encode_body(message)
        signature = self._signer(signing_bytes(self._config.domain, self._me, body))
        return Signed(self._me, message, body, signature, (batch,) if batch is not None else ())

    def verify(self, signed: Signed[Message]) -> bool:
        """True when a replica of the configuration signed this message (its author's own key)."""
        if signed.author not in self._known:
            return False
        key = (signed.author, signed.body, signed.signature)
        if key in self._memo:
            return True
        try:
            ok = bool(self._verifier(signed.author, signing_bytes(self._config.domain, signed.author, signed.body),
                                     signed.signature))
        except Exception:  # a verifier must not raise; if one does, the message is refused, not the replica
            ok = False
        if ok:
            self._memo.put(key, None)
        return ok

    def batch_digest(self, batch: bytes) -> bytes:
        return self.hash(batch)


def suite_signer(suite: Any, private_key: Any) -> Signer:
    """A `Signer` over a `node.crypto.CryptoSuite` and this replica's key."""
    return lambda data: suite.sign(private_key, data)


def suite_verifier(suite: Any, public_keys: Mapping[str, Any]) -> Verifier:
    """A `Verifier` over a `node.crypto.CryptoSuite` and the replicas' public keys, by name."""

    def verify(author: str, data: bytes, signature: bytes) -> bool:
        key = public_keys.get(author)
        return key is not None and suite.verify(key, data, signature)

    return verify
