"""The node's side of a one-request invoke (`node.api.calls`): gather the endorsements a contract's
policy needs from this node and its peers, hand the envelope to ordering, and await its commit.

Endorsements are gathered by the client library's own logic (`node.tx.gathering.Gathering`):
the fewest organisations that meet the policy, this node's organisation first, then the
policy's order; an organisation none of whose nodes answers is dropped and another asked. The
nodes of an organisation are tried in order: this node for its own, then the peers with a live
link, then the others; an organisation whose every node is a peer without a link is asked only
when the others cannot meet the policy (`suspect`). Each node is asked through
`NodeRuntime.endorse_at`: this node's channel, or a peer's API signed with this node's identity
(`node.api.remote`). Every endorsement's signature is checked against the proposal before it
counts, as the client library checks the ones it gets.

A refusal of the proposal by an endorser (wrong arguments, an unknown entry, a role not held) is
the caller's mistake: it is answered at once with the endorser's code and message. A node that
says the channel is not its own (``unknown-channel``, ``forbidden``, ``not-endorser``) is
passed over like one that cannot be reached. When the organisations left cannot meet the
policy the answer is 503 ``unavailable``, naming each node tried and why.

When the node signs (a user's session), a transaction that commits with a retryable code
(MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT, EXPIRED) is run again from a fresh proposal and
simulation, at most `RETRIES` times, as the client library does; endorsers that disagree (one
behind) are retried the same way. A proposal the client signed cannot be made afresh by the
node, so it is endorsed once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from node.api.errors import ApiError, refusal, refused_proposal
from node.api.runtime import EndorserUnavailable, NodeRuntime, SubmitRefused
from node.chain.channel import Channel
from node.chain.endorser import ProposalRefused
from node.chain.store import TxLocation
from node.crypto.suite import PrivateKey
from node.tx.clock import now_ms
from node.tx.endorsement import Endorsement, decode_endorsement, verify_endorsement
from node.tx.envelope import sign_envelope
from node.tx.errors import EndorsementMismatch, SignatureError, TxFormatError
from node.tx.gathering import Gathered, Gathering, PolicyUnmet
from node.tx.policy import Policy
from node.tx.proposal import decode_signed_proposal, tx_id
from node.tx.response import Aborted

RETRIES = 3
NOT_HERE = frozenset({"unknown-channel", "forbidden", "not-endorser"})


@dataclass(frozen=True, slots=True)
class Endorsed:
    """A proposal's endorsements, gathered: what an envelope takes, and their bytes as the nodes sent them."""

    signed_proposal: bytes
    tx_id: bytes
    gathered: Gathered
    raw: tuple[bytes, ...]  # each endorsement's bytes, in the gathered order


@dataclass(frozen=True, slots=True)
class Invoked:
    """An endorsed call handed to ordering: where it committed (None: not waited for, or not yet)."""

    endorsed: Endorsed
    location: TxLocation | None


def endorsers(runtime: NodeRuntime, channel: Channel) -> tuple[dict[str, list[str]], set[str]]:
    """By member organisation, the nodes to ask in order; and the organisations whose every node
    is a peer without a live link (asked last)."""
    members = set(channel.config.members)
    by_org: dict[str, list[str]] = {}
    linked: set[str] = set()
    if runtime.org in members:
        by_org[runtime.org] = [runtime.name]
        linked.add(runtime.org)
    for peer in sorted(runtime.peers(), key=lambda p: not p.connected):
        if peer.org in members:
            by_org.setdefault(peer.org, []).append(peer.name)
            if peer.connected:
                linked.add(peer.org)
    return by_org, set(by_org) - linked


