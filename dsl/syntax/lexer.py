"""Bao source text → the token list the LALR parser reads (LANGUAGE.md section 2).

The lexer owns every rule that is about characters rather than structure: comments,
indentation (`_NL`, `_INDENT`, `_DEDENT`, exactly 4 spaces per level, no tabs), line joining
inside brackets, keywords, and the shape of literals (dates, money, durations, percents,
hashes, strings). It never stops at the first problem: a malformed token is reported and
replaced by the nearest well-formed one, so one run reports every lexical error of a file.

Names are read as Python reads identifiers (PEP 3131): a name is what `str.isidentifier`
accepts (UAX #31's XID_Start then XID_Continue characters), and it stands for its NFKC form, so
`ﬁle` (with the ligature ﬁ) and `file` name one thing and a NAME token's value is the
normalised name. A file that spells one name two ways gets a warning (B0107) at the second
spelling, naming the first; a name whose NFKC form is a keyword (`ｌｅｔ`) is refused (B0202).

A bracket left open is reported at the bracket (B0105). So that the rest of the file is still
checked, a file with one is lexed again in recovery mode: an open bracket whose line is followed
by a line indented no deeper than it (that does not start with a closing bracket) is taken as
closed at the end of its last line, the way an author reads it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, cast
from dataclasses import dataclass

from dsl.diagnostics import Code, Diagnostic, Related, Severity
from dsl.syntax.ast import Comment, Span

INDENT_WIDTH = 4
# A tree can nest no deeper than the tokens of one line plus the blocks around it; below these
# the parser need not measure its depth.
DEEP_LINE_TOKENS = 60
DEEP_BLOCKS = 12

KEYWORDS = frozenset(
    "contract module use parties enum record state event lifecycle starts init action view fn by anyone "
    "let if elif else for in range not and or mod require fail emit return delete pass true false tests "
    "scenario at deploy calls expect returns fails with emitted none is".split()
)
_KEYWORD_TYPES = {k: k.upper() for k in KEYWORDS}

_OPERATORS = {
    "->": "_ARROW", "//": "DSLASH", "==": "EQEQ", "!=": "NE", "<=": "LE", ">=": "GE", "+=": "PLUSEQ",
    "-=": "MINUSEQ", "(": "LPAR", ")": "RPAR", "[": "LSQB", "]": "RSQB", "{": "LBRACE", "}": "RBRACE",
    ":": "_COLON", ",": "_COMMA", ".": "_DOT", "=": "EQ", "<": "LT", ">": "GT", "+": "PLUS", "-": "MINUS",
    "*": "STAR", "/": "SLASH", "?": "QMARK",
}
_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")
_CLOSER_OF = {"(": ")", "[": "]", "{": "}"}

# One alternation, tried in order at each position. A number "word" swallows letters, digits,
# dots and digit-dashes so that `1.5e3`, `2024-3-1` and `0xfff` arrive whole and can be
# judged as one malformed literal instead of three confusing tokens.
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[ \t\f\v\ufeff]+)
    |(?P<nl>\r?\n|\r)
    |(?P<comment>\#[^\r\n]*)
    |(?P<doc>\"\"\"(?:[^"]|"(?!""))*(?:\"\"\")?)
    |(?P<str>"(?:[^"\\\r\n]|\\[^\r\n])*"?)
    |(?P<num>[0-9](?:[\w.]|-(?=[0-9]))*(?:%|[ ]+(?:[A-Z]{3}|days|day|weeks|week)(?!\w))?)
    |(?P<name>[^\W\d]\w*)
    |(?P<op>->|//|==|!=|<=|>=|\+=|-=|[()\[\]{}:,.=<>+\-*/?])
    |(?P<bad>.)
    """,
    re.VERBOSE,
)
_INT_RE = re.compile(r"[0-9](?:_?[0-9])*")
_DECIMAL_RE = re.compile(r"[0-9](?:_?[0-9])*\.[0-9](?:_?[0-9])*")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HASH_RE = re.compile(r"0x[0-9a-fA-F]{64}")
_EXPONENT_RE = re.compile(r"[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9_]*")
_INDENT_RE = re.compile(r"[ \t\f\v]*")
_WORD_TAIL_RE = re.compile(r"\w*")

# Patterns that match at every position (the token pattern's last alternative takes any one
# character; the others may match nothing), so their `match` never returns None: typed so, once.
_MatchAt = Callable[[str, int], "re.Match[str]"]
_match_token = cast(_MatchAt, _TOKEN_RE.match)
_match_word_tail = cast(_MatchAt, _WORD_TAIL_RE.match)
_match_indent = cast(_MatchAt, _INDENT_RE.match)


