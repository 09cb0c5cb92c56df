"""The API's routes for sessions and application users (`node.users`), mounted by `node.api.app`.

    POST   /api/v1/sessions               {"name", "password"} -> 201 {"token", "expires_at"}: a
                                          user's session (it holds the user's key); or, signed
                                          with the signature headers and no body, a session of
                                          that certificate (no key)
    GET    /api/v1/sessions               Bearer: the session's name, org, kind, expiry, and its
                                          certificate's type and roles
    DELETE /api/v1/sessions               Bearer: logout -> 204
    POST   /api/v1/users                  admin: {"name", "password", "roles"} -> 201 the user
    GET    /api/v1/users                  admin: {"users": [...]}
    GET    /api/v1/users/{name}           admin: the user
    POST   /api/v1/users/{name}/approve   admin: the CA certifies the user's key -> the user
    POST   /api/v1/users/{name}/disable   admin: its sessions end, its logins are refused
    POST   /api/v1/users/{name}/enable    admin: undoes disable
    POST   /api/v1/users/{name}/unlock    admin: ends a lock-out
    POST   /api/v1/users/{name}/password  the user: {"password", "new_password"} -> 204

"admin": a current admin of this node's organisation, proven by the signature headers (in the
default clock-skew window, never replayed: `node.api.access.Gate.fresh`) or by the bearer token
of that admin's certificate session; checked against the organisation's CA (its root and last
CRL), so an admin of another organisation, a revoked admin or a non-admin gets 403 ``forbidden``.

Bodies are JSON objects of at most `JSON_BODY_MAX_BYTES` (sent as application/json; curl's
default form type and text/plain are read as JSON too, so ``curl -d '{...}'`` logs in as it is,
anything else is 415); an unknown or missing field is 400
naming it, and no message repeats a value sent (a password sent in the wrong field stays out
of every answer and log). The login's answer is the only one that holds a token, and it says
``Cache-Control: no-store``. Refusals are `node.users.errors`'s words with the statuses of
`node.api.errors`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from node.api.access import SignedRequest, bearer_token
from node.api.deps import Serving, credentials, read_body, request_target
from node.api.errors import ApiError, bad_request, refusal
from node.api.schemas import ERRORS
from node.identity import Certificate, VerifiedIdentity
from node.users.directory import UserDirectory
from node.users.errors import UserRefused
from node.users.records import UserRecord
from node.users.sessions import Session

log = logging.getLogger("baochain.api")

JSON_BODY_MAX_BYTES = 64 * 1024
_JSON = "application/json"
_READ_AS_JSON = (_JSON, "text/plain", "application/x-www-form-urlencoded")


class Login(BaseModel):
    name: str = Field(description="the user's name")
    password: str = Field(min_length=8, max_length=256)


class SessionOpened(BaseModel):
    token: str = Field(description="send it as Authorization: Bearer TOKEN")
    expires_at: int = Field(description="when the session ends, ms since 1970")


class SessionView(BaseModel):
    name: str
    org: str
    kind: Literal["user", "certificate"] = Field(description="user: it holds the user's key (the node signs for it); "
                                                             "certificate: the holder keeps its key")
    expires_at: int
    type: str = Field(description="also: the certificate's identity type (client, admin, regulator, peer)")
    roles: list[str] = Field(description="also: the roles its certificate holds; a regulator's session reads and "
                                         "never invokes (the console shows it read-only)")


class Registration(BaseModel):
    name: str = Field(description="the user's name (node.identity.names.check_name), unique in the organisation's CA")
    password: str = Field(min_length=8, max_length=256, description="the user's first password; its key is sealed "
                                                                     "under it")
    roles: list[str] = Field(default_factory=list, description="party roles, among the admin's own")


class PasswordChange(BaseModel):
    password: str = Field(min_length=8, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


class CertificateSummary(BaseModel):
    serial: str = Field(description="hex")
    not_after: str = Field(description="ISO 8601, UTC")


class UserView(BaseModel):
    name: str
    org: str
    type: str
    roles: list[str]
    status: Literal["pending", "active", "disabled"]
    locked_until: int | None = Field(description="ms since 1970 while locked out, else null")
    failures: int = Field(description="wrong passwords since the last right one")
    registered_by: str
    registered_at: int
    approved_by: str | None
    approved_at: int | None
    disabled_by: str | None
    certificate: CertificateSummary | None
    sessions: int = Field(description="its live sessions on this node")


class UserList(BaseModel):
    users: list[UserView]


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {_JSON: {"schema": model.model_json_schema()}}}}


router = APIRouter(tags=["users"])


@router.post("/api/v1/sessions", status_code=201, response_model=SessionOpened, responses=ERRORS,
             openapi_extra=_body_schema(Login))
async def open_session(request: Request) -> Response:
    """Log in with a name and password; or, with the signature headers and no body, open a session
    of the signing certificate."""
    s, body = await _read(request)
    now = s.clock()
    with _refusals():
        if bearer_token(request.headers) is not None:
            raise bad_request("Authorization", "a session is opened with a name and password, or by a signed "
                              "request, not with another session's token")
        signed = s.gate.signed(request.headers, request.method, request_target(request.scope), body)
        if signed is not None:
            if body.strip() not in (b"", b"{}"):
                raise bad_request("body", "a signed request for a certificate's session has no body")
            token, session = _certificate_session(s, signed, now)
        else:
            fields = _fields(request, body, ("name", "password"))
            token, session = await _users(s).login(fields["name"], fields["password"], now_ms=now)
    return JSONResponse({"token": token, "expires_at": session.expires_at}, status_code=201,
                        headers={"Cache-Control": "no-store"})


@router.get("/api/v1/sessions", response_model=SessionView, responses=ERRORS)
async def current_session(request: Request) -> dict[str, Any]:
    """The session of the bearer token."""
    s, _ = await _read(request)
    session = _session(s, request)
    certificate = Certificate.load(session.certificate)
    return {"name": session.name, "org": session.org, "kind": session.kind, "expires_at": session.expires_at,
            "type": certificate.subject.type, "roles": list(certificate.claims.roles)}


@router.delete("/api/v1/sessions", status_code=204, response_class=Response, responses=ERRORS)
async def close_session(request: Request) -> Response:
    """Log out: the session of the bearer token ends (and with it the key it held)."""
    s, _ = await _read(request)
    session = _session(s, request)
    token = bearer_token(request.headers)
    assert token is not None
    s.runtime.sessions.end(token)
    log.info("session ended", extra={"user": session.name, "org": session.org, "kind": session.kind})
    return Response(status_code=204)


@router.post("/api/v1/users", status_code=201, response_model=UserView, responses=ERRORS,
             openapi_extra=_body_schema(Registration))
async def register(request: Request) -> dict[str, Any]:
    """An admin registers an application user: the node makes its key, sealed under the password,
    and registers it at the organisation's CA, where it waits for an admin's approval."""
    s, users, admin, body = await _admin(request)
    with _refusals():
        fields = _fields(request, body, ("name", "password"), ("roles",))
        record = await users.register(fields["name"], fields["password"], fields.get("roles"), by=admin,
                                      now_ms=s.clock())
    return _view(s, record)


@router.get("/api/v1/users", response_model=UserList, responses=ERRORS)
async def list_users(request: Request) -> dict[str, Any]:
    s, users, _, _ = await _admin(request)
    return {"users": [_view(s, r) for r in users.list()]}


@router.get("/api/v1/users/{name}", response_model=UserView, responses=ERRORS)
async def show_user(request: Request, name: str) -> dict[str, Any]:
    s, users, _, _ = await _admin(request)
    with _refusals():
        return _view(s, users.get(name))


@router.post("/api/v1/users/{name}/approve", response_model=UserView, responses=ERRORS)
async def approve(request: Request, name: str) -> dict[str, Any]:
    """An admin approves a pending user; the CA certifies the key the node made for it."""
    s, users, admin, _ = await _admin(request)
    with _refusals():
        return _view(s, await users.approve(name, by=admin, now_ms=s.clock()))


@router.post("/api/v1/users/{name}/disable", response_model=UserView, responses=ERRORS)
async def disable(request: Request, name: str) -> dict[str, Any]:
    s, users, admin, _ = await _admin(request)
    with _refusals():
        return _view(s, users.disable(name, by=admin, now_ms=s.clock()))


@router.post("/api/v1/users/{name}/enable", response_model=UserView, responses=ERRORS)
async def enable(request: Request, name: str) -> dict[str, Any]:
    s, users, admin, _ = await _admin(request)
    with _refusals():
        return _view(s, users.enable(name, by=admin, now_ms=s.clock()))


@router.post("/api/v1/users/{name}/unlock", response_model=UserView, responses=ERRORS)
async def unlock(request: Request, name: str) -> dict[str, Any]:
    s, users, admin, _ = await _admin(request)
    with _refusals():
        return _view(s, users.unlock(name, by=admin, now_ms=s.clock()))


@router.post("/api/v1/users/{name}/password", status_code=204, response_class=Response, responses=ERRORS,
             openapi_extra=_body_schema(PasswordChange))
async def change_password(request: Request, name: str) -> Response:
    """The user changes its password (the current one proves it; wrong ones count to the lock-out)."""
    s, body = await _read(request)
    with _refusals():
        fields = _fields(request, body, ("password", "new_password"))
        await _users(s).change_password(name, fields["password"], fields["new_password"], now_ms=s.clock())
    return Response(status_code=204)


# --- what the routes share

async def _read(request: Request) -> tuple[Serving, bytes]:
    s: Serving = request.app.state.serving
    return s, await read_body(request, min(s.body_max_bytes, JSON_BODY_MAX_BYTES))


async def _admin(request: Request) -> tuple[Serving, UserDirectory, VerifiedIdentity, bytes]:
    """The request's caller as a current admin of this node's organisation (see the module docstring)."""
    s, body = await _read(request)
    now = s.clock()
    users = _users(s)
    who = credentials(s, request, body)
    if who is None:
        raise ApiError(401, "unsigned", "users are managed by an admin: sign the request, or send the bearer token "
                       "of an admin's session")
    if isinstance(who, SignedRequest):
        s.gate.fresh(who, now)
        certificate = who.certificate
    else:
        certificate = Certificate.load(who.certificate)
    with _refusals():
        return s, users, users.admin(certificate, now), body


def _certificate_session(s: Serving, signed: SignedRequest, now: int) -> tuple[str, Session]:
    s.gate.fresh(signed, now)
    if not s.gate.visible(signed, s.runtime.channels(), now):
        raise ApiError(403, "forbidden", "this node opens sessions for identities that may read one of its channels; "
                       "this certificate may read none")
    token, session = s.runtime.sessions.open(signed.certificate, None, now_ms=now)
    log.info("session opened", extra={"user": session.name, "org": session.org, "kind": session.kind,
                                      "expires_at": session.expires_at})
    return token, session


def _session(s: Serving, request: Request) -> Session:
    token = bearer_token(request.headers)
    if token is None:
        raise ApiError(401, "bad-token", "send the session's Authorization: Bearer TOKEN")
    with _refusals():
        return s.runtime.sessions.find(token, s.clock())


def _users(s: Serving) -> UserDirectory:
    users = s.runtime.users
    if users is None:
        raise refusal("no-ca", "this node keeps no application users")
    return users


def _fields(request: Request, body: bytes, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object's fields; 400 naming a missing or unknown one (never quoting a value)."""
    kind = request.headers.get("content-type")
    # curl -d sends its default form type: read as JSON all the same, as node.api.call_body does
    if kind is not None and kind.split(";")[0].strip().lower() not in _READ_AS_JSON:
        raise ApiError(415, "unsupported-media", f"send the body as {_JSON}")
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise bad_request("body", f"expected a JSON object with {', '.join(required)}") from None
    if not isinstance(value, dict):
        raise bad_request("body", f"expected a JSON object with {', '.join(required)}")
    for key in value:
        if key not in required and key not in optional:
            known = ", ".join((*required, *optional))
            raise bad_request("body", f"unknown field {str(key)[:40]!r} (the fields are {known})")
    for key in required:
        if key not in value:
            raise bad_request(key, "missing")
    return value


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except UserRefused as exc:
        raise refusal(exc.reason, exc.message) from None


def _view(s: Serving, record: UserRecord) -> dict[str, Any]:
    certificate = None
    if record.certificate is not None:
        cert = Certificate.load(record.certificate)
        certificate = {"serial": f"{cert.serial:x}", "not_after": cert.not_after.isoformat()}
    now = s.clock()
    return {"name": record.name, "org": record.org, "type": record.type, "roles": list(record.roles),
            "status": record.status, "locked_until": record.locked_until if record.locked(now) else None,
            "failures": record.failures, "registered_by": record.registered_by,
            "registered_at": record.registered_at, "approved_by": record.approved_by,
            "approved_at": record.approved_at, "disabled_by": record.disabled_by, "certificate": certificate,
            "sessions": s.runtime.sessions.sessions_of(record.org, record.name)}
