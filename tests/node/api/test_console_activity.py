"""The activity ring (node.chain.activity): buckets of wall-clock time, commit latency from the
node's receipt of a transaction (else from its block's time), bounded memory."""

from __future__ import annotations

from hypothesis import given, strategies as st

from node.chain.activity import BUCKET_MS, PENDING_MAX, SAMPLES_MAX, WINDOW_MINUTES, Activity
from node.tx.codes import ValidationCode

VALID, ABORT = ValidationCode.VALID, ValidationCode.CONTRACT_ABORT
T0 = 1_800_000_000_000  # a bucket boundary


def test_latency_runs_from_receipt_when_this_node_received_it_else_from_the_block():
    ring = Activity()
    ring.received(b"a", T0 + 100)
    ring.committed(T0 + 50, [VALID, ABORT], [b"a", b"b"], T0 + 400)  # a: 300 ms, b: 350 ms
    (bucket,) = ring.buckets(BUCKET_MS, T0 + 500)
    assert bucket == {"start": T0, "blocks": 1, "transactions": 2, "codes": {"VALID": 1, "CONTRACT_ABORT": 1},
                      "commit_latency_ms": {"p50": 300, "p99": 350}}
    ring.committed(T0 + 50, [VALID], [b"a"], T0 + 900)  # a's receipt was used up: from the block now
    assert ring.buckets(BUCKET_MS, T0 + 1000)[0]["commit_latency_ms"] == {"p50": 350, "p99": 850}


def test_buckets_cover_the_window_oldest_first_and_forget_what_left_it():
    ring = Activity()
    ring.committed(T0, [VALID], [], T0 + 1)
    ring.committed(T0, [VALID], [], T0 + 3 * BUCKET_MS + 5)
    shown = ring.buckets(60_000, T0 + 3 * BUCKET_MS + 10)
    assert len(shown) == 6 and [b["start"] for b in shown] == [T0 + (i - 2) * BUCKET_MS for i in range(6)]
    assert [b["blocks"] for b in shown] == [0, 0, 1, 0, 0, 1] and shown[0]["commit_latency_ms"] is None
    an_hour_later = T0 + WINDOW_MINUTES * 60_000  # the same slot, reused
    ring.committed(an_hour_later, [ABORT], [], an_hour_later + 1)
    whole = ring.buckets(WINDOW_MINUTES * 60_000, an_hour_later + 2)
    assert sum(b["blocks"] for b in whole) == 2 and whole[-1]["codes"] == {"CONTRACT_ABORT": 1}


def test_memory_is_bounded_however_busy():
    ring = Activity()
    for i in range(PENDING_MAX + 10):
        ring.received(i.to_bytes(4, "big"), T0)
    assert len(ring._received) == PENDING_MAX
    ids = [i.to_bytes(4, "big") for i in range(3 * SAMPLES_MAX)]
    ring.committed(T0, [VALID] * len(ids), ids, T0 + 5)
    slot = ring._slots[(T0 // BUCKET_MS) % len(ring._slots)]
    assert slot is not None and len(slot.latencies) < SAMPLES_MAX and slot.transactions == len(ids)


@given(st.lists(st.integers(0, 5_000), min_size=1, max_size=300))
def test_the_percentiles_are_samples_in_order(latencies):
    ring = Activity()
    for i, ms in enumerate(latencies):
        ring.committed(T0, [VALID], [bytes([i % 256, i // 256])], T0 + ms)
    (bucket,) = ring.buckets(BUCKET_MS, T0 + 5_000)  # every commit fell in this one
    p, ordered = bucket["commit_latency_ms"], sorted(latencies)
    assert p["p50"] == ordered[(len(ordered) - 1) // 2] and p["p99"] in ordered and p["p50"] <= p["p99"]
    assert p["p99"] >= ordered[int(0.98 * (len(ordered) - 1))]
