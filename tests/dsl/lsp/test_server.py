"""The language server, driven over stdio as an editor drives it (one `baochain lsp` process per
module, see conftest): diagnostics as a document is typed and fixed, and hover, definition,
completion, rename, formatting and the outline on the shipped contracts."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl.diagnostics import CompileError
from dsl.fmt import format_source
from dsl.lsp.client import Client, ResponseError
from dsl.lsp.server import REQUEST_FAILED
from dsl.pipeline import Compilation
from dsl.syntax import ast
from dsl.syntax.lexer import KEYWORDS
from tests.dsl.lsp.conftest import CONTRACTS

HEALTH = (CONTRACTS / "health.bao").read_text(encoding="utf-8")
_names = itertools.count()


def fresh_uri() -> str:
    """A document of its own, beside the shipped contracts (so `use insurance` is found), never on disk."""
    return (CONTRACTS / f"_lsp_test_{next(_names)}.bao").as_uri()


def opened(server: Client, text: str) -> tuple[str, list[dict]]:
    uri = fresh_uri()
    server.open(uri, text, 1)
    return uri, server.diagnostics(uri, 20, version=1)


def position(text: str, needle: str, occurrence: int = 0, offset: int = 0) -> tuple[int, int]:
    """0-based (line, UTF-16 character) of the ``occurrence``-th ``needle`` in ``text``, plus ``offset``."""
    starts = [m.start() for m in re.finditer(re.escape(needle), text)]
    at = starts[occurrence] + offset
    line = text.count("\n", 0, at)
    before = text[text.rfind("\n", 0, at) + 1:at]
    return line, len(before.encode("utf-16-le")) // 2


def apply(text: str, edits: list[dict]) -> str:
    """The text after the protocol's TextEdits (ranges in UTF-16 units of the original text)."""
    lines = text.split("\n")

    def offset(p: dict) -> int:
        line = lines[p["line"]] if p["line"] < len(lines) else ""
        prefix = line.encode("utf-16-le")[:2 * p["character"]].decode("utf-16-le")
        return sum(len(x) + 1 for x in lines[:p["line"]]) + len(prefix)

    for e in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]), reverse=True):
        text = text[:offset(e["range"]["start"])] + e["newText"] + text[offset(e["range"]["end"]):]
    return text


# ---------------------------------------------------------------------------------------------
# Diagnostics

BROKEN_ACTION = '''

action broken(x: Int) by insurer:
    require x > 0, "😀 {undefined_name}"
'''


def test_diagnostics_at_their_ranges_then_cleared(server: Client) -> None:
    broken = HEALTH + BROKEN_ACTION
    uri, found = opened(server, broken)
    assert [d["code"] for d in found] == ["B0301"]
    line, char = position(broken, "undefined_name")
    assert found[0]["range"] == {"start": {"line": line, "character": char},
                                 "end": {"line": line, "character": char + len("undefined_name")}}
    assert char == len('    require x > 0, "😀 {') + 1  # the emoji is two UTF-16 units
    assert found[0]["severity"] == 1 and "undefined_name" in found[0]["message"]

    syntax = HEALTH.replace("parties insurer,", "parties insurer,,", 1)
    server.change(uri, syntax, 2)
    found = server.diagnostics(uri, 10, version=2)
    line, char = position(syntax, ",,", offset=1)
    assert [(d["code"], d["range"]["start"]) for d in found] == [("B0201", {"line": line, "character": char})]

    server.change(uri, HEALTH, 3)
    assert server.diagnostics(uri, 10, version=3) == []


