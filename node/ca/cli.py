"""`baochain ca …`: one organisation's certificate authority from the command line.

The CA lives in a folder (`--home`, or BAOCHAIN_CA_HOME, default ./ca). Its root key is
encrypted at rest; every command that changes state (all but list, show, audit and
`crl --current`) needs the passphrase, read from `--passphrase-file` or the
BAOCHAIN_CA_PASSPHRASE environment variable. A refused request prints one line on stderr and
exits 1; a usage mistake exits 2. What the CA keeps is printed through `report`, escaped.
"""

from __future__ import annotations

import functools
import os
import shlex
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import click

from node.ca.authority import CertificateAuthority, reenroll_proof
from node.ca.errors import AlreadyEnrolled, CAError
from node.ca.outputs import CannotWrite, Reservation, inside, undone_on_failure, write_new, write_replacing
from node.ca.report import audit_lines, identity_card, identity_table, json_text
from node.ca.registration import MIN_SECRET_LENGTH
from node.codec import CodecError
from node.crypto import CryptoError
from node.identity import IDENTITY_TYPES, REVOCATION_REASONS, CertificateError, build_request
from node.identity.der import DerError
from node.identity.names import ClaimError, check_name, escaped, shown

PASSPHRASE_ENV = "BAOCHAIN_CA_PASSPHRASE"
HOME_ENV = "BAOCHAIN_CA_HOME"


class _Context:
    def __init__(self, home: Path, passphrase_file: Path | None, at: datetime | None) -> None:
        self.home = home
        self._passphrase_file = passphrase_file
        self.at = at

    def passphrase(self) -> bytes | None:
        if self._passphrase_file is not None:
            return _read_secret_file(self._passphrase_file)
        value = os.environ.get(PASSPHRASE_ENV)
        return value.encode("utf-8") if value else None

    def clock(self) -> Callable[[], datetime]:
        at = self.at
        return (lambda: at) if at is not None else (lambda: datetime.now(timezone.utc))

    def open(self) -> CertificateAuthority:
        return CertificateAuthority(self.home, passphrase=self.passphrase(), clock=self.clock())


def _read_secret_file(path: Path) -> bytes:
    return path.read_bytes().rstrip(b"\r\n")


def _refusals(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every foreseeable failure into one line on stderr and exit status 1."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (CAError, CryptoError, CertificateError, CodecError, DerError, CannotWrite, ClaimError) as exc:
            raise _Refused(str(exc)) from None
        except OSError as exc:
            raise _Refused(f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc)) from None

    return run


class _Refused(click.ClickException):
    exit_code = 1

    def show(self, file: Any = None) -> None:
        # Messages quote names `shown`; escaping the whole line also covers the paths and text
        # quoted as typed, so a refusal is always one line that cannot act on the terminal.
        click.echo(f"error: {_shortened(escaped(self.format_message()))}", err=True)


def _shortened(message: str, limit: int = 300) -> str:
    """A refusal that quotes a huge argument back stays one readable line."""
    if len(message) <= limit:
        return message
    keep = limit // 2
    return f"{message[:keep]}…({len(message) - 2 * keep} characters)…{message[-keep:]}"


def _parse_time(_ctx: Any, _param: Any, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parse_attributes(_ctx: Any, _param: Any, values: tuple[str, ...]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"attributes are NAME=VALUE, not {item!r}")
        attributes[key] = value
    return attributes


pass_ctx = click.make_pass_decorator(_Context)


@click.group("ca", short_help="Run your organisation's certificate authority.")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    envvar=HOME_ENV,
    default="ca",
    show_default=True,
    help=f"The CA's folder (or {HOME_ENV}).",
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"File holding the CA key's passphrase (else {PASSPHRASE_ENV}).",
)
@click.option("--at", callback=_parse_time, hidden=True, help="Act as if the time were this (ISO 8601); for tests.")
@click.pass_context
def ca(ctx: click.Context, home: Path, passphrase_file: Path | None, at: datetime | None) -> None:
    """Run your organisation's certificate authority: register, review, enroll, renew and revoke identities.

    Commands that change the CA (all but list, show, audit and crl --current) need the passphrase
    of its key, from --passphrase-file or BAOCHAIN_CA_PASSPHRASE. Exit status: 0 done, 1 refused,
    2 a usage mistake.

    Names of identities and organisations: letters, marks and digits of any script, single inner
    spaces and - _ . (not first, no ..), at most 64 characters; kept in Unicode NFC form.
    """
    ctx.obj = _Context(home, passphrase_file, at)


