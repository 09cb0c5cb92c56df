"""Replacing a file whole: `write_atomically`, the one writer of every file the project keeps.

A reader (or a run that was interrupted) sees the old file or the new one, never part of either: the
data goes to a temporary file beside the target, is flushed to the disk, and is renamed over the
target (`os.replace`, atomic within one filesystem); then the folder is synced so that the rename
itself survives a crash. On any failure, Ctrl-C included, the temporary file is removed and the
target is untouched.

It lives in the lowest layer because every layer writes files: the VM its state file, the language
tools their modules and documents, the node its keys, certificates, user records and network files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE = 0o600  # keys, user records: readable by their owner only


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data`. `mode` is the new file's permission bits; by default it keeps the
    mode of the file it replaces, and a new file gets what this user's files get (0o666 less the
    umask). Raises OSError (with the temporary file removed) when the folder cannot be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if not path.name or path.name in (".", ".."):
        raise IsADirectoryError(21, "not a file name", str(path))
    if mode is None:
        mode = path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # mkstemp makes the file private; give it the mode it is meant to have
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    # The rename is durable once the folder's entry is on disk; a filesystem that cannot open a
    # folder for syncing (some network mounts) still renamed atomically.
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
