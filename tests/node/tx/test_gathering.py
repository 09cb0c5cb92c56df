"""The gathering of endorsements without I/O (node.tx.gathering) and the choice of a role (node.tx.roles)."""

from __future__ import annotations

import pytest

from node.tx.endorsement import Endorsement
from node.tx.errors import EndorsementMismatch
from node.tx.gathering import Gathering, PolicyUnmet
from node.tx.policy import MAJORITY, parse_policy
from node.tx.response import Aborted, Completed, Response
from node.tx.roles import RoleChoiceError, pick_role

MEMBERS = ("Org1", "Org2", "Org3")


def endorsement(result: str = "r", aborted: bool = False) -> Endorsement:
    outcome = Aborted("no", "abort", 1) if aborted else Completed({}, {}, {}, {}, None, (), 1)
    return Endorsement(b"cert", Response(b"h", outcome), result.encode(), b"sig")


def run(gathering: Gathering, answers: dict[str, Endorsement | None]) -> list[str]:
    asked = []
    while (org := gathering.next()) is not None:
        asked.append(org)
        if answers.get(org) is None:
            gathering.unreachable(org)
        else:
            gathering.endorsed(org, f"peer0-{org.lower()}", answers[org])
    return asked


def test_the_own_organisation_first_then_the_policys_order():
    g = Gathering(parse_policy("2 of Org1, Org2, Org3"), MEMBERS, MEMBERS, own="Org3")
    assert run(g, {o: endorsement() for o in MEMBERS}) == ["Org3", "Org1"]
    assert g.gathered().nodes == ("peer0-org3", "peer0-org1")


def test_an_unreachable_organisation_is_replaced_and_the_endorsements_in_hand_kept():
    g = Gathering(parse_policy("2 of Org1, Org2, Org3"), MEMBERS, MEMBERS, own="Org1")
    assert run(g, {"Org1": endorsement(), "Org3": endorsement()}) == ["Org1", "Org2", "Org3"]
    assert g.gathered().nodes == ("peer0-org1", "peer0-org3")


def test_suspects_are_asked_last_and_a_policy_that_cannot_be_met_says_who_is_up():
    g = Gathering(MAJORITY, MEMBERS, MEMBERS, own="Org1", suspect={"Org2"})
    assert run(g, {o: endorsement() for o in MEMBERS}) == ["Org1", "Org3"]
    g = Gathering(parse_policy("all"), MEMBERS, MEMBERS, own="Org1")
    with pytest.raises(PolicyUnmet, match=r"'all' cannot be met by the organisations with a node up \(Org1, Org3\)"):
        run(g, {"Org1": endorsement(), "Org3": endorsement()})


def test_one_abort_is_enough_unless_it_is_recorded_and_different_results_do_not_mix():
    g = Gathering(MAJORITY, MEMBERS, MEMBERS, own="Org1")
    assert run(g, {o: endorsement(aborted=True) for o in MEMBERS}) == ["Org1"]
    assert isinstance(g.gathered().result, Aborted)
    g = Gathering(MAJORITY, MEMBERS, MEMBERS, own="Org1", record_abort=True)
    assert run(g, {o: endorsement(aborted=True) for o in MEMBERS}) == ["Org1", "Org2"]
    g = Gathering(MAJORITY, MEMBERS, MEMBERS, own="Org1")
    run(g, {"Org1": endorsement("a"), "Org2": endorsement("b")})
    with pytest.raises(EndorsementMismatch, match="peer0-org2 and peer0-org1 report different results"):
        g.gathered()


def test_pick_role():
    assert pick_role(("insurer",), ("hospital",)) == "insurer"  # the only one held: the contract says no
    assert pick_role(("insurer", "hospital"), ("hospital",)) == "hospital"
    assert pick_role(("insurer", "hospital"), ("bank",)) == "insurer"
    assert pick_role(("insurer", "hospital"), ("insurer", "hospital"), view=True) == "insurer"
    with pytest.raises(RoleChoiceError) as several:
        pick_role(("insurer", "hospital"), ("insurer", "hospital"))
    assert several.value.fitting == ("insurer", "hospital")
    with pytest.raises(RoleChoiceError) as none:
        pick_role((), None)
    assert none.value.fitting == ()
