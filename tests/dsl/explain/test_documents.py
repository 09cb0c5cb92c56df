"""`baochain explain` over every shipped contract, in both formats and both languages, and the
command's behaviour on errors and options."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsl.cli.explain import explain
from dsl.explain.phrases import LANGUAGES, phrase_keys, phrases_for
from dsl.pipeline import Compilation
from dsl.syntax import ast

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = sorted(p for p in (ROOT / "contracts").glob("*.bao") if not p.name.endswith(".test.bao"))
SECTION1 = Path(__file__).parent / "snapshots" / "explain_section1.bao"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
SVG_LEAVES = {"path", "rect", "circle", "line", "text", "title", "marker", "defs", "g", "svg"}


class _Outline(HTMLParser):
    """Tags opened and closed (to catch a broken document), headings, and SVG count."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.svgs = 0
        self._heading: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs += 1
        if tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # self-closing SVG elements

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> does not close <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == self._heading:
            self.headings.append((tag, "".join(self._text).strip()))
            self._heading = None

    def handle_data(self, data):
        if self._heading:
            self._text.append(data)


def _run(*args: str):
    return CliRunner().invoke(explain, [str(a) for a in args], catch_exceptions=False)


def _lifecycle_count(path: Path) -> int:
    tree = Compilation.from_file(path).tree
    return sum(isinstance(d, ast.LifecycleDecl) for d in tree.decls)


def test_there_are_contracts_to_explain():
    assert any(p.name == "health.bao" for p in CONTRACTS)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda p: p.stem)
def test_every_contract_renders_as_html(contract: Path, lang: str):
    result = _run(contract, "--lang", lang)
    assert result.exit_code == 0, result.output
    html = result.stdout
    outline = _Outline()
    outline.feed(html)
    outline.close()
    assert outline.errors == [] and outline.stack == [], (outline.errors, outline.stack)
    assert outline.svgs == _lifecycle_count(contract)
    p = phrases_for(lang)
    h2 = [text for tag, text in outline.headings if tag == "h2"]
    assert h2[0] == p("parties")
    title = Compilation.from_file(contract).tree.name.name
    assert ("h1", title) in outline.headings
    if _lifecycle_count(contract):
        assert p("lifecycles") in h2
    assert p("actions") in h2
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert set(re.findall(r' href="#([^"]+)"', html)) <= set(ids)
    # One file, nothing fetched: no scripts, no links, no remote references.
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * outline.svgs


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda p: p.stem)
def test_every_contract_renders_as_markdown(contract: Path, lang: str):
    result = _run(contract, "--format", "md", "--lang", lang)
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert md.count("```mermaid\nstateDiagram-v2") == _lifecycle_count(contract)
    assert md.startswith("# ")
    p = phrases_for(lang)
    assert f"## {p('actions')}" in md


def test_chinese_document_has_no_english_fixed_phrases():
    md = _run(SECTION1, "--format", "md", "--lang", "zh").stdout
    en = phrases_for("en")
    for key in ("parties", "records", "lifecycles", "actions", "views", "who_may_call", "steps"):
        assert en(key) not in md, key
    zh = phrases_for("zh")
    for key in ("parties", "lifecycles", "actions"):
        assert f"## {zh(key)}" in md
    assert "前提条件" in md and "参与方" in md and "状态流转" in md


def test_phrase_books_have_the_same_phrases_and_slots():
    assert phrase_keys("en") == phrase_keys("zh")
    en, zh = phrases_for("en"), phrases_for("zh")
    slots = re.compile(r"\{(\w+)\}")
    for key in phrase_keys("en"):
        assert set(slots.findall(en.template(key))) == set(slots.findall(zh.template(key))), key


def test_identifiers_stay_as_written_and_descriptions_are_the_chinese_part_in_chinese():
    md = _run(ROOT / "contracts" / "health.bao", "--format", "md", "--lang", "zh").stdout
    assert "医院与保险公司直接结算" in md and "Hospitals bill the insurer directly" not in md
    assert "`sum_insured`" in md


