"""The one deterministic codec for everything the node signs or hashes.

Choice: a canonical subset of MessagePack. It is already a dependency, its C implementation
encodes and decodes about five times faster than canonical CBOR here (msgpack ≈ 139k vs cbor2
≈ 28k encode+decode per second on a typical record), and the subset below makes every value have
exactly one encoding, so "hash of the encoding" is a function of the value.

The canonical subset:
- values: None, bool, int, str (UTF-8), bytes, list/tuple (an array; decoded as list) and dict.
  bytes and str stay distinct (bin vs str families). There are no floats, no timestamps, and no
  extension types except the one below.
- ints use msgpack's shortest form. Ints outside [-2**63, 2**64) (Bao's Int reaches 2**255) use
  extension type 1 holding the shortest big-endian two's-complement bytes; that form is refused
  for an int that fits a native msgpack int.
- every length (str, bin, array, map) uses its shortest header.
- map keys are str, bytes or int (not bool), unique, and sorted by their own encoded bytes
  (bytewise), as deterministic CBOR does. For a map whose keys are all str, that order is exactly
  (UTF-8 length, UTF-8 bytes), and for all bytes exactly (length, bytes): the shortest headers
  rise with the length (fixstr 0xa0+n < str8 0xd9 < str16 0xda < str32 0xdb; bin8 0xc4 <
  bin16 0xc5 < bin32 0xc6), each followed by the length big-endian, then the payload. `encode`
  and `decode` use these pairs instead of encoding every key (UTF-8 orders as code points do, so
  `decode` compares the str itself and needs only its UTF-8 length); mixed maps compare encodings.
- containers nest at most `MAX_DEPTH` (1024) deep: the most msgpack's decoder reads. `encode`
  refuses deeper values, so both directions agree, and neither answers with Python's
  RecursionError (whose depth would depend on the caller's stack, which no two nodes share).
- msgpack's timestamp extension (-1) is not in the subset: it is refused like any other.

`decode` refuses any input that is not the canonical encoding of its value (trailing bytes, a
longer form, unsorted or duplicate keys, floats, unknown extensions): the rule is exactly
"decode(b) succeeds iff encode(decode(b)) == b". It checks key order while reading maps and then
re-packs the value natively, which is the same test at a fraction of a full re-encoding's cost:
a value whose maps are in canonical order and which holds no float and no big int packs natively
to exactly its canonical encoding. Floats are the one value native packing does not refuse; a
float packs with the marker byte 0xca (single width) or 0xcb (double), so an input lacking one of
the two bytes is re-packed once, under that width (a float would put the byte into the packing),
and only an input holding both is re-packed under both (a float reproduces under at most one).
"""

from __future__ import annotations

import threading
from typing import Any

import msgpack

from node.recent import Recent

_BIGINT_EXT = 1
_NATIVE_MIN = -(2**63)
_NATIVE_END = 2**64
MAX_DEPTH = 1024  # msgpack's decoder refuses deeper nesting; encode agrees with it
_FLAT = frozenset((str, bytes, bool, type(None)))  # the types `_canonical` returns as they are


class CodecError(ValueError):
    """A value the codec cannot encode, or bytes that are not a canonical encoding."""


def encode(value: Any) -> bytes:
    """The canonical encoding of `value`; raises `CodecError` for values outside the subset."""
    try:
        if type(value) is list and _is_flat(value):
            return _PACKERS.strict.pack(value)
        try:
            canonical = _canonical(value)
        except RecursionError:
            # Only deeply nested values get here; the explicit walk decides by MAX_DEPTH alone.
            canonical = _canonical_deep(value)
        return _PACKERS.strict.pack(canonical)
    except CodecError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise CodecError(f"cannot encode: {exc}") from None


def _is_flat(items: list) -> bool:
    # Whether `_canonical` would return every item as it is: str, bytes, None, bools and native
    # ints. Most values the node encodes are such lists (its signed messages, the value preimages,
    # the block store's index records: a dozen per transaction and node), and one pass without a
    # call per item costs a fraction of `_canonical`'s walk.
    for v in items:
        t = type(v)
        if t is int:
            if not _NATIVE_MIN <= v < _NATIVE_END:
                return False
        elif t not in _FLAT:
            return False
    return True


