"""Gathering the endorsements of one proposal, without I/O: which organisation to ask next, and
whether the answers make one envelope. The client library (`node.client.transact`, over HTTP to
whichever nodes are up) and the node's one-request invoke (`node.api.invoking`, over itself and
its peers) drive the same `Gathering`, so both ask the same organisations in the same order.

    gathering = Gathering(policy, members, orgs_with_nodes, own="Org1", suspect=orgs_down_lately)
    while (org := gathering.next()) is not None:     # `PolicyUnmet`: the organisations left cannot
        ...ask org's nodes...                        # meet the policy
        gathering.endorsed(org, node, endorsement)   # or gathering.unreachable(org)
    gathered = gathering.gathered()                  # `EndorsementMismatch`: they disagree

Choices, each with its reason:
- `node.tx.policy.choose` picks the fewest organisations that meet the policy among those with a
  node not known to be unreachable, the ones that endorsed already first, then the caller's own
  (its nearest nodes, and the ones it trusts most), then the policy's order. An organisation
  none of whose nodes answers is dropped and `choose` asked again: the endorsements in hand
  are kept, so a 2-of-3 policy is met by the two that answer.
- Organisations whose every node failed lately (``suspect``) are asked only when the others
  cannot meet the policy: a node that is down costs a timeout, which is worth paying only when
  nothing else will do.
- An abort is the contract's answer, and another endorser on the same state says the same, so
  one is enough, unless the abort is to be recorded on the ledger (``record_abort``), where the
  policy applies as to any transaction.
- The endorsements chosen must carry identical response bytes: an envelope holds the result
  once (`node.tx.envelope`). Endorsers that saw different state (one lagging) give
  `EndorsementMismatch`, which a caller retries from a fresh proposal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from node.tx.endorsement import Endorsement
from node.tx.errors import EndorsementMismatch
from node.tx.policy import Policy, choose, policy_text
from node.tx.response import Aborted, Completed


class PolicyUnmet(Exception):
    """The organisations with a node up (``up``) cannot meet the policy."""

    def __init__(self, policy: Policy, up: Iterable[str]) -> None:
        self.up = tuple(sorted(up))
        super().__init__(f"the endorsement policy '{policy_text(policy)}' cannot be met by the organisations with a "
                         f"node up ({', '.join(self.up) or 'none'})")


@dataclass(frozen=True, slots=True)
class Gathered:
    """The endorsements an envelope takes, in the order chosen, and the nodes that gave them."""

    nodes: tuple[str, ...]
    endorsements: tuple[Endorsement, ...]

    @property
    def result(self) -> Completed | Aborted:
        return self.endorsements[0].response.result


class Gathering:
    """Which organisation to ask next for one proposal's endorsements (see the module docstring)."""

    def __init__(self, policy: Policy, members: Sequence[str], orgs: Iterable[str], *, own: str,
                 suspect: Iterable[str] = (), record_abort: bool = False) -> None:
        self.policy = policy
        self.members = tuple(members)
        self._orgs = tuple(dict.fromkeys(orgs))  # organisations with a node that may be asked
        self._own = own
        self._suspect = frozenset(suspect)
        self._record_abort = record_abort
        self._collected: dict[str, tuple[str, Endorsement]] = {}
        self._unreachable: set[str] = set()
        self._pick: list[str] | None = None

    def next(self) -> str | None:
        """The organisation to ask next; None once the endorsements in hand meet the policy.
        `PolicyUnmet` when the organisations left cannot meet it."""
        if self._pick is not None:
            return None
        up = {org for org in self._orgs if org not in self._unreachable} | set(self._collected)
        prefer = [*self._collected, self._own]
        pick = choose(self.policy, self.members, up - self._suspect, prefer=prefer) or \
            choose(self.policy, self.members, up, prefer=prefer)
        if pick is None:
            raise PolicyUnmet(self.policy, up)
        missing = [org for org in pick if org not in self._collected]
        if not missing:
            self._pick = pick
            return None
        return missing[0]

    def endorsed(self, org: str, node: str, endorsement: Endorsement) -> None:
        """``node`` of ``org`` endorsed (its signature checked by the caller)."""
        self._collected[org] = (node, endorsement)
        if isinstance(endorsement.response.result, Aborted) and not self._record_abort:
            self._pick = [org]

    def unreachable(self, org: str) -> None:
        """No node of ``org`` answered: ask the others."""
        self._unreachable.add(org)

    def gathered(self) -> Gathered:
        """The endorsements chosen, once `next` returned None; `EndorsementMismatch` when they
        report different results."""
        if self._pick is None:
            raise RuntimeError("the gathering is not complete: call next() until it returns None")
        chosen = [self._collected[org] for org in self._pick]
        first_node, first = chosen[0]
        for node, e in chosen[1:]:
            if e.response_bytes != first.response_bytes:
                raise EndorsementMismatch(f"{node} and {first_node} report different results for one proposal "
                                          "(one of them is behind)")
        return Gathered(tuple(n for n, _ in chosen), tuple(e for _, e in chosen))
