"""Frames, the bounded queue, back-off and settings: the links' parts without a socket."""

from __future__ import annotations

import asyncio
import random

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from node import codec
from node.net import FrameError, LinkSettings, Peer, parse_address
from node.net.backoff import Backoff
from node.net.bounded import BoundedQueue, QueueClosed
from node.net.frames import decode_body, encode_frame, read_body, read_frame
from node.net.values import DECODED_VALUE_COST, SCAN_FROM, count_values, decoded_weight

LIMIT = 1024


def test_a_frame_is_a_big_endian_length_then_the_codec_bytes() -> None:
    message = {"type": "pull", "channel": "claims", "from": 7}
    frame = encode_frame(message, LIMIT)
    body = codec.encode(message)
    assert frame == len(body).to_bytes(4, "big") + body


@pytest.mark.parametrize("message, words", [
    ([1, 2], "a map"),
    ({"channel": "claims"}, '"type"'),
    ({"type": b"block"}, '"type"'),
    ({"type": "hello", "node": "x", "org": "y"}, "belong to the links"),
    ({"type": "ping"}, "belong to the links"),
])
def test_the_sender_may_not_send_what_a_receiver_refuses(message: object, words: str) -> None:
    with pytest.raises(FrameError, match=words):
        encode_frame(message, LIMIT)  # type: ignore[arg-type]


def test_a_message_over_the_frame_limit_is_refused_when_sent() -> None:
    with pytest.raises(FrameError, match="over the frame limit"):
        encode_frame({"type": "block", "block": bytes(LIMIT)}, LIMIT)


def test_values_outside_the_codec_are_the_codecs_refusal() -> None:
    with pytest.raises(codec.CodecError):
        encode_frame({"type": "x", "f": 1.5}, LIMIT)


@pytest.mark.parametrize("body, words", [
    (b"\xc1", "not canonical codec"),
    (msgpack.packb({"type": "x", "a": 1}, use_bin_type=True)[:-1], "not canonical codec"),
    (msgpack.packb({"type": "x"}, use_bin_type=True) + b"\x00", "not canonical codec"),
    (b"\x82\xa4type\xa1x\xa1b\x01", "not canonical codec"),  # keys out of order ("b" sorts first)
    (codec.encode([1, 2, 3]), "not a map"),
    (codec.encode({"kind": "x"}), '"type"'),
    (codec.encode({"type": 3}), '"type"'),
    (b"", "not canonical codec"),
])
def test_a_bad_body_is_refused_naming_the_fault(body: bytes, words: str) -> None:
    with pytest.raises(FrameError, match=words):
        decode_body(body)


def test_a_length_over_the_limit_is_refused_before_any_body_is_read() -> None:
    async def main() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data((2**32 - 1).to_bytes(4, "big"))  # and no body at all
        with pytest.raises(FrameError, match="over the limit"):
            await read_frame(reader, LIMIT, LIMIT)

    asyncio.run(main())


def test_frames_read_back_in_order_and_a_clean_end_is_an_empty_partial_read() -> None:
    async def main() -> None:
        reader = asyncio.StreamReader()
        for i in range(3):
            reader.feed_data(encode_frame({"type": "x", "i": i}, LIMIT))
        reader.feed_eof()
        assert [(await read_frame(reader, LIMIT, LIMIT))[0]["i"] for _ in range(3)] == [0, 1, 2]
        with pytest.raises(asyncio.IncompleteReadError) as ended:
            await read_frame(reader, LIMIT, LIMIT)
        assert ended.value.partial == b""

    asyncio.run(main())


codec_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**200), max_value=2**200) | st.text(max_size=40)
    | st.binary(max_size=300),
    lambda inner: st.lists(inner, max_size=20)
    | st.dictionaries(st.text(max_size=8) | st.integers() | st.binary(max_size=8), inner, max_size=10),
    max_leaves=200,
)


