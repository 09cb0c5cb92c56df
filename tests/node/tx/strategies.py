"""Hypothesis strategies for transaction messages (names, section-7 values, proposals, results)."""

from __future__ import annotations

from hypothesis import strategies as st

from node.tx.approval import Approval
from node.tx.policy import ALL, MAJORITY, threshold
from node.tx.proposal import Deploy, Invoke, Proposal
from node.tx.response import Aborted, Completed, EmittedEvent, Response, ScanRecord, StateDelta, Version
from vm.errors import ABORT_KINDS

names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,10}", fullmatch=True) | st.sampled_from(
    ["中国人寿", "Ruijin Hospital", "health", "v1.2.0", "Zürich Re"])
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True) | st.sampled_from(["保单", "sum_insured"])
roles = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
json_values = st.recursive(
    st.booleans() | st.integers(-(2**255), 2**255) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
policies = st.sampled_from([ALL, MAJORITY]) | st.lists(names, min_size=1, max_size=4, unique=True).flatmap(
    lambda orgs: st.integers(1, len(orgs)).map(lambda n: threshold(n, orgs)))
approvals = st.lists(st.builds(Approval, st.binary(min_size=1, max_size=40), st.binary(min_size=8, max_size=72)),
                     max_size=3).map(tuple)
actions = st.builds(Invoke, identifiers) | st.builds(
    Deploy, names, policies, st.text(max_size=40)) | st.builds(
    lambda v, p, m, a: Deploy(v, p, module=m, approvals=a), names, policies, st.binary(min_size=1, max_size=40),
    approvals)


def proposals(creator: st.SearchStrategy[bytes] = st.binary(min_size=1, max_size=64)) -> st.SearchStrategy[Proposal]:
    return st.builds(
        Proposal, names, names, actions, st.lists(json_values, max_size=4).map(tuple),
        st.binary(min_size=16, max_size=32), st.integers(0, 253_402_300_799_999), creator, roles)


keys = st.binary(min_size=1, max_size=12)
versions = st.builds(Version, st.integers(0, 2**63 - 1), st.integers(0, 2**20))
digests = st.binary(min_size=32, max_size=32)
deltas = st.sampled_from([StateDelta("Int", b"\x02"), StateDelta("Money", b"\x03CNY\x90\x4e"),
                          StateDelta("Decimal", b"\x01")])


@st.composite
def completed(draw) -> Completed:
    reads = draw(st.dictionaries(keys, st.none() | versions, max_size=5))
    writes = draw(st.dictionaries(keys, st.none() | st.binary(max_size=16), max_size=5))
    added = draw(st.dictionaries(keys, deltas, max_size=3))
    added = {k: v for k, v in added.items() if k not in reads and k not in writes}
    scans = draw(st.dictionaries(keys, st.builds(ScanRecord, st.integers(0, 100), digests), max_size=3))
    events = draw(st.lists(st.builds(EmittedEvent, identifiers, st.dictionaries(st.text(max_size=6), json_values,
                                                                                max_size=3)), max_size=3))
    value = draw(st.none() | json_values)
    return Completed(reads, writes, added, scans, value, tuple(events), draw(st.integers(0, 2**63 - 1)))


results = completed() | st.builds(Aborted, st.text(max_size=30), st.sampled_from(sorted(ABORT_KINDS)),
                                  st.integers(0, 10**9))
responses = st.builds(Response, digests, results)


# Any value the codec holds, for replacing a field of a well-formed message.
codec_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8) | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | st.binary(max_size=4), inner,
                                                                max_size=3),
    max_leaves=8,
)


@st.composite
def damaged(draw, wire: dict) -> dict:
    """`wire` with one field, at any depth, replaced by an arbitrary codec value (or removed)."""
    def walk(value):
        if isinstance(value, dict) and value and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(value, key=repr)))
            out = dict(value)
            if draw(st.integers(0, 9)) == 0:
                del out[key]
            else:
                out[key] = walk(value[key])
            return out
        if isinstance(value, list) and value and draw(st.booleans()):
            i = draw(st.integers(0, len(value) - 1))
            return value[:i] + [walk(value[i])] + value[i + 1:]
        return draw(codec_values)
    return walk(wire)
