"""Descriptions in two languages: the one reading of the spelling `contracts/README.md` states.

A description is what the parser attached to a declaration: its `#` comment lines (``doc``,
without the `#`), or the lines of a contract's docstring. They are read line by line:

- **Markers.** A line whose text (after leading spaces) starts with a language code of
  `LANGUAGES`, a colon and one space (`en: `, `zh: `), or is the code and colon alone, opens a
  paragraph in that language; the rest of the line is the paragraph's first line.
- **Continuation.** An unmarked line continues the paragraph above it, in its language. A blank
  line ends a paragraph; the next unmarked line opens a new paragraph in the same language.
- **Before any marker.** Lines before the first marker are English. A description with no marker
  at all is *neutral*: the same text for every reader, never marked as a fallback.
- **Several paragraphs.** A language may have any number of paragraphs, anywhere; its part is its
  paragraphs in order.

The reading is lossless for what it keeps: `parse_description(d.lines()) == d` for every
`Description` whose lines are stripped, non-empty and not themselves markers (the property
`tests/dsl/explain/test_description.py` checks). A reader gets `Description.for_reader(lang)`:
the part in ``lang``, else the part in the first other language that has one, marked with that
language so that the document can say it is a fallback.

Within a paragraph, `paragraph_text` joins the lines as a reader expects: with a space between
two Latin lines, with nothing where either side is a wide (Chinese) character, and with a line
break before a list item (`1. `, `- `), so that a docstring's numbered rules stay a list.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from dsl.explain.model import Prose
from dsl.explain.phrases import LANGUAGES

# The language a line before any marker is in.
DEFAULT_LANGUAGE = "en"

_MARKER = re.compile(r"(?P<lang>" + "|".join(LANGUAGES) + r"):(?: |$)")
_LIST_ITEM = re.compile(r"(?:\d+[.)]|[-*•]) ")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph as written: its language (None in a description without markers) and its
    lines, each stripped of surrounding spaces."""

    lang: str | None
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Description:
    """A description's paragraphs in the order written."""

    paragraphs: tuple[Paragraph, ...] = ()

    @property
    def neutral(self) -> bool:
        return all(p.lang is None for p in self.paragraphs)

    def part(self, lang: str) -> tuple[str, ...]:
        """The paragraphs of one language, as text (neutral paragraphs belong to every language)."""
        return tuple(paragraph_text(p.lines) for p in self.paragraphs if p.lang in (lang, None))

    def for_reader(self, lang: str) -> Prose:
        """The description for a reader of ``lang``: its part in that language, else the part in
        the first other language that has one, with ``fallback`` naming that language."""
        own = self.part(lang)
        if own or not self.paragraphs:
            return Prose(own)
        for other in LANGUAGES:
            found = self.part(other)
            if found:
                return Prose(found, fallback=other)
        return Prose()

    def lines(self) -> tuple[str, ...]:
        """The description written back in the spelling: each paragraph opened by its marker
        (none when neutral), paragraphs of one language apart by a blank line."""
        out: list[str] = []
        previous: str | None = None
        for p in self.paragraphs:
            first, *rest = p.lines
            continued = p.lang == previous  # same language (or neutral): a blank line, no marker
            if out and continued:
                out.append("")
            out.append(first if continued else f"{p.lang}: {first}")
            out.extend(rest)
            previous = p.lang
        return tuple(out)


def parse_description(lines: Iterable[str]) -> Description:
    """Read description lines by the rules of this module's docstring."""
    stripped = [line.strip() for line in lines]
    marked = any(_MARKER.match(line) for line in stripped)
    lang: str | None = DEFAULT_LANGUAGE if marked else None
    paragraphs: list[Paragraph] = []
    current: list[str] = []

    def close() -> None:
        if current:
            paragraphs.append(Paragraph(lang, tuple(current)))
            current.clear()

    for line in stripped:
        m = _MARKER.match(line)
        if m:
            close()
            lang = m.group("lang")
            line = line[m.end():].strip()
        elif not line:
            close()
        if line:
            current.append(line)
    close()
    return Description(tuple(paragraphs))


def paragraph_text(lines: tuple[str, ...]) -> str:
    """The lines of one paragraph as one text (see the module docstring for the joins)."""
    text = ""
    for line in lines:
        if not text:
            text = line
        elif _LIST_ITEM.match(line):
            text += "\n" + line
        elif _wide(text[-1]) or _wide(line[0]):
            text += line
        else:
            text += " " + line
    return text


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def described(lines: Iterable[str], lang: str) -> Prose:
    """The description lines of a declaration as its reader of ``lang`` sees them."""
    return parse_description(lines).for_reader(lang)
