"""Where a node keeps its application users: one JSON file per user in ``DATA/users/``, each
written whole and atomically, all of them read into memory when the store opens.

    store = UserStore(config.data / "users")
    store.get("alice")            # a UserRecord, or None
    store.put(record)             # on disk (synced) before it returns, then in memory

Why a file per user rather than LevelDB (which the channels use): users are few (an
organisation's application users: hundreds, thousands) and change rarely (a registration, an
approval, a wrong password); a file per user needs no second database lock in the node's
process, can be read and backed up with ordinary tools, and a damaged file loses one user, not
the table. Each write goes to a temporary file in the same folder, is synced, renamed over the
old one and the folder synced, so a crash leaves the old record or the new one, never a mix.

A file is named after the SHA-256 of the user's name (UTF-8, NFC), in hex: names may hold any
script, spaces and marks (`node.identity.names.check_name`), which file systems treat unevenly
(case folding, normalisation); the record inside carries the name. Files are mode 0600.

A file that is not a user record (`UserRecord.from_dict`), or whose name does not match its
file, is logged with its path and left out: one damaged file must not stop a node that serves
channels. That user cannot log in until the file is restored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path

from node.users.errors import UserStoreDamaged
from node.users.records import UserRecord
from vm.files import PRIVATE, write_atomically

log = logging.getLogger("baochain.users")
SUFFIX = ".json"


def file_name(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest() + SUFFIX


class UserStore:
    """The users of one node (see the module docstring). Safe to share between threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.Lock()
        self._records: dict[str, UserRecord] = {}
        for path in sorted(self.folder.glob("*" + SUFFIX)):
            try:
                record = self._read(path)
            except UserStoreDamaged as exc:
                log.error("user file %s is damaged and left out: %s", path, exc)
                continue
            self._records[record.name] = record

    def get(self, name: str) -> UserRecord | None:
        return self._records.get(name)

    def all(self) -> list[UserRecord]:
        return sorted(self._records.values(), key=lambda r: r.name)

    def put(self, record: UserRecord) -> None:
        """Write ``record`` (replacing the user's file) and keep it."""
        data = (json.dumps(record.to_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
        with self._lock:
            write_atomically(self.folder / file_name(record.name), data, PRIVATE)
            self._records[record.name] = record

    def _read(self, path: Path) -> UserRecord:
        try:
            value = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UserStoreDamaged(f"cannot be read as JSON: {exc}") from None
        record = UserRecord.from_dict(value)
        if path.name != file_name(record.name):
            raise UserStoreDamaged(f"it holds the record of another user ({record.name!r})")
        return record

