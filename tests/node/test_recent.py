"""`node.recent.Recent`: the bounded memories of the node, against a list as the model."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.recent import Recent

_STEPS = st.lists(st.tuples(st.sampled_from(["put", "touch"]), st.integers(0, 12), st.integers()), max_size=80)


@given(size=st.integers(1, 6), steps=_STEPS)
def test_it_keeps_the_last_keys_put_and_forgets_the_oldest_first(size: int, steps) -> None:
    memory: Recent[int, int] = Recent(size)
    model: list[tuple[int, int]] = []  # oldest first
    for op, key, value in steps:
        held = [k for k, _ in model]
        if op == "put":
            memory.put(key, value)
            if key in held:  # a key put again keeps its place, takes the new value
                model[held.index(key)] = (key, value)
            else:
                model.append((key, value))
                del model[:-size]
        else:
            memory.touch(key)  # a key not held (forgotten meanwhile, by another thread say): nothing
            if key in held:
                model.append(model.pop(held.index(key)))
        assert list(memory.items()) == model
        assert len(memory) <= size


def test_a_memory_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Recent(0)


def test_threads_putting_at_once_lose_nothing_it_should_hold_and_never_raise() -> None:
    memory: Recent[tuple[int, int], None] = Recent(64)
    errors: list[BaseException] = []

    def put_many(t: int) -> None:
        try:
            for i in range(20_000):
                memory.put((t, i), None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put_many, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert 0 < len(memory) <= 64
    assert all(i >= 20_000 - 64 * 4 for _, i in memory)  # only recent keys are held
