"""The result of simulating a proposal, as an endorser signs it and a validator checks it.

Its wire form (the response bytes, R) is the codec encoding of one map. A call that completed:

    {"format": 1, "proposal": hash(P), "status": "ok", "gas": int,
     "reads":  {key: [block, tx] | nil},        -- the version each key had; nil: it was absent
     "writes": {key: bytes | nil},              -- new value; nil: delete
     "deltas": {key: [type, amount]},           -- add `amount` at commit (see below)
     "scans":  {prefix: [count, digest]},       -- what each prefix scan saw (see `scan_digest`)
     "value":  section-7 JSON value | nil,      -- the entry's result; nil: it returns nothing
     "events": [[name, {field: section-7 JSON value}], ...]}

and one that aborted (nothing it did is kept; the ledger may record it as refused):

    {"format": 1, "proposal": hash(P), "status": "abort", "gas": int, "message": text, "kind": text}

Choices, each with its reason:
- A version is the (block number, position in block) of the transaction that last wrote the key:
  unique, ordered, and known to every peer without extra state.
- Keys are the ledger's state keys as bytes; the map form gives one entry per key (the codec
  refuses repeated keys) in one canonical order.
- Deltas are ARCHITECTURE.md's commutative updates: a key the call only changed by `+=`/`-=`.
  The VM's `CallResult` reports such a key in its reads and writes too; an endorser moves it
  out of both into ``deltas``, so validation neither checks its version nor overwrites it, and
  adds the amount to whatever the key holds at commit. A key in ``deltas`` and also in
  ``reads`` or ``writes`` is refused: it would be counted twice. ``type`` is the Bao type of
  the amount (one of the `+=` target types), ``amount`` its `vm.encoding` bytes.
- A scan records its prefix, how many entries it saw and a digest of their keys and versions:
  the versions of those entries are in ``reads`` already, so only the set of keys matters, and
  a digest keeps the result small however large the map. The validator recomputes it over the
  prefix at commit; any insert or delete under the prefix changes it (a phantom).
- Events carry their fields as section-7 JSON, as clients and the console read them.
- An abort keeps its message and its `vm.errors` kind (closed set), and the gas it used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from node import codec
from node.crypto import CryptoSuite
from node.ledger.version import Version  # the ledger's: (block, index) of the last writer
from node.tx import limits as L
from node.tx import wire
from node.tx.errors import TxFormatError
from node.tx.wire import JSONValue
from vm import types as T
from vm.values.encoding import decode_value, encode_value
from vm.errors import ABORT_KINDS, EncodingError
from vm.runtime import Delta

FORMAT = 1
# The types `+=` and `-=` take (the checker's COMPOUND_TARGETS, LANGUAGE.md section 4).
DELTA_TYPES: tuple[str, ...] = ("Int", "Decimal", "Money", "Percent", "Duration")
# The longest of them encodes in 41 bytes: Money, a 3-letter currency as Text (4) and a 37-byte varint.
_AMOUNT_MAX_BYTES = 64


@dataclass(frozen=True, slots=True)
class StateDelta:
    """Add ``amount`` (`vm.encoding` bytes of a value of Bao type ``type``) at commit."""

    type: str
    amount: bytes

    @classmethod
    def from_vm(cls, delta: Delta) -> StateDelta:
        return cls(str(delta.type), encode_value(delta.type, delta.amount))

    def to_vm(self) -> Delta:
        t = T.PRIMITIVES[self.type]
        return Delta(t, decode_value(t, self.amount))


@dataclass(frozen=True, slots=True)
class ScanRecord:
    count: int
    digest: bytes


@dataclass(frozen=True, slots=True)
class EmittedEvent:
    name: str
    fields: dict[str, JSONValue]


@dataclass(frozen=True, slots=True)
class Completed:
    reads: Mapping[bytes, Version | None]
    writes: Mapping[bytes, bytes | None]
    deltas: Mapping[bytes, StateDelta]
    scans: Mapping[bytes, ScanRecord]
    value: JSONValue | None
    events: tuple[EmittedEvent, ...]
    gas: int


@dataclass(frozen=True, slots=True)
class Aborted:
    message: str
    kind: str
    gas: int


@dataclass(frozen=True, slots=True)
class Response:
    """What an endorser signs: the hash of the proposal simulated, and its result."""

    proposal_hash: bytes
    result: Completed | Aborted


def scan_digest(suite: CryptoSuite, prefix: bytes, entries: Iterable[tuple[bytes, Version]]) -> bytes:
    """The digest of a scan of `prefix` that saw `entries` (key, version): the suite hash of the
    codec encoding of ``[prefix, [[key, block, tx], ...]]`` in ascending key order."""
    listed = sorted([key, v.block, v.tx] for key, v in entries)
    return suite.hash(codec.encode([prefix, listed]))


# --- wire form

def response_to_wire(r: Response) -> dict[str, Any]:
    out: dict[str, Any] = {"format": FORMAT, "proposal": r.proposal_hash}
    match r.result:
        case Completed(reads, writes, deltas, scans, value, events, gas):
            out.update(
                status="ok", gas=gas,
                reads={k: None if v is None else [v.block, v.tx] for k, v in reads.items()},
                writes=dict(writes),
                deltas={k: [d.type, d.amount] for k, d in deltas.items()},
                scans={k: [s.count, s.digest] for k, s in scans.items()},
                value=value,
                events=[[e.name, e.fields] for e in events],
            )
        case Aborted(message, kind, gas):
            out.update(status="abort", gas=gas, message=message, kind=kind)
        case other:
            raise TxFormatError("response.result", f"expected Completed or Aborted, got {type(other).__name__}")
    return out


def encode_response(r: Response) -> bytes:
    """The response bytes (R); `TxFormatError` for a result a node would refuse. The fields are
    checked as a node reads them, on the value before encoding (the codec's own canonical form
    needs no second reading): an endorser signs nothing a validator would refuse as malformed."""
    value = response_to_wire(r)
    checked = response_from_wire(value)
    data = wire.encode(value, "response", L.RESPONSE_MAX_BYTES)
    _DECODED.put(data, checked)  # what decoding these bytes gives: the node validates them later
    return data


def decode_response(data: bytes) -> Response:
    return _DECODED.decoded(data, _read_response)


def _read_response(data: bytes) -> Response:
    return response_from_wire(wire.decode(data, "response", L.RESPONSE_MAX_BYTES))


_DECODED = wire.Memo(4096)


_COMMON = ("format", "proposal", "status", "gas")
_OK = ("reads", "writes", "deltas", "scans", "value", "events")
_ABORT = ("message", "kind")
_EITHER = _OK + _ABORT
_OK_FIELDS = _COMMON + _OK
_ABORT_FIELDS = _COMMON + _ABORT
_OK_KEYS = frozenset(_OK_FIELDS)  # a completed call's map holds exactly these: both field checks pass


def response_from_wire(value: object, where: str = "response") -> Response:
    m: dict[str, Any]
    if type(value) is dict and value.keys() == _OK_KEYS:
        m, complete = value, True
    else:
        m, complete = wire.fields(value, where, _COMMON, _EITHER), False
    if type(m["format"]) is not int or m["format"] != FORMAT:
        raise TxFormatError(f"{where}.format", f"format {m['format']!r} is not one this node reads ({FORMAT})")
    proposal = m["proposal"]
    if type(proposal) is not bytes or len(proposal) != L.DIGEST_SIZE:  # checked in line: see _reads
        proposal = wire.digest(proposal, f"{where}.proposal")
    gas = m["gas"]
    if type(gas) is not int or not 0 <= gas <= L.COUNTER_MAX:
        gas = wire.counter(gas, f"{where}.gas")
    status = m["status"]
    if status == "abort":
        wire.fields(m, where, _ABORT_FIELDS)
        kind = wire.text(m["kind"], f"{where}.kind", 64)
        if kind not in ABORT_KINDS:
            raise TxFormatError(f"{where}.kind", f"{kind!r} is not an abort kind ({', '.join(sorted(ABORT_KINDS))})")
        message = wire.text(m["message"], f"{where}.message", L.ABORT_MESSAGE_MAX_CHARACTERS)
        return Response(proposal, Aborted(message, kind, gas))
    if status != "ok":
        raise TxFormatError(f"{where}.status", f"expected \"ok\" or \"abort\", got {wire.kind(status)}"
                            + (f" {status!r}" if type(status) is str else ""))
    if not complete:
        wire.fields(m, where, _OK_FIELDS)
    reads = _reads(m["reads"], f"{where}.reads")
    writes = _writes(m["writes"], f"{where}.writes")
    deltas = {}
    for k, v in wire.keyed(m["deltas"], f"{where}.deltas", L.WRITES_MAX).items():
        at = wire.at_key(f"{where}.deltas", k)
        if k in reads or k in writes:
            raise TxFormatError(at, "a key added to by a delta must not also be in reads or writes "
                                "(it would be counted twice)")
        deltas[k] = _delta(v, at)
    scans = _scans(m["scans"], f"{where}.scans")
    result = None if m["value"] is None else wire.json_value(m["value"], f"{where}.value")
    events = m["events"]
    if type(events) is not list or len(events) > L.EVENTS_MAX:
        events = wire.array(events, f"{where}.events", L.EVENTS_MAX)
    emitted = tuple([_event(e, where, i) for i, e in enumerate(events)])
    return Response(proposal, Completed(reads, writes, deltas, scans, result, emitted, gas))


# A node reads every response of every block, nearly all of them well formed. The maps below check
# each entry's common form in line, and hand anything else to the function that names what is
# wrong (with the entry's path, built only then): the same rule, the same refusals.

def _reads(value: object, where: str) -> dict[bytes, Version | None]:
    out: dict[bytes, Version | None] = {}
    for k, v in wire.keyed(value, where, L.READS_MAX).items():
        if v is None:
            out[k] = None
        elif (type(v) is list and len(v) == 2 and type(block := v[0]) is int and type(tx := v[1]) is int
              and 0 <= block <= L.COUNTER_MAX and 0 <= tx <= L.COUNTER_MAX):
            out[k] = Version(block, tx)
        else:
            out[k] = _version(v, wire.at_key(where, k))
    return out


def _writes(value: object, where: str) -> dict[bytes, bytes | None]:
    out: dict[bytes, bytes | None] = {}
    for k, v in wire.keyed(value, where, L.WRITES_MAX).items():
        if v is None or (type(v) is bytes and len(v) <= L.RESPONSE_MAX_BYTES):
            out[k] = v
        else:
            out[k] = wire.blob(v, wire.at_key(where, k), 0, L.RESPONSE_MAX_BYTES)
    return out


def _scans(value: object, where: str) -> dict[bytes, ScanRecord]:
    out: dict[bytes, ScanRecord] = {}
    for k, v in wire.keyed(value, where, L.SCANS_MAX).items():
        if (type(v) is list and len(v) == 2 and type(count := v[0]) is int and 0 <= count <= L.READS_MAX
                and type(digest := v[1]) is bytes and len(digest) == L.DIGEST_SIZE):
            out[k] = ScanRecord(count, digest)
        else:
            out[k] = _scan(v, wire.at_key(where, k))
    return out


def _pair(value: object, where: str) -> list[Any]:
    items = wire.array(value, where, 2)
    if len(items) != 2:
        raise TxFormatError(where, f"expected a pair, got {len(items)} item{'s' * (len(items) != 1)}")
    return items


def _version(value: object, where: str) -> Version | None:
    if value is None:
        return None
    block, tx = _pair(value, where)
    return Version(wire.counter(block, f"{where}[0]"), wire.counter(tx, f"{where}[1]"))


def _delta(value: object, where: str) -> StateDelta:
    type_name, amount = _pair(value, where)
    if type(type_name) is not str or type_name not in DELTA_TYPES:
        raise TxFormatError(f"{where}[0]", f"a delta's type is one of {', '.join(DELTA_TYPES)}")
    amount = wire.blob(amount, f"{where}[1]", 1, _AMOUNT_MAX_BYTES)
    try:
        decode_value(T.PRIMITIVES[type_name], amount)
    except EncodingError as exc:
        article = "an" if type_name[0] in "AEIOU" else "a"
        raise TxFormatError(f"{where}[1]", f"not {article} {type_name}: {exc}") from None
    return StateDelta(type_name, amount)


def _scan(value: object, where: str) -> ScanRecord:
    count, digest = _pair(value, where)
    return ScanRecord(wire.counter(count, f"{where}[0]", 0, L.READS_MAX), wire.digest(digest, f"{where}[1]"))


def _event(value: object, where: str, i: int) -> EmittedEvent:
    """The `i`th event of the response at `where`."""
    if type(value) is list and len(value) == 2:
        name, event_fields = value
        if (type(name) is str and len(name) <= L.IDENTIFIER_MAX_CHARACTERS and name.isidentifier()
                and type(event_fields) is dict and wire.is_json(event_fields)):
            return EmittedEvent(name, event_fields)
    return _named_event(value, f"{where}.events[{i}]")


def _named_event(value: object, where: str) -> EmittedEvent:
    name, event_fields = _pair(value, where)
    if type(event_fields) is not dict:
        raise TxFormatError(f"{where}[1]", f"an event's fields are an object, not {wire.kind(event_fields)}")
    values = wire.json_value(event_fields, f"{where}[1]")
    assert isinstance(values, dict)  # the fields were seen to be an object, and json_value returns its argument
    return EmittedEvent(wire.identifier(name, f"{where}[0]"), values)
