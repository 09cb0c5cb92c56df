"""Properties of the formatter over generated programs: for any syntax tree, formatting it gives
text that parses back to the same tree, and formatting that text again changes nothing."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dsl.syntax import ast
from dsl.fmt import format_source, format_tree
from dsl.syntax.lexer import KEYWORDS
from dsl.syntax.parser import parse_source

from tests.dsl.conftest import SHIPPED, language_examples

# -- names and literals ------------------------------------------------------------------------

_plain_names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)
_unicode_names = st.sampled_from(["保单", "保额", "Größe", "ñame", "_", "x1", "Ωmega"])
names = st.one_of(_plain_names, _unicode_names).filter(lambda n: n not in KEYWORDS and n.isidentifier())
idents = names.map(ast.Ident)

_digits = st.from_regex(r"[0-9](_?[0-9]){0,5}", fullmatch=True)
_decimal = st.builds(lambda a, b: f"{a}.{b}", _digits, _digits)
_number = st.one_of(_digits, _decimal)
# Text that survives a line of source: no carriage returns (the lexer ends lines there).
# The characters strings must escape or double come up often.
_text = st.text(st.one_of(st.sampled_from('{}"\\\n\t #%'),
                          st.characters(blacklist_categories=("Cs",), blacklist_characters="\r")), max_size=12)
# A comment's text ends at the line's end and loses trailing whitespace.
_comment_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e"
                                      "\x85\u2028\u2029"), max_size=20).map(str.rstrip)
docs = st.lists(_comment_text, max_size=2).map(tuple)

literals = st.one_of(
    _digits.map(ast.IntLit),
    _decimal.map(ast.DecimalLit),
    st.builds(ast.MoneyLit, _number, st.from_regex(r"[A-Z]{3}", fullmatch=True)),
    _number.map(ast.PercentLit),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True).map(ast.DateLit),
    st.builds(ast.DurationLit, _digits, st.sampled_from(["day", "days", "week", "weeks"])),
    st.booleans().map(ast.BoolLit),
    st.from_regex(r"0x[0-9a-fA-F]{64}", fullmatch=True).map(ast.HashLit),
)


def _text_lit(inner: st.SearchStrategy) -> st.SearchStrategy:
    """A string in the parser's canonical form: no empty or adjacent literal parts."""
    part = st.one_of(_text.filter(bool), inner)

    def canonical(parts: list) -> ast.TextLit:
        merged: list = []
        for p in parts:
            if isinstance(p, str) and merged and isinstance(merged[-1], str):
                merged[-1] += p
            else:
                merged.append(p)
        return ast.TextLit(tuple(merged) if merged else ("",))

    return st.lists(part, max_size=4).map(canonical)


def _exprs(allow_text: bool) -> st.SearchStrategy:
    def extend(inner: st.SearchStrategy) -> st.SearchStrategy:
        args = st.lists(st.builds(ast.Arg, inner, st.one_of(st.none(), names)), max_size=3).map(tuple)
        options = [
            st.builds(ast.Binary, st.sampled_from(["+", "-", "*", "/", "//", "mod", "and", "or"]), inner, inner),
            st.builds(ast.Unary, st.sampled_from(["-", "not"]), inner),
            st.builds(ast.Compare, inner, st.lists(
                st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]), inner),
                min_size=1, max_size=3).map(tuple)),
            st.builds(ast.Conditional, inner, inner, inner),
            st.builds(ast.Attribute, inner, names),
            st.builds(ast.Index, inner, inner),
            st.builds(ast.Call, inner, args),
            st.lists(inner, max_size=3).map(lambda xs: ast.ListLit(tuple(xs))),
            st.lists(st.tuples(inner, inner), max_size=2).map(lambda xs: ast.MapLit(tuple(xs))),
        ]
        if allow_text:
            options.append(_text_lit(_exprs(False)))
        return st.one_of(*options)

    base = st.one_of(names.map(ast.Name), literals)
    if allow_text:
        base = st.one_of(base, _text.map(lambda s: ast.TextLit((s,))))
    return st.recursive(base, extend, max_leaves=8)


exprs = _exprs(True)
arg_lists = st.lists(st.builds(ast.Arg, exprs, st.one_of(st.none(), names)), max_size=3).map(tuple)
types = st.recursive(names.map(ast.TypeRef),
                     lambda inner: st.builds(ast.TypeRef, names, st.lists(inner, min_size=1, max_size=2).map(tuple)),
                     max_leaves=3)
places = st.recursive(names.map(ast.Name),
                      lambda inner: st.one_of(st.builds(ast.Attribute, inner, names),
                                              st.builds(ast.Index, inner, exprs)), max_leaves=3)

# -- statements --------------------------------------------------------------------------------

simple_statements = st.one_of(
    st.builds(ast.Let, idents, st.one_of(st.none(), types), exprs),
    st.builds(ast.Assign, places, st.sampled_from(["=", "+=", "-="]), exprs),
    st.builds(ast.Require, exprs, st.one_of(st.none(), exprs)),
    st.builds(ast.Fail, exprs),
    st.builds(ast.Emit, idents, arg_lists),
    st.builds(ast.Return, st.one_of(st.none(), exprs)),
    st.builds(ast.Delete, st.builds(ast.Index, exprs, exprs)),
    st.just(ast.Pass()),
    st.builds(ast.ExprStmt, exprs),
)


def _blocks(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, min_size=1, max_size=3).map(tuple)


