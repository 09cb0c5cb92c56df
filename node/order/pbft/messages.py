"""PBFT messages: their fields, their one encoding, and the checks of form made on decoding.

Every message travels signed (the package docstring lists the types and what each means). On the
wire a message is the codec (`node.codec`) encoding of the map

    {"author": replica name, "body": bytes, "sig": bytes, "batches": [bytes, ...]}

where ``body`` is the codec encoding of a map with a ``"type"`` field and the type's fields, and
``sig`` is the author's signature over ``[SIGNING_TAG, domain, author, body]`` (`node.order.pbft.auth`).
``batches`` is present only on a pre-prepare and on a committed bundle, and then holds exactly one
batch: it is outside the signature because the signed body names the batch by its digest, so the
signature costs the same whatever the batch's size, a pre-prepare can be relayed with or without
its batch, and certificates (view changes, new views) carry only the small signed headers.

A batch is ``{"time": ms, "requests": [request bytes, ...]}`` and its digest the hash of that
encoding; the null batch (no requests, time 0) fills sequence numbers a new view leaves empty.

Decoding checks form only: exactly the listed fields, their types and bounds, the types of nested
signed messages, and the canonical encoding (so bytes name one message). Signatures, authors,
quorums and the agreement between nested messages are checked by `node.order.pbft.certificates`
and the replica, which know the configuration and the keys. Every refusal is a `MessageError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar, Union, cast

from node import codec
from node.order.pbft.config import DIGEST_SIZE, NAME_MAX_CHARACTERS, PbftConfig
from node.recent import Recent
from node.tx import wire
from node.tx.errors import TxFormatError

SIGNATURE_MAX_BYTES = 512  # DER ECDSA/SM2 signatures take at most 72; HMAC 32
COUNTER_MAX = 2**63 - 1


class MessageError(ValueError):
    """Bytes that are not a well-formed PBFT message (the text names the field)."""


M = TypeVar("M", covariant=True)  # the type of a signed message: Signed[Prepare] holds a Prepare
K = TypeVar("K")
AnyMessage = TypeVar("AnyMessage", bound="Message")  # one of the message types below, kept as itself


@dataclass(frozen=True, slots=True)
class Batch:
    time_ms: int
    requests: tuple[bytes, ...]

    @property
    def is_null(self) -> bool:
        return not self.requests

    def to_bytes(self) -> bytes:
        return codec.encode({"time": self.time_ms, "requests": list(self.requests)})


NULL_BATCH = Batch(0, ())


@dataclass(frozen=True, slots=True)
class Request:
    request: bytes


@dataclass(frozen=True, slots=True)
class PrePrepare:
    view: int
    seq: int
    digest: bytes


@dataclass(frozen=True, slots=True)
class Prepare:
    view: int
    seq: int
    digest: bytes


@dataclass(frozen=True, slots=True)
class Commit:
    view: int
    seq: int
    digest: bytes


_VOTES: dict[str, type[PrePrepare | Prepare | Commit]] = {"pre-prepare": PrePrepare, "prepare": Prepare, "commit": Commit}


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    state: bytes


@dataclass(frozen=True, slots=True)
class PreparedProof:
    """A prepared certificate: the pre-prepare and quorum - 1 matching prepares from backups."""

    pre_prepare: Signed[PrePrepare]
    prepares: tuple[Signed[Prepare], ...]


@dataclass(frozen=True, slots=True)
class ViewChange:
    view: int  # the view the author moves to
    checkpoint: tuple[Signed[Checkpoint], ...]  # the proof of its last stable checkpoint; empty for sequence 0
    prepared: tuple[PreparedProof, ...]  # one per sequence number above it that it prepared

    @property
    def stable(self) -> int:
        return self.checkpoint[0].message.seq if self.checkpoint else 0


@dataclass(frozen=True, slots=True)
class NewView:
    view: int
    view_changes: tuple[Signed[ViewChange], ...]
    pre_prepares: tuple[Signed[PrePrepare], ...]


@dataclass(frozen=True, slots=True)
class Status:
    view: int
    active: bool
    executed: int
    stable: int


@dataclass(frozen=True, slots=True)
class Committed:
    """A relayed commit certificate: quorum matching commits; the batch travels beside it."""

    commits: tuple[Signed[Commit], ...]


@dataclass(frozen=True, slots=True)
class CheckpointProof:
    """A relayed stable checkpoint: quorum matching checkpoint messages."""

    proof: tuple[Signed[Checkpoint], ...]


Message: TypeAlias = Union[Request, PrePrepare, Prepare, Commit, Checkpoint, ViewChange, NewView, Status,
                           Committed, CheckpointProof]


@dataclass(frozen=True, slots=True)
class Signed(Generic[M]):
    """A message with its author and signature. ``body`` is the message's canonical encoding (what
    is signed); ``batches`` ride along unsigned, each bound by a digest inside the body."""

    author: str
    message: M
    body: bytes
    signature: bytes
    batches: tuple[bytes, ...] = field(default=())

    @property
    def kind(self) -> str:
        return TYPE_NAMES[type(self.message)]

    def to_bytes(self) -> bytes:
        m: dict[str, Any] = {"author": self.author, "body": self.body, "sig": self.signature}
        if self.batches:
            m["batches"] = list(self.batches)
        return codec.encode(m)

    def without_batches(self) -> Signed[M]:
        return self if not self.batches else Signed(self.author, self.message, self.body, self.signature)


def of_kind(signed: Signed[Message], kind: type[K]) -> Signed[K]:
    """``signed`` typed as a signed ``kind``: the one place where the type of a signed message is
    narrowed, after decoding or dispatch found its message to be a ``kind`` (a mismatch is a bug)."""
    if not isinstance(signed.message, kind):
        raise TypeError(f"a signed {TYPE_NAMES[type(signed.message)]}, not a {TYPE_NAMES[kind]}")
    return cast("Signed[K]", signed)


TYPE_NAMES: dict[type, str] = {
    Request: "request", PrePrepare: "pre-prepare", Prepare: "prepare", Commit: "commit",
    Checkpoint: "checkpoint", ViewChange: "view-change", NewView: "new-view", Status: "status",
    Committed: "committed", CheckpointProof: "checkpoint-proof",
}
_CARRIES_BATCH = (PrePrepare, Committed)


def encode_body(message: Message) -> bytes:
    """The canonical encoding of a message's fields (what its author signs)."""
    m: dict[str, Any] = {"type": TYPE_NAMES[type(message)]}
    match message:
        case Request(request):
            m["request"] = request
        case PrePrepare(view, seq, digest) | Prepare(view, seq, digest) | Commit(view, seq, digest):
            m.update(view=view, seq=seq, digest=digest)
        case Checkpoint(seq, state):
            m.update(seq=seq, state=state)
        case ViewChange(view, checkpoint, prepared):
            m.update(view=view, checkpoint=[s.to_bytes() for s in checkpoint],
                     prepared=[{"pre_prepare": p.pre_prepare.to_bytes(), "prepares": [s.to_bytes() for s in p.prepares]}
                               for p in prepared])
        case NewView(view, view_changes, pre_prepares):
            m.update(view=view, view_changes=[s.to_bytes() for s in view_changes],
                     pre_prepares=[s.to_bytes() for s in pre_prepares])
        case Status(view, active, executed, stable):
            m.update(view=view, active=active, executed=executed, stable=stable)
        case Committed(commits):
            m["commits"] = [s.to_bytes() for s in commits]
        case CheckpointProof(proof):
            m["proof"] = [s.to_bytes() for s in proof]
    return codec.encode(m)


