"""What a certificate says about its holder, and how it is written into X.509.

Subject: O = organisation, OU = identity type, CN = name (all UTF8String, in that order).
Roles and attributes travel in the Baochain identity extension (see the package docstring).
`check_name` is the one rule for every name a person picks (identities, organisations, and any
name that becomes a file name); `shown` quotes text safely for messages and listings.
"""

from __future__ import annotations

from node.identity.errors import IdentityError

import re
import unicodedata
from dataclasses import dataclass

from node.identity import der
from node.recent import Recent

OID_COMMON_NAME = "2.5.4.3"
OID_ORGANIZATION = "2.5.4.10"
OID_ORGANIZATIONAL_UNIT = "2.5.4.11"

# A UUID-derived OID (ITU-T X.667, arc 2.25): unique without registering an enterprise number.
OID_IDENTITY_EXTENSION = "2.25.73293519830914424649653588193681367214"
IDENTITY_EXTENSION_VERSION = 1

IDENTITY_TYPES: tuple[str, ...] = ("admin", "peer", "orderer", "client", "regulator")
CA_TYPE = "ca"  # the OU of a CA's own certificate
REGULATOR_ROLE = "regulator"

_ROLE = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}\Z")

NAME_MAX_CHARACTERS = 64
NAME_MAX_BYTES = 240
NAME_PUNCTUATION = "-_."
_WORD_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl"})
_MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})
# Default-ignorable code points (Unicode's DerivedCoreProperties) that are letters or marks by
# category: Hangul fillers, the combining grapheme joiner, Khmer inherent vowels, Mongolian free
# variation selectors and the variation selectors. They draw nothing.
_INVISIBLE = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180D), (0x180F, 0x180F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xE0100, 0xE01EF),
)
_SEPARATORS = {
    "/": "separates folders in a path",
    "\\": "separates folders in a Windows path",
    "@": "separates the name from the organisation in a wallet identity NAME@ORG",
    ":": "separates the role from the organisation in a party ROLE:ORG",
}
_CATEGORY_REASONS = {
    "Cc": "a control character (terminals act on some, e.g. U+009B starts an escape sequence)",
    "Cf": "an invisible format character (bidi controls reorder what is shown around them)",
    "Zl": "a line separator (it breaks a log line or a listing in two)",
    "Zp": "a paragraph separator (it breaks a log line or a listing in two)",
    "Cs": "half of a surrogate pair, which is not text",
    "Co": "a private-use character (it means nothing outside one font)",
    "Cn": "not a character Unicode has assigned",
    "Zs": "a space other than the plain space U+0020 (two names would look the same)",
}


class ClaimError(IdentityError, ValueError):
    """An identity name, type, role or attribute that cannot go into a certificate."""


@dataclass(frozen=True, slots=True)
class Subject:
    org: str
    name: str
    type: str

    def to_der(self) -> bytes:
        return der.sequence(
            der.set_of(der.sequence(der.oid(OID_ORGANIZATION), der.utf8(self.org))),
            der.set_of(der.sequence(der.oid(OID_ORGANIZATIONAL_UNIT), der.utf8(self.type))),
            der.set_of(der.sequence(der.oid(OID_COMMON_NAME), der.utf8(self.name))),
        )


@dataclass(frozen=True, slots=True)
class Claims:
    """The party roles an identity may act in, and its attributes (sorted: one encoding per value)."""

    roles: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()

    def attribute(self, key: str) -> str | None:
        return dict(self.attributes).get(key)


