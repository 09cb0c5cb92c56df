"""Syntax errors in words: what the parser expected, said the way a contract author would.

The LALR table knows which terminals it could have accepted; this module turns that set and
the offending token into one message ("expected ':' after the action's signature") instead of
a list of terminal names.
"""

from __future__ import annotations

from dsl.diagnostics import Code, Diagnostic
from dsl.syntax.ast import Span
from dsl.syntax.lexer import KEYWORDS, Lexeme

_PUNCTUATION = {
    "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'",
    "_COLON": "':'", "_COMMA": "','", "_DOT": "'.'", "_ARROW": "'->'", "EQ": "'='", "PLUSEQ": "'+='",
    "MINUSEQ": "'-='", "EQEQ": "'=='", "NE": "'!='", "LT": "'<'", "LE": "'<='", "GT": "'>'", "GE": "'>='",
    "PLUS": "'+'", "MINUS": "'-'", "STAR": "'*'", "SLASH": "'/'", "DSLASH": "'//'",
}
_KINDS = {
    "NAME": "a name", "INT": "a number", "DECIMAL": "a number", "MONEY": "an amount of money",
    "PERCENT": "a percentage", "DATE": "a date", "DURATION": "a duration", "HASH": "a hash",
    "STRING": "a string", "DOCSTRING": "a docstring", "_NL": "end of line",
    "_INDENT": "an indented block", "_DEDENT": "end of block", "$END": "end of file",
}
_LITERAL_WORDS = {
    "INT": "number", "DECIMAL": "number", "MONEY": "amount", "PERCENT": "percentage", "DATE": "date",
    "DURATION": "duration", "HASH": "hash", "STRING": "string", "DOCSTRING": "docstring",
}
# Terminals that can start an expression: when several are expected, say "an expression".
_EXPRESSION_STARTS = frozenset(
    "NAME INT DECIMAL MONEY PERCENT DATE DURATION HASH STRING TRUE FALSE NONE LPAR LSQB LBRACE MINUS NOT".split()
)
# Terminals that continue a complete expression: when several are expected, say "an operator".
_OPERATORS = frozenset(
    "PLUS MINUS STAR SLASH DSLASH MOD EQEQ NE LT LE GT GE IN NOT AND OR IF IS _DOT LSQB LPAR".split()
)
_STATEMENT_WORDS = frozenset("LET IF FOR REQUIRE FAIL EMIT RETURN DELETE PASS".split())
_DECLARATION_WORDS = frozenset("USE PARTIES ENUM RECORD STATE EVENT LIFECYCLE INIT ACTION VIEW FN".split())
# What usually follows a name being declared: a keyword there was most likely meant as one.
_AFTER_A_NAME = frozenset("EQ _COLON LPAR _COMMA IN _NL _DOT".split())
# What the line that should end in ':' is, by its first word.
_HEADERS = {
    "ACTION": "the action's signature", "VIEW": "the view's signature", "FN": "the function's signature",
    "INIT": "init's parameters", "IF": "the condition", "ELIF": "the condition", "ELSE": "'else'",
    "FOR": "the loop header", "RECORD": "the record's name", "STATE": "'state'",
    "LIFECYCLE": "the lifecycle's field", "SCENARIO": "the scenario's title", "ENUM": "the enum's name",
}
_BLOCK_OPENERS = frozenset(_HEADERS) - {"ENUM"}


def describe(tok: Lexeme) -> str:
    """The offending token in words: `'return'`, `name 'x'`, `the end of the line`."""
    t = tok.type
    if t in _PUNCTUATION:
        return _PUNCTUATION[t]
    if t in ("_NL", "_INDENT", "_DEDENT", "$END"):
        return _KINDS[t]
    if t == "NAME":
        return f"name '{tok.value}'"
    if t in _PUNCTUATION:
        return _PUNCTUATION[t]
    if t.lower() in KEYWORDS:
        return f"'{t.lower()}'"
    text = tok.value if isinstance(tok.value, str) else " ".join(tok.value)
    if t == "STRING" and len(text) > 24:
        text = text[:20] + '…"'
    return f"{_LITERAL_WORDS.get(t, t.lower())} {text}"


