"""`baochain user ...`: an organisation's application users on one of its nodes, managed by its
admin through the node's API (`node.users.client`), as an identity of a network folder's wallet.

    baochain user register NAME --network DIR --as admin@ORG [--role R ...] [--password-file FILE]
    baochain user approve  NAME --network DIR --as admin@ORG
    baochain user list          --network DIR --as admin@ORG
    baochain user show     NAME --network DIR --as admin@ORG
    baochain user disable|enable|unlock NAME --network DIR --as admin@ORG

Every command takes ``--node NODE`` (default: the first node of the admin's organisation, where
its users are kept) and ``--json`` (one JSON object: the user as the API shows it; ``list``:
``{"users": [...]}``). ``register`` reads the user's first password from ``--password-file``
(its first line) or asks for it twice without echoing it; the password is never printed. The
user then logs in with it (``POST /api/v1/sessions``) and may change it (``POST
/api/v1/users/NAME/password``). A refusal exits 1 with one line (``refused (code): why``), a usage
mistake 2.

Tests inject the HTTP connection as the contract commands take it: ``obj={"connect": callable}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from node.client.cli import _print, _refusals
from node.client.errors import ClientError

_JSON_HELP = "Print one JSON object (a refusal: {\"code\", \"message\"})."


def _common(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--network", "network_dir", required=True, metavar="DIR",
                     type=click.Path(file_okay=False, path_type=Path), help="The network folder (`baochain network init`)."),
        click.option("--as", "identity", required=True, metavar="ADMIN@ORG",
                     help="The wallet identity of an admin of the users' organisation."),
        click.option("--node", metavar="NODE", help="The node that keeps the users.  [default: the first node of the "
                                                    "admin's organisation]"),
        click.option("--json", "as_json", is_flag=True, help=_JSON_HELP),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group("user", short_help="Register and manage an organisation's application users.")
def user() -> None:
    """An organisation's application users: registered by its admin through a node of the
    organisation, certified by its CA once an admin approves, logged in by name and password
    (POST /api/v1/sessions), their keys kept by the node, sealed under their passwords."""


@user.command("register", short_help="Register a user; it waits for an admin's approval.")
@click.argument("name")
@_common
@click.option("--role", "roles", multiple=True, metavar="ROLE", help="A party role the user acts in (one the admin "
                                                                     "holds); repeat for several.")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="The user's first password: the file's first line.  [default: asked for twice]")
@click.pass_context
@_refusals
def register(ctx: click.Context, name: str, network_dir: Path, identity: str, node: str | None, as_json: bool,
             roles: tuple[str, ...], password_file: Path | None) -> None:
    """Register NAME as an application user: the node makes its key, sealed under the password, and
    registers it at the organisation's CA. An admin then approves it (`baochain user approve`)."""
    password = _password(password_file)
    with _admin(ctx, network_dir, identity, node) as admin:
        shown = admin.register(name, password, roles)
    _show(shown, as_json, f"registered {shown['name']} on {admin.node.name}; it waits for an admin's approval "
                          f"(baochain user approve {shown['name']})")


@user.command("approve", short_help="Approve a registered user: the CA certifies its key.")
@click.argument("name")
@_common
@click.pass_context
@_refusals
def approve(ctx: click.Context, name: str, network_dir: Path, identity: str, node: str | None, as_json: bool) -> None:
    """Approve NAME: the organisation's CA certifies the key the node made for it; it may log in."""
    with _admin(ctx, network_dir, identity, node) as admin:
        _show(admin.approve(name), as_json)


@user.command("list", short_help="The users a node keeps.")
@_common
@click.pass_context
@_refusals
def list_users(ctx: click.Context, network_dir: Path, identity: str, node: str | None, as_json: bool) -> None:
    """List the organisation's users that the node keeps, with their status and roles."""
    with _admin(ctx, network_dir, identity, node) as admin:
        users = admin.list()
    if as_json:
        _print({"users": users})
        return
    if not users:
        click.echo(f"no users on {admin.node.name}")
    for u in users:
        click.echo(_line(u))


