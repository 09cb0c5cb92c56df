"""The CA's tamper-evident audit log.

One line per action: the base64 of a codec-encoded record {"entry": bytes, "sig": bytes}, where
`entry` is the codec encoding of

    {"seq": n, "at": ms, "action": str, "actor": str, "subject": str, "details": map,
     "prev": hash of the previous line's record bytes (32 zero bytes for the first),
     "state": hash of the registry after the action}

and `sig` is the CA key's signature over `entry`. All hashes are the CA suite's. Changing,
inserting, deleting or reordering a line breaks a signature or the chain; cutting lines off the
end, or editing the registry, breaks the match between the last entry's `state` and the registry
(which also counts the log's entries, so even a cut-off refusal shows).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.ca.errors import AuditTampered
from node.codec import CodecError, decode, encode
from node.crypto import CryptoSuite
from node.identity.names import escaped

GENESIS = bytes(32)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: int
    action: str
    actor: str
    subject: str
    details: dict[str, Any]
    prev: bytes
    state: bytes


def registry_digest(suite: CryptoSuite, registry: dict[str, Any]) -> bytes:
    try:
        return suite.hash(encode(registry))
    except CodecError as exc:  # the CA writes only codec values, so someone else wrote this one
        raise AuditTampered(f"the registry holds a value the CA never writes ({exc})") from None


def loggable(value: Any) -> Any:
    """`value` as the log can hold it: text holding lone surrogates (bytes that were not UTF-8,
    as Python carries them from a command line) is logged `escaped`, so a refused request that
    quoted such bytes is still logged, not mistaken for a damaged CA."""
    if isinstance(value, str):
        return escaped(value) if any(0xD800 <= ord(c) <= 0xDFFF for c in value) else value
    if isinstance(value, dict):
        return {loggable(k): loggable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [loggable(v) for v in value]
    return value


def make_line(suite: CryptoSuite, key: Any, entry: AuditEntry) -> bytes:
    body = encode(
        {
            "seq": entry.seq,
            "at": entry.at,
            "action": entry.action,
            "actor": entry.actor,
            "subject": entry.subject,
            "details": entry.details,
            "prev": entry.prev,
            "state": entry.state,
        }
    )
    record = encode({"entry": body, "sig": suite.sign(key, body)})
    return base64.b64encode(record) + b"\n"


def line_hash(suite: CryptoSuite, line: bytes) -> bytes:
    return suite.hash(base64.b64decode(line.strip()))


def checked_link(suite: CryptoSuite, public_key: Any, path: Path, registry: dict[str, Any]) -> tuple[int, bytes]:
    """(next seq, prev hash) for the entry to append after the log at `path`, once the log's last
    entry is the CA's and `registry` is the state it records.

    Every state change starts here: a CA that appended to an edited registry would sign the edit
    into its next entry, and the tampering would no longer show. Checking only the head keeps a
    change cheap; `verify_log` checks the whole chain.
    """
    lines = path.read_bytes().splitlines() if path.exists() else []
    if not lines:
        if registry.get("audit_entries") is not None:
            raise AuditTampered(f"the audit log is missing or empty, but the registry counts {registry['audit_entries']} entries")
        return 0, GENESIS
    last = _parse(suite, public_key, lines[-1], len(lines) - 1)
    if registry.get("audit_entries") != last.seq + 1:
        raise AuditTampered(f"the registry counts {registry.get('audit_entries')} audit entries, the log's last is number {last.seq + 1}")
    if last.state != registry_digest(suite, registry):
        raise AuditTampered("the registry does not match the last audit entry (edited registry or truncated log); no change was made")
    return last.seq + 1, line_hash(suite, lines[-1])


def verify_log(suite: CryptoSuite, public_key: Any, path: Path, registry: dict[str, Any] | None = None) -> list[AuditEntry]:
    """Every entry of the log, checked; raises `AuditTampered` naming the first bad line."""
    entries: list[AuditEntry] = []
    prev = GENESIS
    data = path.read_bytes() if path.exists() else b""
    for number, line in enumerate(data.splitlines()):
        entry = _parse(suite, public_key, line, number)
        if entry.seq != number:
            raise AuditTampered(f"audit log line {number + 1}: sequence number {entry.seq}, expected {number}")
        if entry.prev != prev:
            raise AuditTampered(f"audit log line {number + 1}: does not chain to the line before")
        prev = line_hash(suite, line)
        entries.append(entry)
    if registry is not None:
        if not entries:
            raise AuditTampered("the audit log is empty")
        if registry.get("audit_entries") != len(entries):
            raise AuditTampered(f"the registry counts {registry.get('audit_entries')} audit entries, the log holds {len(entries)}")
        if entries[-1].state != registry_digest(suite, registry):
            raise AuditTampered("the registry does not match the last audit entry (edited registry or truncated log)")
    return entries


def _parse(suite: CryptoSuite, public_key: Any, line: bytes, number: int) -> AuditEntry:
    try:
        record = decode(base64.b64decode(line.strip(), validate=True))
        body, sig = record["entry"], record["sig"]
        if public_key is not None and not suite.verify(public_key, body, sig):
            raise AuditTampered(f"audit log line {number + 1}: the CA's signature does not match")
        e = decode(body)
        return AuditEntry(e["seq"], e["at"], e["action"], e["actor"], e["subject"], e["details"], e["prev"], e["state"])
    except AuditTampered:
        raise
    except (CodecError, binascii.Error, KeyError, TypeError) as exc:
        raise AuditTampered(f"audit log line {number + 1}: unreadable ({exc})") from None
