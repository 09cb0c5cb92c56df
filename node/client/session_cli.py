"""`baochain session open`: a session of a wallet identity's certificate on one node, whose token
the web console (``/console``) takes pasted, and any client sends as ``Authorization: Bearer``.

    baochain session open --network DIR --as ID@ORG [--node NODE] [--json]

The request is ``POST /api/v1/sessions`` with no body, signed with the identity's key
(`node.api.users`): the node opens a session for the certificate, which keeps its key (the node
never signs for such a session). It goes to ``--node`` (default: the first node of the identity's
organisation, else the network's first). Output: the token alone on one line (so
``TOKEN=$(baochain session open ...)`` works), or with ``--json`` one object ``{"token",
"expires_at", "node", "api"}``. The token is a secret: whoever holds it reads what the
identity reads, until it expires (``DELETE /api/v1/sessions`` ends it sooner). A refusal exits 1
with one line, as the contract commands do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import httpx

from node.api.errors import read_refusal
from node.client.cli import _print, _refusals
from node.client.errors import ClientError, NodesUnavailable, Refused
from node.client.gateway import Gateway
from node.client.netfile import NodeAddress


def open_certificate_session(gateway: Gateway, node: str | None = None) -> dict[str, Any]:
    """A session of the gateway identity's certificate on ``node``: ``{"token", "expires_at",
    "node", "api"}``; `Refused` or `NodesUnavailable` otherwise."""
    address = _node(gateway, node)
    link = gateway.link(address)
    try:
        request = link.http.build_request("POST", "/api/v1/sessions")
        request.headers.update(link.signer.headers("POST", request.url.raw_path.decode("ascii"), b""))
        answer = link.http.send(request)
    except httpx.TimeoutException:
        raise NodesUnavailable("no answer", {address.name: f"no answer from {address.api} in time"}) from None
    except httpx.TransportError as exc:
        raise NodesUnavailable("no answer", {address.name: f"cannot reach {address.api}: "
                                                           f"{exc or type(exc).__name__}"}) from None
    if answer.status_code != 201:
        code, message = read_refusal(answer)
        if answer.status_code >= 500:
            raise NodesUnavailable("the node cannot open a session now", {address.name: f"{code}: {message}"})
        raise Refused(code, message, status=answer.status_code, node=address.name)
    body = answer.json()
    return {"token": body["token"], "expires_at": body["expires_at"], "node": address.name, "api": address.api}


def _node(gateway: Gateway, name: str | None) -> NodeAddress:
    if name is not None:
        for n in gateway.nodes:
            if n.name == name:
                return n
        raise ClientError(f"the network has no node named {name!r} (it has: "
                          f"{', '.join(n.name for n in gateway.nodes)})")
    own = [n for n in gateway.nodes if n.org == gateway.identity.org]
    return (own or list(gateway.nodes))[0]


@click.group("session", short_help="Open a session of a wallet identity (a token for the web console).")
def session() -> None:
    """Sessions of a wallet identity's certificate on a node: a bearer token for the web console
    or any HTTP client, in place of signing each request."""


@session.command("open", short_help="Open a session and print its token.")
@click.option("--network", "network_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path), help="The network folder (`baochain network init`).")
@click.option("--as", "identity", required=True, metavar="ID@ORG", help="The wallet identity whose session it is.")
@click.option("--node", metavar="NODE", help="The node to open it on.  [default: the first node of the identity's "
                                             "organisation]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: token, expires_at, node, api.")
@click.pass_context
@_refusals
def open_session(ctx: click.Context, network_dir: Path, identity: str, node: str | None, as_json: bool) -> None:
    """Open a session of ID@ORG's certificate and print its token (paste it into /console's login)."""
    options: dict[str, Any] = {}
    if isinstance(ctx.obj, dict) and ctx.obj.get("connect") is not None:
        options["connect"] = ctx.obj["connect"]
    with Gateway.for_network(network_dir, identity, **options) as gateway:
        opened = open_certificate_session(gateway, node)
    if as_json:
        _print(opened)
    else:
        click.echo(opened["token"])
