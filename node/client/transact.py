"""A transaction's way, as the client walks it: sign a proposal, gather the endorsements the
policy needs, sign the envelope, submit it, await the commit, and try again when that is worth it.

Endorsements: a `node.tx.gathering.Gathering` (shared with the node's one-request invoke) picks
the fewest organisations that meet the policy among those with a node up, the caller's own
first. Each is asked through its nodes; one that cannot be reached is dropped and the gathering
asks again without it, keeping the endorsements already in hand, so a 2-of-3 policy is met by
the two that answer. A refusal of the proposal itself (wrong
arguments, an unknown entry, a role not held) is final and raised at once; an abort is the
contract's answer, raised as `ContractAborted` without ordering anything unless the caller asks
to record it on the ledger (``record_abort``: it then commits as CONTRACT_ABORT, changing nothing).

Every endorsement's signature is checked and all must report one result; endorsers that saw
different state (one lagging) make the attempt fail with `EndorsementMismatch`, which is retried.

Retries: a transaction that commits with a retryable code (MVCC_READ_CONFLICT,
PHANTOM_READ_CONFLICT, EXPIRED: another transaction or time came first) is run again from a
fresh proposal and simulation, at most ``gateway.retries`` times; any other code raises
`TransactionFailed` with the code and the node's message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.client.errors import (
    ClientError,
    ContractAborted,
    EndorsementMismatch,
    NodesUnavailable,
    RoleError,
    TransactionFailed,
)
from node.client.link import NodeDown
from node.client.results import Committed, Endorsed
from node.tx import errors as tx_errors
from node.tx.approval import Approval
from node.tx.codes import ValidationCode
from node.tx.endorsement import Endorsement, decode_endorsement, verify_endorsement
from node.tx.envelope import sign_envelope
from node.tx.gathering import Gathering, PolicyUnmet
from node.tx.policy import Policy, PolicyError, parse_policy
from node.tx.proposal import Proposal, build_deploy, decode_signed_proposal, sign_proposal, tx_id
from node.tx.response import Aborted, Completed
from node.tx.roles import RoleChoiceError, pick_role

if TYPE_CHECKING:
    from node.client.session import ChannelSession as Network

ProposalMaker = Callable[[], Proposal]


def signed(network: Network, proposal: Proposal) -> bytes:
    return sign_proposal(network.gateway.suite, network.identity.key, proposal)


def endorse(network: Network, proposal: Proposal, policy: Policy, *, record_abort: bool = False) -> Endorsed:
    """Gather endorsements of ``proposal`` meeting ``policy`` (see the module docstring); for an
    abort one is enough, unless it is to be recorded (the policy applies to recorded aborts too)."""
    gateway = network.gateway
    body = signed(network, proposal)
    digest = gateway.suite.hash(decode_signed_proposal(body).body)
    by_org: dict[str, list[Any]] = {}
    for node in network.nodes():
        by_org.setdefault(node.org, []).append(node)
    failures: dict[str, str] = {}
    # Organisations whose every node failed lately are asked only when the others cannot meet the policy.
    suspect = {org for org, nodes in by_org.items() if all(gateway.is_down(n.name) for n in nodes)}
    gathering = Gathering(policy, network.members, by_org, own=network.identity.org, suspect=suspect,
                          record_abort=record_abort)
    while True:
        try:
            org = gathering.next()
        except PolicyUnmet as exc:
            raise NodesUnavailable(str(exc), failures) from None
        if org is None:
            break
        try:
            (node_name, endorsement) = _endorse_at(network, by_org[org], body, digest)
        except NodesUnavailable as exc:
            gathering.unreachable(org)
            failures.update(exc.failures)
            continue
        gathering.endorsed(org, node_name, endorsement)
    try:
        gathered = gathering.gathered()
    except tx_errors.EndorsementMismatch as exc:
        raise EndorsementMismatch(str(exc)) from None
    result = gathered.result
    sp = decode_signed_proposal(body)
    ident = tx_id(gateway.suite, sp.proposal).hex()
    if isinstance(result, Aborted):
        return Endorsed(ident, sp, gathered.endorsements, gathered.nodes, None, [], aborted=result.message)
    assert isinstance(result, Completed)
    events = [{"event": e.name, "fields": e.fields} for e in result.events]
    return Endorsed(ident, sp, gathered.endorsements, gathered.nodes, result.value, events)


def _endorse_at(network: Network, nodes: Sequence[Any], body: bytes, digest: bytes) -> tuple[str, Endorsement]:
    def ask(link: Any) -> Endorsement:
        answer = link.call("POST", network.path("/endorse"), body=body, min_height=network.seen_height)
        try:
            endorsement = decode_endorsement(answer.content)
            verify_endorsement(network.gateway.suite, endorsement, proposal_hash=digest)
        except (tx_errors.TxFormatError, tx_errors.SignatureError) as exc:
            raise NodeDown(link.name, f"sent an endorsement that does not check: {exc}") from None
        return endorsement

    endorsement, node = network.gateway.first(nodes, ask, "endorse")
    return node.name, endorsement


def envelope_of(network: Network, endorsed: Endorsed) -> bytes:
    return sign_envelope(network.gateway.suite, network.identity.key, endorsed.proposal, list(endorsed.endorsements))


def commit(network: Network, endorsed: Endorsed, timeout_s: float | None = None) -> Committed:
    """Submit an endorsed proposal, wait for its commit; `TransactionFailed` unless VALID."""
    tx, node = network.submit_envelope(envelope_of(network, endorsed))
    status = network.wait(tx, timeout_s, prefer=node)
    assert status.code is not None and status.block is not None and status.index is not None
    if status.code is not ValidationCode.VALID:
        raise TransactionFailed(status)
    return Committed(tx, status.code.name, status.block, status.index, endorsed.result, endorsed.events)


def run(network: Network, make: ProposalMaker, policy: Callable[[], Policy], record_abort: bool = False) -> Committed:
    """Endorse, submit and await a fresh proposal from ``make`` until it commits VALID, retrying
    retryable outcomes (see the module docstring)."""
    attempts = network.gateway.retries + 1
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            endorsed = endorse(network, make(), policy(), record_abort=record_abort)
        except EndorsementMismatch:
            if last:
                raise
            continue
        if endorsed.aborted is not None and not record_abort:
            raise ContractAborted(endorsed.aborted, node=endorsed.endorsers[0])
        try:
            return commit(network, endorsed)
        except TransactionFailed as exc:
            code = exc.status.code
            if code is ValidationCode.CONTRACT_ABORT and endorsed.aborted is not None:
                raise ContractAborted(f"{endorsed.aborted} (recorded as transaction {endorsed.tx_id})",
                                      node=endorsed.endorsers[0]) from None
            if last or code is None or not code.retryable:
                raise
    raise AssertionError("unreachable")


def choose_role(identity_roles: Sequence[str], label: str, allowed: Sequence[str] | None, what: str,
                view: bool = False) -> str:
    """The role to act in (`node.tx.roles.pick_role`); `RoleError` naming ``label`` when none can be chosen."""
    try:
        return pick_role(identity_roles, allowed, view=view)
    except RoleChoiceError as exc:
        if not exc.fitting:
            raise RoleError(f"{label} holds no role to act in") from None
        raise RoleError(f"{label} holds several roles that may {what} ({', '.join(exc.fitting)}): pick one") from None


def deploy(network: Network, source_or_module: str | bytes | Path, name: str, version: str, policy: str,
           init_args: Sequence[Any], role: str | None, approvals: Sequence[Approval] = ()) -> Committed:
    """Deploy (or, with ``approvals``, upgrade) a contract and await its commit."""
    source, module = _code(source_or_module)
    try:
        parsed = parse_policy(policy)
    except PolicyError as exc:
        raise ClientError(f"policy {policy!r}: {exc}") from None
    identity = network.identity
    if role is None:  # the first role the init admits: an admin's deploy rarely depends on it (--role decides)
        allowed = _init_roles(module if module is not None else _compiled(source))
        fitting = [r for r in identity.roles if allowed is None or r in allowed]
        role = (fitting or list(identity.roles) or [""])[0]
        if not role:
            raise RoleError(f"{identity.label} holds no role to act in")

    def make() -> Proposal:
        try:
            return build_deploy(network.name, name, version=version, policy=parsed, source=source, module=module,
                                init_args=list(init_args), creator=identity.der, role=role, approvals=approvals)
        except tx_errors.TxFormatError as exc:
            raise ClientError(f"cannot deploy {name}: {exc}") from None

    return run(network, make, lambda: parsed)


def _compiled(source: str | None) -> bytes | None:
    """The module the node will compile ``source`` to, built here to read its init's roles; None
    when it does not compile (the node then refuses the deploy with the compiler's diagnostics)."""
    from node.chain.contracts import ContractError, compile_source

    try:
        return None if source is None else compile_source(source)
    except ContractError:
        return None


def _init_roles(module: bytes | None) -> tuple[str, ...] | None:
    """The roles the module's init admits (its parties for `anyone`); None when not known here."""
    if module is None:
        return None
    from vm.errors import VerifyError
    from vm.module import decode_module

    try:
        m = decode_module(module)
    except VerifyError:  # a damaged module: the endorsers' verifier says what is wrong with it
        return None
    init = m.entry("init")
    return m.parties if init is None or init.anyone else init.roles


def _code(given: str | bytes | Path) -> tuple[str | None, bytes | None]:
    if isinstance(given, Path):
        try:
            data = given.read_bytes()
        except OSError as exc:
            raise ClientError(f"{given}: cannot read the file: {exc.strerror or exc}") from None
        if given.suffix == ".baom":
            return None, data
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            raise ClientError(f"{given}: not UTF-8 text (a built module is named .baom)") from None
    if isinstance(given, bytes):
        return None, given
    return given, None
