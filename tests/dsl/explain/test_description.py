"""Descriptions in the reader's language (dsl.explain.description), and what the shipped contracts'
documents show in each: the part in the document's language, never a raw `en:`/`zh:` marker, a
marked fallback where a part is missing, and the wording faults an analyst found (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from dsl.explain.build import build_document
from dsl.explain.description import Description, Paragraph, paragraph_text, parse_description
from dsl.explain.model import Prose
from dsl.explain.names import ContractNames, Nouns
from dsl.explain.render import explain_file, render
from dsl.pipeline import Compilation
from dsl.syntax import ast
from dsl.syntax.parser import parse_source

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = sorted(p for p in (ROOT / "contracts").glob("*.bao") if not p.name.endswith(".test.bao"))
MARKER = re.compile(r"(?<![\w:])(en|zh): ")


# ----------------------------------------------------------------------------------------------
# The spelling


def test_markers_open_a_part_and_unmarked_lines_continue_it():
    d = parse_description(["Before any marker.", "en: One", "two.", "zh: 一", "二。", "  en: Again."])
    assert d.part("en") == ("Before any marker.", "One two.", "Again.")  # each marker opens a paragraph
    assert d.part("zh") == ("一二。",)  # no space between two Chinese lines


def test_a_blank_line_starts_a_new_paragraph_in_the_same_language():
    d = parse_description(["zh: 第一段。", "", "第二段。"])
    assert d.part("zh") == ("第一段。", "第二段。")
    assert d.part("en") == ()


def test_a_description_without_markers_is_the_same_for_every_reader():
    d = parse_description(["The insured person."])
    assert d.neutral
    assert d.for_reader("zh") == d.for_reader("en") == Prose(("The insured person.",))


def test_a_missing_part_falls_back_to_the_other_language_and_says_so():
    assert parse_description(["en: The insured person."]).for_reader("zh") == Prose(("The insured person.",), "en")
    assert parse_description(["zh: 被保险人。"]).for_reader("en") == Prose(("被保险人。",), "zh")
    assert parse_description([]).for_reader("zh") == Prose()


def test_a_marker_is_a_language_code_then_colon_then_space():
    assert parse_description(["zh:"]).paragraphs == ()
    assert parse_description(["en:no space"]).neutral  # not a marker: the line is text
    assert parse_description(["fr: bonjour"]).part("en") == ("fr: bonjour",)


def test_list_items_stay_on_their_own_lines():
    assert paragraph_text(("Rules:", "1. One", "continued.", "2. Two")) == "Rules:\n1. One continued.\n2. Two"
    assert paragraph_text(("医院与保险公司", "直接结算 (direct", "billing)")) == "医院与保险公司直接结算 (direct billing)"


_LINE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12).map(
    str.strip).filter(lambda s: bool(s) and not re.match(r"(en|zh):( |$)", s))
_LINES = st.lists(_LINE, min_size=1, max_size=3).map(tuple)


@given(st.one_of(
    st.lists(st.builds(Paragraph, st.sampled_from(["en", "zh"]), _LINES), max_size=5),
    st.lists(st.builds(Paragraph, st.none(), _LINES), max_size=3),
))
def test_any_text_split_into_paragraphs_and_rejoined_parses_back(paragraphs: list[Paragraph]):
    d = Description(tuple(paragraphs))
    assert parse_description(d.lines()) == d


# ----------------------------------------------------------------------------------------------
# Nouns a formula reads a field through


def _nouns(source: str, lang: str) -> Nouns:
    return Nouns(ContractNames.of(parse_source(source, "c.bao")), lang)


NOUN_SOURCE = '''contract C
parties insurer
# en: A health policy as registered by the insurer.
# zh: 保险公司登记的健康险保单。
record Policy:
    # en: The most the policy pays over its whole term.
    # zh: 保额：整个保险期间的最高赔付。
    sum_insured: Money
    # en: The share the insured bears.
    # zh: 被保险人在每一笔经审核确认的医疗费用中按照合同约定承担的比例。
    copay: Percent
# en: One insurer's check of one customer.
# zh: 一家保险公司对一位客户的核验记录。
record IdentityCheck:
    ok: Bool
'''


def test_english_nouns_are_the_names_and_chinese_nouns_come_from_the_chinese_description():
    en, zh = _nouns(NOUN_SOURCE, "en"), _nouns(NOUN_SOURCE, "zh")
    assert (en.record("Policy"), en.field("Policy", "sum_insured")) == ("policy", "sum insured")
    assert en.record("IdentityCheck") == "identity check"
    assert [_nouns(f"contract C\nparties p\nrecord {n}:\n    a: Int\n", "en").record(n)
            for n in ("EPolicy", "KYCCheck")] == ["e-policy", "KYC check"]
    assert (zh.record("Policy"), zh.field("Policy", "sum_insured")) == ("健康险保单", "保额")
    assert zh.record("IdentityCheck") == "核验记录"  # the head of the noun phrase, without its counter
    assert zh.field("Policy", "copay") == "copay"  # a sentence is no noun: the name stands
    assert zh.field("IdentityCheck", "ok") == "ok"


# ----------------------------------------------------------------------------------------------
# The shipped contracts, in both languages


@pytest.fixture(scope="module")
def documents() -> dict[tuple[str, str, str], str]:
    out = {}
    for path in CONTRACTS:
        for lang in ("en", "zh"):
            doc = explain_file(path, lang).document
            for fmt in ("md", "html"):
                out[(path.stem, lang, fmt)] = render(doc, fmt)
    return out


def _visible(md: str) -> str:
    """Markdown as the text a reader sees: no escapes, no code marks."""
    return md.replace("\\", "").replace("`", "")


def test_no_description_shows_a_raw_language_marker(documents):
    for key, text in documents.items():
        found = MARKER.search(text)
        assert found is None, (key, text[max(0, found.start() - 60):found.end() + 60])


def _slots(tree: ast.SourceFile) -> list[tuple[str, tuple[str, ...]]]:
    """Every described declaration a document shows: the contract, parties, records and fields,
    enums and values, state, events, entries, lifecycles and transitions."""
    slots = [("contract", tuple((tree.docstring or "").splitlines()))]
    for d in tree.decls:
        match d:
            case ast.Parties() | ast.EventDecl() | ast.FuncDecl() | ast.InitDecl():
                slots.append((type(d).__name__, d.doc))
            case ast.RecordDecl():
                slots += [(d.name.name, d.doc)] + [(f"{d.name.name}.{f.name.name}", f.doc) for f in d.fields]
            case ast.EnumDecl():
                slots += [(d.name.name, d.doc)] + [(f"{d.name.name}.{v.name.name}", v.doc) for v in d.values]
            case ast.StateDecl():
                slots += [(f"state {v.name.name}", v.doc) for v in d.vars]
            case ast.LifecycleDecl():
                slots += [(f"lifecycle {d.record.name}", d.doc)] + [
                    (f"{d.record.name} -> {t.target.name}", t.doc) for t in d.transitions]
    return slots


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_description_of_a_shipped_contract_appears_in_the_readers_language(documents, lang):
    other = "zh" if lang == "en" else "en"
    for path in CONTRACTS:
        tree = Compilation.from_file(path).tree
        assert isinstance(tree, ast.SourceFile)
        shown = _visible(documents[(path.stem, lang, "md")])
        for slot, lines in _slots(tree):
            d = parse_description(lines)
            if not d.paragraphs:
                continue
            own, foreign = d.part(lang), d.part(other)
            assert own, (path.name, slot, "has no part in", lang)
            assert _visible(own[0])[:16].replace("\n", " ") in shown, (path.name, slot, own[0])
            if foreign and foreign[0] not in own:
                assert _visible(foreign[0])[:40] not in shown, (path.name, slot, foreign[0])


FALLBACK = '''contract C
"""en: Only in English."""
parties insurer
record R:
    # en: The insured person.
    holder: Text
    # zh: 保单状态。
    status: Int
    count: Int
'''


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_missing_language_is_shown_in_the_other_one_and_marked(tmp_path: Path, fmt: str):
    path = tmp_path / "c.bao"
    path.write_text(FALLBACK, encoding="utf-8")
    zh = render(explain_file(path, "zh").document, fmt)
    en = render(explain_file(path, "en").document, fmt)
    assert "（英文）" in zh and "The insured person." in zh and "Only in English." in zh
    assert "(Chinese)" in en and "保单状态。" in en
    assert "（英文）" not in en and "(Chinese)" not in zh and "(English)" not in en
    if fmt == "html":
        assert '<span lang="en">The insured person.</span>' in zh


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_description_column_is_shown_only_where_some_row_has_a_description(tmp_path: Path, fmt: str):
    path = tmp_path / "c.bao"
    path.write_text(FALLBACK + "record Plain:\n    a: Int\n    b: Int\n", encoding="utf-8")
    text = render(explain_file(path, "en").document, fmt)
    if fmt == "md":
        assert "| `count` | whole number | — | — |" in text  # R: some fields have one, so "—" for none
        assert "| `a` | whole number | — |\n" in text  # Plain: no field has one, so no column
        assert not re.search(r"\|\s+\|\s*$", text, re.M)
    else:
        assert "<td></td>" not in text


def test_no_shipped_document_has_an_empty_cell(documents):
    for key, text in documents.items():
        if key[2] == "md":
            assert not re.search(r"\|\s+\|\s*$", text, re.M), key
        else:
            assert "<td></td>" not in text, key


# ----------------------------------------------------------------------------------------------
# Wording that keeps what the source says


def test_a_field_read_through_a_record_is_the_records_field(documents):
    en, zh = _visible(documents[("health", "en", "md")]), _visible(documents[("health", "zh", "md")])
    assert "the policy's sum insured" in en
    assert "the benefits' annual limit" in en  # a record named in the plural
    assert "健康险保单的保额" in zh
    # `p.sum_insured` never as a bare "sum insured" inside a formula, which reads like a new value.
    assert "(100% − copay)" not in en and "is positive(sum insured)" not in en


def test_a_negation_inside_and_or_is_bracketed(documents):
    # kyc: `require not fee_set or same_currency(...)` means (not fee_set) or (...).
    assert "(not fee set) or " in documents[("kyc", "en", "md")]
    assert "(并非 fee set) 或 " in documents[("kyc", "zh", "md")]
    for key, text in documents.items():
        assert not re.search(r"(?<!\()并非 [^()`]* 或 ", text), key


def test_negation_of_a_disjunction_keeps_its_brackets():
    source = '''contract C
parties insurer
action f(a: Bool, b: Bool) by insurer:
    require not (a or b), "one"
    require not a or b, "two"
'''
    for lang, one, two in (("en", "not (a or b)", "(not a) or b"), ("zh", "并非 (a 或 b)", "(并非 a) 或 b")):
        doc = build_document(Compilation(source, "t.bao").analysis, source, lang)
        texts = ["".join(r.text for r in s.text) for s in doc.actions[0].steps]
        assert one in texts[0] and two in texts[1], texts


def test_the_banner_fits_any_contract(documents):
    for (stem, lang, fmt), text in documents.items():
        assert "供对照保单条款阅读" not in text and "policy wording" not in text, (stem, lang, fmt)
    assert "合约说明" in documents[("kyc", "zh", "html")]


def test_a_glossary_entry_does_not_repeat_its_term():
    source = NOUN_SOURCE.replace("record IdentityCheck:", '''record IdentityCheck:
    # zh: 核验结果。''') + '''action f(p: Policy, c: IdentityCheck) -> Money by insurer:
    require c.ok, "no"
    return p.sum_insured
'''
    doc = build_document(Compilation(source, "t.bao").analysis, source, "zh")
    glossary = {term: prose.text for term, prose in doc.actions[0].glossary}
    # 保额：整个… keeps what follows the term; 核验结果。 is only the term and is left out.
    assert glossary == {"保额": "整个保险期间的最高赔付。"}
