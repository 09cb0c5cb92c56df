"""Endorsement policies: which organisations must endorse a contract's transactions.

A contract's policy is set when it is deployed. Four forms, over organisation names:

    any of A, B          at least one of A, B
    N of A, B, C         at least N of A, B, C (1 <= N <= the number named)
    all                  every member organisation of the channel
    majority             more than half of the channel's member organisations

Choices, each with its reason:
- `any of` is `1 of`: one type (`Threshold`) holds both, and `policy_text` writes `any of` for a
  count of 1, so `parse_policy(policy_text(p)) == p` for every policy, and `1 of A` reads back
  as `any of A`.
- A threshold's organisations are kept sorted (by code point) and unique: a policy has one
  value, one text and one encoding whatever order it was written in. A name written twice is
  an error, not merged, since it is usually a typo for another name.
- Organisation names follow the project's one name rule (`node.identity.names.check_name`);
  names may hold single spaces (``Ruijin Hospital``) but never a comma, so the comma separates
  them. The parser normalises a name to NFC as `check_name` does; the encoded form accepts only
  NFC. Keywords are lowercase.
- `all` and `majority` are relative to the members at validation time, so a policy keeps its
  meaning when the channel grows. Only members count: an endorsement from an organisation that
  has left the channel counts for nothing, and a threshold whose named members have left is
  no longer met. A channel with no members satisfies no policy.
- `all` takes no list: `all of A, B` is refused with a hint to write `2 of A, B`, because
  "all" would otherwise mean two different things.

Encoded form (inside a deploy proposal, and wherever the ledger stores a contract's policy):
``["all"]``, ``["majority"]`` or ``["of", N, [org, ...]]`` with the organisations sorted.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from node.identity.names import ClaimError, check_name
from node.tx import limits as L
from node.tx import wire
from node.tx.errors import TxFormatError


class PolicyError(ValueError):
    """A policy text (or value) that is not a policy; ``column`` (1-based, in characters) points
    at the problem in the text, None for a value built in code."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message if column is None else f"column {column}: {message}")
        self.message = message
        self.column = column


@dataclass(frozen=True, slots=True)
class Threshold:
    """At least ``count`` endorsements from the organisations ``orgs`` (sorted, unique)."""

    count: int
    orgs: tuple[str, ...]

    def __post_init__(self) -> None:
        if type(self.count) is not int or not isinstance(self.orgs, tuple):
            raise PolicyError("a threshold is a count (int) and a tuple of organisation names")
        if not self.orgs:
            raise PolicyError("a threshold names at least one organisation")
        if len(self.orgs) > L.POLICY_ORGS_MAX:
            raise PolicyError(f"a policy names at most {L.POLICY_ORGS_MAX} organisations, not {len(self.orgs)}")
        if not 1 <= self.count <= len(self.orgs):
            raise PolicyError(f"{self.count} of {len(self.orgs)} organisations can never be met" if self.count > 0
                              else "the count must be at least 1")
        for org in self.orgs:
            if type(org) is not str:
                raise PolicyError(f"an organisation name is text, not {type(org).__name__}")
            try:
                normal = check_name("organisation", org)
            except ClaimError as exc:
                raise PolicyError(str(exc)) from None
            if normal != org:
                raise PolicyError(f"organisation {org!r} is not in Unicode NFC form (write it as {normal!r})")
        if any(a >= b for a, b in zip(self.orgs, self.orgs[1:])):
            raise PolicyError("a threshold's organisations must be sorted and unique (use threshold() to sort them)")


@dataclass(frozen=True, slots=True)
class AllMembers:
    """Every member organisation of the channel."""


@dataclass(frozen=True, slots=True)
class Majority:
    """More than half of the channel's member organisations."""


Policy: TypeAlias = Threshold | AllMembers | Majority
ALL = AllMembers()
MAJORITY = Majority()


def threshold(count: int, orgs: Iterable[str]) -> Threshold:
    """``count of orgs`` with the names sorted; a name given twice is refused."""
    names = list(orgs)
    seen: set[str] = set()
    for org in names:
        if org in seen:
            raise PolicyError(f"{org!r} is named twice")
        seen.add(org)
    return Threshold(count, tuple(sorted(names)))