def check_name(what: str, value: str) -> str:
    """The one rule for a name a person picks: an identity, an organisation, and every name that
    becomes part of a file name. Returns the name in NFC; raises `ClaimError` saying what is
    wrong, with `what` (``"name"``, ``"organisation"``, ...) and the name as typed, `shown`.

    A name is
    - letters, marks and digits of any script (categories L*, M*, Nd, Nl: ``中国人寿`` and
      ``Ruijin Hospital`` are names; Nl admits ``〇``, used in Chinese names), so that every
      organisation can write its own name;
    - and, between them, single plain spaces (U+0020) and ``-``, ``_``, ``.``, the punctuation
      of names such as ``claims-app`` or ``node_1.picc``.

    And so a name
    - starts with a letter or a digit: not with a space (invisible), ``-`` (a command line takes
      it for an option), ``.`` (a hidden file, ``..`` the parent folder) or ``_``, and not with a
      mark (it would draw over whatever is printed before the name);
    - does not end with a space, holds no two spaces in a row, and holds no ``..`` (a name that
      reads as a path, or as the parent folder, when it becomes a file name);
    - has a mark only after a letter, a digit or another mark (after a space or ``-`` it would
      draw over the separator and hide it);
    - holds no ``/`` or ``\\`` (a name becomes a file name, and must not name a folder) and no
      ``@`` or ``:`` (they separate wallet identities ``NAME@ORG`` and parties ``ROLE:ORG``);
    - holds no control or format characters or line and paragraph separators (Cc, Cf, Zl, Zp:
      they move a terminal's cursor, start escape sequences, reorder text or break a log line),
      no other spaces (U+00A0, U+3000: they look like U+0020 but are not), no symbols or other
      punctuation (not needed in a name; some are confusable with the separators), and no
      invisible letters or marks (Hangul fillers, variation selectors: two names differing only
      by one would look the same);
    - holds no lone surrogates: Python carries bytes that are not UTF-8 (a command line, a
      request's CN) as U+DC80..U+DCFF, and they are refused as the bytes they were;
    - is at most 64 characters (code points; RFC 5280's upper bound for a CN and an O) and at
      most 240 bytes of UTF-8 (``NAME.key.pem`` then stays within a 255-byte file name).

    A name is normalised to NFC, not refused for being in another form: ``é`` typed as one
    character or as ``e`` and a combining accent is the same name (macOS and many input methods
    produce the decomposed form), so it must be one identity. The NFC form is what the registry,
    the certificate and the file names hold; the rule is checked on the NFC form (and the
    characters also on the form typed), so a name that passes once passes again unchanged.
    Letters that merely look alike across scripts (Latin ``a``, Cyrillic ``а``) are not folded:
    that is for the people who approve registrations. Categories are those of Python's Unicode
    database (`unicodedata.unidata_version`): a character assigned by a newer Unicode than the
    running Python knows is refused as unassigned.
    """
    if not isinstance(value, str) or not value:
        raise ClaimError(f"{what} must be non-empty text")
    if value in _ACCEPTED:  # a node checks the same few names in every message it reads
        return _ACCEPTED[value]
    name = _checked(what, value)
    _ACCEPTED.put(value, name)
    return name


_ACCEPTED_MAX = 4096
_ACCEPTED: Recent[str, str] = Recent(_ACCEPTED_MAX)  # names that passed, as typed -> NFC: the rule depends on nothing else


def _checked(what: str, value: str) -> str:
    def refused(reason: str) -> ClaimError:
        return ClaimError(f"{what} {shown(value)} is not allowed: {reason}")

    for c in value:  # before normalising: NFC keeps lone surrogates, but report them as bytes
        if 0xDC80 <= ord(c) <= 0xDCFF:
            raise refused(f"it holds the byte 0x{ord(c) - 0xDC00:02x}, which is not UTF-8")
    name = unicodedata.normalize("NFC", value)
    for c in (*value, *name):
        reason = _character_reason(c)
        if reason is not None:
            raise refused(reason)
    if len(name) > NAME_MAX_CHARACTERS:
        raise refused(f"it is {len(name)} characters long; at most {NAME_MAX_CHARACTERS}")
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        raise refused(f"it is {len(name.encode('utf-8'))} bytes long in UTF-8; at most {NAME_MAX_BYTES}")
    if unicodedata.category(name[0]) not in _WORD_CATEGORIES:
        raise refused("it must start with a letter or a digit")
    if name.endswith(" "):
        raise refused("it must not end with a space")
    if "  " in name:
        raise refused("it holds two spaces in a row")
    if ".." in name:
        raise refused("it holds '..', which reads as the parent folder in a path")
    for before, c in zip(name, name[1:]):
        if _is_mark(c) and not _carries_mark(before):
            raise refused(f"the mark U+{ord(c):04X} follows {shown(before)}; a mark must follow a letter or a digit")
    return name


def _character_reason(c: str) -> str | None:
    """Why `c` may not be in a name, or None when it may."""
    if c == " " or c in NAME_PUNCTUATION:
        return None
    if c in _SEPARATORS:
        return f"{shown(c)} {_SEPARATORS[c]}"
    category = unicodedata.category(c)
    if _is_invisible(c):
        return f"U+{ord(c):04X} is invisible (two names differing only by it would look the same)"
    if category in _WORD_CATEGORIES or _is_mark(c):
        return None
    if category in _CATEGORY_REASONS:
        return f"U+{ord(c):04X} is {_CATEGORY_REASONS[category]}"
    return f"{shown(c)} (U+{ord(c):04X}) is not a letter, a digit, a space or one of - _ ."