def message_max_bytes(config: PbftConfig) -> int:
    """The largest message a replica reads: a batch plus the largest certificate (a new view of
    n view changes, each with `window` prepared certificates of n signed headers) at 1 KiB a header."""
    header = 1024
    view_change = header * (config.n + config.window * config.n)
    return batch_max_encoded(config) + 64 * 1024 + config.n * view_change + config.window * header


class Memo(Recent[bytes, "Signed[Message]"]):
    """Signed messages decoded lately, by their bytes (bounded; the oldest go first). A prepare is
    read on arrival, then inside view changes, then inside new views that hold those: the bytes
    name one message, so its second reading may be the first's result."""

    def __init__(self, size: int = 4096) -> None:
        super().__init__(size)


def decode_signed(data: bytes, config: PbftConfig, *, memo: Memo | None = None,
                  where: str = "message") -> Signed[Message]:
    """The signed message ``data`` encodes (its form checked, not its signature); `MessageError` otherwise."""
    try:
        return _signed(data, config, message_max_bytes(config), where, 0, None, memo)
    except TxFormatError as exc:
        raise MessageError(str(exc)) from None


def batch_max_encoded(config: PbftConfig) -> int:
    """The longest encoding of a batch: `batch_max_bytes` of requests, plus each one's header (at
    most 5 bytes) and the map's."""
    return config.batch_max_bytes + 5 * config.batch_max + 32


