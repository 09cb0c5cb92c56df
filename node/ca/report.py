"""How the CA's records read on a console: the lines `baochain ca list`, `show` and `audit` print.

Everything taken from the registry or the log is printed `escaped`: names the naming rule admits
print as they are, but a name or a note stored before the rule (or a note, which is free text)
cannot move the cursor, start an escape sequence, reorder the line or break it in two.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from node.ca.audit import AuditEntry
from node.ca.records import IdentityRecord
from node.identity.names import escaped


def identity_table(records: list[IdentityRecord]) -> list[str]:
    """One line per identity: name, type, status, roles."""
    width = max((len(escaped(r.name)) for r in records), default=0)
    return [f"{escaped(r.name):<{width}}  {r.type:<9}  {r.status:<8}  {', '.join(r.roles) or '-'}" for r in records]


def identity_card(record: IdentityRecord) -> list[str]:
    """One identity: type, roles, attributes, review and certificates."""
    lines = [
        f"name:        {escaped(record.name)}",
        f"type:        {record.type}",
        f"status:      {record.status}",
        f"roles:       {', '.join(record.roles) or '-'}",
        *(f"attribute:   {key}={escaped(value)}" for key, value in record.attributes),
        f"registered:  by {escaped(record.registered_by)}",
    ]
    if record.reviewed_by:
        note = f" ({escaped(record.review_note)})" if record.review_note else ""
        lines.append(f"reviewed:    by {escaped(record.reviewed_by)}{note}")
    for c in record.certificates:
        until = datetime.fromtimestamp(c.not_after / 1000, timezone.utc)
        state = f"revoked ({c.revocation_reason})" if c.revoked_at is not None else "valid"
        lines.append(f"certificate: {c.serial}  until {until:%Y-%m-%d %H:%M} UTC  {state}")
    return lines


def json_text(value: Any) -> str:
    """`value` as indented JSON that keeps every script readable (not ASCII-only), with what
    `escaped` would escape written as JSON's own \\u escapes, so the text is still the same JSON."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return "".join(c if c == "\n" or escaped(c) == c else _json_escape(c) for c in text)


def _json_escape(c: str) -> str:
    code = ord(c)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def audit_lines(entries: list[AuditEntry]) -> list[str]:
    """One line per audit entry: number, time, action, actor, subject and details."""
    lines = []
    for e in entries:
        when = datetime.fromtimestamp(e.at / 1000, timezone.utc)
        detail = escaped(", ".join(f"{k}={v}" for k, v in sorted(e.details.items()) if v not in (None, {}, [])))
        line = f"{e.seq:>5}  {when:%Y-%m-%d %H:%M:%S}  {e.action:<16} {escaped(e.actor):<12} {escaped(e.subject):<12} {detail}"
        lines.append(line.rstrip())
    return lines
