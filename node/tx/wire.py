"""Reading decoded codec values as message fields: the one place that says what a field may hold.

The codec (`node.codec`) turns bytes into plain values and refuses any encoding that is not
canonical. This module takes those values apart field by field: a message is a map with exactly
its fields (str keys; a missing or unknown one is an error), and each field is checked for type
and bounds. Every refusal is a `TxFormatError` naming the field by its path from the message's
top (``proposal.args[1].holder``), and nothing here raises anything else, whatever the value.
A node reads every field of every transaction, nearly all of them well formed, so the common
checks run without building paths (`fields` in set operations, `json_value` in one walk); a
value they do not pass goes through the checks that name what is wrong, the same rule.

Field rules:
- names a person picks (channels, organisations, contracts, versions) follow the project's one
  rule, `node.identity.names.check_name`, and must already be in the NFC form it returns (one
  name, one encoding);
- entry and event names are Bao identifiers (LANGUAGE.md section 2: XID_Start or ``_``, then
  XID_Continue), which is exactly Python's `str.isidentifier`;
- roles follow the certificate's rule (`node.identity.names.make_claims`): a lowercase word;
- values crossing the contract boundary are LANGUAGE.md section 7's JSON: objects with text
  keys, arrays, text, whole numbers and booleans. There is no null and no float in section 7,
  so neither is accepted; the declared types are checked later, by `vm.jsonform`, with the
  parameter's name. The codec orders an object's keys canonically, so the order a client wrote
  is not kept (no section-7 reader depends on it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeAlias, Union

from node import codec
from node.identity.names import ClaimError, check_name
from node.recent import Recent
from node.tx import limits as L
from node.tx.errors import TxFormatError

JSONValue: TypeAlias = Union[bool, int, str, list["JSONValue"], dict[str, "JSONValue"]]

_ROLE = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
_JSON_INT_LIMIT = 2**L.JSON_INT_BITS_MAX


class Memo(Recent[bytes, Any]):
    """Messages decoded lately, by their bytes. A node reads each proposal and each result twice:
    once to endorse it, once to validate its block. Bytes name exactly one message (the codec's
    canonical rule) and the message types are frozen, so the second reading may be the first's
    result. Bounded: the oldest entry goes first. Callers treat what they get as read-only."""

    def decoded(self, data: bytes, decode: Callable[[bytes], Any]) -> Any:
        """``decode(data)``, or what it gave when these bytes were read lately."""
        if type(data) is not bytes:  # bytearray, memoryview: not hashable as they are
            return decode(data)
        found = self.get(data)
        if found is None:
            found = decode(data)
            self.put(data, found)  # from the client library's threads too: `Recent` allows it
        return found


def kind(value: object) -> str:
    """How a decoded value is described in an error: the wire's words, not Python's."""
    if value is None:
        return "nil"
    return {bool: "a boolean", int: "an integer", str: "text", bytes: "bytes", list: "an array", dict: "a map"}.get(
        type(value), type(value).__name__
    )


def decode(data: object, where: str, max_bytes: int) -> Any:
    """The codec value of `data`, refused before parsing when longer than `max_bytes`."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TxFormatError(where, f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise TxFormatError(where, f"{len(data)} bytes; at most {max_bytes} are accepted")
    try:
        return codec.decode(data if type(data) is bytes else bytes(data))
    except codec.CodecError as exc:
        raise TxFormatError(where, str(exc)) from None


def encode(value: object, where: str, max_bytes: int) -> bytes:
    """The canonical bytes of `value`, refused when longer than `max_bytes` (what a node would refuse)."""
    try:
        data = codec.encode(value)
    except codec.CodecError as exc:
        raise TxFormatError(where, str(exc)) from None
    if len(data) > max_bytes:
        raise TxFormatError(where, f"{len(data)} bytes; at most {max_bytes} are accepted")
    return data


