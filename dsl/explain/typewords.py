"""Types in plain words: `Map[Text, Money]` → "amount of money for each text"."""

from __future__ import annotations

import re

from dsl.explain.names import ContractNames
from dsl.explain.phrases import Phrases
from dsl.syntax import ast

_PRIMITIVES = frozenset(
    {"Int", "Decimal", "Money", "Percent", "Date", "Duration", "Timestamp", "Text", "Bool", "Hash", "Party"}
)


_BETWEEN_HAN = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def type_words(t: ast.TypeRef | None, phrases: Phrases, names: ContractNames) -> str:
    words = _type_words(t, phrases, names)
    # Chinese sets no space between two Chinese words ("按文本记录的金额"); the phrase slots
    # keep one so that a Latin name beside them stays apart ("按文本记录的 Policy").
    return _BETWEEN_HAN.sub("", words) if phrases.lang == "zh" else words


def _type_words(t: ast.TypeRef | None, phrases: Phrases, names: ContractNames) -> str:
    if t is None:
        return ""
    if t.name in _PRIMITIVES and not t.args:
        return phrases(f"t_{t.name}")
    if t.name == "List" and len(t.args) == 1:
        return phrases("t_List", elem=_type_words(t.args[0], phrases, names))
    if t.name == "Map" and len(t.args) == 2:
        return phrases("t_Map", key=_type_words(t.args[0], phrases, names),
                       value=_type_words(t.args[1], phrases, names))
    if t.name in names.records:
        return t.name
    if t.name in names.enums:
        return phrases("t_enum", name=t.name)
    return t.name  # a name the checker would reject; shown as written rather than guessed at
