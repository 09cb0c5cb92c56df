"""A small, strict DER layer: enough ASN.1 to write certificates, CSRs and CRLs for both suites,
and to read back the parts pyca/cryptography will not hand over for SM2 (the raw
SubjectPublicKeyInfo, a CSR).

Writing builds bytes bottom-up from plain functions. Reading (`read`, `children`) accepts only
DER: definite, minimal lengths and single-byte tags, and refuses trailing bytes.
"""

from __future__ import annotations

from node.identity.errors import IdentityError

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

BOOLEAN = 0x01
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
ENUMERATED = 0x0A
UTF8_STRING = 0x0C
PRINTABLE_STRING = 0x13
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
SEQUENCE = 0x30
SET = 0x31


class DerError(IdentityError, ValueError):
    """Bytes that are not the strict DER this layer reads."""


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content


def integer(value: int) -> bytes:
    # Shortest two's complement: the magnitude's bits plus a sign bit (~value for negatives).
    length = (value if value >= 0 else ~value).bit_length() // 8 + 1
    return tlv(INTEGER, value.to_bytes(length, "big", signed=True))


def boolean(value: bool) -> bytes:
    return tlv(BOOLEAN, b"\xff" if value else b"\x00")


def enumerated(value: int) -> bytes:
    return tlv(ENUMERATED, integer(value)[2:])


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise DerError(f"not an object identifier: {dotted}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def bit_string(data: bytes) -> bytes:
    return tlv(BIT_STRING, b"\x00" + data)


def named_bits(bits: list[int]) -> bytes:
    """A BIT STRING of named bits (KeyUsage), DER-trimmed of trailing zero bits."""
    if not bits:
        return tlv(BIT_STRING, b"\x00")
    width = max(bits) + 1
    value = 0
    for b in bits:
        value |= 1 << (width - 1 - b)
    nbytes = (width + 7) // 8
    unused = nbytes * 8 - width
    return tlv(BIT_STRING, bytes((unused,)) + (value << unused).to_bytes(nbytes, "big"))


def octet_string(data: bytes) -> bytes:
    return tlv(OCTET_STRING, data)


def utf8(text: str) -> bytes:
    return tlv(UTF8_STRING, text.encode("utf-8"))


def sequence(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(SET, b"".join(sorted(items)))  # DER orders SET OF by encoding


def explicit(number: int, content: bytes) -> bytes:
    return tlv(0xA0 | number, content)


def time(moment: datetime) -> bytes:
    """RFC 5280: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, always UTC."""
    moment = moment.astimezone(timezone.utc).replace(microsecond=0)
    if moment.year < 2050:
        return tlv(UTC_TIME, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return tlv(GENERALIZED_TIME, moment.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


@dataclass(frozen=True, slots=True)
class Element:
    """One decoded TLV: its tag, its content, and its whole encoding."""

    tag: int
    content: bytes
    encoded: bytes


def read(data: bytes) -> Element:
    """The single element `data` holds; refuses trailing bytes."""
    element, end = _read_at(data, 0)
    if end != len(data):
        raise DerError("trailing bytes after the DER element")
    return element


def children(element: Element) -> list[Element]:
    """The elements inside a constructed element, in order."""
    if not element.tag & 0x20:
        raise DerError(f"tag 0x{element.tag:02x} is not constructed")
    return list(_iter(element.content))


def _iter(data: bytes) -> Iterator[Element]:
    pos = 0
    while pos < len(data):
        element, pos = _read_at(data, pos)
        yield element


def _read_at(data: bytes, pos: int) -> tuple[Element, int]:
    if pos + 2 > len(data):
        raise DerError("truncated DER element")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used here")
    first = data[pos + 1]
    head = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError("indefinite or oversized length")
        if head + count > len(data):
            raise DerError("truncated length")
        length = int.from_bytes(data[head : head + count], "big")
        if length < 0x80 or data[head] == 0:
            raise DerError("non-minimal length")
        head += count
    end = head + length
    if end > len(data):
        raise DerError("truncated DER content")
    return Element(tag, bytes(data[head:end]), bytes(data[pos:end])), end


def read_integer(element: Element) -> int:
    if element.tag != INTEGER or not element.content:
        raise DerError("INTEGER expected")
    return int.from_bytes(element.content, "big", signed=True)


def read_oid(element: Element) -> str:
    if element.tag != OID or not element.content:
        raise DerError("OBJECT IDENTIFIER expected")
    arcs: list[int] = []
    value = 0
    for byte in element.content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if element.content[-1] & 0x80:
        raise DerError("truncated OBJECT IDENTIFIER")
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def read_utf8(element: Element) -> str:
    if element.tag != UTF8_STRING:
        raise DerError("UTF8String expected")
    try:
        return element.content.decode("utf-8")
    except UnicodeDecodeError:
        raise DerError("UTF8String holds invalid UTF-8") from None


def read_bit_string(element: Element) -> bytes:
    if element.tag != BIT_STRING or not element.content or element.content[0] != 0:
        raise DerError("BIT STRING of whole bytes expected")
    return element.content[1:]


def pem_encode(data: bytes, label: str) -> bytes:
    import base64

    body = base64.encodebytes(data).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"\n".join([f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode()]) + b"\n"


def pem_decode(data: bytes, label: str) -> bytes:
    """The DER inside the first PEM block labelled `label`; DER input passes through unchanged."""
    import base64
    import binascii

    begin, end = f"-----BEGIN {label}-----".encode(), f"-----END {label}-----".encode()
    start = data.find(begin)
    if start < 0:
        if data[:1] == bytes((SEQUENCE,)):
            return bytes(data)
        raise DerError(f"no {label} found (expected PEM or DER)")
    stop = data.find(end, start)
    if stop < 0:
        raise DerError(f"unterminated PEM {label}")
    try:
        return base64.b64decode(b"".join(data[start + len(begin) : stop].split()), validate=True)
    except binascii.Error:
        raise DerError(f"damaged PEM {label}") from None
