"""The client's side of a node's users and sessions (`node.api.users`): what `baochain user` and a
program call.

    with Gateway.for_network("net", "admin@Org1") as gateway:
        admin = UserAdmin(gateway, node="peer0-org1")      # default: the first node of the admin's org
        admin.register("alice", password, roles=["insurer"])
        admin.approve("alice")
    session = login(httpx.Client(base_url=url), "alice", password)      # {"token", "expires_at"}

An admin's requests are signed with the gateway's identity (`node.client.link.RequestSigner`)
and sent over the gateway's connection to that node (HTTPS with its organisation's transport
root, `node.client.gateway`). Users live on the node that registered them (in its data
folder), so every call goes to that one node, never to another of the organisation. A refusal
raises `node.client.errors.Refused` with the API's code; a node that does not answer,
`NodesUnavailable` naming it and why.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from node.client.errors import ClientError, NodesUnavailable, Refused
from node.client.gateway import Gateway
from node.client.netfile import NodeAddress

_JSON = {"content-type": "application/json"}


class UserAdmin:
    """An admin of an organisation managing its users on one of its nodes."""

    def __init__(self, gateway: Gateway, node: str | None = None) -> None:
        self.gateway = gateway
        self.node = _node(gateway, node)

    def register(self, name: str, password: str, roles: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
        return self._call("POST", "/api/v1/users", {"name": name, "password": password, "roles": list(roles)})

    def approve(self, name: str) -> dict[str, Any]:
        return self._call("POST", _user(name, "approve"))

    def disable(self, name: str) -> dict[str, Any]:
        return self._call("POST", _user(name, "disable"))

    def enable(self, name: str) -> dict[str, Any]:
        return self._call("POST", _user(name, "enable"))

    def unlock(self, name: str) -> dict[str, Any]:
        return self._call("POST", _user(name, "unlock"))

    def show(self, name: str) -> dict[str, Any]:
        return self._call("GET", _user(name))

    def list(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/v1/users")["users"]

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        link = self.gateway.link(self.node)
        body = b"" if payload is None else json.dumps(payload).encode("utf-8")
        try:
            request = link.http.build_request(method, path, content=body or None, headers=_JSON if body else None)
            request.headers.update(link.signer.headers(method, request.url.raw_path.decode("ascii"), body))
            answer = link.http.send(request)
        except httpx.TimeoutException:
            raise NodesUnavailable("no answer", {self.node.name: f"no answer from {self.node.api} in time"}) from None
        except httpx.TransportError as exc:
            raise NodesUnavailable("no answer", {self.node.name: f"cannot reach {self.node.api}: "
                                                                 f"{exc or type(exc).__name__}"}) from None
        return _answer(answer, self.node.name)


def login(http: httpx.Client, name: str, password: str, *, node: str = "") -> dict[str, Any]:
    """A user's session on the node ``http`` reaches: ``{"token", "expires_at"}``."""
    answer = http.post("/api/v1/sessions", content=json.dumps({"name": name, "password": password}), headers=_JSON)
    return _answer(answer, node)


def logout(http: httpx.Client, token: str, *, node: str = "") -> None:
    _answer(http.delete("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}), node)


def _answer(answer: httpx.Response, node: str) -> Any:
    if answer.status_code == 204:
        return None
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code < 300:
        if body is None:
            raise NodesUnavailable("the node's answer is not JSON", {node or "the node": answer.text[:200]})
        return body
    code: str = body["code"] if isinstance(body, dict) and isinstance(body.get("code"), str) else \
        f"http-{answer.status_code}"
    message = str(body.get("message", "")) if isinstance(body, dict) else answer.text[:200]
    if answer.status_code >= 500:
        raise NodesUnavailable("the node cannot do this now", {node or "the node": f"{code}: {message}"})
    raise Refused(code, message, status=answer.status_code, node=node)


def _user(name: str, action: str | None = None) -> str:
    path = f"/api/v1/users/{quote(name, safe='')}"
    return path if action is None else f"{path}/{action}"


def _node(gateway: Gateway, name: str | None) -> NodeAddress:
    org = gateway.identity.org
    for node in gateway.nodes:
        if (node.name == name) if name is not None else (node.org == org):
            return node
    if name is not None:
        raise ClientError(f"the network has no node named {name!r} (it has: "
                          f"{', '.join(n.name for n in gateway.nodes)})")
    raise ClientError(f"the network has no node of {org}, whose users {gateway.identity.label} manages; name one "
                      "with --node")