def any_of(*orgs: str) -> Threshold:
    return threshold(1, orgs)


# --- text

_KEYWORDS = ("any", "all", "majority")
# Only the plain space and the tab separate words: a name holds no other space (check_name).
_WORD = re.compile(r"[^ \t,]+")
_SPACE = re.compile(r"[ \t]*")


def _skip_space(source: str, pos: int) -> int:
    """Where the spaces and tabs from ``pos`` end (`_SPACE` matches everywhere, if only the empty text)."""
    m = _SPACE.match(source, pos)
    return pos if m is None else m.end()
_HINT = "write 'any of A, B', 'N of A, B, C', 'all' or 'majority'"


def policy_text(policy: Policy) -> str:
    """The canonical text: ``any of A, B``, ``2 of A, B, C``, ``all``, ``majority``."""
    match policy:
        case Threshold(count, orgs):
            return f"{'any' if count == 1 else count} of {', '.join(orgs)}"
        case AllMembers():
            return "all"
        case Majority():
            return "majority"
    raise TypeError(f"not a policy: {policy!r}")


def parse_policy(source: str) -> Policy:
    """The policy `source` writes; `PolicyError` with the column of the first problem."""
    if not isinstance(source, str):
        raise PolicyError(f"a policy is text, not {type(source).__name__}")
    pos = _skip_space(source, 0)
    first = _WORD.match(source, pos)
    if first is None:
        raise PolicyError(f"empty policy: {_HINT}", pos + 1)
    word = first[0]
    after = _skip_space(source, first.end())
    if word in ("all", "majority"):
        if after < len(source):
            of = _WORD.match(source, after)
            if of is not None and of[0] == "of":
                hint = _list_hint(word, source, of.end())
                raise PolicyError(f"'{word}' takes no list: it counts the channel's members; {hint}", after + 1)
            raise PolicyError(f"unexpected text after '{word}'", after + 1)
        return ALL if word == "all" else MAJORITY
    if word == "any":
        count = 1
    elif re.fullmatch(r"[0-9]+", word):
        if len(word.lstrip("0")) > 3:
            raise PolicyError(f"{word} is far more organisations than a policy may name ({L.POLICY_ORGS_MAX})", pos + 1)
        count = int(word)
        if count == 0:
            raise PolicyError("the count must be at least 1", pos + 1)
    else:
        hint = " (keywords are lowercase)" if word.lower() in _KEYWORDS else ""
        raise PolicyError(f"expected 'any', a count, 'all' or 'majority', found {word!r}{hint}: {_HINT}", pos + 1)
    of = _WORD.match(source, after)
    if of is None or of[0] != "of":
        found = "the end" if after >= len(source) else repr(of[0] if of else source[after])
        raise PolicyError(f"expected 'of' after '{word}', found {found}", after + 1)
    orgs = _parse_orgs(source, of.end())
    if count > len(orgs):
        raise PolicyError(f"{count} of {len(orgs)} organisation{'s' * (len(orgs) != 1)} can never be met", pos + 1)
    return Threshold(count, tuple(sorted(orgs)))


def _list_hint(word: str, source: str, pos: int) -> str:
    what = "every one" if word == "all" else "more than half"
    try:
        orgs = _parse_orgs(source, pos)
    except PolicyError:
        return f"to require {what} of some organisations, write 'N of A, B, C'"
    count = len(orgs) if word == "all" else len(orgs) // 2 + 1
    return f"to require {what} of these, write '{policy_text(Threshold(count, tuple(sorted(orgs))))}'"