@ca.command(short_help="Create the CA and its first admin.")
@click.option("--org", required=True, help="Your organisation's name (the O of every certificate).")
@click.option("--suite", type=click.Choice(["gm", "intl"]), required=True, help="Crypto suite of your channels.")
@click.option("--admin", default="admin", show_default=True, help="Name of the first admin identity.")
@click.option("--admin-secret", help="Enrollment secret of the first admin (default: a random one, printed).")
@click.option("--days", type=click.IntRange(1, 36500), default=3650, show_default=True, help="Root certificate validity.")
@click.option("--identity-days", type=click.IntRange(1, 3650), default=365, show_default=True, help="Default validity of issued certificates.")
@pass_ctx
@_refusals
def init(obj: _Context, org: str, suite: str, admin: str, admin_secret: str | None, days: int, identity_days: int) -> None:
    """Create the CA: root key (encrypted), root certificate and the first admin."""
    import secrets

    secret = admin_secret or secrets.token_urlsafe(18)
    passphrase = obj.passphrase()
    if not passphrase:
        raise _Refused(f"the CA key needs a passphrase: give --passphrase-file or set {PASSPHRASE_ENV}")
    if len(secret) < MIN_SECRET_LENGTH:  # checked before anything is written
        raise _Refused(f"an enrollment secret needs at least {MIN_SECRET_LENGTH} characters")
    with undone_on_failure(obj.home):
        authority = CertificateAuthority.init(
            obj.home,
            org=org,
            suite=suite,
            passphrase=passphrase,
            admin=admin,
            admin_secret=secret,
            days=days,
            identity_days=identity_days,
            clock=obj.clock(),
        )
    click.echo(f"created the {suite} CA of {authority.config.org} in {obj.home}")
    click.echo(f"root certificate: {obj.home / 'ca-cert.pem'} (valid until {authority.certificate.not_after:%Y-%m-%d})")
    click.echo(f"first admin {shown(check_name('admin name', admin))} is approved; enrollment secret: {secret}")


@ca.command()
@click.argument("name")
@click.option("--type", "type_", type=click.Choice(IDENTITY_TYPES), required=True, help="Identity type.")
@click.option("--role", "roles", multiple=True, help="A party role it may act in (insurer, hospital, …); repeatable.")
@click.option("--attr", "attributes", multiple=True, callback=_parse_attributes, help="NAME=VALUE attribute; repeatable.")
@click.option("--secret", help="Enrollment secret (default: a random one, printed).")
@click.option("--by", required=True, help="The admin registering it.")
@pass_ctx
@_refusals
def register(obj: _Context, name: str, type_: str, roles: tuple[str, ...], attributes: dict[str, str], secret: str | None, by: str) -> None:
    """Register an identity; it waits for an admin's review."""
    record, secret = obj.open().register(name, type=type_, roles=list(roles), attributes=attributes, secret=secret, by=by)
    held = ", ".join(record.roles) or "no roles"
    click.echo(f"registered {shown(record.name)} ({record.type}; {held}); waiting for review")
    click.echo(f"enrollment secret: {secret}")


@ca.command()
@click.argument("name")
@click.option("--by", required=True, help="The admin approving it.")
@click.option("--note", help="Why (kept in the audit log).")
@pass_ctx
@_refusals
def approve(obj: _Context, name: str, by: str, note: str | None) -> None:
    """Approve a pending registration so the identity can enroll."""
    record = obj.open().approve(name, by=by, note=note)
    click.echo(f"approved {shown(record.name)}")


@ca.command()
@click.argument("name")
@click.option("--by", required=True, help="The admin rejecting it.")
@click.option("--reason", required=True, help="Why (shown to the identity and kept in the audit log).")
@pass_ctx
@_refusals
def reject(obj: _Context, name: str, by: str, reason: str) -> None:
    """Reject a pending registration."""
    record = obj.open().reject(name, by=by, reason=reason)
    click.echo(f"rejected {shown(record.name)}")


