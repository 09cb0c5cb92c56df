"""The naming rule (`names.check_name`) and how text is quoted back (`shown`, `escaped`)."""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.identity import der
from node.identity.names import NAME_MAX_BYTES, NAME_MAX_CHARACTERS, ClaimError, check_name, escaped, shown

FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
SEPARATORS = "/\\@:"
# Letters and marks by category that draw nothing (Unicode's default-ignorable code points).
INVISIBLE = [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0,
             *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]


def _problems(name: str) -> list[str]:
    """Everything the rule promises an accepted name is free of."""
    found = []
    for c in name:
        category = unicodedata.category(c)
        if category in FORBIDDEN_CATEGORIES or (category == "Zs" and c != " "):
            found.append(f"U+{ord(c):04X} is {category}")
        if c in SEPARATORS:
            found.append(f"{c!r} is a separator")
        if ord(c) in INVISIBLE:
            found.append(f"U+{ord(c):04X} is invisible")
        if not (category[0] in "LM" or category in ("Nd", "Nl") or c in " -_."):
            found.append(f"U+{ord(c):04X} ({category}) is not a letter, mark, digit or - _ . or space")
    if name[0] in " -_." or unicodedata.category(name[0])[0] == "M":
        found.append("starts with a separator or a mark")
    if name.endswith(" ") or "  " in name or ".." in name:
        found.append("spaces or dots out of place")
    if len(name) > NAME_MAX_CHARACTERS or len(name.encode("utf-8")) > NAME_MAX_BYTES:
        found.append("too long")
    return found


name_like = st.text(
    alphabet=st.characters(categories=["L", "M", "Nd", "Nl", "No", "Zs", "Pd", "Pc", "Po"]) | st.sampled_from(" -_."),
    min_size=1,
    max_size=80,
)
forbidden_character = (
    st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"])
    | st.characters(categories=["Zs"], exclude_characters=" ")
    | st.sampled_from([*SEPARATORS, *map(chr, INVISIBLE)])
)


@given(st.one_of(name_like, st.text(min_size=1, max_size=80)))
def test_an_accepted_name_keeps_every_promise(value: str) -> None:
    try:
        name = check_name("name", value)
    except ClaimError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(f"name {shown(value)} is not allowed: ")
        return
    assert _problems(name) == []
    assert name == unicodedata.normalize("NFC", value) and unicodedata.is_normalized("NFC", name)
    assert check_name("name", name) == name  # a name that passes once passes again, unchanged
    assert name.encode("utf-8").decode("utf-8") == name
    assert der.read_utf8(der.read(der.utf8(name))) == name
    assert Path(f"{name}.key.pem").name == f"{name}.key.pem" and len(f"{name}.key.pem".encode()) <= 255
    assert escaped(name) == name  # prints as it is


@given(st.text(max_size=40), forbidden_character, st.text(max_size=40))
def test_a_forbidden_character_anywhere_is_refused(before: str, bad: str, after: str) -> None:
    with pytest.raises(ClaimError) as refused:
        check_name("name", before + bad + after)
    assert "\n" not in str(refused.value)


@given(st.text(alphabet=st.characters(categories=["L", "Nd"]), min_size=1, max_size=10).filter(lambda w: not any(ord(c) in INVISIBLE for c in w)))
def test_a_decomposed_name_is_the_same_name(word: str) -> None:
    name = check_name("name", word)
    assert check_name("name", unicodedata.normalize("NFD", name)) == name


@pytest.mark.parametrize(
    "name", ["claims-app", "PICC", "Ruijin Hospital", "中国人寿", "admin", "node_1.picc", "〇一医院", "Société Générale", "x" * 64]
)
def test_sensible_names_stay_legal(name: str) -> None:
    assert check_name("name", name) == name


@pytest.mark.parametrize(
    ("name", "quoted", "reason"),
    [
        ("a\u2028b", r"'a\u2028b'", "line separator"),
        ("a\u2029b", r"'a\u2029b'", "paragraph separator"),
        ("a\x85b", r"'a\x85b'", "control character"),
        ("a\x9b[2Jb", r"'a\x9b[2Jb'", "control character"),
        ("a\x7fb", r"'a\x7fb'", "control character"),
        ("..\u202e..", r"'..\u202e..'", "format character"),
        ("claims\u200bapp", r"'claims\u200bapp'", "format character"),
        ("../escaped", "'../escaped'", "'/' separates folders"),
        ("org/app", "'org/app'", "'/' separates folders"),
        ("org\\app", r"'org\\app'", "Windows path"),
        ("alice@PICC", "'alice@PICC'", "NAME@ORG"),
        ("insurer:PICC", "'insurer:PICC'", "ROLE:ORG"),
        ("\udcff", r"'\udcff'", "byte 0xff, which is not UTF-8"),
        ("a\u00a0b", r"'a\xa0b'", "other than the plain space"),
        ("中国\u3000人寿", r"'中国\u3000人寿'", "other than the plain space"),
        ("a\u3164b", r"'a\u3164b'", "invisible"),
        (" alice", "' alice'", "start with a letter or a digit"),
        ("-alice", "'-alice'", "start with a letter or a digit"),
        (".hidden", "'.hidden'", "start with a letter or a digit"),
        ("alice ", "'alice '", "end with a space"),
        ("Ruijin  Hospital", "'Ruijin  Hospital'", "two spaces"),
        ("a..b", "'a..b'", "'..'"),
        ("a-\u0301", r"'a-\u0301'", "a mark must follow a letter or a digit"),
        ("claims&co", "'claims&co'", "not a letter, a digit"),
        ("x" * 65, "'" + "x" * 65 + "'", "65 characters long; at most 64"),
        ("\U00020000" * 61, None, "244 bytes long in UTF-8; at most 240"),
    ],
)
def test_each_refusal_quotes_the_name_escaped_and_says_why(name: str, quoted: str | None, reason: str) -> None:
    with pytest.raises(ClaimError) as refused:
        check_name("name", name)
    message = str(refused.value)
    assert message.startswith(f"name {quoted or shown(name)} is not allowed: ") and reason in message, message
    assert message.isprintable()


def test_an_empty_name_is_refused() -> None:
    with pytest.raises(ClaimError, match="non-empty"):
        check_name("organisation", "")


@given(st.text(max_size=60))
def test_shown_is_one_printable_line_that_reads_back_exactly(text: str) -> None:
    quoted = shown(text)
    assert ast.literal_eval(quoted) == text
    assert all(c.isprintable() and ord(c) not in INVISIBLE for c in quoted)
    assert all(c.isprintable() for c in escaped(text))


def test_shown_escapes_marks_with_nothing_to_sit_on() -> None:
    assert shown("\u0301x") == r"'\u0301x'" and shown("e\u0301") == "'e\u0301'"
    assert shown("it's") == r"'it\'s'" and escaped("a\\b\x1b[31m") == r"a\b\x1b[31m"