def _compound(inner: st.SearchStrategy) -> st.SearchStrategy:
    block = _blocks(inner)
    range_call = arg_lists.map(lambda a: ast.Call(ast.Name("range"), a))
    return st.one_of(
        st.builds(ast.If, st.lists(st.builds(ast.IfBranch, exprs, block), min_size=1, max_size=3).map(tuple),
                  st.one_of(st.none(), block)),
        st.builds(ast.For, st.lists(idents, min_size=1, max_size=2).map(tuple), st.one_of(exprs, range_call), block),
    )


statements = st.recursive(simple_statements, _compound, max_leaves=6)
bodies = _blocks(statements)

# -- declarations ------------------------------------------------------------------------------

params = st.lists(st.builds(ast.Param, idents, types), max_size=3).map(tuple)
bys = st.one_of(st.none(), st.just(ast.By((), True)),
                st.lists(idents, min_size=1, max_size=2).map(lambda r: ast.By(tuple(r))))
fields = st.lists(st.builds(ast.FieldDecl, idents, types, st.one_of(st.none(), exprs), docs),
                  min_size=1, max_size=3).map(tuple)


def _enum(name, values, doc, multiline):
    vals = tuple(ast.EnumValue(v, d if multiline else ()) for v, d in values)
    return ast.EnumDecl(name, vals, doc, multiline)


declarations = st.one_of(
    st.builds(ast.Use, idents, docs),
    st.builds(ast.Parties, st.lists(idents, min_size=1, max_size=3).map(tuple), docs),
    st.builds(_enum, idents, st.lists(st.tuples(idents, docs), min_size=1, max_size=3), docs, st.booleans()),
    st.builds(ast.RecordDecl, idents, fields, docs),
    st.builds(ast.StateDecl, fields, docs),
    st.builds(ast.EventDecl, idents, params, docs),
    st.builds(ast.LifecycleDecl, idents, idents, st.one_of(st.none(), idents),
              st.lists(st.builds(ast.Transition, st.lists(idents, min_size=1, max_size=2).map(tuple), idents,
                                 st.lists(idents, min_size=1, max_size=2).map(tuple), docs),
                       min_size=1, max_size=2).map(tuple), docs),
    st.builds(ast.InitDecl, params, bys, bodies, docs),
    st.builds(ast.FuncDecl, st.sampled_from(["action", "view", "fn"]), idents, params, st.one_of(st.none(), types),
              bys, bodies, docs),
)
_docstrings = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='"\r'),
                                             max_size=30))
source_files = st.builds(ast.SourceFile, st.sampled_from(["contract", "module"]), idents, _docstrings,
                         st.lists(declarations, max_size=4).map(tuple), docs)

# -- test files --------------------------------------------------------------------------------

_call_steps = st.builds(
    lambda caller, fn, args, kind, value, text: ast.CallStep(
        caller, fn, args, kind != "plain", value if kind == "returns" else None, text if kind == "fails" else None),
    idents, idents, arg_lists, st.sampled_from(["plain", "expect", "returns", "fails"]), exprs, _text,
)
steps = st.one_of(
    st.builds(ast.AtStep, st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True).map(ast.DateLit)),
    st.builds(ast.LetStep, idents, st.one_of(exprs, st.builds(ast.PartyLit, names, _text))),
    st.builds(ast.DeployStep, arg_lists, idents),
    _call_steps,
    st.builds(ast.ExpectEmitted, idents, arg_lists),
    st.builds(ast.ExpectTrue, exprs),
)
scenarios = st.builds(ast.Scenario, _text, st.lists(steps, min_size=1, max_size=4).map(tuple), docs)
test_files = st.builds(ast.TestFile, _text, st.lists(scenarios, max_size=3).map(tuple), docs)


def _round_trip(tree) -> None:
    text = format_tree(tree, "")
    parsed = parse_source(text, "gen.bao")
    assert parsed == tree, text
    assert format_source(text, "gen.bao") == text


@given(source_files)
def test_formatted_source_parses_back_to_the_same_tree(tree: ast.SourceFile) -> None:
    _round_trip(tree)


@given(test_files)
def test_formatted_test_file_parses_back_to_the_same_tree(tree: ast.TestFile) -> None:
    _round_trip(tree)


@given(exprs)
def test_expression_round_trip(e: ast.Expr) -> None:
    tree = ast.SourceFile("contract", ast.Ident("C"), None,
                          (ast.FuncDecl("fn", ast.Ident("f"), (), None, None, (ast.Return(e),)),))
    _round_trip(tree)


# -- comments anywhere -------------------------------------------------------------------------

_ROOT = Path(__file__).resolve().parents[2]
_CORPUS = [*language_examples(), *((_ROOT / rel).read_text(encoding="utf-8") for rel in SHIPPED)]


@st.composite
def commented(draw) -> str:
    """A real file with comments added: whole lines at any indentation, and at line ends."""
    lines = draw(st.sampled_from(_CORPUS)).split("\n")
    for k in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(lines)))
        text = draw(_comment_text)
        if draw(st.booleans()) and at < len(lines) and lines[at].strip() and '"""' not in lines[at]:
            lines[at] = lines[at] + "  #" + text
        else:
            lines.insert(at, " " * draw(st.integers(0, 9)) + "#" + text)
    return "\n".join(lines)


@given(commented())
def test_comments_anywhere_survive_formatting(text: str) -> None:
    tree = parse_source(text, "c.bao")
    out = format_source(text, "c.bao")
    assert parse_source(out, "c.bao") == tree
    assert format_source(out, "c.bao") == out
    for c in tree.comments:
        assert c.text.strip() in out
