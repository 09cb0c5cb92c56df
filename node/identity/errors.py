"""The identity layer's one root exception.

Every refusal of `node.identity` is an `IdentityError`, so a caller that hands this layer bytes it
did not make (a certificate from a proposal, a CRL from a channel update) can catch the layer's
refusals in one clause and nothing else. Each subclass keeps the base a caller already relied on
(`ValueError` for malformed input), so naming the root adds a handle without changing one:

    IdentityError
    ├── DerError           bytes that are not the strict DER this layer reads      (der.py)
    ├── CertificateError   not a well-formed Baochain certificate, CSR or CRL       (certificate.py)
    ├── ClaimError         a name, type, role or attribute no certificate may hold  (names.py)
    ├── TrustError         member roots or CRLs that cannot be trusted as given     (verify.py)
    └── IdentityRefused    a well-formed certificate refused for this use, with its Refusal (verify.py)
"""

from __future__ import annotations


class IdentityError(Exception):
    """A refusal of the identity layer (see the module docstring for its kinds)."""
