"""What a call may spend: the gas schedule for state and events, and the call's resource limits.

Instruction gas lives in the opcode table (`vm.opcodes`), one figure per opcode; this module prices
what an opcode's figure cannot know in advance, because it depends on the bytes a call moves:
reading and writing state, scanning a map, emitting an event. Every price is a whole number and
depends only on sizes, so two nodes running the same call always charge the same gas.

When it is charged: the translator (`vm.translate`) charges a basic block's base gas as one sum on
entering it (a block that surely follows another is charged with it; the two arms of a branch
each carry the branch's cost), and tests for exhaustion at every loop header, function entry and
return, while state and event prices are charged, and tested, as they happen. So a completed call
pays exactly the sum over the blocks it ran plus what it moved, and any call whose charges pass
the limit ends "out of gas" (an abort raised after the limit was passed reads "out of gas" too).
"""

from __future__ import annotations

from dataclasses import dataclass

from vm.opcodes import MAX_CALL_DEPTH

# Reading state touches the ledger's disk (or its cache): a fixed price per access plus the bytes
# moved. A write is dearer than a read because every peer stores it and it enters the state hash.
READ_BASE = 200
READ_PER_BYTE = 1
WRITE_BASE = 1_000
WRITE_PER_BYTE = 5
DELETE_BASE = 500
# A map scan (iteration, `len` of a map) pays per entry it visits, on top of each entry's bytes.
SCAN_BASE = 200
SCAN_PER_ENTRY = 50
# Events travel in the transaction result to every peer and client.
EMIT_BASE = 400
EMIT_PER_BYTE = 3
# Building a list, map or text copies it (values are immutable): a price per element copied,
# per 16 characters of text produced, per 8 bytes hashed.
COPY_PER_ELEMENT = 1
TEXT_CHARS_PER_GAS = 16
HASH_BYTES_PER_GAS = 8
# Walking a value (`==`, `in`, text forms, hashing, encoding) costs by the value's size in units:
# one per List, Map or record and one per element in it, and one more per 64 characters of a Text
# (comparing or copying characters is a memory pass, far cheaper than a step of the walk). A value
# that shares parts (`Node(kids: [n, n])`) is measured as written out, not as stored: what Bao
# means by a value does not depend on sharing, so neither may its price. Measured by
# bench/gas.py against the Money loop of the shipped contracts (see the table there).
WALK_UNITS_PER_GAS = 1
TEXT_CHARS_PER_UNIT = 64
# `x in xs` over Int, Date, Text ... elements compares in C: eight elements cost one gas.
NATIVE_SCAN_PER_GAS = 8


def read_cost(key: bytes, value: bytes | None) -> int:
    return READ_BASE + READ_PER_BYTE * (len(key) + (len(value) if value is not None else 0))


def write_cost(key: bytes, value: bytes | None) -> int:
    if value is None:
        return DELETE_BASE + WRITE_PER_BYTE * len(key)
    return WRITE_BASE + WRITE_PER_BYTE * (len(key) + len(value))


def scan_cost(entries: int, nbytes: int) -> int:
    return SCAN_BASE + SCAN_PER_ENTRY * entries + READ_PER_BYTE * nbytes


def emit_cost(nbytes: int) -> int:
    return EMIT_BASE + EMIT_PER_BYTE * nbytes


def copy_cost(elements: int) -> int:
    return COPY_PER_ELEMENT * elements


def text_cost(chars: int) -> int:
    return chars // TEXT_CHARS_PER_GAS


def hash_cost(nbytes: int) -> int:
    return nbytes // HASH_BYTES_PER_GAS


def walk_cost(units: int) -> int:
    return units // WALK_UNITS_PER_GAS


def native_scan_cost(elements: int) -> int:
    return elements // NATIVE_SCAN_PER_GAS


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard bounds on one call, beside gas: each one crossed aborts the call with kind "limit".

    They keep a call's memory and its result small enough for every peer to hold and ship,
    whatever gas limit a channel sets."""

    call_depth: int = MAX_CALL_DEPTH  # nested `fn` calls (the entry itself is depth 1)
    # Lists, Maps and records inside each other: a language limit (LANGUAGE.md section 6), checked
    # where a value is built, read from an argument or decoded from state, so that every walk of a
    # value is bounded by it and no outcome depends on how much stack the host has left.
    nesting: int = 32
    value_size: int = 64 * 1024  # bytes of one value written to state or returned
    collection_length: int = 10_000  # elements of one List or entries of one Map value
    text_length: int = 16 * 1024  # code points of one Text value
    events: int = 64  # events one call may emit
    writes: int = 1_024  # distinct state keys one call may write


DEFAULT_LIMITS = Limits()
