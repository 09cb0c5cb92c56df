"""Types in plain words: `Map[Text, Money]` → "amount of money for each text"; a record key as its
parts: `Map[PolicyYear, Int]` → "whole number for each policy id and year (a PolicyYear)"."""

from __future__ import annotations

from dataclasses import replace

from dsl.explain.names import ContractNames, words
from dsl.explain.phrases import Phrases, close_up
from dsl.syntax import ast

_PRIMITIVES = frozenset(
    {"Int", "Decimal", "Money", "Percent", "Date", "Duration", "Timestamp", "Text", "Bool", "Hash", "Party"}
)


def type_words(t: ast.TypeRef | None, phrases: Phrases, names: ContractNames) -> str:
    return close_up(_type_words(t, phrases, names), phrases.lang)


def _key_words(t: ast.TypeRef, phrases: Phrases, names: ContractNames) -> str:
    """A map's key: a composite one as its parts, a record's by their names ("policy id and year
    (a PolicyYear)"), a tuple's by their types ("text and whole number")."""
    if t.name == ast.TUPLE_TYPE:
        return _parts([_type_words(p, phrases, names) for p in t.args], phrases)
    rec = names.records.get(t.name) if not t.args else None
    if rec is None or not rec.fields:
        return _type_words(t, phrases, names)
    return phrases("t_key_parts", parts=_parts([words(f.name.name) for f in rec.fields], phrases), name=t.name)


def _parts(parts: list[str], phrases: Phrases) -> str:
    if len(parts) == 1:
        return parts[0]
    return phrases("list_sep").join(parts[:-1]) + phrases("t_parts_last") + parts[-1]


def _type_words(t: ast.TypeRef | None, phrases: Phrases, names: ContractNames) -> str:
    if t is None:
        return ""
    if t.optional:  # `T?`: "date, may be empty"
        inner = t.args[0] if t.name == "?" else replace(t, optional=False)
        return phrases("t_optional", t=_type_words(inner, phrases, names))
    if t.name in _PRIMITIVES and not t.args:
        return phrases(f"t_{t.name}")
    if t.name == "List" and len(t.args) == 1:
        return phrases("t_List", elem=_type_words(t.args[0], phrases, names))
    if t.name == "Map" and len(t.args) == 2:
        return phrases("t_Map", key=_key_words(t.args[0], phrases, names),
                       value=_type_words(t.args[1], phrases, names))
    if t.name == ast.TUPLE_TYPE:  # a part of a tuple key
        return "(" + _parts([_type_words(p, phrases, names) for p in t.args], phrases) + ")"
    if t.name in names.records:
        return t.name
    if t.name in names.enums:
        return phrases("t_enum", name=t.name)
    return t.name  # a name the checker would reject; shown as written rather than guessed at
