"""Files `baochain ca` writes for the operator (keys, certificates, the CRL), written so that a
failure loses nothing: a file is reserved before a one-time secret is spent, a published file is
replaced whole, and a refused `init` leaves no half-made CA behind. Every such file lands in the
folder it was asked for (`inside`), whatever the identity's name or the path given holds."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from node.identity.names import shown
from vm.files import write_atomically


class CannotWrite(Exception):
    """A file the command must write cannot be written (or already exists); nothing was lost."""


def inside(folder: Path, file_name: str) -> Path:
    """`folder / file_name`, once sure that a file written there lands in `folder`: `file_name`
    must be one plain file name (no folder in it, not `.` or `..`; a key named after an identity
    called `../escaped` would land in the parent folder), and what the path resolves to (an
    existing link is followed) must still be in `folder`. Refused with `CannotWrite`."""
    path = folder / file_name
    where = "the current folder" if folder == Path(".") else str(folder)
    if file_name in ("", ".", "..") or Path(file_name).name != file_name:
        raise CannotWrite(f"not writing {shown(str(path))}: {shown(file_name)} is not a plain file name, "
                          f"so the file would land outside {where}")
    resolved = path.resolve()
    if resolved.parent != folder.resolve():
        raise CannotWrite(f"not writing {path}: it is a link to {resolved}, outside {where}")
    return path


class Reservation:
    """A file the command will write, created empty (and exclusively) before anything that cannot
    be undone, such as spending a one-time enrollment secret: a path that cannot be written is
    refused while nothing is lost yet."""

    def __init__(self, path: Path, *, private: bool = False) -> None:
        self.path = path
        try:
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
        except FileExistsError:
            raise CannotWrite(f"{path} already exists; not overwriting it") from None
        except OSError as exc:
            raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}") from None

    def write(self, data: bytes) -> None:
        fd, self._fd = self._fd, None
        assert fd is not None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def discard(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)


def write_new(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write a file the command creates; never overwrite an existing key or certificate."""
    Reservation(path, private=private).write(data)


def write_replacing(path: Path, data: bytes) -> None:
    """Replace a published file (the CRL) whole, so a reader never sees half of it."""
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}") from None


@contextmanager
def undone_on_failure(home: Path) -> Iterator[None]:
    """A refused `init` leaves no half-made CA behind (one would block the next `init`): what it
    wrote is removed, when the home was new or empty before."""
    fresh = not home.exists() or (home.is_dir() and not any(home.iterdir()))
    existed = home.exists()
    try:
        yield
    except BaseException:
        if fresh and home.is_dir():
            if existed:
                for child in home.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
            else:
                shutil.rmtree(home, ignore_errors=True)
        raise