def test_when_typing_stops_the_whole_pipeline_answers(server: Client) -> None:
    uri, _ = opened(server, HEALTH)
    typing = HEALTH.replace("return year(d) * 100 + month(d)", "return year(d) * 100 + month(d) + undefined_b", 1)
    server.change(uri, typing, 2)
    first = server.diagnostics(uri, 10, version=2)  # parsed by the changed declaration
    again = server.diagnostics(uri, 10, version=2)  # the whole pipeline, once typing stopped
    with pytest.raises(CompileError) as check:  # what `baochain check` says
        Compilation(typing, str(CONTRACTS / "health.bao")).verified
    expected = [(d.code.name, d.span.line - 1, d.span.col - 1) for d in check.value.diagnostics]
    assert [(d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in again] == expected
    assert first == again


def test_diagnostics_carry_the_checkers_hint(server: Client) -> None:
    text = HEALTH.replace("parties insurer, hospital, regulator", "parties insurer, hospital, regulator, action", 1)
    _, found = opened(server, text)
    assert found and found[0]["code"] == "B0202"
    assert "\nhint: " in found[0]["message"]


@pytest.mark.parametrize("path", sorted(p.name for p in CONTRACTS.glob("*.bao")))
def test_every_shipped_file_is_published_clean(server: Client, path: str) -> None:
    uri = (CONTRACTS / path).as_uri()
    server.open(uri, (CONTRACTS / path).read_text(encoding="utf-8"), 1)
    assert server.diagnostics(uri, 20, version=1) == []
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert server.diagnostics(uri, 10) == []


# ---------------------------------------------------------------------------------------------
# Hover, definition

def hover_text(server: Client, uri: str, text: str, needle: str, occurrence: int = 0, offset: int = 1) -> str:
    result = server.at("textDocument/hover", uri, *position(text, needle, occurrence, offset))
    assert result is not None, f"no hover on {needle!r}"
    return str(result["contents"]["value"])


def test_hover_tells_kind_type_description_and_gas(server: Client) -> None:
    uri, _ = opened(server, HEALTH)
    action = hover_text(server, uri, HEALTH, "action issue(", offset=len("action i"))
    assert "action issue(id: Text, policy: Policy) by insurer" in action
    assert "An insurer issues a new policy" in action and "Gas:" in action and "no static bound" in action
    assert re.search(r"[\u4e00-\u9fff]", action) and not re.search(r"^(en|zh):", action, re.M), action  # both parts, read
    state = hover_text(server, uri, HEALTH, "policies[", 0)
    assert re.search(r"policies: Map\[Text, Policy\]", state)
    assert "record Policy:" in hover_text(server, uri, HEALTH, "Policy", 1)
    assert "caller: Party" in hover_text(server, uri, HEALTH, "caller")


def test_definition_in_the_file_and_across_a_used_module(server: Client) -> None:
    uri, _ = opened(server, HEALTH)
    found = server.at("textDocument/definition", uri, *position(HEALTH, "zero_of(", offset=1))
    module = (CONTRACTS.parent / "stdlib" / "insurance.bao")
    assert found["uri"] == module.as_uri()
    assert found["range"]["start"] == dict(zip(("line", "character"), position(module.read_text(encoding="utf-8"), "zero_of")))
    here = server.at("textDocument/definition", uri, *position(HEALTH, "policies[", offset=1))
    assert here["uri"] == uri
    line, char = position(HEALTH, "    policies: ", offset=4)
    assert here["range"]["start"] == {"line": line, "character": char}
    used = server.at("textDocument/definition", uri, *position(HEALTH, "use insurance", offset=5))
    assert used["uri"] == module.as_uri()


# ---------------------------------------------------------------------------------------------
# Completion

def labels(result: dict) -> set[str]:
    return {i["label"] for i in result["items"]}


def test_completion_of_names_and_of_record_fields(server: Client) -> None:
    uri, _ = opened(server, HEALTH)
    at = HEALTH.index("\n", HEALTH.index("let p = policies[")) + 1  # the line after `let p = ...`
    typing = HEALTH[:at] + "        p.\n" + HEALTH[at:]
    server.change(uri, typing, 2)
    assert server.diagnostics(uri, 10, version=2)  # half-typed: the text does not parse
    line = typing.count("\n", 0, at)
    fields = labels(server.at("textDocument/completion", uri, line, len("        p.")))
    policy = Compilation(HEALTH, str(CONTRACTS / "health.bao")).analysis.types.record_fields("Policy")
    assert fields == {f for f, _ in policy}
    names = labels(server.at("textDocument/completion", uri, line, 8))
    assert {"policies", "require", "len", "caller", "Policy", "zero_of", "p"} <= names
    assert KEYWORDS <= names
    for version, (typed, expected) in enumerate([("policies[id].", {f for f, _ in policy}),
                                                 ("caller.", {"org", "id", "role"}),
                                                 ("PolicyStatus.", {"Active", "Suspended", "Expired"}),
                                                 ("insurance.zer", {"zero_of", "benefit_payable"})], start=3):
        server.change(uri, HEALTH[:at] + f"        {typed}\n" + HEALTH[at:], version)
        server.diagnostics(uri, 10, version=version)
        assert expected <= labels(server.at("textDocument/completion", uri, line, 8 + len(typed))), typed


# ---------------------------------------------------------------------------------------------
# Rename

def test_rename_changes_every_reference_and_keeps_the_contract_valid(server: Client) -> None:
    uri, _ = opened(server, HEALTH)
    result = server.at("textDocument/rename", uri, *position(HEALTH, "policies[", offset=1), newName="保单表")
    edits = result["changes"][uri]
    assert {HEALTH.splitlines()[e["range"]["start"]["line"]][e["range"]["start"]["character"]:
                                                             e["range"]["end"]["character"]] for e in edits} == {"policies"}
    renamed = apply(HEALTH, edits)
    assert renamed.replace("保单表", "policies") == HEALTH
    analysis = Compilation(renamed, str(CONTRACTS / "health.bao")).analysis  # every use renamed: it still checks
    assert "保单表" in {v.name for v in analysis.state} and "policies" not in {v.name for v in analysis.state}


def test_rename_of_a_local_stays_in_its_function(server: Client) -> None:
    uri, _ = opened(server, HEALTH)
    result = server.at("textDocument/rename", uri, *position(HEALTH, "let p = ", offset=4), newName="pol")
    renamed = apply(HEALTH, result["changes"][uri])
    assert Compilation(renamed, str(CONTRACTS / "health.bao")).analysis is not None
    assert renamed.count("let pol = ") == 1 and renamed.count("let p = ") == HEALTH.count("let p = ") - 1


@pytest.mark.parametrize("needle, new_name, reason", [
    ("action issue", "x", "keyword"),
    ("len(", "size", "built into"),
    ("zero_of(", "zero", "another file"),
    ("policies[", "action", "keyword or built-in"),
])
def test_rename_refused(server: Client, needle: str, new_name: str, reason: str) -> None:
    uri, _ = opened(server, HEALTH)
    with pytest.raises(ResponseError) as refused:
        server.at("textDocument/rename", uri, *position(HEALTH, needle, offset=1), newName=new_name)
    assert refused.value.code == REQUEST_FAILED and reason in refused.value.message


# ---------------------------------------------------------------------------------------------
# Formatting, outline

FORMAT = {"options": {"tabSize": 4, "insertSpaces": True}}


def test_formatting_is_baochain_fmt(server: Client) -> None:
    messy = HEALTH.replace("total_paid += payable", "total_paid+=payable").replace(", hospital, ", ",hospital,   ")
    uri, _ = opened(server, messy)
    edits = server.request("textDocument/formatting", {"textDocument": {"uri": uri}, **FORMAT})
    assert apply(messy, edits) == format_source(messy, "health.bao") == format_source(HEALTH, "health.bao")
    server.change(uri, HEALTH, 2)
    assert server.request("textDocument/formatting", {"textDocument": {"uri": uri}, **FORMAT}) == []


def test_formatting_refuses_a_document_that_does_not_parse(server: Client) -> None:
    uri, _ = opened(server, HEALTH + "\naction (:\n")
    with pytest.raises(ResponseError) as refused:
        server.request("textDocument/formatting", {"textDocument": {"uri": uri}, **FORMAT})
    assert refused.value.code == REQUEST_FAILED and "syntax errors" in refused.value.message


@pytest.mark.parametrize("path", sorted(p.name for p in CONTRACTS.glob("*.bao") if not p.name.endswith(".test.bao")))
def test_outline_lists_every_declaration(server: Client, path: str) -> None:
    text = (CONTRACTS / path).read_text(encoding="utf-8")
    uri, _ = opened(server, text)
    [top] = server.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    tree = Compilation(text, path).tree
    assert isinstance(tree, ast.SourceFile) and top["name"] == tree.name.name
    names = {c["name"] for c in top["children"]}
    declared = {d.name.name for d in tree.decls if isinstance(d, (ast.FuncDecl, ast.RecordDecl, ast.EnumDecl,
                                                                  ast.EventDecl))}
    assert declared <= names and "state" in names
    record = next(c for c in top["children"] if c["detail"] == "record")
    assert record["children"] and all(c["kind"] == 8 for c in record["children"])  # SymbolKind.Field


# ---------------------------------------------------------------------------------------------
# Junk

FRAGMENTS = [*KEYWORDS, "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "->", "\n", "\n    ", '"', '"""', "#",
             "1.5", "2024-02-30", "10 CNY", "5%", "x", "policies", "\t", "\r", "\x00", "保单", "😀"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.one_of(st.text(max_size=300),
                      st.lists(st.sampled_from(FRAGMENTS), max_size=80).map(" ".join),
                      st.integers(0, len(HEALTH)).map(lambda n: HEALTH[:n])))
def test_junk_gets_diagnostics_and_the_server_stays_alive(server: Client, junk: str) -> None:
    uri = fresh_uri()
    server.open(uri, junk, 1)
    found = server.diagnostics(uri, 20, version=1)
    assert all(d["code"] != "B0901" for d in found), found  # no defect of the toolchain
    lines = junk.split("\n")
    for method in ("textDocument/hover", "textDocument/completion", "textDocument/definition"):
        server.at(method, uri, len(lines) - 1, len(lines[-1].encode("utf-16-le")) // 2)
    server.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.diagnostics(uri, 10)


def test_optional_values_are_checked_as_typed_and_hovered_with_their_type(server: Client) -> None:
    misuse = HEALTH + "\nview due_or(d: Date?) -> Date:\n    return d\n"
    _, found = opened(server, misuse)
    assert [f["code"] for f in found] == ["B0401"] and "`x or else d`" in found[0]["message"]  # the hint
    fixed = misuse.replace("    return d\n", '    return d or fail "no date"\n')
    uri, found = opened(server, fixed)
    assert found == []
    assert "Date?" in hover_text(server, uri, fixed, "d or fail", offset=0)