def _parse_orgs(source: str, pos: int) -> list[str]:
    if pos < len(source) and not source[pos].isspace():
        raise PolicyError("expected a space after 'of'", pos + 1)
    orgs: list[str] = []
    columns: dict[str, int] = {}
    start = pos
    while True:
        end = source.find(",", start)
        piece_end = len(source) if end < 0 else end
        lead = _skip_space(source, start)
        piece = source[lead:piece_end].rstrip(" \t")
        column = lead + 1
        if not piece:
            raise PolicyError("expected an organisation name" + (" after 'of'" if not orgs else ""), column)
        try:
            org = check_name("organisation", piece)
        except ClaimError as exc:
            raise PolicyError(str(exc), column) from None
        if org in columns:
            raise PolicyError(f"{org!r} is named twice (first at column {columns[org]})", column)
        if len(orgs) == L.POLICY_ORGS_MAX:
            raise PolicyError(f"a policy names at most {L.POLICY_ORGS_MAX} organisations", column)
        columns[org] = column
        orgs.append(org)
        if end < 0:
            return orgs
        start = end + 1


# --- encoded form

def policy_to_wire(policy: Policy) -> list[Any]:
    match policy:
        case Threshold(count, orgs):
            return ["of", count, list(orgs)]
        case AllMembers():
            return ["all"]
        case Majority():
            return ["majority"]
    raise TypeError(f"not a policy: {policy!r}")


def policy_from_wire(value: object, where: str = "policy") -> Policy:
    """The policy a decoded codec value encodes; `TxFormatError` naming `where` otherwise."""
    items = wire.array(value, where, 3)
    if items == ["all"]:
        return ALL
    if items == ["majority"]:
        return MAJORITY
    if len(items) != 3 or items[0] != "of":
        raise TxFormatError(where, "expected [\"all\"], [\"majority\"] or [\"of\", count, [organisations]]")
    count = wire.counter(items[1], f"{where}[1]", 1, L.POLICY_ORGS_MAX)
    orgs = wire.array(items[2], f"{where}[2]", L.POLICY_ORGS_MAX)
    for i, org in enumerate(orgs):
        wire.name(org, f"{where}[2][{i}]", "organisation")
    try:
        return Threshold(count, tuple(orgs))
    except PolicyError as exc:
        raise TxFormatError(where, exc.message) from None


def encode_policy(policy: Policy) -> bytes:
    return wire.encode(policy_to_wire(policy), "policy", 64 * 1024)


def decode_policy(data: bytes) -> Policy:
    return policy_from_wire(wire.decode(data, "policy", 64 * 1024))


# --- evaluation

def eligible_orgs(policy: Policy, members: Sequence[str]) -> tuple[str, ...]:
    """The organisations whose endorsements count under `policy` on a channel of `members`."""
    if isinstance(policy, Threshold):
        present = set(members)
        return tuple(org for org in policy.orgs if org in present)
    return tuple(dict.fromkeys(members))


def required_count(policy: Policy, members: Sequence[str]) -> int:
    """How many of the eligible organisations must endorse (0: the policy cannot be met)."""
    match policy:
        case Threshold(count, _):
            return count
        case AllMembers():
            return len(set(members))
        case Majority():
            return len(set(members)) // 2 + 1 if members else 0
    raise TypeError(f"not a policy: {policy!r}")


def satisfied(policy: Policy, endorsing_orgs: Collection[str], channel_members: Sequence[str]) -> bool:
    """Whether endorsements from `endorsing_orgs` meet `policy` on a channel of `channel_members`."""
    need = required_count(policy, channel_members)
    if need == 0:
        return False
    endorsing = set(endorsing_orgs)
    return sum(1 for org in eligible_orgs(policy, channel_members) if org in endorsing) >= need


def choose(
    policy: Policy, members: Sequence[str], available: Collection[str], prefer: Sequence[str] = ()
) -> list[str] | None:
    """The fewest organisations a client asks for endorsements so that `policy` is met, taken
    from the `available` ones (nodes that are up), those in `prefer` first (its own organisation,
    the fastest to answer), then in the policy's order; None when the available ones cannot meet
    it. A client that loses one of them asks `choose` again without it."""
    need = required_count(policy, members)
    up = set(available)
    candidates = [org for org in eligible_orgs(policy, members) if org in up]
    if need == 0 or len(candidates) < need:
        return None
    eligible = set(candidates)
    first = [org for org in dict.fromkeys(prefer) if org in eligible]
    rest = [org for org in candidates if org not in set(first)]
    return (first + rest)[:need]