def fields(value: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """`value` as a message map holding every `required` field, any of `optional`, and nothing else."""
    if type(value) is not dict:
        raise TxFormatError(where, f"expected a map of fields, got {kind(value)}")
    listed, needed = _field_sets(required, optional)
    keys = value.keys()
    if keys <= listed and keys >= needed:  # the common case, in C; a str equals only a str
        return value
    for key in value:
        if type(key) is not str:
            raise TxFormatError(where, f"a field name must be text, not {kind(key)}")
        if key not in required and key not in optional:
            raise TxFormatError(f"{where}.{key}", "unknown field")
    for key in required:
        if key not in value:
            raise TxFormatError(f"{where}.{key}", "missing")
    return value


@functools.lru_cache(maxsize=256)  # a message type's fields are a few constant tuples
def _field_sets(required: tuple[str, ...], optional: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(required + optional), frozenset(required)


def one_of(value: dict[str, Any], where: str, choices: tuple[str, ...]) -> str:
    """The one field of `choices` that `value` holds (after `fields` listed them as optional)."""
    present = [c for c in choices if c in value]
    if len(present) != 1:
        listed = " or ".join(f"'{c}'" for c in choices)
        what = "neither" if not present else "both"
        raise TxFormatError(where, f"must hold exactly one of {listed}, holds {what}")
    return present[0]


def text(value: object, where: str, max_characters: int) -> str:
    if type(value) is not str:
        raise TxFormatError(where, f"expected text, got {kind(value)}")
    if len(value) > max_characters:
        raise TxFormatError(where, f"{len(value)} characters; at most {max_characters}")
    return value


def name(value: object, where: str, what: str) -> str:
    """A name a person picks (channel, organisation, contract, version): `check_name`'s rule, in NFC."""
    raw = text(value, where, 256)  # check_name allows 64; this only bounds its work
    try:
        normal = check_name(what, raw)
    except ClaimError as exc:
        raise TxFormatError(where, str(exc)) from None
    if normal != raw:
        raise TxFormatError(where, f"{what} is not in Unicode NFC form (write it as {normal!r})")
    return raw


def identifier(value: object, where: str) -> str:
    """An entry or event name: a Bao identifier."""
    raw = text(value, where, L.IDENTIFIER_MAX_CHARACTERS)
    if not raw.isidentifier():
        raise TxFormatError(where, f"{raw!r} is not a Bao identifier (a letter or _, then letters, digits and _)")
    return raw


def role(value: object, where: str) -> str:
    raw = text(value, where, 64)
    if not _ROLE.match(raw):
        raise TxFormatError(where, f"{raw!r} is not a role (a lowercase word: letters, digits and _)")
    return raw


def blob(value: object, where: str, min_bytes: int, max_bytes: int) -> bytes:
    if type(value) is not bytes:
        raise TxFormatError(where, f"expected bytes, got {kind(value)}")
    if not min_bytes <= len(value) <= max_bytes:
        size = f"exactly {min_bytes}" if min_bytes == max_bytes else f"{min_bytes} to {max_bytes}"
        raise TxFormatError(where, f"{len(value)} bytes; {size} expected")
    return value


def digest(value: object, where: str) -> bytes:
    return blob(value, where, L.DIGEST_SIZE, L.DIGEST_SIZE)


def counter(value: object, where: str, low: int = 0, high: int = L.COUNTER_MAX) -> int:
    if type(value) is not int:
        raise TxFormatError(where, f"expected an integer, got {kind(value)}")
    if not low <= value <= high:
        raise TxFormatError(where, f"{value} is outside {low}..{high}")
    return value


def array(value: object, where: str, max_items: int) -> list[Any]:
    if type(value) is not list:
        raise TxFormatError(where, f"expected an array, got {kind(value)}")
    if len(value) > max_items:
        raise TxFormatError(where, f"{len(value)} items; at most {max_items}")
    return value


def keyed(value: object, where: str, max_items: int) -> dict[bytes, Any]:
    """A map keyed by state keys (non-empty bytes), in the codec's canonical key order."""
    if type(value) is not dict:
        raise TxFormatError(where, f"expected a map, got {kind(value)}")
    if len(value) > max_items:
        raise TxFormatError(where, f"{len(value)} entries; at most {max_items}")
    for key in value:
        if type(key) is not bytes:
            raise TxFormatError(where, f"a state key must be bytes, not {kind(key)}")
        if not key:
            raise TxFormatError(where, "a state key must not be empty")
    return value


def at_key(where: str, key: bytes) -> str:
    """The path of a state key's entry: its bytes in hex, cut at 16."""
    shown = key[:16].hex() + ("..." if len(key) > 16 else "")
    return f"{where}[0x{shown}]"


def json_value(value: object, where: str, depth: int = 0) -> JSONValue:
    """A LANGUAGE.md section 7 value (see the module docstring)."""
    if is_json(value, depth):
        return value  # type: ignore[return-value]  # is_json checked exactly what _json_value does
    return _json_value(value, where, depth)  # names the part that is not a value


def json_values(items: list[Any], where: str) -> tuple[JSONValue, ...]:
    """`items` as a tuple of section-7 values, each named ``where[i]`` when refused."""
    for item in items:
        if not is_json(item):
            return tuple(_json_value(a, f"{where}[{i}]", 0) for i, a in enumerate(items))
    return tuple(items)


def is_json(value: object, depth: int = 0) -> bool:
    """Whether `json_value` accepts `value` at `depth`: its rule without its paths. A node reads
    every argument and event of every transaction, nearly all of them valid, so the paths are
    built only to name a refusal."""
    if type(value) is str or type(value) is bool:
        return True
    if type(value) is int:
        return -_JSON_INT_LIMIT < value < _JSON_INT_LIMIT
    if type(value) is list:
        if depth >= L.JSON_DEPTH_MAX:
            return False
        for item in value:
            if not is_json(item, depth + 1):
                return False
        return True
    if type(value) is dict:
        if depth >= L.JSON_DEPTH_MAX:
            return False
        for key, item in value.items():
            if type(key) is not str or not is_json(item, depth + 1):
                return False
        return True
    return False


def _json_value(value: object, where: str, depth: int) -> JSONValue:
    if type(value) is str or type(value) is bool:
        return value
    if type(value) is int:
        if not -_JSON_INT_LIMIT < value < _JSON_INT_LIMIT:
            raise TxFormatError(where, f"an integer of more than {L.JSON_INT_BITS_MAX} bits is no value any type holds")
        return value
    if type(value) is list or type(value) is dict:
        if depth >= L.JSON_DEPTH_MAX:
            raise TxFormatError(where, f"arrays and objects nested more than {L.JSON_DEPTH_MAX} deep")
        if isinstance(value, list):
            for i, item in enumerate(value):
                _json_value(item, f"{where}[{i}]", depth + 1)
        elif isinstance(value, dict):
            for key, item in value.items():
                if type(key) is not str:
                    raise TxFormatError(where, f"an object's keys are text, not {kind(key)}")
                _json_value(item, f"{where}.{key}" if key.isidentifier() else f"{where}[{key!r}]", depth + 1)
        return value
    if value is None:
        raise TxFormatError(where, "nil is not a value (LANGUAGE.md section 7 has no null)")
    raise TxFormatError(where, f"{kind(value)} is not a value (LANGUAGE.md section 7: text, whole numbers, "
                        "booleans, arrays, objects)")