@user.command("show", short_help="One user.")
@click.argument("name")
@_common
@click.pass_context
@_refusals
def show(ctx: click.Context, name: str, network_dir: Path, identity: str, node: str | None, as_json: bool) -> None:
    """Show NAME: its status, roles, certificate, lock-out and sessions."""
    with _admin(ctx, network_dir, identity, node) as admin:
        _show(admin.show(name), as_json)


@user.command("disable", short_help="End a user's sessions and refuse its logins.")
@click.argument("name")
@_common
@click.pass_context
@_refusals
def disable(ctx: click.Context, name: str, network_dir: Path, identity: str, node: str | None, as_json: bool) -> None:
    """Disable NAME: its sessions end now and its logins are refused until `baochain user enable`."""
    with _admin(ctx, network_dir, identity, node) as admin:
        _show(admin.disable(name), as_json)


@user.command("enable", short_help="Undo disable.")
@click.argument("name")
@_common
@click.pass_context
@_refusals
def enable(ctx: click.Context, name: str, network_dir: Path, identity: str, node: str | None, as_json: bool) -> None:
    """Enable NAME again: it returns to the status it had before it was disabled."""
    with _admin(ctx, network_dir, identity, node) as admin:
        _show(admin.enable(name), as_json)


@user.command("unlock", short_help="End a lock-out after wrong passwords.")
@click.argument("name")
@_common
@click.pass_context
@_refusals
def unlock(ctx: click.Context, name: str, network_dir: Path, identity: str, node: str | None, as_json: bool) -> None:
    """Unlock NAME, locked out after repeated wrong passwords, before its lock-out ends."""
    with _admin(ctx, network_dir, identity, node) as admin:
        _show(admin.unlock(name), as_json)


class _AdminSession:
    """A gateway as ``--as`` and the `UserAdmin` over it, closed on leaving."""

    def __init__(self, ctx: click.Context, network_dir: Path, identity: str, node: str | None) -> None:
        from node.client.gateway import Gateway
        from node.users.client import UserAdmin

        options: dict[str, Any] = {}
        if isinstance(ctx.obj, dict) and ctx.obj.get("connect") is not None:
            options["connect"] = ctx.obj["connect"]
        self.gateway = Gateway.for_network(network_dir, identity, **options)
        try:
            self.admin = UserAdmin(self.gateway, node)
        except ClientError:
            self.gateway.close()
            raise

    def __enter__(self) -> Any:
        return self.admin

    def __exit__(self, *exc: object) -> None:
        self.gateway.close()


def _admin(ctx: click.Context, network_dir: Path, identity: str, node: str | None) -> _AdminSession:
    return _AdminSession(ctx, network_dir, identity, node)


def _password(path: Path | None) -> str:
    if path is None:
        value: str = click.prompt("the user's password", hide_input=True, confirmation_prompt=True, err=True)
        return value
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientError(f"{path}: cannot read the password: {getattr(exc, 'strerror', None) or exc}") from None
    if not lines or not lines[0]:
        raise ClientError(f"{path}: the first line, the password, is empty")
    return lines[0]


def _show(u: dict[str, Any], as_json: bool, headline: str | None = None) -> None:
    if as_json:
        _print(u)
        return
    if headline:
        click.echo(headline)
    click.echo(_line(u))


def _line(u: dict[str, Any]) -> str:
    from node.identity.names import escaped

    roles = ", ".join(u["roles"]) or "no roles"
    parts = [f"{escaped(u['name'])} ({u['org']}): {u['status']}", roles]
    if u.get("certificate"):
        parts.append(f"certificate {u['certificate']['serial']} until {u['certificate']['not_after'][:10]}")
    if u.get("locked_until"):
        parts.append("locked out")
    parts.append(f"registered by {escaped(u['registered_by'])}")
    if u.get("approved_by"):
        parts.append(f"approved by {escaped(u['approved_by'])}")
    if u.get("sessions"):
        parts.append(f"{u['sessions']} sessions")
    return "; ".join(parts)
