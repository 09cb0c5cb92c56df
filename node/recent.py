"""`Recent`: a map that keeps the last ``size`` keys put, the oldest forgotten first.

The node remembers many things for a while and no longer: signatures it verified, messages it
decoded, names it checked, digests it delivered. Each memory is bounded (a peer must not grow it
without end) and forgets in insertion order (what came first is the least likely to come again).

Why an `OrderedDict` and not a plain dict evicting with ``d.pop(next(iter(d)))``: a dict leaves
a dummy slot where each entry was deleted and compacts only when it grows, so ``next(iter(d))``
walks over every entry deleted since: at 16,384 entries an eviction cost 4-5 µs, and 18 µs at
65,536 (a dict of insertions and front evictions in a loop), where an `OrderedDict` unlinks its
first entry in a fraction of a microsecond at any size. The node evicts several times per
transaction (measured: the verified-signature memo's eviction was 2% of a PBFT cluster's CPU).

Putting a key again does not refresh it (a plain dict's and `OrderedDict`'s assignment alike);
`touch` does, for a memory used as least-recently-used. Threads: each step is one call into
`OrderedDict`'s C code, so threads that put at once never lose an entry the map holds, nor pop a
key twice; the map may drop below ``size`` for a moment, never above it after a `put`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(OrderedDict[K, V]):
    """The last ``size`` keys put (``size`` >= 1), read as a mapping."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a Recent memory holds at least one entry, not {size}")
        super().__init__()
        self.size = size

    def put(self, key: K, value: V) -> None:
        """Remember ``key``; forget the oldest key when more than ``size`` are held."""
        self[key] = value
        if len(self) > self.size:
            try:
                self.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                pass

    def touch(self, key: K) -> None:
        """Make ``key`` the newest: it is forgotten last (nothing when another thread has just
        forgotten it)."""
        try:
            self.move_to_end(key)
        except KeyError:
            pass
