"""The declarations of a contract by name, and what a reader calls them.

What a name in an expression refers to is the analysis' (`Annotations.refs`); this module only
finds a declaration from its name (a record's fields, a function to write out in place) and
words names: identifiers as a reader says them (`words`), and the nouns a formula uses for a
record and its fields (`Nouns`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dsl.explain.description import parse_description
from dsl.explain.model import Prose
from dsl.syntax import ast



def words(identifier: str) -> str:
    """An identifier as a reader says it: `sum_insured` → `sum insured` (`保单` stays `保单`)."""
    return " ".join(part for part in identifier.split("_") if part) or identifier


@dataclass(frozen=True, slots=True)
class ContractNames:
    """The declarations of a contract (and of the modules it uses), by name."""

    parties: tuple[str, ...]
    records: dict[str, ast.RecordDecl]
    enums: dict[str, ast.EnumDecl]
    state: dict[str, ast.FieldDecl]
    events: dict[str, ast.EventDecl]
    functions: dict[str, ast.FuncDecl]  # the file's own actions, views and fns
    module_functions: dict[str, ast.FuncDecl]  # fns of `use`d modules, by bare name

    @classmethod
    def of(cls, tree: ast.SourceFile, modules: tuple[ast.SourceFile, ...] = ()) -> "ContractNames":
        parties: list[str] = []
        records: dict[str, ast.RecordDecl] = {}
        enums: dict[str, ast.EnumDecl] = {}
        state: dict[str, ast.FieldDecl] = {}
        events: dict[str, ast.EventDecl] = {}
        functions: dict[str, ast.FuncDecl] = {}
        module_functions: dict[str, ast.FuncDecl] = {}
        for module in modules:
            for decl in module.decls:
                if isinstance(decl, ast.RecordDecl):
                    records.setdefault(decl.name.name, decl)
                elif isinstance(decl, ast.EnumDecl):
                    enums.setdefault(decl.name.name, decl)
                elif isinstance(decl, ast.FuncDecl):
                    module_functions.setdefault(decl.name.name, decl)
        for decl in tree.decls:
            match decl:
                case ast.Parties(names=names):
                    parties.extend(n.name for n in names)
                case ast.RecordDecl():
                    records[decl.name.name] = decl
                case ast.EnumDecl():
                    enums[decl.name.name] = decl
                case ast.StateDecl(vars=variables):
                    for var in variables:
                        state[var.name.name] = var
                case ast.EventDecl():
                    events[decl.name.name] = decl
                case ast.FuncDecl():
                    functions[decl.name.name] = decl
        return cls(tuple(parties), records, enums, state, events, functions, module_functions)

    def field(self, record: str, field: str) -> ast.FieldDecl | None:
        rec = self.records.get(record)
        return next((f for f in rec.fields if f.name.name == field), None) if rec is not None else None

    def field_enum(self, record: str, field: str) -> str | None:
        rec = self.records.get(record)
        if rec is None:
            return None
        for f in rec.fields:
            if f.name.name == field:
                return f.type.name if f.type.name in self.enums else None
        return None


@dataclass(frozen=True, slots=True)
class Nouns:
    """What a reader of one language calls a record and a field when a formula reads a field
    through a record (`p.sum_insured` → "the policy's sum insured", "健康险保单的保额").

    English takes the names as written (`PledgeablePolicy` → "pledgeable policy", `sum_insured` →
    "sum insured"). Chinese takes the opening words of the Chinese description, the way the
    contracts name what they describe (`保额：整个保险期间的最高赔付` → 保额), and of a record's
    description the head of its noun phrase (`保险公司登记的健康险保单` → 健康险保单); where that
    gives no short Chinese noun, the name as written stands (a record as in its table heading)."""

    names: ContractNames
    lang: str

    def record(self, record: str) -> str:
        decl = self.names.records.get(record)
        if self.lang == "en" or decl is None:
            return _camel_words(record)
        head = _chinese_noun(decl.doc, self.lang, head_of_phrase=True)
        return head or record

    def field(self, record: str, field: str) -> str:
        decl = self.names.field(record, field)
        if self.lang == "en" or decl is None:
            return words(field)
        return _chinese_noun(decl.doc, self.lang, head_of_phrase=False) or words(field)


# A noun longer than this is a sentence, not a name.
_MAX_NOUN = 8
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z`]")
# Leading counters and determiners: 一张/一个/一家/一位/一笔/一行/某/各/每.
_COUNTER = re.compile(r"^(?:[一每各某][张个家位笔行份项条次]?)")


def _chinese_noun(doc: tuple[str, ...], lang: str, head_of_phrase: bool) -> str:
    prose = parse_description(doc).for_reader(lang)
    if prose.fallback is not None:
        return ""
    clause = _first_clause(prose)
    if head_of_phrase:
        clause = _COUNTER.sub("", clause.rsplit("的", 1)[-1])
    if not clause or len(clause) > _MAX_NOUN or not _HAN.search(clause) or _LATIN.search(clause):
        return ""
    return clause


def _camel_words(name: str) -> str:
    """`PledgeablePolicy` → "pledgeable policy"; an acronym stays whole (`KYCCheck` → "KYC check")
    and a single letter is a prefix (`EPolicy` → "e-policy")."""
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+", name)
    text = ""
    for i, part in enumerate(parts):
        word = part if part.isupper() and len(part) > 1 else part.lower()
        text += ("" if i == 0 else "-" if len(parts[i - 1]) == 1 and parts[i - 1].isupper() else " ") + word
    return text or name


def _first_clause(prose: Prose) -> str:
    """The description's opening words up to its first stop or colon (`保额：整个保险期间…` →
    `保额`; a bracketed aside is left out), which is how the contracts name what they describe."""
    if not prose.paragraphs:
        return ""
    unbracketed = re.sub(r"（[^）]*）|\([^)]*\)", "", prose.paragraphs[0])
    return re.split(r"[：:，,。；;.!?！？\n]", unbracketed, maxsplit=1)[0].strip()
