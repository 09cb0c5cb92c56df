"""A contract's records as the console reads them: its state variables, a page of a map's keys,
and one key's history with a proof of its current value.

    GET /api/v1/channels/{ch}/contracts/{name}/records
        {"variables": [{"name", "kind": "value" | "map", "key_types": [type], "value_type": type}]}
    GET /api/v1/channels/{ch}/contracts/{name}/records/{var}?after=CURSOR&limit=K
        {"keys": [section-7 JSON key, ...], "next": CURSOR | null}
    GET /api/v1/channels/{ch}/contracts/{name}/records/{var}/history[?key=section-7 JSON][&limit=K[&before=C]]
        {"ledger_key", "value", "history": [{"block", "index", "tx_id", "time", "creator", "entry",
         "before", "after"}], "earlier": C | null, "proof": ProofView}

Types are written as in Bao (``Map[Text, Policy]``'s key type ``Text``, value type ``Policy``).
A map's keys come from the current state in key order (`vm.values.keys`: the order of LANGUAGE.md
section 5), ``limit`` (1 to `KEYS_MAX`, default `KEYS_DEFAULT`) at a time from the key after
``after``; the cursor is the hex of the last key's stored bytes, opaque to the caller. A plain
variable has one key, null. A key is given to ``history`` as its section-7 JSON (``"P1"``, ``7``),
URL-encoded; a plain variable takes none.

A history lists every VALID transaction that changed the key, oldest first, from the index the
block store writes with each block (`node.chain.store`, ``h``): one range read, never a scan of
blocks. A key that changes with most transactions (a running total) has a long one: ``limit``
(1 to `HISTORY_PAGE_MAX`) asks for its last K changes only, still oldest first, and ``earlier``
is then the cursor (``before=``) of the page before them, null when none is left; without
``limit`` every change is listed and ``earlier`` is null. ``before`` is the value the previous change left (null before the first, and after a
delete), ``after`` the value it left; values are section-7 JSON of the variable's type (of the
map's value type for an entry). The proof is `node.api.views.proof_view` of the key after the
last block. The variables, the key's type and the values' types are the contract's current
module's: an upgrade that changed a variable's type shows older values as they decode under
the new one, or as ``{"undecodable": true}`` when they do not.

Refusals: an unknown contract 404 ``unknown-contract``, an unknown variable 404
``unknown-record``, a ``key`` that is not JSON or does not fit the key type 422 ``arguments``
naming it, a key on a plain variable (or none on a map) 400 ``bad-request``, a bad cursor or
limit (or ``before`` without ``limit``) 400 ``bad-request``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from node.api import schemas as S
from node.api import views
from node.api.deps import Admitted, ChannelRequest, counter
from node.api.errors import ApiError, bad_request
from node.chain.contracts import state_prefix
from node.chain.store import KeyChange
from vm import types as T
from vm.errors import EncodingError, ValueFormError
from vm.module import StateVar, map_prefix, state_key
from vm.runtime import Machine
from vm.values import decode_key, decode_value, encode_key, from_json, to_json

KEYS_DEFAULT = 50
KEYS_MAX = 500
HISTORY_PAGE_MAX = 1000
_RECORDS = "/api/v1/channels/{ch}/contracts/{name}/records"

router = APIRouter()


@router.get(_RECORDS, response_model=S.RecordVariables, responses=S.ERRORS, tags=["records"])
async def variables(a: ChannelRequest, name: str) -> dict[str, Any]:
    """The contract's state variables, each a plain value or a map."""
    machine = _machine(a, name)
    return {"variables": [_variable(v) for v in machine.module.state]}


@router.get(_RECORDS + "/{var}", response_model=S.RecordKeys, responses=S.ERRORS, tags=["records"])
async def keys(a: ChannelRequest, name: str, var: str, after: str | None = None,
               limit: str | None = None) -> dict[str, Any]:
    """A page of a map's keys in key order (a plain variable: one null key)."""
    machine = _machine(a, name)
    v = _find(machine, name, var)
    size = KEYS_DEFAULT if limit is None else counter(limit, "limit", f"a number of keys, 1 to {KEYS_MAX}")
    if not 1 <= size <= KEYS_MAX:
        raise bad_request("limit", f"expected 1 to {KEYS_MAX} keys, got {size}")
    if not isinstance(v.type, T.MapType):
        return {"keys": [None], "next": None}
    start = None
    if after is not None:
        try:
            start = bytes.fromhex(after)
        except ValueError:
            raise bad_request("after", "expected the cursor a previous page gave (hex)") from None
    prefix = state_prefix(name) + map_prefix(v.index)
    found = a.channel.state.keys(prefix, start, size + 1)
    page = found[:size]
    shown = [to_json(v.type.key, decode_key(v.type.key, k, machine.types), machine.types) for k in page]
    return {"keys": shown, "next": page[-1].hex() if len(found) > size else None}


