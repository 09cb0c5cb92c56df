"""Key handling shared by both suites: both sit on an elliptic curve and on a pyca-style API.

tongsuopy is a fork of pyca/cryptography, so the two libraries expose the same serialisation
calls under different modules; `EllipticKeys` is written once against that shape and each suite
hands it its own library's module, curve and key classes.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from node.crypto.errors import KeyFormatError

_PEM_MARK = b"-----BEGIN"


class EllipticKeys:
    """PKCS#8 / SubjectPublicKeyInfo (de)serialisation for one curve of one library."""

    __slots__ = ("_ser", "_ec", "_curve", "_private_type", "_public_type")

    def __init__(self, serialization: ModuleType, ec: ModuleType, curve: Any) -> None:
        self._ser = serialization
        self._ec = ec
        self._curve = curve
        self._private_type = ec.EllipticCurvePrivateKey
        self._public_type = ec.EllipticCurvePublicKey

    def generate_key(self) -> Any:
        return self._ec.generate_private_key(self._curve)

    def public_key(self, private_key: Any) -> Any:
        return private_key.public_key()

    def _encryption(self, passphrase: bytes | None) -> Any:
        if passphrase is None:
            return self._ser.NoEncryption()
        if not passphrase:
            raise KeyFormatError("an empty passphrase cannot protect a private key")
        return self._ser.BestAvailableEncryption(passphrase)

    def private_key_to_pem(self, private_key: Any, passphrase: bytes | None = None) -> bytes:
        return private_key.private_bytes(
            self._ser.Encoding.PEM, self._ser.PrivateFormat.PKCS8, self._encryption(passphrase)
        )

    def private_key_to_der(self, private_key: Any, passphrase: bytes | None = None) -> bytes:
        return private_key.private_bytes(
            self._ser.Encoding.DER, self._ser.PrivateFormat.PKCS8, self._encryption(passphrase)
        )

    def load_private_key(self, data: bytes, passphrase: bytes | None = None) -> Any:
        loader = self._ser.load_pem_private_key if data.lstrip().startswith(_PEM_MARK) else self._ser.load_der_private_key
        try:
            key = loader(data, password=passphrase)
        except TypeError as exc:  # pyca's way of saying "encrypted, but no passphrase" and the reverse
            raise KeyFormatError(_passphrase_message(str(exc))) from None
        except Exception as exc:  # the libraries raise ValueError or their own UnsupportedAlgorithm
            raise KeyFormatError(_load_message(exc, passphrase)) from None
        self._check_curve(key, self._private_type)
        return key

    def public_key_to_pem(self, public_key: Any) -> bytes:
        return public_key.public_bytes(self._ser.Encoding.PEM, self._ser.PublicFormat.SubjectPublicKeyInfo)

    def public_key_to_der(self, public_key: Any) -> bytes:
        return public_key.public_bytes(self._ser.Encoding.DER, self._ser.PublicFormat.SubjectPublicKeyInfo)

    def load_public_key(self, data: bytes) -> Any:
        loader = self._ser.load_pem_public_key if data.lstrip().startswith(_PEM_MARK) else self._ser.load_der_public_key
        try:
            key = loader(data)
        except Exception as exc:
            raise KeyFormatError(f"not a public key of this suite: {exc}") from None
        self._check_curve(key, self._public_type)
        return key

    def public_key_point(self, public_key: Any) -> bytes:
        """The uncompressed X9.62 point 04 || X || Y: what identifies a key independently of its encoding."""
        return public_key.public_bytes(self._ser.Encoding.X962, self._ser.PublicFormat.UncompressedPoint)

    def same_public_key(self, a: Any, b: Any) -> bool:
        return self.public_key_point(a) == self.public_key_point(b)

    def _check_curve(self, key: Any, expected: type) -> None:
        curve = getattr(key, "curve", None)
        if not isinstance(key, expected) or curve is None or curve.name != self._curve.name:
            kind = getattr(curve, "name", type(key).__name__)
            raise KeyFormatError(f"key is {kind}, expected a {self._curve.name} key")


def _passphrase_message(detail: str) -> str:
    if "not encrypted" in detail:
        return "the key is not encrypted, but a passphrase was given"
    return "the key is encrypted: a passphrase is needed"


def _load_message(exc: Exception, passphrase: bytes | None) -> str:
    if passphrase is not None:
        return "cannot decrypt the private key: wrong passphrase or damaged key"
    return f"not a private key of this suite: {exc}"