def test_output_file_is_written_whole(tmp_path: Path):
    out = tmp_path / "health.html"
    result = _run(SECTION1, "-o", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["health.html"]


BROKEN = '''contract Broken
parties insurer
state:
    total: Money = 0.00 CNY
action add(n: Int) by insurer:
    total += n + 1.00 CNY
'''


def test_a_contract_with_errors_gets_diagnostics_and_no_document(tmp_path: Path):
    src = tmp_path / "broken.bao"
    src.write_text(BROKEN, encoding="utf-8")
    out = tmp_path / "broken.html"
    result = _run(src, "-o", out)
    assert result.exit_code == 1
    assert "broken.bao:6:" in result.stderr and "error" in result.stderr
    assert "^" in result.stderr  # the source line with a caret under the span
    assert not out.exists()
    assert result.stdout == ""


def test_a_syntax_error_gets_diagnostics(tmp_path: Path):
    src = tmp_path / "bad.bao"
    src.write_text("contract Bad\nparties insurer\naction f( by insurer:\n    pass\n", encoding="utf-8")
    result = _run(src, "--format", "md")
    assert result.exit_code == 1
    assert "bad.bao:3:" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_a_test_file_is_not_explained():
    result = _run(ROOT / "contracts" / "health.test.bao")
    assert result.exit_code == 1
    assert "test file" in result.stderr


@pytest.mark.parametrize("args", [["--format", "pdf"], ["--lang", "fr"], [], ["--bogus"]])
def test_usage_errors_exit_2(args: list[str]):
    argv = [*args] if args == [] else [str(SECTION1), *args]
    result = CliRunner().invoke(explain, argv)
    assert result.exit_code == 2


def test_missing_file_is_a_usage_error(tmp_path: Path):
    assert CliRunner().invoke(explain, [str(tmp_path / "nope.bao")]).exit_code == 2


def test_with_tests_without_a_test_file_says_so(tmp_path: Path):
    src = tmp_path / "alone.bao"
    src.write_text(SECTION1.read_text(encoding="utf-8"), encoding="utf-8")
    md = _run(src, "--format", "md", "--with-tests").stdout
    assert f"## {phrases_for('en')('examples')}" in md
    assert "alone.test.bao was not found" in md


def test_with_tests_shows_each_scenario_with_an_outcome(tmp_path: Path):
    src = tmp_path / "health.bao"
    src.write_text(SECTION1.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "health.test.bao").write_text(SCENARIOS, encoding="utf-8")
    result = _run(src, "--format", "md", "--with-tests")
    assert result.exit_code == 0, result.output
    md = result.stdout
    rows = [line for line in md.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert len(rows) == 2
    assert "a bill is paid net of deductible and co-payment" in rows[0]
    assert "`ruijin` calls `settle(“P1”, 1500.00 CNY, 2024-05-01)`; it returns `800.00 CNY`" in rows[0]
    assert "it is refused with “not authorized”" in rows[0]
    assert "Check: `remaining(“P1”) = 9200.00 CNY`" in rows[0]  # named as in its heading, not written out
    assert "Event `ClaimSettled` was emitted with `policy id = “P1”`, `payable = 800.00 CNY`" in rows[0]
    # Outcomes come from the scenario runner when it runs here, else every row says "not run".
    outcomes = [row.rsplit("|", 2)[1].strip() for row in rows]
    if "not run" in outcomes[0]:
        assert outcomes == ["not run", "not run"]
    else:
        assert outcomes[0] == "✅ passes"
        assert outcomes[1].startswith("❌ fails")


def test_with_tests_on_a_broken_test_file_gets_diagnostics(tmp_path: Path):
    src = tmp_path / "health.bao"
    src.write_text(SECTION1.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "health.test.bao").write_text('tests for "health.bao"\n\nscenario "x":\n    expect (\n',
                                             encoding="utf-8")
    result = _run(src, "--with-tests")
    assert result.exit_code == 1
    assert "health.test.bao:" in result.stderr
    assert result.stdout == ""


SCENARIOS = '''tests for "health.bao"

scenario "a bill is paid net of deductible and co-payment":
    at 2024-05-01
    let picc = insurer "PICC"
    let ruijin = hospital "Ruijin Hospital"
    picc calls issue("P1", Policy(holder: "Li Lei", sum_insured: 10000.00 CNY, deductible: 500.00 CNY, copay: 20%, start: 2024-01-01, end: 2024-12-31))
    expect ruijin calls settle("P1", 1500.00 CNY, 2024-05-01) returns 800.00 CNY
    expect emitted ClaimSettled(policy_id: "P1", payable: 800.00 CNY)
    expect remaining("P1") == 9200.00 CNY
    expect ruijin calls settle("P9", 1.00 CNY, 2024-05-01) fails with "unknown policy"
    expect picc calls settle("P1", 1.00 CNY, 2024-05-01) fails with "not authorized"

scenario "a wrong expectation is reported as failing":
    let picc = insurer "PICC"
    picc calls issue("P1", Policy(holder: "Li Lei", sum_insured: 100.00 CNY, start: 2024-01-01, end: 2024-12-31))
    expect remaining("P1") == 1.00 CNY
'''


CHINESE = '''contract 车险理赔
"""车主报案，保险公司定损并赔付。"""

parties 保险公司, 车主, 监管机构

# 案件所处的阶段。
enum 案件状态: 已报案, 已定损, 已赔付, 已拒赔

# 一起理赔案件。
record 案件:
    车主名称: Text
    定损金额: Money = 0.00 CNY
    状态: 案件状态 = 已报案

state:
    # 全部案件，按案件号。
    案件表: Map[Text, 案件]

lifecycle 案件.状态 starts 已报案:
    已报案 -> 已定损 by 保险公司
    已定损 -> 已赔付 by 保险公司
    已报案, 已定损 -> 已拒赔 by 保险公司, 监管机构

# 车主报案。
action 报案(案件号: Text) by 车主:
    require 案件号 not in 案件表, "案件 {案件号} 已存在"
    案件表[案件号] = 案件(车主名称: caller.org)
'''


def test_a_contract_written_in_chinese(tmp_path: Path):
    src = tmp_path / "cn.bao"
    src.write_text(CHINESE, encoding="utf-8")
    md = _run(src, "--format", "md", "--lang", "zh").stdout
    assert md.startswith("# 车险理赔\n")
    assert "1. 前提条件：`案件表 中没有 案件号`；否则调用失败，提示 “案件 {案件号} 已存在”。" in md
    assert 'state "已报案" as s0' in md and "s0 --> s3 : 保险公司、监管机构" in md
    assert "- *案件表*： 全部案件，按案件号。" in md
    result = _run(src, "--lang", "zh")
    outline = _Outline()
    outline.feed(result.stdout)
    assert outline.svgs == 1 and outline.errors == []
    assert "保险公司、监管机构" in result.stdout  # roles of one move, in the diagram and the table


MARKUP = '''contract Markup
"""Pays <b>claims</b> & more."""

parties insurer

# A record whose comment has <script>alert(1)</script> | a pipe and `code`.
record Claim:
    # The amount | in CNY, *not* <USD>.
    amount: Money
    note: Text = "a | b <c>"

state:
    claims: Map[Text, Claim]

# Adds a claim; `id` must be new.
action add(id: Text, claim: Claim) by insurer:
    require id not in claims, "claim <{id}> & | exists"
    claims[id] = claim
'''


def test_comments_and_messages_cannot_break_the_markup(tmp_path: Path):
    src = tmp_path / "markup.bao"
    src.write_text(MARKUP, encoding="utf-8")
    html = _run(src).stdout
    assert "<script>" not in html and "<b>" not in html and "<USD>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<code>code</code>" in html  # a `code` span its author wrote stays code
    outline = _Outline()
    outline.feed(html)
    assert outline.errors == [] and outline.stack == []
    md = _run(src, "--format", "md").stdout
    row = next(line for line in md.splitlines() if line.startswith("| `amount`"))
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    assert len(cells) == 4, row  # field, type, default, description: the pipe in the comment is escaped
    note = next(line for line in md.splitlines() if line.startswith("| `note`"))
    assert len(re.split(r"(?<!\\)\|", note)[1:-1]) == 4, note
    assert "claim <{id}> & | exists" not in md and "claim \\<{id}\\> & \\| exists" in md


def test_mounted_as_baochain_explain():
    from node.cli import cli

    result = CliRunner().invoke(cli, ["explain", str(SECTION1), "--format", "md", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# HealthDirectPay\n")
