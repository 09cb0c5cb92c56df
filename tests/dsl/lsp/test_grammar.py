"""The TextMate grammar of editors/vscode: valid JSON with the scopes it claims, and every keyword of
the lexer (`dsl.syntax.lexer.KEYWORDS`, the one list) highlighted as a keyword.

The grammar's regexes are Oniguruma's; the two Unicode classes it uses are translated to Python's
(`ONIGURUMA`) and the test refuses any other, so the tokeniser below reads the same patterns an
editor does. It follows TextMate's rule: at each point, the pattern matching earliest wins, the
first listed among those starting at the same place; `begin`/`end` rules scope what lies between.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dsl.semantics.scope import BUILTIN_FUNCS, TYPE_NAMES
from dsl.semantics.typerules import BUILTIN_VALUES
from dsl.syntax.lexer import KEYWORDS

VSCODE = Path(__file__).resolve().parents[3] / "editors" / "vscode"
GRAMMAR = json.loads((VSCODE / "syntaxes" / "bao.tmLanguage.json").read_text(encoding="utf-8"))
ONIGURUMA = {r"[\p{L}_]": r"[^\W\d]", r"[\p{L}\p{N}_]": r"\w"}
KEYWORD_SCOPES = ("keyword.", "storage.type", "constant.language")


def _python(pattern: str) -> re.Pattern[str]:
    for onig, py in ONIGURUMA.items():
        pattern = pattern.replace(onig, py)
    assert r"\p{" not in pattern, f"a class the test cannot translate: {pattern}"
    return re.compile(pattern)


def _rules(patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules of a pattern list with every `include` expanded."""
    out = []
    for p in patterns:
        if "include" in p:
            entry = GRAMMAR["repository"][p["include"].lstrip("#")]
            grouping = "match" not in entry and "begin" not in entry  # a list of rules, not a rule
            out += _rules(entry["patterns"] if grouping else [entry])
        else:
            out.append(p)
    return out


def tokenise(line: str, patterns: list[dict[str, Any]] | None = None) -> list[tuple[str, str]]:
    """(text, innermost scope) for each scoped piece of one line."""
    rules = _rules(patterns if patterns is not None else GRAMMAR["patterns"])
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(line):
        best = None
        for rule in rules:
            m = _python(rule.get("match") or rule["begin"]).search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        if "match" in rule:
            if "captures" in rule:
                out += [(m.group(int(i)), c["name"]) for i, c in rule["captures"].items() if m.group(int(i))]
            else:
                out.append((m.group(0), rule["name"]))
            pos = m.end()
        else:  # begin ... end: everything between has the rule's scope, or its own patterns' scopes
            end = _python(rule["end"]).search(line, m.end())
            stop = end.end() if end else len(line)
            inner = line[m.end():end.start() if end else len(line)]
            out.append((line[m.start():stop], rule["name"]))
            out += tokenise(inner, rule.get("patterns", [])) if rule.get("patterns") else []
            pos = stop
    return out


def scopes(line: str) -> dict[str, str]:
    return {text: scope for text, scope in tokenise(line)}


def test_the_extension_folder_is_valid_json_naming_the_grammar() -> None:
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    [grammar] = package["contributes"]["grammars"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == "source.bao"
    assert (VSCODE / grammar["path"]).is_file() and package["main"] == "./extension.js"
    assert (VSCODE / package["main"]).is_file() and not package.get("dependencies")
    json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    for rule in _rules(GRAMMAR["patterns"]):
        _python(rule.get("match") or rule["begin"])
        assert rule.get("name", "").endswith(".bao") or all(c["name"].endswith(".bao") for c in rule["captures"].values())


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to read the extension's JavaScript")
def test_the_extension_is_javascript_node_accepts() -> None:
    done = subprocess.run(["node", "--check", str(VSCODE / "extension.js")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("keyword", sorted(KEYWORDS))
def test_every_keyword_is_highlighted_as_one(keyword: str) -> None:
    found = scopes(f"    {keyword} x")
    assert found.get(keyword, "").startswith(KEYWORD_SCOPES), (keyword, found)
    assert "x" not in found or not found["x"].startswith(KEYWORD_SCOPES)


def test_built_ins_literals_strings_and_comments() -> None:
    for t in TYPE_NAMES:
        assert scopes(f"x: {t}")[t] == "support.type.bao"
    for v in BUILTIN_VALUES:
        assert scopes(f"let a = {v}")[v] == "variable.language.bao"
    for f in BUILTIN_FUNCS - KEYWORDS:
        assert scopes(f"let a = {f}(b)")[f] == "support.function.builtin.bao"
    line = 'require p.start <= 2024-03-01, "paid {amount} of 10.50 CNY"  # 5% max'
    found = tokenise(line)
    assert ("2024-03-01", "constant.numeric.date.bao") in found
    assert ('"paid {amount} of 10.50 CNY"', "string.quoted.double.bao") in found
    assert ("{amount}", "meta.interpolation.bao") in found
    assert ("# 5% max", "comment.line.number-sign.bao") in found
    assert ("10.50 CNY", "constant.numeric.money.bao") in tokenise("let fee = 10.50 CNY + 30 days")
    assert scopes("action settle(x: Int) by hospital:")["settle"] == "entity.name.function.bao"
    assert scopes("record 保单:")["保单"] == "entity.name.type.bao"
