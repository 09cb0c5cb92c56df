"""Certificates: sets of signed messages that prove something to a replica that saw none of them.

Each check takes signed messages that decoded well (`node.order.pbft.messages`) and answers what
they prove, or None; none raises. With Q the quorum size (2f + 1 when n = 3f + 1):

- a *checkpoint proof* is Q checkpoint messages from distinct replicas for one (seq, state) with
  seq a multiple of K: the checkpoint is stable, at least f + 1 correct replicas hold that state;
- a *prepared certificate* for (v, n, d) is the pre-prepare signed by view v's primary and Q - 1
  prepares from distinct other replicas, all for (v, n, d): no other digest can be prepared at n
  in view v (two such sets share a correct backup, which prepares once per view and number);
- a *commit certificate* is Q commits from distinct replicas for one (v, n, d): at least f + 1
  correct replicas prepared (v, n, d), so every later view change quorum holds that certificate
  and d is final at n, whatever view the certificate was gathered in;
- a *view change* for view v is valid when its checkpoint proof is (or it is empty, for sequence
  0) and every prepared certificate in it is valid, for a view below v, for a distinct n in
  (stable, stable + L];
- a *new view* for view v, signed by v's primary, holds at least Q valid view changes for v from
  distinct replicas, and pre-prepares for v that are exactly `plan_new_view` of those view changes.

`plan_new_view` is the paper's choice of the O set: min-s is the highest stable checkpoint among
the view changes (its proof comes along), max-s the highest sequence number of a prepared
certificate in them; every n in (min-s, max-s] gets the digest of the prepared certificate of the
highest view for n (ties, impossible with at most f faulty replicas, go to the least digest so
that every replica computes the same plan), or the null batch's digest when none has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from node.order.pbft.auth import Authenticator
from node.order.pbft.config import PbftConfig
from node.order.pbft.messages import (
    Checkpoint, Commit, Message, NewView, Prepare, PreparedProof, PrePrepare, Signed, ViewChange,
)


def checkpoint_proof(proof: Sequence[Signed[Message]], config: PbftConfig, auth: Authenticator) -> tuple[int, bytes] | None:
    """(seq, state) of the stable checkpoint ``proof`` proves."""
    if len(proof) < config.quorum or not isinstance(proof[0].message, Checkpoint):
        return None
    first = proof[0].message
    if first.seq % config.checkpoint_interval:
        return None
    authors: set[str] = set()
    for s in proof:
        if s.message != first or s.author in authors or not auth.verify(s):
            return None
        authors.add(s.author)
    return first.seq, first.state


def prepared_certificate(proof: PreparedProof, config: PbftConfig, auth: Authenticator) -> PrePrepare | None:
    """The pre-prepare a prepared certificate proves prepared."""
    pre = proof.pre_prepare
    pp = pre.message
    if not isinstance(pp, PrePrepare) or pre.author != config.primary(pp.view):
        return None
    if len(proof.prepares) < config.quorum - 1:
        return None
    if not auth.verify(pre):
        return None
    authors: set[str] = set()
    for s in proof.prepares:
        m = s.message
        if (not isinstance(m, Prepare) or (m.view, m.seq, m.digest) != (pp.view, pp.seq, pp.digest)
                or s.author == pre.author or s.author in authors or not auth.verify(s)):
            return None
        authors.add(s.author)
    return pp


def commit_certificate(commits: Sequence[Signed[Message]], config: PbftConfig, auth: Authenticator) -> Commit | None:
    """The commit a commit certificate proves final."""
    if len(commits) < config.quorum or not isinstance(commits[0].message, Commit):
        return None
    first = commits[0].message
    authors: set[str] = set()
    for s in commits:
        if s.message != first or s.author in authors or not auth.verify(s):
            return None
        authors.add(s.author)
    return first


def view_change(signed: Signed[ViewChange], config: PbftConfig, auth: Authenticator) -> bool:
    vc = signed.message
    if not isinstance(vc, ViewChange) or not auth.verify(signed):
        return False
    stable = 0
    if vc.checkpoint:
        proven = checkpoint_proof(vc.checkpoint, config, auth)
        if proven is None:
            return False
        stable = proven[0]
    seqs: set[int] = set()
    for p in vc.prepared:
        pp = prepared_certificate(p, config, auth)
        if pp is None or pp.view >= vc.view or not stable < pp.seq <= stable + config.window or pp.seq in seqs:
            return False
        seqs.add(pp.seq)
    return True


@dataclass(frozen=True, slots=True)
class NewViewPlan:
    view: int
    stable: int  # min-s
    stable_proof: tuple[Signed[Checkpoint], ...]  # its checkpoint proof (empty for 0)
    assignments: tuple[tuple[int, bytes], ...]  # (n, digest) for n in (min-s, max-s], in order

    @property
    def max_seq(self) -> int:
        return self.assignments[-1][0] if self.assignments else self.stable


def plan_new_view(view: int, view_changes: Sequence[Signed[ViewChange]], null_digest: bytes) -> NewViewPlan:
    """The O set of a new view from valid view changes (see the module docstring)."""
    best = max(view_changes, key=lambda s: (s.message.stable, s.author))
    bvc = best.message
    assert isinstance(bvc, ViewChange)
    low = bvc.stable
    chosen: dict[int, tuple[int, bytes]] = {}
    for s in view_changes:
        assert isinstance(s.message, ViewChange)
        for p in s.message.prepared:
            pp = p.pre_prepare.message
            assert isinstance(pp, PrePrepare)
            if pp.seq <= low:
                continue
            held = chosen.get(pp.seq)
            if held is None or pp.view > held[0] or (pp.view == held[0] and pp.digest < held[1]):
                chosen[pp.seq] = (pp.view, pp.digest)
    high = max(chosen, default=low)
    assignments = tuple((n, chosen[n][1] if n in chosen else null_digest) for n in range(low + 1, high + 1))
    return NewViewPlan(view, low, bvc.checkpoint, assignments)


def new_view(signed: Signed[NewView], config: PbftConfig, auth: Authenticator) -> NewViewPlan | None:
    """The plan a new view carries out, when it is a valid one."""
    nv = signed.message
    if not isinstance(nv, NewView) or signed.author != config.primary(nv.view) or not auth.verify(signed):
        return None
    if len(nv.view_changes) < config.quorum:
        return None
    authors: set[str] = set()
    for s in nv.view_changes:
        vc = s.message
        if (not isinstance(vc, ViewChange) or vc.view != nv.view or s.author in authors
                or not view_change(s, config, auth)):
            return None
        authors.add(s.author)
    plan = plan_new_view(nv.view, nv.view_changes, auth.null_digest)
    if len(nv.pre_prepares) != len(plan.assignments):
        return None
    for pre, (n, digest) in zip(nv.pre_prepares, plan.assignments):
        pp = pre.message
        if (not isinstance(pp, PrePrepare) or pre.author != signed.author
                or (pp.view, pp.seq, pp.digest) != (nv.view, n, digest) or not auth.verify(pre)):
            return None
    return plan