def decode_batch(data: bytes, config: PbftConfig) -> Batch:
    """The batch ``data`` encodes, within the configuration's bounds; `MessageError` otherwise."""
    try:
        m = wire.fields(wire.decode(data, "batch", batch_max_encoded(config)), "batch", ("time", "requests"))
        requests = wire.array(m["requests"], "batch.requests", config.batch_max)
        batch = Batch(wire.counter(m["time"], "batch.time", 0, COUNTER_MAX),
                      tuple(wire.blob(r, f"batch.requests[{i}]", 1, config.request_max_bytes)
                            for i, r in enumerate(requests)))
    except TxFormatError as exc:
        raise MessageError(str(exc)) from None
    if sum(map(len, batch.requests)) > config.batch_max_bytes:
        raise MessageError(f"batch: its requests pass {config.batch_max_bytes} bytes")
    return batch


_HEADER_MAX = 4096  # a nested signed header (no batch): a pre-prepare, prepare, commit or checkpoint


def _signed(data: object, config: PbftConfig, max_bytes: int, where: str, depth: int,
            only: type | None = None, memo: Memo | None = None) -> Signed[Message]:
    if memo is not None and type(data) is bytes:
        found = memo.get(data)
        if found is not None and len(data) <= max_bytes and (only is None or isinstance(found.message, only)):
            return found
    m = wire.fields(wire.decode(data, where, max_bytes), where, ("author", "body", "sig"), ("batches",))
    author = wire.text(m["author"], f"{where}.author", NAME_MAX_CHARACTERS)
    body = wire.blob(m["body"], f"{where}.body", 1, max_bytes)
    signature = wire.blob(m["sig"], f"{where}.sig", 1, SIGNATURE_MAX_BYTES)
    message = _body(body, config, where, depth, only, memo)
    batches: tuple[bytes, ...] = ()
    if "batches" in m:
        if not isinstance(message, _CARRIES_BATCH) or depth:
            raise TxFormatError(f"{where}.batches", f"a {TYPE_NAMES[type(message)]} carries no batch")
        raw = wire.array(m["batches"], f"{where}.batches", 1)
        if not raw:
            raise TxFormatError(f"{where}.batches", "absent, not empty, when there is none")
        batches = (wire.blob(raw[0], f"{where}.batches[0]", 1, batch_max_encoded(config)),)
    signed = Signed(author, message, body, signature, batches)
    if memo is not None and not batches and isinstance(data, bytes):
        memo.put(data, signed)
    return signed


