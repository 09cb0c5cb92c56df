"""Baochain's crypto suites: one interface (`CryptoSuite`), two suites (`gm`, `intl`) chosen per channel.

    suite = get_suite("gm")
    key = suite.generate_key()
    signature = suite.sign(key, data)
    assert suite.verify(suite.public_key(key), data, signature)

See `node.crypto.suite` for the conventions every suite follows.
"""

from node.crypto.errors import CryptoError, DecryptionError, KeyFormatError, UnknownSuiteError
from node.crypto.suite import SUITE_NAMES, CryptoSuite, get_suite

__all__ = [
    "SUITE_NAMES",
    "CryptoError",
    "CryptoSuite",
    "DecryptionError",
    "KeyFormatError",
    "UnknownSuiteError",
    "get_suite",
]
