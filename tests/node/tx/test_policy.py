"""Endorsement policies: text and encoded forms, precise parse errors, and evaluation checked
against a brute-force reading of the four forms."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.tx import TxFormatError
from node.tx.policy import (
    ALL,
    MAJORITY,
    AllMembers,
    Majority,
    PolicyError,
    Threshold,
    any_of,
    choose,
    decode_policy,
    encode_policy,
    parse_policy,
    policy_from_wire,
    policy_text,
    policy_to_wire,
    required_count,
    satisfied,
    threshold,
)

ORG_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,8}( [A-Za-z0-9][A-Za-z0-9_-]{0,4})?", fullmatch=True) \
    | st.sampled_from(["中国人寿", "Ruijin Hospital", "Org1", "org.picc", "Zürich Re"])


@st.composite
def policies(draw, names=ORG_NAMES):
    form = draw(st.sampled_from(["threshold", "all", "majority"]))
    if form == "all":
        return ALL
    if form == "majority":
        return MAJORITY
    orgs = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    return threshold(draw(st.integers(1, len(orgs))), orgs)


@given(policies())
def test_text_round_trip(policy) -> None:
    assert parse_policy(policy_text(policy)) == policy
    assert policy_from_wire(policy_to_wire(policy)) == policy
    assert decode_policy(encode_policy(policy)) == policy


@given(policies(), st.randoms(use_true_random=False), st.sampled_from([",", ", ", " ,", " , ", ",\t"]))
def test_order_and_spacing_do_not_matter(policy, rng, comma) -> None:
    if not isinstance(policy, Threshold):
        return
    orgs = list(policy.orgs)
    rng.shuffle(orgs)
    count = "any" if policy.count == 1 else str(policy.count)
    assert parse_policy(f"  {count}   of\t{comma.join(orgs)}  ") == policy


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("any of A,B", Threshold(1, ("A", "B"))),
        ("1 of B, A", Threshold(1, ("A", "B"))),
        ("2 of C,A,B", Threshold(2, ("A", "B", "C"))),
        ("3 of A, B, C", Threshold(3, ("A", "B", "C"))),
        ("all", AllMembers()),
        (" majority ", Majority()),
        ("any of Ruijin Hospital,PICC", Threshold(1, ("PICC", "Ruijin Hospital"))),
        ("any of all, majority", Threshold(1, ("all", "majority"))),
        ("any of Cafe\u0301", Threshold(1, ("Caf\u00e9",))),  # normalised to NFC, as check_name does
    ],
)
def test_parse(text: str, policy) -> None:
    assert parse_policy(text) == policy


def test_canonical_text() -> None:
    assert policy_text(parse_policy("1 of B,A")) == "any of A, B"
    assert policy_text(parse_policy("2 of  C ,A,B")) == "2 of A, B, C"
    assert policy_text(ALL) == "all" and policy_text(MAJORITY) == "majority"


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("", 1, "empty policy"),
        ("   ", 4, "empty policy"),
        ("ANY of A", 1, "keywords are lowercase"),
        ("some of A", 1, "expected 'any', a count"),
        ("any A,B", 5, "expected 'of' after 'any', found 'A'"),
        ("any", 4, "expected 'of' after 'any', found the end"),
        ("2,A", 2, "expected 'of' after '2', found ','"),
        ("any of", 7, "expected an organisation name after 'of'"),
        ("any of ", 8, "expected an organisation name after 'of'"),
        ("any of,A", 7, "expected a space after 'of'"),
        ("any of A,,B", 10, "expected an organisation name"),
        ("any of A,", 10, "expected an organisation name"),
        ("any of A, B,  A", 15, "'A' is named twice (first at column 8)"),
        ("0 of A", 1, "at least 1"),
        ("3 of A, B", 1, "3 of 2 organisations can never be met"),
        ("99999 of A", 1, "far more organisations"),
        ("all of A, B", 5, "'all' takes no list"),
        ("majority of A", 10, "'majority' takes no list"),
        ("all A", 5, "unexpected text after 'all'"),
        ("any of A, B/C", 11, "separates folders"),
        ("any of A, -B", 11, "must start with a letter or a digit"),
        ("any of A,  B  C", 12, "two spaces in a row"),
    ],
)
def test_parse_errors_name_the_column(text: str, column: int, words: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    assert info.value.column == column, str(info.value)
    assert words in info.value.message
    assert str(info.value).startswith(f"column {column}: ")


def test_too_many_organisations() -> None:
    names = [f"O{i}" for i in range(65)]
    with pytest.raises(PolicyError) as info:
        parse_policy("any of " + ",".join(names))
    assert "at most 64" in info.value.message
    assert info.value.column == len("any of " + ",".join(names[:64])) + 2


def test_values_built_in_code_are_checked() -> None:
    for bad in [lambda: Threshold(1, ("B", "A")), lambda: Threshold(0, ("A",)), lambda: Threshold(2, ("A",)),
                lambda: Threshold(1, ()), lambda: Threshold(1, ("A", "A")), lambda: Threshold(1, ("a/b",)),
                lambda: threshold(1, ["A", "A"]), lambda: Threshold(1, ["A"])]:  # type: ignore[arg-type]
        with pytest.raises(PolicyError):
            bad()
    assert any_of("B", "A") == Threshold(1, ("A", "B"))


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (["all", 1], "policy"),
        (["any", ["A"]], "policy"),
        ([], "policy"),
        ("all", "policy"),
        (["of", 1, ["B", "A"]], "policy"),
        (["of", 1, ["A", "A"]], "policy"),
        (["of", 0, ["A"]], "policy[1]"),
        (["of", True, ["A"]], "policy[1]"),
        (["of", 2, ["A"]], "policy"),
        (["of", 1, []], "policy"),
        (["of", 1, ["Cafe\u0301"]], "policy[2][0]"),
        (["of", 1, [b"A"]], "policy[2][0]"),
        (["of", 1, "A"], "policy[2]"),
    ],
)
def test_encoded_form_refusals(value, where: str) -> None:
    with pytest.raises(TxFormatError) as info:
        policy_from_wire(value)
    assert info.value.field == where


# --- evaluation against a brute-force reading

UNIVERSE = ["A", "B", "C", "D", "E"]
subsets = st.sets(st.sampled_from(UNIVERSE))


def reference(policy, endorsing: set[str], members: set[str]) -> bool:
    if isinstance(policy, Threshold):
        return len(endorsing & set(policy.orgs) & members) >= policy.count
    if isinstance(policy, AllMembers):
        return bool(members) and members <= endorsing
    return bool(members) and 2 * len(endorsing & members) > len(members)


@given(policies(st.sampled_from(UNIVERSE)), subsets, subsets)
@settings(max_examples=300)
def test_satisfied_matches_the_reference(policy, endorsing, members) -> None:
    ordered = tuple(sorted(members))
    assert satisfied(policy, endorsing, ordered) == reference(policy, endorsing, members)


@given(policies(st.sampled_from(UNIVERSE)), subsets, subsets, st.lists(st.sampled_from(UNIVERSE), max_size=3))
@settings(max_examples=300)
def test_choose_is_minimal_and_sufficient(policy, members, available, prefer) -> None:
    members_t = tuple(sorted(members))
    chosen = choose(policy, members_t, available, prefer)
    possible = [set(c) for n in range(len(available) + 1) for c in combinations(sorted(available), n)
                if reference(policy, set(c), members)]
    if chosen is None:
        assert not possible
        return
    assert possible
    assert len(set(chosen)) == len(chosen) == min(len(c) for c in possible) == required_count(policy, members_t)
    assert set(chosen) <= available and reference(policy, set(chosen), members)
    preferred = [o for o in dict.fromkeys(prefer) if o in members and o in available
                 and (not isinstance(policy, Threshold) or o in policy.orgs)]
    assert chosen[: len(preferred)] == preferred[: len(chosen)]


def test_examples() -> None:
    members = ("A", "B", "C", "D")
    two_of = parse_policy("2 of A, B, C")
    assert not satisfied(two_of, {"A", "D"}, members)
    assert satisfied(two_of, {"A", "C"}, members)
    assert not satisfied(two_of, {"A", "C"}, ("A", "B"))  # C has left the channel: it counts for nothing
    assert satisfied(MAJORITY, {"A", "B", "C"}, members) and not satisfied(MAJORITY, {"A", "B"}, members)
    assert satisfied(ALL, set(members), members) and not satisfied(ALL, {"A", "B", "C"}, members)
    assert not satisfied(ALL, set(), ()) and not satisfied(MAJORITY, {"A"}, ())
    assert choose(two_of, members, {"B", "C", "D"}) == ["B", "C"]
    assert choose(two_of, members, {"B", "C"}, prefer=["C"]) == ["C", "B"]
    assert choose(two_of, members, {"A", "D"}) is None
    assert choose(MAJORITY, members, {"A", "B", "C", "D"}, prefer=["D"]) == ["D", "A", "B"]
