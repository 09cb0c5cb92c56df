"""The CA's folder on disk, and the locks that make one CA safe to use from many threads and
processes at once.

Layout of a CA home:
    config.json     org, suite, validity defaults (written once by `init`)
    ca-key.pem      the root private key, PKCS#8 encrypted with the CA passphrase
    ca-cert.pem     the root certificate
    registry.json   identities, serial index, CRL number (see `records`)
    certs/<serial>.pem   every certificate issued, by lowercase hex serial
    crl.pem         the latest CRL
    audit.log       the signed, hash-chained audit log (see `audit`)
    .lock           the file lock every state change holds
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from pathlib import Path
from typing import Any, Iterator

from node.ca.errors import CADamaged, CANotFound
from vm.files import PRIVATE, write_atomically


class CAHome:
    """Paths and atomic file operations of one CA home; one state change at a time."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._thread_lock = threading.RLock()
        self._depth = 0

    config = property(lambda self: self.root / "config.json")
    key = property(lambda self: self.root / "ca-key.pem")
    certificate = property(lambda self: self.root / "ca-cert.pem")
    registry = property(lambda self: self.root / "registry.json")
    certs = property(lambda self: self.root / "certs")
    crl = property(lambda self: self.root / "crl.pem")
    audit_log = property(lambda self: self.root / "audit.log")

    def exists(self) -> bool:
        return self.config.is_file()

    def require(self) -> None:
        if not self.exists():
            raise CANotFound(f"no CA at {self.root} (run `baochain ca init`, or pass --home)")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive access: a thread lock for this process, an fcntl lock across processes.
        Re-entrant within one thread, so a state change may call another's helpers."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / ".lock", "a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def write_atomic(self, path: Path, data: bytes, *, private: bool = False) -> None:
        """Replace `path` with `data` so a reader sees the old file or the new one, never a mix."""
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data, PRIVATE if private else 0o644)

    def append(self, path: Path, data: bytes) -> None:
        with open(path, "ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def read_json(self, path: Path, *, fields: tuple[str, ...] = ()) -> Any:
        """The JSON object in `path`, which must hold `fields`; raises `CADamaged` otherwise."""
        try:
            value = json.loads(path.read_text("utf-8"))
        except (ValueError, FileNotFoundError) as exc:
            raise CADamaged(f"{path} is damaged or missing ({exc})") from None
        if not isinstance(value, dict) or any(f not in value for f in fields):
            raise CADamaged(f"{path} is damaged: it lacks {', '.join(fields)}")
        return value

    def write_json(self, path: Path, value: Any, *, private: bool = False) -> None:
        text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        self.write_atomic(path, text.encode("utf-8"), private=private)
