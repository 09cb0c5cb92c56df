"""MemoryHost: sorted reads, prefix scans, applied writes, and its state file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm.errors import StateFileError
from vm.runtime import STATE_FILE, CallContext, Event, Host, MemoryHost
from vm.values import Party

keys = st.binary(max_size=4)
writes = st.dictionaries(keys, st.one_of(st.none(), st.binary(max_size=4)), max_size=12)


@given(st.lists(writes, max_size=4), keys)
def test_scan_matches_a_plain_dict(batches, prefix: bytes) -> None:
    host, model = MemoryHost(), {}
    for batch in batches:
        host.apply(batch)
        for k, v in batch.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
    assert host.items() == sorted(model.items())
    assert list(host.scan(prefix)) == sorted((k, v) for k, v in model.items() if k.startswith(prefix))
    for k in model:
        assert host.get(k) == model[k]
    assert len(host) == len(model)


def test_copy_is_independent_and_scan_is_a_snapshot() -> None:
    host = MemoryHost({b"a1": b"x", b"a2": b"y", b"b": b"z"})
    twin = host.copy()
    it = host.scan(b"a")
    host.apply({b"a3": b"w", b"a1": None})
    assert list(it) == [(b"a1", b"x"), (b"a2", b"y")]
    assert twin.items() == [(b"a1", b"x"), (b"a2", b"y"), (b"b", b"z")]
    assert host.get(b"a1") is None and host.get(b"a3") == b"w"


def test_memory_host_is_a_host() -> None:
    def read(h: Host) -> bytes | None:
        return h.get(b"k")

    assert read(MemoryHost({b"k": b"v"})) == b"v"
    assert isinstance(MemoryHost(), Host) and not isinstance(object(), Host)


def test_save_and_open(tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    host = MemoryHost.open(folder)
    assert host.items() == []
    host.apply({b"\x01b": b"2", b"\x00a": b"", b"\xff": b"\x00" * 300})
    host.save()
    first = (folder / STATE_FILE).read_bytes()
    again = MemoryHost.open(folder)
    assert again.items() == host.items()
    again.save()
    assert (folder / STATE_FILE).read_bytes() == first  # deterministic content
    assert [p.name for p in folder.iterdir()] == [STATE_FILE]  # no temp file left behind
    # the same entries applied in another order give the same file
    other = MemoryHost.open(tmp_path / "other")
    other.apply({b"\xff": b"\x00" * 300, b"\x00a": b""})
    other.apply({b"\x01b": b"2"})
    other.save()
    assert (tmp_path / "other" / STATE_FILE).read_bytes() == first


@pytest.mark.parametrize("damage", [
    lambda b: b[:-1], lambda b: b"junk" + b, lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:], lambda b: b"",
])
def test_corrupt_state_file_is_named(tmp_path: Path, damage) -> None:
    host = MemoryHost.open(tmp_path)
    host.apply({b"key": b"value", b"k2": b"v2"})
    host.save()
    path = tmp_path / STATE_FILE
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(StateFileError, match=str(path)):
        MemoryHost.open(tmp_path)


def test_save_needs_a_usable_folder(tmp_path: Path) -> None:
    with pytest.raises(StateFileError):
        MemoryHost().save()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StateFileError, match=str(blocker)):
        MemoryHost.open(blocker).save()


def test_context_and_event_are_frozen_data() -> None:
    ctx = CallContext(Party("PICC", "PICC", "insurer"), 1_700_000_000_000, b"\x00" * 32)
    assert ctx.tz_offset_minutes == 480 and ctx.channel == "local"
    with pytest.raises(AttributeError):
        ctx.timestamp_ms = 0
    assert Event("ClaimSettled", ("P1", 1)) == Event("ClaimSettled", ("P1", 1))