def _name_end(text: str, end: int) -> int:
    """Where a name that the regex matched up to ``end`` really ends. ``\\w`` stops at combining
    marks and connector punctuation (the vowel signs of बीमा or ประกัน), which XID_Continue admits."""
    n = len(text)
    while end < n and text[end] > "\x7f" and ("_" + text[end]).isidentifier():
        end = _match_word_tail(text, end + 1).end()
    return end


class Lexeme:
    """One token: what the parser shifts (Lark reads ``type``; positions are Lark's names)."""

    __slots__ = ("type", "value", "line", "column", "end_line", "end_column", "start_pos", "end_pos")

    def __init__(self, type: str, value: str | tuple[str, str], line: int, column: int, end_line: int, end_column: int,
                 start_pos: int = 0, end_pos: int = 0):
        self.type = type
        self.value = value
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.start_pos = start_pos
        self.end_pos = end_pos

    def __repr__(self) -> str:
        return f"Lexeme({self.type}, {self.value!r}, {self.line}:{self.column})"

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Lexed:
    """What the lexer found in one file."""

    tokens: list[Lexeme]
    comments: tuple[Comment, ...]
    docs: dict[int, tuple[str, ...]]  # first line of a declaration → its description lines
    errors: list[Diagnostic]
    # A line long enough (or a block deep enough) that its tree might nest past what later
    # phases can walk; the parser then measures the tree's depth (rarely needed, so not always).
    may_nest_deeply: bool = False
    warnings: tuple[Diagnostic, ...] = ()  # two spellings of one name (B0107)


def comment_text(raw: str) -> str:
    """`# text` → `text` (the `#` and one space after it dropped)."""
    body = raw[1:]
    if body.startswith(" "):
        body = body[1:]
    return body.rstrip()


