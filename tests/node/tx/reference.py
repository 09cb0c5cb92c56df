"""The readers as they were before their in-line checks (commit 53d9b6d), kept verbatim to test
that the faster readers refuse exactly what these refuse, naming the same field with the same
words. They use `wire`'s unchanged named checks (`blob`, `counter`, `keyed`, ...)."""

from __future__ import annotations

from typing import Any

from node.tx import limits as L
from node.tx import wire
from node.tx.errors import TxFormatError
from node.tx.proposal import FORMAT as P_FORMAT
from node.tx.proposal import Invoke, Proposal, _deploy_from_wire
from node.tx.response import FORMAT as R_FORMAT
from node.tx.response import (
    _ABORT,
    _COMMON,
    _OK,
    Aborted,
    Completed,
    EmittedEvent,
    Response,
    _delta,
    _pair,
    _scan,
    _version,
)
from vm.errors import ABORT_KINDS

_JSON_INT_LIMIT = 2**L.JSON_INT_BITS_MAX


def fields(value: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    if type(value) is not dict:
        raise TxFormatError(where, f"expected a map of fields, got {wire.kind(value)}")
    for key in value:
        if type(key) is not str:
            raise TxFormatError(where, f"a field name must be text, not {wire.kind(key)}")
        if key not in required and key not in optional:
            raise TxFormatError(f"{where}.{key}", "unknown field")
    for key in required:
        if key not in value:
            raise TxFormatError(f"{where}.{key}", "missing")
    return value


def json_value(value: object, where: str, depth: int = 0) -> Any:
    if type(value) is str or type(value) is bool:
        return value
    if type(value) is int:
        if not -_JSON_INT_LIMIT < value < _JSON_INT_LIMIT:
            raise TxFormatError(where, f"an integer of more than {L.JSON_INT_BITS_MAX} bits is no value any type holds")
        return value
    if type(value) is list or type(value) is dict:
        if depth >= L.JSON_DEPTH_MAX:
            raise TxFormatError(where, f"arrays and objects nested more than {L.JSON_DEPTH_MAX} deep")
        if isinstance(value, list):
            for i, item in enumerate(value):
                json_value(item, f"{where}[{i}]", depth + 1)
        elif isinstance(value, dict):
            for key, item in value.items():
                if type(key) is not str:
                    raise TxFormatError(where, f"an object's keys are text, not {wire.kind(key)}")
                json_value(item, f"{where}.{key}" if key.isidentifier() else f"{where}[{key!r}]", depth + 1)
        return value
    if value is None:
        raise TxFormatError(where, "nil is not a value (LANGUAGE.md section 7 has no null)")
    raise TxFormatError(where, f"{wire.kind(value)} is not a value (LANGUAGE.md section 7: text, whole numbers, "
                        "booleans, arrays, objects)")


def response_from_wire(value: object, where: str = "response") -> Response:
    m = fields(value, where, ("format", "proposal", "status", "gas"), _OK + _ABORT)
    if type(m["format"]) is not int or m["format"] != R_FORMAT:
        raise TxFormatError(f"{where}.format", f"format {m['format']!r} is not one this node reads ({R_FORMAT})")
    proposal = wire.digest(m["proposal"], f"{where}.proposal")
    gas = wire.counter(m["gas"], f"{where}.gas")
    status = m["status"]
    if status == "abort":
        fields(m, where, _COMMON + _ABORT)
        kind = wire.text(m["kind"], f"{where}.kind", 64)
        if kind not in ABORT_KINDS:
            raise TxFormatError(f"{where}.kind", f"{kind!r} is not an abort kind ({', '.join(sorted(ABORT_KINDS))})")
        message = wire.text(m["message"], f"{where}.message", L.ABORT_MESSAGE_MAX_CHARACTERS)
        return Response(proposal, Aborted(message, kind, gas))
    if status != "ok":
        raise TxFormatError(f"{where}.status", f"expected \"ok\" or \"abort\", got {wire.kind(status)}"
                            + (f" {status!r}" if type(status) is str else ""))
    fields(m, where, _COMMON + _OK)
    reads = {k: _version(v, wire.at_key(f"{where}.reads", k))
             for k, v in wire.keyed(m["reads"], f"{where}.reads", L.READS_MAX).items()}
    writes = {k: None if v is None else wire.blob(v, wire.at_key(f"{where}.writes", k), 0, L.RESPONSE_MAX_BYTES)
              for k, v in wire.keyed(m["writes"], f"{where}.writes", L.WRITES_MAX).items()}
    deltas = {}
    for k, v in wire.keyed(m["deltas"], f"{where}.deltas", L.WRITES_MAX).items():
        at = wire.at_key(f"{where}.deltas", k)
        if k in reads or k in writes:
            raise TxFormatError(at, "a key added to by a delta must not also be in reads or writes "
                                "(it would be counted twice)")
        deltas[k] = _delta(v, at)
    scans = {k: _scan(v, wire.at_key(f"{where}.scans", k))
             for k, v in wire.keyed(m["scans"], f"{where}.scans", L.SCANS_MAX).items()}
    result = None if m["value"] is None else json_value(m["value"], f"{where}.value")
    events = tuple(_event(e, f"{where}.events[{i}]")
                   for i, e in enumerate(wire.array(m["events"], f"{where}.events", L.EVENTS_MAX)))
    return Response(proposal, Completed(reads, writes, deltas, scans, result, events, gas))


def _event(value: object, where: str) -> EmittedEvent:
    name, event_fields = _pair(value, where)
    if type(event_fields) is not dict:
        raise TxFormatError(f"{where}[1]", f"an event's fields are an object, not {wire.kind(event_fields)}")
    values = json_value(event_fields, f"{where}[1]")
    return EmittedEvent(wire.identifier(name, f"{where}[0]"), values)


def proposal_from_wire(value: object, where: str = "proposal") -> Proposal:
    m = fields(value, where, ("format", "channel", "contract", "args", "nonce", "timestamp", "creator", "role"),
               ("entry", "deploy"))
    if type(m["format"]) is not int or m["format"] != P_FORMAT:
        raise TxFormatError(f"{where}.format", f"format {m['format']!r} is not one this node reads ({P_FORMAT})")
    action: Any
    if wire.one_of(m, where, ("entry", "deploy")) == "entry":
        action = Invoke(wire.identifier(m["entry"], f"{where}.entry"))
    else:
        action = _deploy_from_wire(m["deploy"], f"{where}.deploy")
    args = wire.array(m["args"], f"{where}.args", L.ARGS_MAX)
    return Proposal(
        channel=wire.name(m["channel"], f"{where}.channel", "channel"),
        contract=wire.name(m["contract"], f"{where}.contract", "contract"),
        action=action,
        args=tuple(json_value(a, f"{where}.args[{i}]") for i, a in enumerate(args)),
        nonce=wire.blob(m["nonce"], f"{where}.nonce", L.NONCE_MIN_BYTES, L.NONCE_MAX_BYTES),
        timestamp_ms=wire.counter(m["timestamp"], f"{where}.timestamp", 0, L.TIMESTAMP_MAX_MS),
        creator=wire.blob(m["creator"], f"{where}.creator", 1, L.CERTIFICATE_MAX_BYTES),
        role=wire.role(m["role"], f"{where}.role"),
    )


def decode_envelope(data: bytes) -> Any:
    """`_decode_envelope` as it was; proposal and response read by the readers above."""
    from node import codec
    from node.tx.envelope import Envelope, EndorserSignature, _check_endorsers

    m = fields(wire.decode(data, "envelope", L.ENVELOPE_MAX_BYTES), "envelope",
               ("proposal", "response", "endorsements", "signature"))
    proposal_bytes = wire.blob(m["proposal"], "envelope.proposal", 1, L.PROPOSAL_MAX_BYTES)
    response_bytes = wire.blob(m["response"], "envelope.response", 1, L.RESPONSE_MAX_BYTES)
    signature = wire.blob(m["signature"], "envelope.signature", L.SIGNATURE_MIN_BYTES, L.SIGNATURE_MAX_BYTES)
    listed = wire.array(m["endorsements"], "envelope.endorsements", L.ENDORSEMENTS_MAX)
    endorsements = []
    for i, item in enumerate(listed):
        where = f"envelope.endorsements[{i}]"
        pair = wire.array(item, where, 2)
        if len(pair) != 2:
            raise TxFormatError(where, "expected [endorser certificate, signature]")
        endorsements.append(EndorserSignature(
            wire.blob(pair[0], f"{where}[0]", 1, L.CERTIFICATE_MAX_BYTES),
            wire.blob(pair[1], f"{where}[1]", L.SIGNATURE_MIN_BYTES, L.SIGNATURE_MAX_BYTES),
        ))
    _check_endorsers(endorsements, "envelope.endorsements")

    def read(data: bytes, where: str, max_bytes: int, reader: Any) -> Any:
        try:
            value = codec.decode(data)
        except codec.CodecError as exc:
            raise TxFormatError(where, str(exc)) from None
        return reader(value)

    return Envelope(read(proposal_bytes, "proposal", L.PROPOSAL_MAX_BYTES, proposal_from_wire), proposal_bytes,
                    read(response_bytes, "response", L.RESPONSE_MAX_BYTES, response_from_wire), response_bytes,
                    tuple(endorsements), signature)