def decode(data: bytes) -> Any:
    """The value `data` canonically encodes; raises `CodecError` for anything else."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CodecError(f"cannot decode a {type(data).__name__}: bytes expected")
    raw = bytes(data)
    try:
        value = msgpack.unpackb(
            raw,
            raw=False,
            use_list=True,
            strict_map_key=False,
            ext_hook=_ext_hook,
            object_hook=_ordered_map,
            # msgpack reads its timestamp extension itself, bypassing ext_hook; as a float it cannot
            # re-pack to its input, so the checks below refuse it with the other floats.
            timestamp=1,
        )
    except CodecError:
        raise
    except Exception as exc:  # msgpack reports malformed input with several exception types
        raise CodecError(f"malformed encoding: {str(exc) or type(exc).__name__}") from None
    # Maps were checked for canonical key order as they were read, so packing the value back in
    # its own order must reproduce the input exactly (a repeated key collapsed into one entry, so
    # its map packs shorter). Floats must be refused too: a float packs with a marker byte, 0xca
    # under single width or 0xcb under double, so when the input lacks one of those bytes, packing
    # under that width reproduces the input only if the value holds no float. Only an input
    # holding both bytes is packed under both widths: a float reproduces under at most one.
    packers = _PACKERS
    try:
        if b"\xca" not in raw:
            if packers.single.pack(value) == raw:
                return value
        elif b"\xcb" not in raw:
            if packers.double.pack(value) == raw:
                return value
        elif packers.double.pack(value) == raw == packers.single.pack(value):
            return value
    except (OverflowError, TypeError, ValueError):
        pass  # big ints do not pack natively: the general check below covers them
    try:
        again = encode(value)
    except CodecError as exc:
        raise CodecError(f"not in the canonical subset: {exc}") from None
    if again != raw:
        raise CodecError("not the canonical encoding of its value (non-shortest form, key order or duplicate keys)")
    return value


class _Packers(threading.local):
    """This thread's packers. `msgpack.packb` builds a Packer, with a 256 KiB buffer, on every
    call, which cost more than packing a message; a Packer returns its bytes and empties its
    buffer after each `pack`, failed ones included, and packs without running Python code, so
    one per thread is enough."""

    def __init__(self) -> None:
        self.double = msgpack.Packer(use_bin_type=True)
        self.single = msgpack.Packer(use_bin_type=True, use_single_float=True)
        self.strict = msgpack.Packer(use_bin_type=True, strict_types=True)


_PACKERS = _Packers()


# Sequences of str keys already seen in canonical order. A node reads the same few messages over
# and over (an envelope, a proposal, a response: the same field names each time), and a sequence
# equal to one of these is all str and in order (a str equals only a str). msgpack interns the
# str keys it reads, so the lookup hashes nothing new. Bounded: the oldest entry goes first.
_ORDERED_NAMES: Recent[tuple[str, ...], None] = Recent(1024)


def _ordered_map(mapping: dict) -> dict:
    # msgpack calls this with each map as it reads it, keys in their input order (a repeated key
    # has collapsed into one entry: `decode` refuses it when the value packs shorter than its
    # input). Maps whose keys are all str, or all bytes, are checked in one pass without encoding
    # a key, by the (length, bytes) rule of the module docstring: that pair must rise strictly.
    # For str, UTF-8 orders as the code points do, so the str itself stands for its bytes and
    # only its UTF-8 length is needed (its length, when ASCII). The first key picks the family;
    # a key of any other type sends the map to the general check.
    keys = iter(mapping)
    first = next(keys, None)
    if type(first) is str:
        names = tuple(mapping)
        if names in _ORDERED_NAMES:
            return mapping
        prev_s = first
        prev_n = len(first) if first.isascii() else len(first.encode("utf-8"))
        for k in keys:
            if type(k) is not str:
                return _ordered_mixed_map(mapping)
            n = len(k) if k.isascii() else len(k.encode("utf-8"))
            if n < prev_n or (n == prev_n and k <= prev_s):
                raise CodecError("map keys out of canonical order")
            prev_n, prev_s = n, k
        _ORDERED_NAMES.put(names, None)
        return mapping
    if type(first) is bytes:
        prev_b = first
        for k in keys:
            if type(k) is not bytes:
                return _ordered_mixed_map(mapping)
            n = len(k)
            if n < len(prev_b) or (n == len(prev_b) and k <= prev_b):
                raise CodecError("map keys out of canonical order")
            prev_b = k
        return mapping
    if first is None and not mapping:
        return mapping
    return _ordered_mixed_map(mapping)


def _ordered_mixed_map(mapping: dict) -> dict:
    for k in mapping:
        tk = type(k)
        if tk is not str and tk is not bytes and tk is not int:
            raise CodecError(f"map keys must be str, bytes or int, not {tk.__name__}")
    order = [encode(k) for k in mapping]
    for a, b in zip(order, order[1:]):
        if not a < b:
            raise CodecError("map keys out of canonical order")
    return mapping


def _canonical(value: Any) -> Any:
    # Rebuild the value with dicts in canonical key order and big ints as extensions; msgpack's
    # strict_types then refuses any type this walk did not produce (such as float or a subclass).
    t = type(value)
    if t is str or t is bytes or t is bool or value is None:
        return value
    if t is int:
        if _NATIVE_MIN <= value < _NATIVE_END:
            return value
        return msgpack.ExtType(_BIGINT_EXT, _int_to_bytes(value))
    if t is list or t is tuple:
        return [_canonical(v) for v in value]
    if t is dict:
        return _canonical_map(value)
    if t is bytearray or t is memoryview:
        return bytes(value)
    raise CodecError(f"{t.__name__} is not in the codec's subset (no floats; use int, str, bytes, list, dict)")


def _canonical_map(value: dict) -> dict:
    if all(type(k) is str for k in value):
        # For str keys, msgpack's shortest headers order exactly as (UTF-8 length, UTF-8 bytes), so
        # the common case sorts without encoding each key.
        keys = sorted(value, key=_str_key_order)
        return {k: _canonical(value[k]) for k in keys}
    if all(type(k) is bytes for k in value):
        return {k: _canonical(value[k]) for k in sorted(value, key=_bytes_key_order)}
    items = []
    for k, v in value.items():
        tk = type(k)
        if tk is not str and tk is not bytes and tk is not int:
            raise CodecError(f"map keys must be str, bytes or int, not {tk.__name__}")
        items.append((encode(k), _canonical(k), v))
    items.sort(key=_first)
    return {k: _canonical(v) for _, k, v in items}


def _canonical_deep(value: Any) -> Any:
    """`_canonical` without Python recursion, for values nested too deeply for it."""
    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, holder, 0, 0)]
    while stack:
        item, parent, slot, depth = stack.pop()
        t = type(item)
        if t is list or t is tuple or t is dict:
            if depth >= MAX_DEPTH:
                raise CodecError(f"containers nested more than {MAX_DEPTH} deep")
            if t is dict:
                # An empty shell in canonical key order; filling a key keeps its place.
                ordered = _canonical_map({k: None for k in item})
                out: Any = ordered
                originals = {_canonical(k): k for k in item}
                stack.extend((item[originals[k]], out, k, depth + 1) for k in ordered)
            else:
                out = [None] * len(item)
                stack.extend((v, out, i, depth + 1) for i, v in enumerate(item))
        else:
            out = _canonical(item)
        parent[slot] = out
    return holder[0]


def _str_key_order(key: str) -> tuple[int, bytes]:
    raw = key.encode("utf-8")
    return len(raw), raw


def _bytes_key_order(key: bytes) -> tuple[int, bytes]:
    return len(key), key


def _first(item: tuple) -> bytes:
    return item[0]


def _int_to_bytes(value: int) -> bytes:
    # Shortest two's complement: the magnitude's bits plus a sign bit (~value for negatives).
    length = ((value if value >= 0 else ~value).bit_length() + 8) // 8
    return value.to_bytes(length, "big", signed=True)


def _ext_hook(code: int, data: bytes) -> int:
    if code != _BIGINT_EXT:
        raise CodecError(f"extension type {code} is not in the codec's subset")
    if not data:
        raise CodecError("empty big-int extension")
    value = int.from_bytes(data, "big", signed=True)
    if _NATIVE_MIN <= value < _NATIVE_END or _int_to_bytes(value) != data:
        raise CodecError("big-int extension used for a value with a shorter form")
    return value
