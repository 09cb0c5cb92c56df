"""How a call reaches state: the VM only reads through a `Host`; it buffers its writes and
returns them with the call's result, so an aborted call changes nothing, and the owner of the
host (a peer's ledger, the scenario runner, a test) applies them.

`MemoryHost` is the in-memory host of the local tools, persisted as one file in a folder.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from vm.errors import StateFileError
from vm.files import write_atomically
from vm.values.party import Party


@runtime_checkable
class Host(Protocol):
    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, or None."""
        ...

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) whose key starts with ``prefix``, in ascending bytewise key order."""
        ...


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a call knows about its transaction: `caller`, `now`, `today` (via the zone) and `tx_id`."""

    caller: Party
    timestamp_ms: int
    tx_id: bytes
    tz_offset_minutes: int = 480
    channel: str = "local"


@dataclass(frozen=True, slots=True)
class Event:
    """An emitted event; ``values`` in the event's declared field order."""

    name: str
    values: tuple


STATE_FILE = "state.bin"
_MAGIC = b"BAOSTATE1\n"


class MemoryHost:
    """A sorted in-memory key/value store: a `Host`, plus `apply`, and persistence."""

    __slots__ = ("_data", "_keys", "_folder")

    def __init__(self, items: Mapping[bytes, bytes] | None = None, folder: str | Path | None = None) -> None:
        self._data: dict[bytes, bytes] = dict(items or {})
        self._keys: list[bytes] = sorted(self._data)
        self._folder = Path(folder) if folder is not None else None

    # --- Host
    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        # A snapshot of the matching keys, so applying writes during iteration is safe.
        keys = self._keys
        i = bisect.bisect_left(keys, prefix)
        j = i
        while j < len(keys) and keys[j].startswith(prefix):
            j += 1
        data = self._data
        return iter([(k, data[k]) for k in keys[i:j]])

    # --- the owner's side
    def apply(self, writes: Mapping[bytes, bytes | None]) -> None:
        """Apply a call's writes; a value of None deletes the key."""
        data, keys = self._data, self._keys
        for k, v in writes.items():
            if v is None:
                if k in data:
                    del data[k]
                    del keys[bisect.bisect_left(keys, k)]
            else:
                if k not in data:
                    bisect.insort(keys, k)
                data[k] = bytes(v)

    def copy(self) -> "MemoryHost":
        return MemoryHost(self._data, self._folder)

    def items(self) -> list[tuple[bytes, bytes]]:
        """All entries in ascending key order."""
        return [(k, self._data[k]) for k in self._keys]

    def __len__(self) -> int:
        return len(self._data)

    # --- persistence
    @classmethod
    def open(cls, folder: str | Path) -> "MemoryHost":
        """The state saved in ``folder`` (empty if nothing was saved there yet)."""
        path = Path(folder) / STATE_FILE
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return cls(folder=folder)
        except OSError as exc:
            raise StateFileError(f"{path}: cannot read the state file: {exc.strerror}") from None
        return cls(_parse_state(blob, path), folder)

    def save(self) -> None:
        """Write the state to its folder atomically (`vm.files.write_atomically`)."""
        if self._folder is None:
            raise StateFileError("this state has no folder: open it with MemoryHost.open(folder)")
        body = bytearray(_MAGIC)
        for k in self._keys:
            v = self._data[k]
            body += len(k).to_bytes(4, "big") + k + len(v).to_bytes(4, "big") + v
        body += hashlib.sha256(body).digest()
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            write_atomically(self._folder / STATE_FILE, bytes(body))
        except OSError as exc:
            raise StateFileError(f"{self._folder / STATE_FILE}: cannot write the state file: {exc.strerror}") from None


def _parse_state(blob: bytes, path: Path) -> dict[bytes, bytes]:
    def corrupt(why: str) -> StateFileError:
        return StateFileError(f"{path}: corrupt state file ({why}); restore it from a backup or delete it")

    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 32:
        raise corrupt("not a Baochain state file")
    body, digest = blob[:-32], blob[-32:]
    if hashlib.sha256(body).digest() != digest:
        raise corrupt("checksum mismatch")
    out: dict[bytes, bytes] = {}
    pos, end = len(_MAGIC), len(body)
    last = None
    while pos < end:
        if pos + 4 > end:
            raise corrupt("truncated entry")
        n = int.from_bytes(body[pos:pos + 4], "big")
        k = body[pos + 4:pos + 4 + n]
        pos += 4 + n
        if pos + 4 > end:
            raise corrupt("truncated entry")
        n = int.from_bytes(body[pos:pos + 4], "big")
        v = body[pos + 4:pos + 4 + n]
        pos += 4 + n
        if pos > end or (last is not None and k <= last):
            raise corrupt("entries out of order or truncated")
        out[k] = v
        last = k
    return out