def _is_mark(c: str) -> bool:
    return unicodedata.category(c) in _MARK_CATEGORIES


def _carries_mark(c: str) -> bool:
    return (unicodedata.category(c) in _WORD_CATEGORIES or _is_mark(c)) and not _is_invisible(c)


def _is_invisible(c: str) -> bool:
    code = ord(c)
    return any(low <= code <= high for low, high in _INVISIBLE)


def escaped(text: str) -> str:
    """`text` made safe to print on one line, for listings of what the CA keeps: what a terminal
    or a log would act on or hide (controls, format characters, line separators, spaces other
    than U+0020, lone surrogates, invisible letters, a mark with no letter or digit to sit on)
    becomes a Python-style escape (``\\x9b``, ``\\u202e``, ``\\U000e0100``). Printable text of
    any script, backslashes included, is left as it is: `shown` is the unambiguous form."""
    out = []
    carrier = False  # whether the last character printed as itself is one a mark may sit on
    for c in text:
        if c.isprintable() and not _is_invisible(c) and (carrier or not _is_mark(c)):
            out.append(c)
            carrier = _carries_mark(c)
            continue
        code = ord(c)
        out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        carrier = False
    return "".join(out)


def shown(text: str) -> str:
    """`text` quoted for a message, the way Python writes a string literal but always in single
    quotes: `escaped`, with backslashes and quotes escaped too, so what a person typed is quoted
    back exactly and unambiguously, on one line, whatever it holds."""
    return "'" + escaped(text.replace("\\", "\\\\")).replace("'", "\\'") + "'"


def check_utf8(what: str, text: str, *, quoted: bool = True) -> str:
    """Free text (a note, a reason, an attribute's value, a secret) that can be stored: refused
    when it holds lone surrogates, which is how Python carries bytes that were not UTF-8.
    `quoted=False` keeps the text (a secret) out of the message."""
    for c in text:
        if 0xD800 <= ord(c) <= 0xDFFF:
            raise ClaimError(f"{what} is not valid UTF-8" + (f": {shown(text)}" if quoted else ""))
    return text


def make_claims(roles: list[str] | tuple[str, ...], attributes: dict[str, str]) -> Claims:
    for role in roles:
        if not _ROLE.match(role):
            raise ClaimError(f"role {role!r} must be a lowercase word (letters, digits, _)")
    for key, value in attributes.items():
        if not _ATTRIBUTE.match(key):
            raise ClaimError(f"attribute name {key!r} must start with a letter (letters, digits, _ . -)")
        if not isinstance(value, str) or len(value) > 256:
            raise ClaimError(f"attribute {key!r} must be text of at most 256 characters")
        check_utf8(f"attribute {key!r}", value)
    return Claims(tuple(sorted(set(roles))), tuple(sorted(attributes.items())))


def encode_claims(claims: Claims) -> bytes:
    """The identity extension's value:

    BaochainIdentity ::= SEQUENCE {
        version     INTEGER (1),
        roles       SEQUENCE OF UTF8String,                 -- sorted, unique
        attributes  SEQUENCE OF SEQUENCE { name UTF8String, value UTF8String }  -- sorted by name
    }
    """
    return der.sequence(
        der.integer(IDENTITY_EXTENSION_VERSION),
        der.sequence(*(der.utf8(r) for r in claims.roles)),
        der.sequence(*(der.sequence(der.utf8(k), der.utf8(v)) for k, v in claims.attributes)),
    )


def decode_claims(value: bytes) -> Claims:
    top = der.children(der.read(value))
    if len(top) != 3 or der.read_integer(top[0]) != IDENTITY_EXTENSION_VERSION:
        raise der.DerError("unknown identity extension version")
    roles = tuple(der.read_utf8(e) for e in der.children(top[1]))
    attributes = []
    for pair in der.children(top[2]):
        kv = der.children(pair)
        if len(kv) != 2:
            raise der.DerError("identity attribute must be a name and a value")
        attributes.append((der.read_utf8(kv[0]), der.read_utf8(kv[1])))
    claims = Claims(roles, tuple(attributes))
    if list(roles) != sorted(set(roles)) or [k for k, _ in attributes] != sorted({k for k, _ in attributes}):
        raise der.DerError("identity extension is not in canonical order")
    return claims