def _walk(value: object) -> int:
    if isinstance(value, dict):
        return 1 + sum(_walk(k) + _walk(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(_walk(v) for v in value)
    return 1


@given(codec_values)
def test_the_value_count_is_exactly_what_decoding_would_build(value: object) -> None:
    body = codec.encode(value)
    assert count_values(body, 10**9) == _walk(value)
    assert count_values(body, 3) == min(_walk(value), 4)  # stops once past the limit


def test_a_body_of_many_tiny_values_is_refused_before_it_is_decoded() -> None:
    async def main() -> None:
        n = 100_000  # 100 kB of empty arrays: 6.7 MB once decoded
        body = b"\x81\xa4type\xdd" + n.to_bytes(4, "big") + b"\x90" * n  # {"type": [[], [], ...]}
        reader = asyncio.StreamReader()
        reader.feed_data(body)
        with pytest.raises(FrameError, match="over 50000 values"):
            await read_body(reader, len(body), 2**20, 50_000)

    asyncio.run(main())


def test_a_message_is_charged_its_body_and_what_its_values_may_cost() -> None:
    short = codec.encode({"type": "x", "n": list(range(10))})
    assert decoded_weight(short, 10**6) == (len(short), len(short) * (1 + DECODED_VALUE_COST))  # bound
    block = codec.encode({"type": "block", "block": bytes(SCAN_FROM * 4), "signature": bytes(64)})
    assert decoded_weight(block, 10**6) == (7, len(block) + 7 * DECODED_VALUE_COST)  # a map, 3 keys, 3 values


def test_the_queue_is_bounded_by_items_and_by_bytes_and_one_item_always_fits() -> None:
    queue: BoundedQueue[str] = BoundedQueue(max_items=3, max_bytes=100)
    assert queue.put_nowait("huge", 500)  # empty: it fits whatever its size
    assert not queue.put_nowait("small", 1)
    assert queue.get_nowait() == "huge"
    assert queue.put_nowait("a", 40) and queue.put_nowait("b", 40)
    assert not queue.put_nowait("c", 40)  # 120 bytes > 100
    assert queue.put_nowait("c", 20)
    assert not queue.put_nowait("d", 0)  # 3 items
    assert (len(queue), queue.size, queue.peak_items, queue.peak_bytes) == (3, 100, 3, 500)


def test_waiting_puts_go_in_their_order_and_put_nowait_does_not_jump_them() -> None:
    async def main() -> None:
        queue: BoundedQueue[int] = BoundedQueue(max_items=1, max_bytes=10)
        assert queue.put_nowait(0, 1)
        waiting = [asyncio.create_task(queue.put(i, 1)) for i in (1, 2, 3)]
        await asyncio.sleep(0)
        assert not queue.put_nowait(99, 1)
        got = [await queue.get() for _ in range(4)]
        await asyncio.gather(*waiting)
        assert got == [0, 1, 2, 3]

    asyncio.run(main())


def test_a_cancelled_get_loses_nothing_and_a_cancelled_put_strands_nobody() -> None:
    async def main() -> None:
        queue: BoundedQueue[int] = BoundedQueue(max_items=1, max_bytes=10)
        getter = asyncio.create_task(queue.get())
        await asyncio.sleep(0)
        queue.put_nowait(1, 1)  # wakes the getter ...
        getter.cancel()  # ... which is cancelled before it runs
        await asyncio.gather(getter, return_exceptions=True)
        assert queue.get_nowait() == 1
        queue.put_nowait(2, 1)
        first, second = asyncio.create_task(queue.put(3, 1)), asyncio.create_task(queue.put(4, 1))
        await asyncio.sleep(0)
        assert queue.get_nowait() == 2  # wakes `first` ...
        first.cancel()  # ... which passes the wake-up on
        await asyncio.sleep(0)
        await asyncio.wait_for(second, 1)
        assert queue.get_nowait() == 4

    asyncio.run(main())


def test_closing_wakes_putters_with_an_error_and_lets_getters_drain() -> None:
    async def main() -> None:
        queue: BoundedQueue[int] = BoundedQueue(max_items=1, max_bytes=10)
        queue.put_nowait(1, 1)
        putter = asyncio.create_task(queue.put(2, 1))
        await asyncio.sleep(0)
        queue.close()
        with pytest.raises(QueueClosed):
            await putter
        assert await queue.get() == 1
        with pytest.raises(QueueClosed):
            await queue.get()
        with pytest.raises(QueueClosed):
            queue.put_nowait(3, 1)

    asyncio.run(main())


def test_back_off_doubles_to_its_cap_with_jitter_in_the_upper_half_and_resets() -> None:
    backoff = Backoff(0.1, 5.0, random.Random(7))
    steps = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    for step in steps:
        assert step / 2 <= backoff.next_delay() <= step
    backoff.reset()
    assert 0.05 <= backoff.next_delay() <= 0.1


def test_addresses_and_peers() -> None:
    assert parse_address("127.0.0.1:40123") == ("127.0.0.1", 40123)
    assert parse_address("[::1]:7") == ("::1", 7)
    assert Peer.at("peer0-org1", "Org1", "localhost:9") == Peer("peer0-org1", "Org1", "localhost", 9)
    for bad in ("127.0.0.1", ":80", "::1:80", "host:99999", "host:x"):
        with pytest.raises(ValueError):
            parse_address(bad)
    with pytest.raises(ValueError):
        Peer("peer0/org1", "Org1", "127.0.0.1", 9)  # names follow check_name
    with pytest.raises(ValueError):
        Peer("peer0-org1", "Org1", "127.0.0.1", 0)


def test_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ValueError, match="idle_timeout"):
        LinkSettings(heartbeat=5, idle_timeout=5)
    with pytest.raises(ValueError, match="max_frame"):
        LinkSettings(max_frame=2**32)
    with pytest.raises(ValueError, match="send_queue_frames"):
        LinkSettings(send_queue_frames=0)
    with pytest.raises(ValueError, match="max_frame_values"):
        LinkSettings(max_frame_values=100)
