"""The crypto layer's exceptions.

Signature checks do not raise: `CryptoSuite.verify` answers a bool, because the validation path
checks many signatures and treats a bad one as an ordinary outcome. Everything else that can
fail on hostile or mistaken input raises one of these.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error the crypto layer raises."""


class UnknownSuiteError(CryptoError):
    """A channel names a crypto suite that does not exist."""


class KeyFormatError(CryptoError):
    """Key bytes that cannot be loaded: wrong format, wrong curve for the suite, or wrong passphrase."""


class DecryptionError(CryptoError):
    """A ciphertext that fails authentication or does not belong to the key."""