def _body(body: bytes, config: PbftConfig, where: str, depth: int, only: type | None, memo: Memo | None) -> Message:
    value = wire.decode(body, f"{where}.body", len(body))
    if type(value) is not dict or type(value.get("type")) is not str:
        raise TxFormatError(f"{where}.body", "expected a map with a 'type'")
    kind = value["type"]
    if only is not None and kind != TYPE_NAMES[only]:
        raise TxFormatError(f"{where}.body.type", f"a {kind[:40]!r}, not a {TYPE_NAMES[only]}")
    at = f"{where}({kind})"
    n, window = config.n, config.window
    if kind == "request":
        m = wire.fields(value, at, ("type", "request"))
        return Request(wire.blob(m["request"], f"{at}.request", 1, config.request_max_bytes))
    if kind in ("pre-prepare", "prepare", "commit"):
        m = wire.fields(value, at, ("type", "view", "seq", "digest"))
        return _VOTES[kind](_counter(m, "view", at), _counter(m, "seq", at, 1), _digest(m, "digest", at))
    if kind == "checkpoint":
        m = wire.fields(value, at, ("type", "seq", "state"))
        return Checkpoint(_counter(m, "seq", at, 1), _digest(m, "state", at))
    if kind == "status":
        m = wire.fields(value, at, ("type", "view", "active", "executed", "stable"))
        if type(m["active"]) is not bool:
            raise TxFormatError(f"{at}.active", f"expected a boolean, got {wire.kind(m['active'])}")
        return Status(_counter(m, "view", at), m["active"], _counter(m, "executed", at), _counter(m, "stable", at))
    if depth:  # certificates hold only the headers above
        raise TxFormatError(at, "not a message a certificate may hold")
    if kind == "view-change":
        m = wire.fields(value, at, ("type", "view", "checkpoint", "prepared"))
        checkpoint = _nested(m, "checkpoint", at, n, Checkpoint, config, memo)
        proofs = []
        for i, p in enumerate(wire.array(m["prepared"], f"{at}.prepared", window)):
            pw = f"{at}.prepared[{i}]"
            p = wire.fields(p, pw, ("pre_prepare", "prepares"))
            pre = of_kind(_signed(p["pre_prepare"], config, _HEADER_MAX, f"{pw}.pre_prepare", 1, PrePrepare, memo),
                          PrePrepare)
            proofs.append(PreparedProof(pre, _nested(p, "prepares", pw, n, Prepare, config, memo)))
        return ViewChange(_counter(m, "view", at, 1), checkpoint, tuple(proofs))
    if kind == "new-view":
        m = wire.fields(value, at, ("type", "view", "view_changes", "pre_prepares"))
        changes = []
        for i, raw in enumerate(wire.array(m["view_changes"], f"{at}.view_changes", n)):
            changes.append(of_kind(_signed(raw, config, len(body), f"{at}.view_changes[{i}]", 0, ViewChange, memo),
                                   ViewChange))
        return NewView(_counter(m, "view", at, 1), tuple(changes),
                       _nested(m, "pre_prepares", at, window, PrePrepare, config, memo))
    if kind == "committed":
        m = wire.fields(value, at, ("type", "commits"))
        return Committed(_nested(m, "commits", at, n, Commit, config, memo))
    if kind == "checkpoint-proof":
        m = wire.fields(value, at, ("type", "proof"))
        return CheckpointProof(_nested(m, "proof", at, n, Checkpoint, config, memo))
    raise TxFormatError(f"{where}.body.type", f"unknown message type {kind[:40]!r}")


def _nested(m: dict, key: str, at: str, most: int, cls: type[K], config: PbftConfig,
            memo: Memo | None) -> tuple[Signed[K], ...]:
    out = []
    for i, raw in enumerate(wire.array(m[key], f"{at}.{key}", most)):
        out.append(of_kind(_signed(raw, config, _HEADER_MAX, f"{at}.{key}[{i}]", 1, cls, memo), cls))
    return tuple(out)


def _counter(m: dict, key: str, at: str, low: int = 0) -> int:
    return wire.counter(m[key], f"{at}.{key}", low, COUNTER_MAX)


def _digest(m: dict, key: str, at: str) -> bytes:
    return wire.blob(m[key], f"{at}.{key}", DIGEST_SIZE, DIGEST_SIZE)
