"""Certificates, CSRs and CRLs of both suites, and the identity check a node runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.crypto import SUITE_NAMES, get_suite
from node.identity import (
    Certificate,
    CertificateError,
    CertificationRequest,
    ChannelTrust,
    IdentityRefused,
    Refusal,
    Revocation,
    RevocationList,
    TrustError,
    build_request,
    check_identity,
    der,
)
from node.identity.crl import issue_crl
from node.identity.names import ClaimError, Claims, decode_claims, encode_claims, make_claims

from .conftest import NOW, make_leaf, make_root


@pytest.fixture(params=SUITE_NAMES, scope="module")
def chain(request):
    suite = get_suite(request.param)
    root, root_key = make_root(suite, "PICC")
    leaf, leaf_key = make_leaf(suite, root, root_key, "alice", roles=("insurer", "cedent"), attributes={"dept": "claims"})
    return suite, root, root_key, leaf, leaf_key


def test_certificate_fields(chain) -> None:
    suite, root, _, leaf, leaf_key = chain
    assert leaf.suite_name == root.suite_name == suite.name
    assert (leaf.subject.org, leaf.subject.name, leaf.subject.type) == ("PICC", "alice", "client")
    assert leaf.issuer == root.subject and root.issuer == root.subject
    assert leaf.claims == Claims(("cedent", "insurer"), (("dept", "claims"),))
    assert root.is_ca and not leaf.is_ca
    assert leaf.authority_key_id == root.key_id == root.authority_key_id
    assert len(leaf.key_id) == 20 and leaf.key_id != root.key_id
    assert suite.same_public_key(leaf.public_key, suite.public_key(leaf_key))
    assert leaf.signed_by(root) and root.signed_by(root) and not leaf.signed_by(leaf)
    assert Certificate.load(leaf.pem) == Certificate.load(leaf.der) == leaf


def test_check_identity_accepts_a_member(chain) -> None:
    suite, root, root_key, leaf, leaf_key = chain
    trust = ChannelTrust.build(suite.name, [root])
    identity = check_identity(leaf.pem, trust, role="cedent", at=NOW)
    assert (identity.org, identity.name, identity.type) == ("PICC", "alice", "client")
    assert identity.verify_signature(b"proposal", suite.sign(leaf_key, b"proposal"))
    assert not identity.verify_signature(b"proposal", suite.sign(root_key, b"proposal"))
    assert check_identity(leaf, trust, at=NOW.replace(tzinfo=None)).serial == leaf.serial
    assert identity.roles == ("cedent", "insurer") and identity.attributes == (("dept", "claims"),)
    assert not identity.is_regulator


def _refusal(cert, trust, **kw) -> IdentityRefused:
    with pytest.raises(IdentityRefused) as caught:
        check_identity(cert, trust, **{"at": NOW, **kw})
    return caught.value


def test_each_refusal_is_precise(chain) -> None:
    suite, root, root_key, leaf, _ = chain
    trust = ChannelTrust.build(suite.name, [root])
    other_root, other_key = make_root(suite, "Ruijin")
    stranger, _ = make_leaf(suite, other_root, other_key, "bob")
    assert _refusal(stranger, trust).reason is Refusal.UNKNOWN_ISSUER
    forged, _ = make_leaf(suite, root, root_key, "mallory", signer=other_key)
    assert _refusal(forged, trust).reason is Refusal.BAD_SIGNATURE
    assert _refusal(leaf, trust, at=NOW + timedelta(days=400)).reason is Refusal.EXPIRED
    assert _refusal(leaf, trust, at=NOW - timedelta(days=1)).reason is Refusal.NOT_YET_VALID
    refused = _refusal(leaf, trust, role="hospital")
    assert refused.reason is Refusal.ROLE_NOT_HELD and "'hospital'" in str(refused) and "cedent, insurer" in str(refused)
    assert _refusal(root, trust).reason is Refusal.NOT_AN_IDENTITY
    assert _refusal(b"not a certificate", trust).reason is Refusal.MALFORMED
    wrong_org, _ = make_leaf(suite, root, root_key, "eve", org="Ruijin")
    assert _refusal(wrong_org, trust).reason is Refusal.UNKNOWN_ISSUER
    other_suite = get_suite("intl" if suite.name == "gm" else "gm")
    foreign_root, foreign_key = make_root(other_suite, "PICC")
    foreign, _ = make_leaf(other_suite, foreign_root, foreign_key, "alice")
    assert _refusal(foreign, trust).reason is Refusal.WRONG_SUITE


def test_revoked_identities_are_refused(chain) -> None:
    suite, root, root_key, leaf, _ = chain
    crl_der = issue_crl(
        suite,
        root_key,
        issuer=root,
        number=3,
        this_update=NOW,
        next_update=NOW + timedelta(days=7),
        revocations=[Revocation(leaf.serial, NOW, "key_compromise"), Revocation(12345, NOW, "superseded")],
    )
    crl = RevocationList.load(crl_der)
    assert crl.number == 3 and crl.signed_by(root) and crl.authority_key_id == root.key_id
    assert crl.revoked[leaf.serial].reason == "key_compromise" and crl.revoked[12345].reason == "superseded"
    assert RevocationList.load(crl.pem) == crl
    trust = ChannelTrust.build(suite.name, [root], [crl])
    assert _refusal(leaf, trust).reason is Refusal.REVOKED
    empty = RevocationList.load(
        issue_crl(suite, root_key, issuer=root, number=4, this_update=NOW, next_update=NOW + timedelta(days=7), revocations=[])
    )
    assert empty.revoked == {}
    assert check_identity(leaf, ChannelTrust.build(suite.name, [root], [empty]), at=NOW).serial == leaf.serial


def test_a_trust_remembers_what_it_accepted_only_within_the_certificates_dates(chain) -> None:
    suite, root, root_key, leaf, _ = chain
    trust = ChannelTrust.build(suite.name, [root])
    first = check_identity(leaf, trust, role="cedent", at=NOW)
    assert check_identity(leaf.der, trust, role="cedent", at=NOW + timedelta(days=1)) is first  # remembered
    # Every answer of the remembering trust is a fresh trust's, in any order of times and roles.
    times = [NOW + timedelta(days=d) for d in (400, 0, -1, 30, 365, -30, 1)]
    for at in times:
        for role in ("cedent", "hospital", None):
            def answer(t: ChannelTrust) -> object:
                try:
                    return check_identity(leaf, t, role=role, at=at).serial
                except IdentityRefused as exc:
                    return exc.reason
            assert answer(trust) == answer(ChannelTrust.build(suite.name, [root])), (at, role)
    # A new CRL makes a new trust, which remembers nothing of the old one.
    crl = RevocationList.load(issue_crl(suite, root_key, issuer=root, number=5, this_update=NOW,
                                        next_update=NOW + timedelta(days=7),
                                        revocations=[Revocation(leaf.serial, NOW, "key_compromise")]))
    assert _refusal(leaf, ChannelTrust.build(suite.name, [root], [crl]), role="cedent").reason is Refusal.REVOKED


def test_trust_refuses_a_crl_not_signed_by_a_root(chain) -> None:
    suite, root, _, _, _ = chain
    _, impostor_key = make_root(suite, "PICC")
    fake = RevocationList.load(
        issue_crl(suite, impostor_key, issuer=root, number=1, this_update=NOW, next_update=NOW + timedelta(days=1), revocations=[])
    )
    assert not fake.signed_by(root)
    with pytest.raises(TrustError):
        ChannelTrust.build(suite.name, [root], [fake])


def test_regulators_audit_their_organisations_channels() -> None:
    suite = get_suite("gm")
    root, key = make_root(suite, "CBIRC")
    regulator, _ = make_leaf(suite, root, key, "inspector", type="regulator", roles=("regulator",))
    identity = check_identity(regulator, ChannelTrust.build("gm", [root], regulator_orgs=["CBIRC"]), role="regulator", at=NOW)
    assert identity.is_regulator
    assert identity.may_audit({"PICC", "CBIRC"}) and not identity.may_audit({"PICC", "Ruijin"})


def test_only_the_channels_regulator_orgs_issue_regulators() -> None:
    # An insurer's CA can write OU=regulator and the regulator role into a certificate it signs;
    # that must not make its holder a regulator of the insurer's channels.
    suite = get_suite("gm")
    regulator_root, regulator_key = make_root(suite, "CBIRC")
    insurer_root, insurer_key = make_root(suite, "PICC")
    self_made, _ = make_leaf(suite, insurer_root, insurer_key, "inspector", type="regulator", roles=("regulator",))
    trust = ChannelTrust.build("gm", [regulator_root, insurer_root], regulator_orgs=["CBIRC"])
    with pytest.raises(IdentityRefused, match="not a regulator of this channel") as refused:
        check_identity(self_made, trust, role="regulator", at=NOW)
    assert refused.value.reason is Refusal.ROLE_NOT_HELD
    identity = check_identity(self_made, trust, at=NOW)
    assert not identity.is_regulator and not identity.may_audit({"PICC", "CBIRC"})
    with pytest.raises(TrustError, match="no member root"):
        ChannelTrust.build("gm", [insurer_root], regulator_orgs=["CBIRC"])


def test_requests_prove_possession(chain) -> None:
    suite, _, _, _, key = chain
    request = build_request(suite, key, "alice")
    loaded = CertificationRequest.load(der.pem_encode(request, "CERTIFICATE REQUEST"))
    assert loaded.suite_name == suite.name and suite.same_public_key(loaded.public_key, suite.public_key(key))
    tampered = bytearray(request)
    tampered[len(request) // 3] ^= 1
    with pytest.raises(CertificateError):
        CertificationRequest.load(bytes(tampered))


def test_claims_encoding_is_canonical() -> None:
    claims = make_claims(["insurer", "bank", "insurer"], {"b": "2", "a": "1"})
    assert claims == Claims(("bank", "insurer"), (("a", "1"), ("b", "2")))
    assert decode_claims(encode_claims(claims)) == claims
    unsorted = der.sequence(der.integer(1), der.sequence(der.utf8("z"), der.utf8("a")), der.sequence())
    with pytest.raises(der.DerError):
        decode_claims(unsorted)
    for bad in (["Insurer"], ["in surer"], [""]):
        with pytest.raises(ClaimError):
            make_claims(bad, {})


@given(st.lists(st.integers(min_value=0, max_value=2**70), min_size=1, max_size=8), st.integers(0, 2), st.integers(0, 39))
def test_oids_round_trip(arcs: list[int], first: int, second: int) -> None:
    dotted = ".".join(str(a) for a in [first, second, *arcs])
    assert der.read_oid(der.read(der.oid(dotted))) == dotted


@given(st.integers(min_value=-(2**200), max_value=2**200))
def test_integers_round_trip_minimally(value: int) -> None:
    encoded = der.integer(value)
    assert der.read_integer(der.read(encoded)) == value
    content = der.read(encoded).content
    assert len(content) == 1 or not (content[0] == 0 and content[1] < 0x80) and not (content[0] == 0xFF and content[1] >= 0x80)


@pytest.mark.parametrize(
    "data",
    [b"\x30\x81\x05\x01\x01\x00\x01\x01", b"\x30\x80\x00\x00", b"\x04\x02\x00", b"\x04\x01\x00\x00", b"\x1f\x01\x00", b"\x30"],
)
def test_der_reader_is_strict(data: bytes) -> None:
    with pytest.raises(der.DerError):
        der.read(data)


def _signed_leaf(suite, root, root_key, *, extra_extensions=(), signed_algorithm=None, usage=(0,)) -> bytes:
    """A leaf built by hand, so a test can put into it what the issuing code never would."""
    from node.identity.certificate import (
        OID_AUTHORITY_KEY_ID,
        OID_BASIC_CONSTRAINTS,
        OID_KEY_USAGE,
        _extension,
        algorithm_identifier,
    )
    from node.identity.names import Subject

    key = suite.generate_key()
    extensions = [
        _extension(OID_BASIC_CONSTRAINTS, der.sequence(), critical=True),
        _extension(OID_KEY_USAGE, der.named_bits(list(usage)), critical=True),
        _extension(OID_AUTHORITY_KEY_ID, der.sequence(der.tlv(0x80, root.key_id))),
        *extra_extensions,
    ]
    tbs = der.sequence(
        der.explicit(0, der.integer(2)),
        der.integer(12345),
        signed_algorithm or algorithm_identifier(suite),
        root.subject_name,
        der.sequence(der.time(NOW - timedelta(hours=1)), der.time(NOW + timedelta(days=1))),
        Subject("PICC", "mallory", "client").to_der(),
        suite.public_key_to_der(suite.public_key(key)),
        der.explicit(3, der.sequence(*extensions)),
    )
    return der.sequence(tbs, algorithm_identifier(suite), der.bit_string(suite.sign(root_key, tbs)))


def test_an_unknown_critical_extension_is_refused(chain) -> None:
    from node.identity.certificate import _extension

    suite, root, root_key, _, _ = chain
    trust = ChannelTrust.build(suite.name, [root])
    unknown = "1.3.6.1.4.1.99999.1"
    assert check_identity(_signed_leaf(suite, root, root_key, extra_extensions=[_extension(unknown, b"\x05\x00")]), trust, at=NOW)
    critical = _signed_leaf(suite, root, root_key, extra_extensions=[_extension(unknown, b"\x05\x00", critical=True)])
    with pytest.raises(IdentityRefused, match=f"critical extension {unknown}") as refused:
        check_identity(critical, trust, at=NOW)
    assert refused.value.reason is Refusal.MALFORMED


def test_the_signed_algorithm_must_match_the_outer_one(chain) -> None:
    from node.identity.certificate import algorithm_identifier

    suite, root, root_key, _, _ = chain
    other = get_suite("gm" if suite.name == "intl" else "intl")
    forged = _signed_leaf(suite, root, root_key, signed_algorithm=algorithm_identifier(other))
    with pytest.raises(CertificateError, match="differs from the signed field"):
        Certificate.load(forged)


def _hand_made_crl(suite, root, root_key, *, extra=(), entry_extra=(), signed_algorithm=None) -> bytes:
    from node.identity.certificate import OID_AUTHORITY_KEY_ID, algorithm_identifier
    from node.identity.crl import OID_CRL_NUMBER

    entry = der.sequence(der.integer(777), der.time(NOW), *([der.sequence(*entry_extra)] if entry_extra else []))
    tbs = der.sequence(
        der.integer(1),
        signed_algorithm or algorithm_identifier(suite),
        root.subject_name,
        der.time(NOW),
        der.time(NOW + timedelta(days=1)),
        der.sequence(entry),
        der.explicit(
            0,
            der.sequence(
                der.sequence(der.oid(OID_AUTHORITY_KEY_ID), der.octet_string(der.sequence(der.tlv(0x80, root.key_id)))),
                der.sequence(der.oid(OID_CRL_NUMBER), der.octet_string(der.integer(9))),
                *extra,
            ),
        ),
    )
    return der.sequence(tbs, algorithm_identifier(suite), der.bit_string(suite.sign(root_key, tbs)))


def test_crls_with_unprocessed_critical_extensions_or_a_swapped_algorithm_are_refused(chain) -> None:
    from node.identity.certificate import algorithm_identifier

    suite, root, root_key, _, _ = chain
    assert RevocationList.load(_hand_made_crl(suite, root, root_key)).revoked.keys() == {777}
    delta = der.sequence(der.oid("2.5.29.27"), der.boolean(True), der.octet_string(der.integer(8)))  # a delta CRL
    with pytest.raises(CertificateError, match="critical extension 2.5.29.27"):
        RevocationList.load(_hand_made_crl(suite, root, root_key, extra=[delta]))
    invalidity = der.sequence(der.oid("2.5.29.24"), der.boolean(True), der.octet_string(der.tlv(der.GENERALIZED_TIME, b"20260601120000Z")))
    with pytest.raises(CertificateError, match="critical extension 2.5.29.24"):
        RevocationList.load(_hand_made_crl(suite, root, root_key, entry_extra=[invalidity]))
    other = get_suite("gm" if suite.name == "intl" else "intl")
    with pytest.raises(CertificateError, match="do not match"):  # pyca checks this one for CRLs
        RevocationList.load(_hand_made_crl(suite, root, root_key, signed_algorithm=algorithm_identifier(other)))


def test_key_usage_is_enforced(chain) -> None:
    from node.identity.certificate import OID_BASIC_CONSTRAINTS, OID_KEY_USAGE, OID_SUBJECT_KEY_ID, _extension
    from node.identity.certificate import algorithm_identifier, key_identifier
    from node.identity.names import Subject

    suite, root, root_key, _, _ = chain
    trust = ChannelTrust.build(suite.name, [root])
    encipher_only = _signed_leaf(suite, root, root_key, usage=(2,))  # keyEncipherment, no digitalSignature
    assert _refusal(encipher_only, trust).reason is Refusal.KEY_USAGE

    # A self-signed CA certificate whose key usage allows only digitalSignature is no root.
    key = suite.generate_key()
    public = suite.public_key(key)
    subject = Subject("Ruijin", "Ruijin CA", "ca")
    tbs = der.sequence(
        der.explicit(0, der.integer(2)),
        der.integer(99),
        algorithm_identifier(suite),
        subject.to_der(),
        der.sequence(der.time(NOW - timedelta(days=1)), der.time(NOW + timedelta(days=30))),
        subject.to_der(),
        suite.public_key_to_der(public),
        der.explicit(3, der.sequence(
            _extension(OID_BASIC_CONSTRAINTS, der.sequence(der.boolean(True)), critical=True),
            _extension(OID_KEY_USAGE, der.named_bits([0]), critical=True),
            _extension(OID_SUBJECT_KEY_ID, der.octet_string(key_identifier(suite, public))),
        )),
    )
    weak_root = Certificate.load(der.sequence(tbs, algorithm_identifier(suite), der.bit_string(suite.sign(key, tbs))))
    assert weak_root.is_ca and weak_root.signed_by(weak_root)
    with pytest.raises(TrustError, match="keyCertSign"):
        ChannelTrust.build(suite.name, [weak_root])


def test_damaged_x509_input_is_a_certificate_error(chain) -> None:
    # pyca raises InvalidVersion / DuplicateExtension (not ValueError) on these; they must be refusals.
    from node.identity.certificate import OID_BASIC_CONSTRAINTS, _extension

    suite, root, root_key, leaf, _ = chain
    trust = ChannelTrust.build(suite.name, [root])
    bad_version = leaf.der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x07", 1)
    twice = _signed_leaf(suite, root, root_key, extra_extensions=[_extension(OID_BASIC_CONSTRAINTS, der.sequence(), critical=True)])
    for damaged in (bad_version, twice):
        with pytest.raises(CertificateError):
            Certificate.load(damaged)
        assert _refusal(damaged, trust).reason is Refusal.MALFORMED
    crl = _hand_made_crl(suite, root, root_key)
    with pytest.raises(CertificateError):
        RevocationList.load(crl.replace(b"\x02\x01\x01", b"\x02\x01\x05", 1))


@given(st.sampled_from(SUITE_NAMES), st.integers(min_value=0), st.integers(min_value=0, max_value=255), st.booleans())
def test_no_mutation_of_a_certificate_escapes_as_another_error(name: str, where: int, byte: int, insert: bool) -> None:
    suite = get_suite(name)
    root, leaf = _MUTATION_CHAINS[name]
    data = bytearray(leaf.der)
    if insert:
        data.insert(where % (len(data) + 1), byte)
    else:
        data[where % len(data)] = byte
    try:
        check_identity(bytes(data), ChannelTrust.build(suite.name, [root]), at=NOW)
    except IdentityRefused:
        pass


def _mutation_chain(name: str):
    suite = get_suite(name)
    root, key = make_root(suite, "PICC")
    return root, make_leaf(suite, root, key, "alice")[0]


_MUTATION_CHAINS = {name: _mutation_chain(name) for name in SUITE_NAMES}


def test_a_requests_name_may_be_a_printable_string(chain) -> None:
    # Go's crypto/x509 writes an ASCII CN as PrintableString; the CA matches the CN to the name.
    suite, _, _, _, key = chain
    ours = build_request(suite, key, "alice")
    info = der.children(der.read(ours))[0]
    printable = info.encoded.replace(der.utf8("alice"), der.tlv(der.PRINTABLE_STRING, b"alice"))
    from node.identity.certificate import algorithm_identifier

    request = der.sequence(printable, algorithm_identifier(suite), der.bit_string(suite.sign(key, printable)))
    assert CertificationRequest.load(request).common_name == "alice"
    assert CertificationRequest.load(ours).common_name == "alice"


def test_every_refusal_of_the_identity_layer_shares_one_root() -> None:
    """A caller catches the layer's refusals in one clause; each keeps the base it had."""
    from node.identity import IdentityError
    from node.identity.der import DerError

    for kind in (DerError, CertificateError, ClaimError, TrustError):
        assert issubclass(kind, IdentityError) and issubclass(kind, ValueError), kind
    assert issubclass(IdentityRefused, IdentityError)
    with pytest.raises(IdentityError):
        Certificate.load(b"\x30\x03not DER")
