"""Identities on Baochain: X.509 v3 certificates, CSRs and CRLs for both crypto suites, and the
check a node runs on every certificate it is shown.

Where an identity's facts live in its certificate
-------------------------------------------------
- Subject ``O``  : the organisation (also the issuing CA's ``O``).
- Subject ``OU`` : the identity type: ``admin``, ``peer``, ``orderer``, ``client`` or ``regulator``
  (a CA's own certificate has ``OU=ca``).
- Subject ``CN`` : the identity's name, unique within its organisation's CA.
- Extension ``2.25.73293519830914424649653588193681367214`` (non-critical; a UUID-derived OID under
  ITU-T X.667's arc 2.25, so it needs no registration): the party roles and attributes, DER:

      BaochainIdentity ::= SEQUENCE {
          version     INTEGER (1),
          roles       SEQUENCE OF UTF8String,                           -- sorted, unique
          attributes  SEQUENCE OF SEQUENCE { name UTF8String, value UTF8String }  -- sorted by name
      }

  ``openssl asn1parse -strparse`` shows it; non-critical so that generic verifiers accept the chain.
- Basic constraints (critical): ``CA:TRUE, pathlen:0`` for a CA, ``CA:FALSE`` otherwise.
- Key usage (critical): CA: digitalSignature, keyCertSign, cRLSign; identity: digitalSignature,
  keyEncipherment, keyAgreement.
- Readers enforce key usage (a member identity needs digitalSignature, a root keyCertSign, a root
  signing CRLs cRLSign) and refuse any critical extension besides basic constraints and key
  usage, in certificates, CRLs and CRL entries alike.
- Subject and authority key identifiers: RFC 7093 method 1 with the suite's hash (SM3 or SHA-256),
  the leftmost 160 bits of the hash of the public point.
- Signature: SM2-with-SM3 (OID 1.2.156.10197.1.501, default signer ID "1234567812345678", as
  GM/T 0015 describes) on ``gm`` channels; ecdsa-with-SHA256 on ``intl`` channels. Keys are
  id-ecPublicKey on sm2p256v1 (1.2.156.10197.1.301) or prime256v1.
- A regulator's certificate has ``OU=regulator`` and the role ``regulator``, issued by the
  regulator organisation's own CA; `VerifiedIdentity.may_audit` grants it the channels its
  organisation belongs to. Only organisations the channel names as regulators
  (`ChannelTrust.build(..., regulator_orgs=...)`) issue regulators: another member CA's
  certificate claiming that type and role is refused the role and is no regulator.

Modules: `errors` (`IdentityError`, the root of every refusal here), `der` (strict DER), `names` (subject, roles, attributes, and `check_name`: the one rule
for names people pick), `certificate`, `request` (PKCS#10), `crl`, `verify` (`check_identity`).
"""

from node.identity.certificate import Certificate, CertificateError
from node.identity.crl import REVOCATION_REASONS, Revocation, RevocationList
from node.identity.errors import IdentityError
from node.identity.names import IDENTITY_TYPES, Claims, ClaimError, Subject, check_name
from node.identity.request import CertificationRequest, build_request
from node.identity.verify import (
    ChannelTrust,
    IdentityRefused,
    Refusal,
    TrustError,
    VerifiedIdentity,
    check_identity,
)

__all__ = [
    "IDENTITY_TYPES",
    "REVOCATION_REASONS",
    "Certificate",
    "CertificateError",
    "CertificationRequest",
    "ChannelTrust",
    "ClaimError",
    "Claims",
    "IdentityError",
    "IdentityRefused",
    "Refusal",
    "Revocation",
    "RevocationList",
    "Subject",
    "TrustError",
    "VerifiedIdentity",
    "build_request",
    "check_identity",
    "check_name",
]