def _client_key_passphrase(path: Path | None) -> bytes | None:
    return _read_secret_file(path) if path is not None else None


def _output(given: Path | None, default: str = "") -> Path:
    """Where a command writes a file: the path given, or `default` in the current folder; either
    way the file lands in that folder (`outputs.inside`)."""
    return inside(given.parent, given.name) if given is not None else inside(Path("."), default)


@ca.command(short_help="Get an approved identity's first certificate.")
@click.argument("name")
@click.option("--secret", required=True, help="The enrollment secret from registration.")
@click.option("--csr", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Your CSR (PEM or DER); without it a key is made for you.")
@click.option("--key-out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the new private key (default NAME.key.pem).")
@click.option("--key-passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Encrypt the new key with this file's passphrase.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the certificate (default NAME.pem).")
@click.option("--days", type=click.IntRange(1, 3650), help="Validity (default: the CA's).")
@pass_ctx
@_refusals
def enroll(obj: _Context, name: str, secret: str, csr: Path | None, key_out: Path | None, key_passphrase_file: Path | None, out: Path | None, days: int | None) -> None:
    """Get the first certificate of an approved identity (the secret works once)."""
    authority = obj.open()
    try:  # before any file is touched: a second enroll is "already enrolled", not "file exists"
        name = authority.ready_to_enroll(name).name
    except AlreadyEnrolled as exc:
        renew = shlex.join(["baochain", "ca", "reenroll", name, "--cert", str(out or f"{name}.pem"),
                            "--key", str(key_out or f"{name}.key.pem"), "--out", "NEW.pem"])
        raise _Refused(f"{exc}: {renew}") from None
    out = _output(out, f"{name}.pem")
    key_out = _output(key_out, f"{name}.key.pem") if csr is None else None
    certificate_file = Reservation(out)
    try:
        if csr is not None:
            cert = authority.enroll(name, secret=secret, request=csr.read_bytes(), days=days)
        else:
            assert key_out is not None
            key = authority.suite.generate_key()
            # The key is on disk before the one-time secret is spent, so a failed write loses nothing.
            write_new(key_out, authority.suite.private_key_to_pem(key, _client_key_passphrase(key_passphrase_file)), private=True)
            try:
                cert = authority.enroll(name, secret=secret, request=build_request(authority.suite, key, name), days=days)
            except BaseException:
                key_out.unlink()
                raise
            click.echo(f"private key: {key_out}")
    except BaseException:
        certificate_file.discard()
        raise
    certificate_file.write(cert.pem)
    click.echo(f"certificate: {out} (serial {cert.serial:x}, valid until {cert.not_after:%Y-%m-%d %H:%M} UTC)")


@ca.command(short_help="Renew a certificate with its current key.")
@click.argument("name")
@click.option("--cert", "current", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True, help="Your current certificate.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True, help="Its private key.")
@click.option("--key-passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Passphrase of --key (and of a new key).")
@click.option("--new-key-out", type=click.Path(dir_okay=False, path_type=Path), help="Renew with a fresh key written here (default: keep the key).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Where to write the new certificate.")
@click.option("--days", type=click.IntRange(1, 3650), help="Validity (default: the CA's).")
@pass_ctx
@_refusals
def reenroll(obj: _Context, name: str, current: Path, key: Path, key_passphrase_file: Path | None, new_key_out: Path | None, out: Path, days: int | None) -> None:
    """Renew a certificate before it expires, proving possession of the current key."""
    authority = obj.open()
    name = authority.show(name).name  # as the CA keeps it; a name that cannot be one is refused here
    out = _output(out)
    new_key_out = _output(new_key_out) if new_key_out is not None else None
    suite = authority.suite
    passphrase = _client_key_passphrase(key_passphrase_file)
    current_key = suite.load_private_key(key.read_bytes(), passphrase)
    for path in (out, new_key_out):
        if path is not None and path.exists():
            raise _Refused(f"{path} already exists; not overwriting it")
    certificate_file = Reservation(out)
    try:
        new_key = suite.generate_key() if new_key_out is not None else current_key
        if new_key_out is not None:
            write_new(new_key_out, suite.private_key_to_pem(new_key, passphrase), private=True)
        request = build_request(suite, new_key, name)
        try:
            cert = authority.reenroll(
                name, current=current.read_bytes(), request=request, proof=reenroll_proof(suite, current_key, request), days=days
            )
        except BaseException:
            if new_key_out is not None:
                new_key_out.unlink()
            raise
    except BaseException:
        certificate_file.discard()
        raise
    if new_key_out is not None:
        click.echo(f"new private key: {new_key_out}")
    certificate_file.write(cert.pem)
    click.echo(f"certificate: {out} (serial {cert.serial:x}, valid until {cert.not_after:%Y-%m-%d %H:%M} UTC)")


@ca.command(short_help="Revoke an identity and reissue the CRL.")
@click.argument("name")
@click.option("--by", required=True, help="The admin revoking it.")
@click.option("--reason", type=click.Choice(list(REVOCATION_REASONS)), default="unspecified", show_default=True,
              help="Why, as the CRL records it.")
@pass_ctx
@_refusals
def revoke(obj: _Context, name: str, by: str, reason: str) -> None:
    """Revoke an identity and all its certificates; the CRL is reissued."""
    record = obj.open().revoke(name, by=by, reason=reason)
    click.echo(f"revoked {shown(record.name)} ({reason}); {len(record.certificates)} certificate(s) on the CRL")


@ca.command(short_help="Issue a fresh CRL, or print the current one.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the CRL here.")
@click.option("--current", is_flag=True,
              help="Print the CRL last issued (the CA folder's crl.pem) instead of signing a new one; needs no passphrase.")
@pass_ctx
@_refusals
def crl(obj: _Context, out: Path | None, current: bool) -> None:
    """Issue a freshly signed CRL and print it (PEM).

    With --current, print the CRL the CA last issued (every revoke issues one), checked against
    the root certificate: nothing changes and no passphrase is needed. A CRL past its next
    update is still printed, with a warning on stderr.
    """
    if out is not None:
        out = _output(out)
        if out.resolve().is_relative_to(obj.home.resolve()):
            # Replacing a file there (ca-cert.pem, the registry) would destroy the CA.
            raise _Refused(f"{out} is inside the CA's folder {obj.home}; write the CRL somewhere else "
                           f"(the CA keeps its current CRL as {obj.home / 'crl.pem'})")
    authority = obj.open()
    revocations = authority.current_crl() if current else authority.issue_crl()
    if out is not None:
        write_replacing(out, revocations.pem)
    click.echo(revocations.pem.decode("ascii"), nl=False)
    due = revocations.next_update
    if current and due is not None and obj.clock()() > due:
        click.echo(f"warning: this CRL was due to be replaced at {due:%Y-%m-%d %H:%M} UTC; "
                   "issue a fresh one with `baochain ca crl`", err=True)


@ca.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "enrolled", "revoked"]),
              help="Only the identities in this state.")
@pass_ctx
@_refusals
def list_(obj: _Context, status: str | None) -> None:
    """List the registered identities."""
    records = obj.open().list(status)
    if not records:
        click.echo("no identities" + (f" {status}" if status else ""))
    for line in identity_table(records):
        click.echo(line)


@ca.command(short_help="Show one identity and its certificates.")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@pass_ctx
@_refusals
def show(obj: _Context, name: str, as_json: bool) -> None:
    """Show one identity: type, roles, attributes, review and certificates."""
    record = obj.open().show(name)
    for line in [json_text(record.public_dict())] if as_json else identity_card(record):
        click.echo(line)


@ca.command()
@click.option("--quiet", is_flag=True, help="Only check; print nothing when intact.")
@pass_ctx
@_refusals
def audit(obj: _Context, quiet: bool) -> None:
    """Check the audit log's signatures and chain, and print it."""
    entries = obj.open().verify_audit()
    if quiet:
        return
    for line in audit_lines(entries):
        click.echo(line)
    click.echo(f"audit log intact: {len(entries)} entries, signatures and chain verified")