def _expected_words(expected: set[str]) -> str:
    words: list[str] = []
    if len(expected & _DECLARATION_WORDS) > 3:
        words.append("a declaration")
        expected = expected - _DECLARATION_WORDS
    if len(expected & _STATEMENT_WORDS) > 3:
        words.append("a statement")
        expected = expected - _STATEMENT_WORDS - _EXPRESSION_STARTS
    if len(expected & (_OPERATORS - _EXPRESSION_STARTS)) > 2:
        words.append("an operator")
        expected = expected - _OPERATORS - {"MINUS", "NOT", "LPAR", "LSQB"}
    if len(expected & _EXPRESSION_STARTS) > 2:
        words.append("an expression")
        expected = expected - _EXPRESSION_STARTS
    for t in sorted(expected):
        if t in _PUNCTUATION:
            words.append(_PUNCTUATION[t])
        elif t in ("_NL", "$END", "_DEDENT"):
            words.append("the " + _KINDS[t])
        elif t in _KINDS:
            words.append(_KINDS[t])
        elif t.lower() in KEYWORDS:
            words.append(f"'{t.lower()}'")
    words = list(dict.fromkeys(words))
    if not words:
        return "something else"
    if len(words) > 6:
        words = words[:6] + ["..."]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _line_head(tokens: list[Lexeme], i: int) -> Lexeme | None:
    """The first token of the logical line holding ``tokens[i]``."""
    j = i - 1
    while j >= 0 and tokens[j].type not in ("_NL", "_INDENT", "_DEDENT"):
        j -= 1
    return tokens[j + 1] if j + 1 < len(tokens) and j + 1 <= i else None


def syntax_error(tokens: list[Lexeme], i: int, tok: Lexeme, expected: set[str], path: str) -> Diagnostic:
    """The diagnostic for ``tok`` (``tokens[i]``, or the end) where the parser expected ``expected``."""
    prev = tokens[i - 1] if 0 < i <= len(tokens) else None
    if tok.type in ("_NL", "$END", "_DEDENT") and prev is not None:
        span = Span(path, prev.end_line, prev.end_column, prev.end_line, prev.end_column + 1)
    else:
        span = Span(path, tok.line, tok.column, tok.end_line, max(tok.end_column, tok.column + 1))
    head = _line_head(tokens, i)
    head_type = head.type if head is not None else ""
    if prev is not None and prev.type == "_COLON" and "_NL" in expected and tok.type not in ("_NL", "$END") \
            and head_type in _BLOCK_OPENERS:
        return Diagnostic(f"unexpected {describe(tok)}: a block's statements go on their own lines", span,
                          "start a new line after ':' and indent it by 4 more spaces", code=Code.B0201)
    if "_INDENT" in expected and tok.type != "_INDENT":
        return Diagnostic("expected an indented block after ':'", span,
                          "indent the block's lines by exactly 4 more spaces than the line that opens it", code=Code.B0201)
    if tok.type == "_INDENT":
        return Diagnostic("unexpected indentation", span,
                          "only the lines of a block (after a line ending with ':') are indented", code=Code.B0201)
    if "_COLON" in expected and tok.type in ("_NL", "$END") and head_type in _HEADERS:
        return Diagnostic(f"expected ':' after {_HEADERS[head_type]}", span,
                          "a line that opens a block ends with ':'" if head_type in _BLOCK_OPENERS else None, code=Code.B0201)
    if tok.type == "RANGE" and "RANGE" not in expected:
        return Diagnostic("'range' appears only in a loop header: `for i in range(a, b):`", span, code=Code.B0201)
    if tok.type in ("ELSE", "ELIF") and head is tok:
        return Diagnostic(f"'{tok.type.lower()}' without an 'if' before it", span,
                          f"'{tok.type.lower()}' follows the block of an 'if' (or 'elif'), at the 'if''s indentation", code=Code.B0201)
    if tok.type.lower() in KEYWORDS and "NAME" in expected and not expected & (_EXPRESSION_STARTS - {"NAME"}) \
            and i + 1 < len(tokens) and tokens[i + 1].type in _AFTER_A_NAME:
        word = tok.type.lower()
        return Diagnostic(f"'{word}' is a keyword and cannot be used as a name", span,
                          f"choose another name, such as '{word}_'", code=Code.B0202)
    hint = None
    if tok.type == "EQ" and "EQEQ" in expected:
        hint = "to compare, write '=='"
    elif tok.type == "NAME" and prev is not None and prev.type in ("INT", "DECIMAL") \
            and isinstance(tok.value, str) and len(tok.value) == 3 and tok.value.isalpha():
        hint = f"an amount of money is a number and a currency code in capitals: `{prev.value} {tok.value.upper()}`"
    return Diagnostic(f"unexpected {describe(tok)}; expected {_expected_words(expected)}", span, hint, code=Code.B0201)