class _Scanner:
    """The state of one lexing run (kept out of module globals so runs can interleave)."""

    def __init__(self, text: str, path: str, interpolation: tuple[int, int] | None, recover: bool = False):
        self.text = text
        self.path = path
        self.recover = recover  # close a bracket left open where its line's statement ends
        self.left_open = False  # a bracket was still open at the end of the text
        self.non_ascii_names = False
        self.tokens: list[Lexeme] = []
        self.comments: list[Comment] = []
        self.full_line_comments: list[tuple[int, str]] = []
        self.errors: list[Diagnostic] = []
        # An interpolation `{expr}` is lexed as if inside brackets, at its place in the file.
        self.line0, self.col0 = interpolation or (1, 1)
        self.is_interpolation = interpolation is not None
        self.line_first_token = 0
        self.may_nest_deeply = False

    def error(self, code: Code, message: str, line: int, col: int, end_line: int, end_col: int,
              hint: str | None = None, related: tuple[Related, ...] = ()) -> None:
        self.errors.append(Diagnostic(message, Span(self.path, line, col, end_line, end_col), hint, code=code,
                                      related=related))

    def run(self) -> Lexed:
        text = self.text
        tokens = self.tokens
        append = tokens.append
        match = _match_token
        indents = [0]
        depth = 0  # bracket nesting: newlines and indentation inside brackets do not count
        brackets: list[Lexeme] = []
        line = self.line0
        line_start = 1 - self.col0  # offset in text of the current line's column 1
        pos = 0
        n = len(text)
        at_line_start = not self.is_interpolation
        line_has_tokens = False
        if self.is_interpolation:
            depth = 1
        while pos < n:
            if at_line_start:
                at_line_start = False
                pos = self._indentation(pos, line, line_start, indents)
                continue
            m = match(text, pos)
            kind = m.lastgroup
            end = m.end()
            col = pos - line_start + 1
            if kind == "bad" and m.group().isidentifier():
                kind = "name"  # an XID_Start that is no word character (such as '℘')
                end = _match_word_tail(text, end).end()
            if kind == "name":
                end = _name_end(text, end)
                word = text[pos:end]
                ttype = _KEYWORD_TYPES.get(word)
                if ttype is None:
                    ttype = "NAME"
                    if not word.isidentifier():
                        self.error(Code.B0102, f"'{word}' is not a valid name", line, col, line, col + len(word),
                                   "a name starts with a letter or '_' and goes on with letters, digits and '_'")
                    elif not word.isascii():
                        self.non_ascii_names = True
                        word = self._normalised(word, line, col)
                append(Lexeme(ttype, word, line, col, line, end - line_start + 1, pos, end))
                line_has_tokens = True
            elif kind == "ws":
                pass
            elif kind == "op":
                op = m.group()
                ttype = _OPERATORS[op]
                tok = Lexeme(ttype, op, line, col, line, col + len(op), pos, end)
                if op in _OPENERS:
                    depth += 1
                    brackets.append(tok)
                elif op in _CLOSERS:
                    if brackets:
                        depth -= 1
                        opener = brackets.pop()
                        want = _CLOSER_OF[cast(str, opener.value)]
                        if want != op:
                            self.error(Code.B0105, f"'{op}' does not match '{opener.value}' on line {opener.line}",
                                       line, col, line, col + 1, f"close it with '{want}'",
                                       (Related("opened here", Span(self.path, opener.line, opener.column,
                                                                    opener.line, opener.column + 1)),))
                    else:
                        self.error(Code.B0105, f"'{op}' closes nothing", line, col, line, col + 1)
                        pos = end
                        continue
                append(tok)
                line_has_tokens = True
            elif kind == "nl":
                if depth and self.recover:
                    depth -= self._close_abandoned(brackets, end, line, col, pos)
                if depth == 0:
                    if line_has_tokens:
                        append(Lexeme("_NL", "", line, col, line, col, pos, pos))
                        line_has_tokens = False
                        if len(tokens) - self.line_first_token > DEEP_LINE_TOKENS:
                            self.may_nest_deeply = True
                        self.line_first_token = len(tokens)
                    at_line_start = True
                line += 1
                line_start = end
            elif kind == "num":
                self._number(m.group(), line, col, pos, end)
                line_has_tokens = True
            elif kind == "str":
                raw = m.group()
                if len(raw) < 2 or not raw.endswith('"') or raw.endswith('\\"') and not _closed(raw):
                    self.error(Code.B0106, "unterminated string: it needs a closing '\"' on the same line", line, col, line,
                               col + len(raw), "a string cannot span lines; use \\n for a line break")
                    raw = raw + '"'
                if self.is_interpolation:
                    self.error(Code.B0102, "a string cannot stand inside '{…}' in a string", line, col, line, col + len(raw),
                               "compute the text in a `let` first, then interpolate that name")
                if len(raw) > DEEP_LINE_TOKENS and "{" in raw:
                    self.may_nest_deeply = True
                append(Lexeme("STRING", raw, line, col, line, end - line_start + 1, pos, end))
                line_has_tokens = True
            elif kind == "comment":
                raw = m.group()
                self.comments.append(Comment(raw[1:], Span(self.path, line, col, line, col + len(raw))))
                if not line_has_tokens and depth == 0:
                    self.full_line_comments.append((line, comment_text(raw)))
            elif kind == "doc":
                raw = m.group()
                newlines = raw.count("\n")
                last_nl = raw.rfind("\n")
                end_line = line + newlines
                end_col = (len(raw) - last_nl) if newlines else col + len(raw)
                if len(raw) < 6 or not raw.endswith('"""'):
                    self.error(Code.B0106, 'unterminated docstring: it needs a closing """', line, col, line, col + 3)
                    raw = raw + '"""'
                append(Lexeme("DOCSTRING", raw, line, col, end_line, end_col, pos, end))
                line_has_tokens = True
                if newlines:
                    line = end_line
                    line_start = pos + last_nl + 1
            else:  # bad
                ch = m.group()
                if ch == "%":
                    self.error(Code.B0102, "'%' is not an operator", line, col, line, col + 1, "use `mod` for remainder")
                    append(Lexeme("MOD", "mod", line, col, line, col + 1, pos, end))
                    line_has_tokens = True
                else:
                    self.error(Code.B0102, f"unexpected character {ch!r}", line, col, line, col + 1)
            pos = end
        col = pos - line_start + 1
        self.left_open = bool(brackets)
        for opener in brackets:
            self._never_closed(opener)
        if self.recover:
            self._close(brackets, line, col, pos)
        if not self.is_interpolation:
            if line_has_tokens or (tokens and tokens[-1].type not in ("_NL", "_DEDENT")):
                append(Lexeme("_NL", "", line, col, line, col, pos, pos))
            for _ in indents[1:]:
                append(Lexeme("_DEDENT", "", line, col, line, col, pos, pos))
        deep = self.may_nest_deeply or len(tokens) - self.line_first_token > DEEP_LINE_TOKENS
        warnings = self._spelling_warnings() if self.non_ascii_names else ()
        return Lexed(tokens, tuple(self.comments), self._docs(), self.errors, deep, warnings)

    # -- names

    def _normalised(self, word: str, line: int, col: int) -> str:
        """A non-ASCII name as it is compared: its NFKC form. One that is then a keyword is
        refused rather than read as the keyword or as a name that cannot be written plainly."""
        name = unicodedata.normalize("NFKC", word)
        if name in KEYWORDS:
            self.error(Code.B0202, f"'{word}' is the keyword `{name}` written in other characters", line, col, line,
                       col + len(word), "a name cannot be a keyword in any spelling: choose another name")
            return word
        return name

    def _spelling_warnings(self) -> tuple[Diagnostic, ...]:
        """B0107 at each further spelling of a name (once per spelling), naming where the first
        spelling is written. Run only when a name was not ASCII: an ASCII name is its own NFKC form."""
        first: dict[str, tuple[str, Lexeme]] = {}
        warned: set[str] = set()
        found = []
        for tok in self.tokens:
            if tok.type != "NAME":
                continue
            raw = self.text[tok.start_pos:tok.end_pos]
            spelled, at = first.setdefault(cast(str, tok.value), (raw, tok))
            if spelled == raw or raw in warned:
                continue
            warned.add(raw)
            here = Span(self.path, at.line, at.column, at.end_line, at.end_column)
            found.append(Diagnostic(
                f"'{raw}' and '{spelled}' are one name, `{tok.value}`: names are compared in their NFKC form",
                Span(self.path, tok.line, tok.column, tok.end_line, tok.end_column),
                f"write it one way, for instance `{tok.value}`", Severity.WARNING, code=Code.B0107,
                related=(Related(f"'{spelled}' is written here", here),)))
        return tuple(found)

    # -- brackets left open

    def _never_closed(self, opener: Lexeme) -> None:
        want = _CLOSER_OF[cast(str, opener.value)]
        self.error(Code.B0105, f"'{opener.value}' is never closed", opener.line, opener.column, opener.line,
                   opener.column + 1, f"close it with '{want}' where what it holds ends")

    def _close(self, brackets: list[Lexeme], line: int, col: int, pos: int) -> None:
        """Close every bracket of ``brackets`` with a closing token of no width at (line, col)."""
        while brackets:
            opener = brackets.pop()
            want = _CLOSER_OF[cast(str, opener.value)]
            self.tokens.append(Lexeme(_OPERATORS[want], want, line, col, line, col, pos, pos))

    def _close_abandoned(self, brackets: list[Lexeme], next_line: int, line: int, col: int, pos: int) -> int:
        """Recovery, at a line break inside brackets: when the next line is indented no deeper
        than the line of an open bracket (and does not close one), that bracket is taken as
        closed here, after being reported; returns how many were closed."""
        text = self.text
        start = _match_indent(text, next_line).end()
        if start >= len(text) or text[start] in "\r\n#" or text[start] in _CLOSERS:
            return 0
        width = start - next_line
        abandoned: list[Lexeme] = []
        while brackets and self._indent_of(brackets[-1]) >= width:
            abandoned.append(brackets.pop())
        for opener in abandoned:
            self._never_closed(opener)
        self._close(abandoned[::-1], line, col, pos)
        return len(abandoned)

    def _indent_of(self, tok: Lexeme) -> int:
        """The indentation of the physical line holding ``tok``."""
        start = self.text.rfind("\n", 0, tok.start_pos) + 1
        return _match_indent(self.text, start).end() - start

    def _indentation(self, pos: int, line: int, line_start: int, indents: list[int]) -> int:
        """Read the indentation at the start of a line and emit _INDENT/_DEDENT; returns the position
        after it."""
        text = self.text
        m = _match_indent(text, pos)
        end = m.end()
        if end >= len(text) or text[end] in "\r\n#":
            return end  # a blank or comment-only line: its indentation means nothing
        ws = m.group()
        width = 0
        if "\t" in ws:
            tab_col = ws.index("\t") + 1
            self.error(Code.B0103, "a tab in indentation", line, tab_col, line, tab_col + 1, "indent with 4 spaces per level")
            width = len(ws.expandtabs(INDENT_WIDTH))
        elif ws.strip(" "):
            odd_col = len(ws) - len(ws.lstrip(" ")) + 1
            self.error(Code.B0103, "indentation is made of spaces only", line, odd_col, line, odd_col + 1,
                       "indent with 4 spaces per level")
            width = ws.count(" ")
        else:
            width = len(ws)
        current = indents[-1]
        tokens = self.tokens
        col = width + 1
        opens_block = bool(tokens) and tokens[-1].type == "_NL" and len(tokens) > 1 and tokens[-2].type == "_COLON"
        if width > current:
            # Without a ':' before it the parser reports the indentation (or the missing ':').
            if opens_block and width != current + INDENT_WIDTH:
                self.error(Code.B0103, f"a block is indented by exactly {INDENT_WIDTH} more spaces than the line that opens it"
                           f" (found {width - current})", line, 1, line, end - pos + 1)
            indents.append(width)
            tokens.append(Lexeme("_INDENT", "", line, col, line, col, end, end))
            if len(indents) > DEEP_BLOCKS:
                self.may_nest_deeply = True
        elif width < current:
            while width < indents[-1]:
                indents.pop()
                tokens.append(Lexeme("_DEDENT", "", line, col, line, col, end, end))
            if width != indents[-1]:
                self.error(Code.B0103, "this line's indentation matches no enclosing block", line, 1, line, end - pos + 1,
                           f"each level is indented by exactly {INDENT_WIDTH} spaces")
        return end

    def _number(self, word: str, line: int, col: int, pos: int, end: int) -> None:
        """Classify a number word: Int, Decimal, Date, Hash, Money, Duration or Percent."""
        append = self.tokens.append
        end_col = col + len(word)
        suffix = ""
        body = word
        if word.endswith("%"):
            body, suffix = word[:-1], "%"
        elif " " in word:
            body, _, suffix = word.partition(" ")
            suffix = suffix.strip()
        if _INT_RE.fullmatch(body):
            kind = "INT"
        elif _DECIMAL_RE.fullmatch(body):
            kind = "DECIMAL"
        elif _DATE_RE.fullmatch(body):
            kind = "DATE"
        elif body.startswith(("0x", "0X")):
            kind = "HASH"
            if not _HASH_RE.fullmatch(body):
                digits = len(body) - 2
                self.error(Code.B0104, f"malformed hash '{body}': a hash is 0x and exactly 64 hex digits (found {digits})",
                           line, col, line, col + len(body))
        elif _EXPONENT_RE.fullmatch(body):
            kind = "DECIMAL"
            self.error(Code.B0104, f"'{body}' is a float form: Bao has no floats or exponents", line, col, line,
                       col + len(body), "write the number out in full, e.g. 1500 or 0.0015")
        elif "-" in body:
            kind = "DATE"
            self.error(Code.B0104, f"malformed date '{body}': a date is written YYYY-MM-DD", line, col, line,
                       col + len(body), "to subtract, put spaces around '-': `10 - 3`")
        else:
            kind = "INT" if "." not in body else "DECIMAL"
            self.error(Code.B0104, f"malformed number '{body}'", line, col, line, col + len(body),
                       "digits may be grouped with single '_' between them; a decimal has digits on both"
                       " sides of '.'")
        if not suffix:
            append(Lexeme(kind, body, line, col, line, end_col, pos, end))
            return
        if kind not in ("INT", "DECIMAL"):
            self.error(Code.B0104, f"'{suffix}' cannot follow '{body}'", line, col, line, end_col)
        if suffix == "%":
            append(Lexeme("PERCENT", body, line, col, line, end_col, pos, end))
        elif suffix in ("day", "days", "week", "weeks"):
            if kind == "DECIMAL":
                self.error(Code.B0104, f"a duration is a whole number of {suffix}", line, col, line, end_col,
                           "durations count whole days; use days for parts of a week")
            append(Lexeme("DURATION", (body, suffix), line, col, line, end_col, pos, end))
        else:
            append(Lexeme("MONEY", (body, suffix), line, col, line, end_col, pos, end))

    def _docs(self) -> dict[int, tuple[str, ...]]:
        """Group consecutive full-line comments; each group describes what starts on the next line."""
        docs: dict[int, tuple[str, ...]] = {}
        group: list[str] = []
        last = -1
        for line, text in self.full_line_comments:
            if line != last + 1:
                if group:
                    docs[last + 1] = tuple(group)
                group = []
            group.append(text)
            last = line
        if group:
            docs[last + 1] = tuple(group)
        return docs


def _closed(raw: str) -> bool:
    """Whether a string token that ends in `\\"` is still closed (the backslash itself escaped)."""
    body = raw[1:-1]
    i = 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
        else:
            i += 1
    return i == len(body)


def lex(text: str, path: str) -> Lexed:
    """Tokens, comments, descriptions and lexical errors of a whole file. A file with a bracket
    left open is lexed again in recovery mode (see the module's docstring)."""
    scanner = _Scanner(text, path, None)
    lexed = scanner.run()
    if scanner.left_open:
        return _Scanner(text, path, None, recover=True).run()
    return lexed


def lex_interpolation(text: str, path: str, line: int, col: int) -> Lexed:
    """Tokens of the expression inside a string's `{…}`, positioned where it stands in the file."""
    return _Scanner(text, path, (line, col)).run()
