"""A JSON call's body, read (`node.api.calls`): a JSON object of known fields, the arguments in
the parameters' order, flags, base64 fields, and the values a proposal cannot carry named as the
caller wrote them (``argument v[0]: ...``). Each refusal is an `ApiError` naming the field:
400 ``bad-request`` for the body's own form, 422 ``arguments`` for arguments that do not fit."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from node.api.errors import ApiError, bad_request, refusal
from node.tx.errors import TxFormatError
from vm.runtime import EntryInfo

JSON = "application/json"


def json_body(kind: str | None, raw: bytes, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The body as a JSON object with only ``allowed`` fields (none: ``{}``); ``kind`` its content type."""
    if not raw.strip():
        return {}
    # curl -d sends its default form type: the body is read as JSON all the same, whatever is not JSON is refused.
    if kind is not None and kind.split(";")[0].strip().lower() not in (JSON, "text/plain",
                                                                      "application/x-www-form-urlencoded"):
        raise ApiError(415, "unsupported-media", f"the body is JSON: send it as {JSON}, not {kind}")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise bad_request("body", f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad_request("body", f"expected a JSON object with {', '.join(allowed)}")
    for key in body:
        if key not in allowed:
            raise bad_request("body", f"unknown field {key[:40]!r} (expected {', '.join(allowed)})")
    return body


def base64_field(given: object, what: str) -> bytes:
    if not isinstance(given, str):
        raise bad_request(what, "expected base64 text")
    try:
        data = base64.b64decode(given.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise bad_request(what, "not base64") from None
    if not data:
        raise bad_request(what, "empty")
    return data


def flag(text: str | None, what: str) -> bool:
    if text is None:
        return True
    low = text.lower()
    if low not in ("true", "false"):
        raise bad_request(what, f"expected true or false, got {text[:40]!r}")
    return low == "true"


def ordered_arguments(name: str, info: EntryInfo, given: object) -> list[Any]:
    """The arguments as the proposal carries them: in the parameters' order."""
    params = [p.name for p in info.params]
    if given is None:
        return []
    if isinstance(given, list):
        return given
    if isinstance(given, dict):
        unknown = sorted(set(given) - set(params))
        if unknown:
            takes = ", ".join(params) or "no parameters"
            raise refusal("arguments", f"{name}.{info.name} has no parameter {unknown[0]} (it takes: {takes})")
        missing = [p for p in params if p not in given]
        if missing:
            raise refusal("arguments", f"{name}.{info.name}: argument {missing[0]} is missing")
        return [given[p] for p in params]
    raise bad_request("args", "expected a JSON array (in the parameters' order) or an object (by parameter name)")


def whole_numbers(info: EntryInfo, args: list[Any]) -> None:
    """A JSON number with a fraction is no section-7 value: named where it is, before the codec
    (which holds no floats) refuses it in its own words."""
    names = [f"argument {p.name}" for p in info.params]
    stack = [(v, names[i] if i < len(names) else f"argument #{i + 1}") for i, v in enumerate(args)]
    while stack:  # iterative: the JSON reader bounded the depth, this walk needs no stack for it
        value, where = stack.pop()
        if type(value) is float:
            raise refusal("arguments", f"{where}: {value!r} is a fractional number; section 7 writes a Decimal as "
                          'text ("1.25") and an Int as a whole number')
        if type(value) is list:
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
        elif type(value) is dict:
            stack.extend((v, f"{where}.{k}" if k.isidentifier() else f"{where}[{json.dumps(k)}]")
                         for k, v in value.items())


def misfit(exc: TxFormatError, info: EntryInfo) -> ApiError:
    """A value the proposal cannot carry, named as the caller wrote it: ``argument NAME.path``."""
    field = exc.field
    if field.startswith("proposal.args["):
        index, _, rest = field[len("proposal.args["):].partition("]")
        if index.isdigit() and int(index) < len(info.params):
            return refusal("arguments", f"argument {info.params[int(index)].name}{rest}: {exc.problem}")
        return refusal("arguments", f"{info.name} takes {len(info.params)} arguments, got more: {exc.problem}")
    if field == "proposal.args":
        return refusal("arguments", f"args: {exc.problem}")
    if field == "proposal.role":
        return bad_request("role", exc.problem)
    return refusal("malformed", str(exc))
