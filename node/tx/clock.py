"""The proposal timestamp rule: a proposal's timestamp (the contract's `now`) must lie within the
channel's clock-skew window of the clock it is checked against.

`check_timestamp` is pure: the caller chooses the clock. An endorsing peer passes its own
clock. A validating peer must pass a time every peer of the channel shares for the block (its
ordering timestamp), never its own clock: validation has to reach the same code on every peer.
The window is closed: ``|timestamp - now| <= skew`` passes.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from node.tx.errors import TimestampError

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def now_ms() -> int:
    """This machine's clock, in milliseconds since 1970-01-01T00:00:00Z."""
    return time.time_ns() // 1_000_000


def check_timestamp(ts_ms: int, now_ms: int, skew_ms: int) -> None:
    """Raise `TimestampError` unless ``|ts_ms - now_ms| <= skew_ms``."""
    for label, value in (("timestamp", ts_ms), ("now", now_ms), ("skew", skew_ms)):
        if type(value) is not int:
            raise TypeError(f"{label} must be an int of milliseconds, not {type(value).__name__}")
    if skew_ms < 0:
        raise ValueError(f"a clock-skew window cannot be negative ({skew_ms} ms)")
    off = ts_ms - now_ms
    if abs(off) <= skew_ms:
        return
    direction = "behind" if off < 0 else "ahead of"
    raise TimestampError(
        f"the proposal's timestamp {_shown(ts_ms)} is {_duration(abs(off))} {direction} the node's clock "
        f"({_shown(now_ms)}); the channel accepts at most {_duration(skew_ms)}",
        ts_ms, now_ms, skew_ms,
    )


def _shown(ms: int) -> str:
    try:
        at = _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return f"{ms} ms"
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(ms: int) -> str:
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"
