"""vm.files.write_atomically: the one writer of the files every layer keeps."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from vm import files
from vm.files import PRIVATE, write_atomically


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_is_replaced_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "state"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_atomically(path, b"new contents")
    assert path.read_bytes() == b"new contents" and _mode(path) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["state"]  # no temporary file left beside it


def test_a_new_file_gets_the_users_mode_or_the_one_asked_for(tmp_path: Path) -> None:
    umask = os.umask(0o027)
    try:
        write_atomically(tmp_path / "doc.html", b"<p>")
        write_atomically(tmp_path / "key.pem", b"secret", PRIVATE)
    finally:
        os.umask(umask)
    assert _mode(tmp_path / "doc.html") == 0o640 and _mode(tmp_path / "key.pem") == 0o600


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "module.baom"
    path.write_bytes(b"old")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["module.baom"]


def test_a_folder_that_does_not_exist_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_atomically(tmp_path / "missing" / "f", b"x")
    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path / "..", b"x")
