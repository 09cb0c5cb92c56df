"""An organisation's certificate authority: a library (`CertificateAuthority`) and the
`baochain ca` commands (`node.ca.cli`) over it."""

from node.ca.authority import REENROLL_PROOF_CONTEXT, CertificateAuthority, reenroll_proof
from node.ca.records import CAConfig
from node.ca.errors import CAError, CARefused

__all__ = ["REENROLL_PROOF_CONTEXT", "CAConfig", "CAError", "CARefused", "CertificateAuthority", "reenroll_proof"]