@router.get(_RECORDS + "/{var}/history", response_model=S.RecordHistory, responses=S.ERRORS, tags=["records"])
async def history(a: ChannelRequest, name: str, var: str, key: str | None = None, limit: str | None = None,
                  before: str | None = None) -> dict[str, Any]:
    """The VALID transactions that changed one record, oldest first (all, or a page of the
    latest), and its current value's proof."""
    machine = _machine(a, name)
    v = _find(machine, name, var)
    ledger_key, value_type = _ledger_key(machine, name, v, key)
    size = None if limit is None else counter(limit, "limit", f"a number of changes, 1 to {HISTORY_PAGE_MAX}")
    if size is not None and not 1 <= size <= HISTORY_PAGE_MAX:
        raise bad_request("limit", f"expected 1 to {HISTORY_PAGE_MAX} changes, got {size}")
    if before is not None and size is None:
        raise bad_request("before", "a page of a history is asked for with limit")
    channel = a.channel
    # a page reads one change more: the value the first one shown found is the one before it left
    changes = channel.blocks.history(ledger_key, before=None if before is None else _place(before),
                                     limit=None if size is None else size + 1)
    earlier = None
    if size is not None and len(changes) > size:
        earlier = f"{changes[1].block}:{changes[1].index}"
    current = channel.state.get(ledger_key)
    with channel.state.snapshot() as snapshot:
        proof = snapshot.prove(ledger_key)
        root = snapshot.root(proof.block)
    rows: list[dict[str, Any]] = []
    previous = None
    for change in changes:
        after = _shown(value_type, change.after, machine)
        rows.append(_row(change, previous, after))
        previous = after
    return {"ledger_key": ledger_key.hex(), "value": None if current is None else _shown(value_type, current[0], machine),
            "history": rows[1:] if earlier is not None else rows, "earlier": earlier,
            "proof": views.proof_view(channel, proof, root)}


def _place(cursor: str) -> tuple[int, int]:
    block, _, index = cursor.partition(":")
    if not (block.isascii() and block.isdigit() and index.isascii() and index.isdigit()) or len(cursor) > 32:
        raise bad_request("before", f"expected the earlier= cursor of a previous page (BLOCK:INDEX), "
                          f"got {cursor[:40]!r}")
    return int(block), int(index)


def _row(change: KeyChange, before: Any, after: Any) -> dict[str, Any]:
    return {"block": change.block, "index": change.index, "tx_id": change.tx_id.hex(), "time": change.time_ms,
            "creator": {"org": change.org, "name": change.name, "role": change.role}, "entry": change.entry,
            "before": before, "after": after}


def _machine(a: Admitted, name: str) -> Machine:
    record = a.channel.contract(name)
    if record is None:
        raise ApiError(404, "unknown-contract", f"no contract named {name!r} is deployed on {a.name!r}")
    return views.machine_of(a.channel, record)


def _find(machine: Machine, contract: str, var: str) -> StateVar:
    for v in machine.module.state:
        if v.name == var:
            return v
    names = ", ".join(v.name for v in machine.module.state) or "none"
    raise ApiError(404, "unknown-record", f"{contract} has no state variable {var!r} (it has: {names})")


def _variable(v: StateVar) -> dict[str, Any]:
    if isinstance(v.type, T.MapType):
        return {"name": v.name, "kind": "map", "key_types": [str(v.type.key)], "value_type": str(v.type.value)}
    return {"name": v.name, "kind": "value", "key_types": [], "value_type": str(v.type)}


def _ledger_key(machine: Machine, contract: str, v: StateVar, key: str | None) -> tuple[bytes, T.Type]:
    """The state key of variable ``v`` (of its entry ``key``, a map's) and the type its value has."""
    if not isinstance(v.type, T.MapType):
        if key is not None:
            raise bad_request("key", f"{v.name} is a plain value, not a map: give no key")
        return state_prefix(contract) + state_key(v.index), v.type
    if key is None:
        raise bad_request("key", f"{v.name} is a map: give the entry's key as section-7 JSON, e.g. key=\"P1\"")
    try:
        given = json.loads(key)
    except ValueError:
        raise ApiError(422, "arguments", f"key: expected section-7 JSON of a {v.type.key} (text in quotes), "
                       f"got {key[:40]!r}") from None
    try:
        k = from_json(v.type.key, given, machine.types, "key")
        encoded = encode_key(v.type.key, k, machine.types)
    except (ValueFormError, EncodingError) as exc:
        raise ApiError(422, "arguments", str(exc)) from None
    return state_prefix(contract) + map_prefix(v.index) + encoded, v.type.value


def _shown(t: T.Type, raw: bytes | None, machine: Machine) -> Any:
    if raw is None:
        return None
    try:
        return to_json(t, decode_value(t, raw, machine.types), machine.types)
    except EncodingError:
        return {"undecodable": True}