async def gather(runtime: NodeRuntime, name: str, channel: Channel, signed_proposal: bytes, policy: Policy) \
        -> Endorsed:
    """The endorsements of ``signed_proposal`` that meet ``policy`` (see the module docstring)."""
    suite = channel.suite
    signed = decode_signed_proposal(signed_proposal)
    digest = suite.hash(signed.body)
    by_org, suspect = endorsers(runtime, channel)
    gathering = Gathering(policy, channel.config.members, by_org, own=runtime.org, suspect=suspect)
    failures: dict[str, str] = {}
    raw: dict[str, bytes] = {}
    while True:
        try:
            org = gathering.next()
        except PolicyUnmet as exc:
            tried = "; ".join(f"{node}: {why}" for node, why in failures.items())
            raise ApiError(503, "unavailable", f"{exc}{': ' + tried if tried else ''}") from None
        if org is None:
            break
        for node in by_org[org]:
            found = await _endorsement(runtime, name, node, signed_proposal, digest, failures)
            if found is not None:
                raw[node] = found[0]
                gathering.endorsed(org, node, found[1])
                break
        else:
            gathering.unreachable(org)
    gathered = gathering.gathered()
    return Endorsed(signed_proposal, tx_id(suite, signed.proposal), gathered, tuple(raw[n] for n in gathered.nodes))


async def _endorsement(runtime: NodeRuntime, name: str, node: str, body: bytes, digest: bytes,
                       failures: dict[str, str]) -> tuple[bytes, Endorsement] | None:
    """``node``'s checked endorsement (its bytes, and decoded), or None noting in ``failures`` why not."""
    try:
        data = await runtime.endorse_at(name, node, body)
    except EndorserUnavailable as exc:
        failures[node] = exc.reason
        return None
    except ProposalRefused as exc:
        if exc.reason in NOT_HERE:
            failures[node] = f"{exc.reason}: {exc.message}"
            return None
        raise refused_proposal(exc) from None
    try:
        endorsement = decode_endorsement(data)
        if node != runtime.name:  # this node's own endorsement, made in this process, needs no check
            verify_endorsement(runtime.channels()[name].suite, endorsement, proposal_hash=digest)
    except (TxFormatError, SignatureError) as exc:
        failures[node] = f"sent an endorsement that does not check: {exc}"
        return None
    return data, endorsement


async def hand_over(runtime: NodeRuntime, name: str, envelope: bytes, tx: bytes, wait_s: float) -> TxLocation | None:
    """Submit ``envelope`` (admitted already) unless it is pending or recorded, and await its
    commit for at most ``wait_s`` (0: not at all)."""
    channel = runtime.channels()[name]
    if channel.transaction(tx) is None and not runtime.pending(name, tx):
        channel.activity.received(tx, now_ms())  # before: an in-process orderer commits within submit
        try:
            await runtime.submit(name, envelope)
        except SubmitRefused as exc:
            raise refusal(exc.reason, exc.message) from None
    if wait_s <= 0:
        return channel.transaction(tx)
    return await runtime.wait_for_tx(name, tx, wait_s)


async def invoke_signed_by(runtime: NodeRuntime, name: str, make: Callable[[], bytes], key: PrivateKey,
                           policy: Callable[[], Policy], wait_s: float) -> Invoked:
    """Endorse a fresh signed proposal from ``make``, sign the envelope with ``key`` (the
    proposal's creator's), submit it and await the commit, retrying retryable outcomes."""
    channel = runtime.channels()[name]
    for attempt in range(RETRIES + 1):
        last = attempt == RETRIES
        try:
            endorsed = await gather(runtime, name, channel, make(), policy())
        except EndorsementMismatch as exc:
            if last:
                raise ApiError(503, "endorsement-mismatch", f"{exc}; try again") from None
            continue
        result = endorsed.gathered.result
        if isinstance(result, Aborted):
            raise refusal("contract-abort", result.message)
        envelope = sign_envelope(channel.suite, key, decode_signed_proposal(endorsed.signed_proposal),
                                 list(endorsed.gathered.endorsements))
        # Not `admit_envelope`: this node built the envelope from a proposal it signed just now for a
        # session the gate admitted, over endorsements `gather` checked, so each of admission's
        # checks holds by construction and its three signature checks would be spent for nothing
        # (the validator checks everything again, as for any envelope).
        tx = endorsed.tx_id
        location = await hand_over(runtime, name, envelope, tx, wait_s)
        if location is not None and location.code.retryable and not last:
            continue
        return Invoked(endorsed, location)
    raise AssertionError("unreachable")
