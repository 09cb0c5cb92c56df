"""Organisation CAs for the users tests: a fresh one (`make_ca`), or one around a root that already
exists (`adopt_ca`: the API world's roots, whose channels trust them already).

Either way the CA has its operator ``ca-admin`` (the registrar a node registers users by) and an
admin ``admin`` that may approve, as `baochain network init` makes them."""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from node.ca import CertificateAuthority
from node.ca.records import APPROVED, CAConfig
from node.ca.registration import new_record
from node.ca.store import CAHome
from node.identity import Certificate, build_request
from node.users.keys import ScryptCost

PASSPHRASE = b"a passphrase for the tests' CAs"
FAST = ScryptCost(n=2**10, r=8, p=1)  # the tests' KDF cost: the real one is 32 times slower


def make_ca(home: Path, org: str, suite: str, *, admin_roles: tuple[str, ...] = ("insurer",)) -> tuple[
        CertificateAuthority, Certificate, Any]:
    """A CA of ``org`` with ``admin`` enrolled, in ``home``; the CA, the admin's certificate and key.
    Made once per process and copied (a CA's init hashes its secrets with scrypt: a second or so)."""
    made = _TEMPLATES.get((org, suite, admin_roles))
    if made is None:
        folder = Path(tempfile.mkdtemp(prefix="baochain-ca-"))
        atexit.register(shutil.rmtree, folder, True)
        ca = CertificateAuthority.init(folder / "ca", org=org, suite=suite, passphrase=PASSPHRASE, admin="ca-admin",
                                       admin_secret=secrets.token_urlsafe(18))
        _, secret = ca.register("admin", type="admin", roles=list(admin_roles), by="ca-admin")
        ca.approve("admin", by="ca-admin")
        key = ca.suite.generate_key()
        cert = ca.enroll("admin", secret=secret, request=build_request(ca.suite, key, "admin"))
        made = _TEMPLATES[(org, suite, admin_roles)] = (folder / "ca", cert, key)
    template, cert, key = made
    shutil.copytree(template, home)
    return CertificateAuthority(home, passphrase=PASSPHRASE), cert, key


_TEMPLATES: dict[tuple[str, str, tuple[str, ...]], tuple[Path, Certificate, Any]] = {}


def adopt_ca(home: Path, root: Certificate, root_key: Any, *, admin_roles: tuple[str, ...] = ("insurer",)) -> \
        CertificateAuthority:
    """A CA home around ``root`` and its key, with ``ca-admin`` and an approved ``admin``."""
    store = CAHome(home)
    suite = root.suite
    operator = new_record("ca-admin", "admin", [], {}, secrets.token_urlsafe(18), "ca", 0).with_(status=APPROVED)
    store.write_atomic(store.key, suite.private_key_to_pem(root_key, PASSPHRASE), private=True)
    store.write_atomic(store.certificate, root.pem)
    store.certs.mkdir(parents=True, exist_ok=True)
    store.write_json(store.registry, {"version": 1, "crl_number": 0, "serials": {},
                                      "identities": {"ca-admin": operator.to_dict()}}, private=True)
    store.write_json(store.config, CAConfig(root.subject.org, suite.name, 365, 7).to_dict())
    ca = CertificateAuthority(store, passphrase=PASSPHRASE)
    ca.issue_crl()
    ca.register("admin", type="admin", roles=list(admin_roles), by="ca-admin")
    ca.approve("admin", by="ca-admin")
    return ca
