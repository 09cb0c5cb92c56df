"""The view change: how the replicas replace a primary that failed or misbehaved.

A mixin of `Replica` (`node.order.pbft.replica`), which holds the state it works on.

1. A replica *starts a view change* to view w when its request timer expires (a pending request
   waited too long: a crashed, slow, equivocating or censoring primary), when its view change
   timer expires (the new view did not come), or when f + 1 other replicas asked for views above
   its own (then at least one correct replica did; it joins the least view that f + 1 of them
   reached, so a faulty minority cannot drive views up). It moves to w, stops taking part in the
   old view, and broadcasts VIEW-CHANGE(w, its stable checkpoint proof, its prepared certificates
   above the checkpoint).
2. Once Q replicas asked for w or a later view, the replica starts its view change timer (so a
   replica alone, cut off by a partition, does not race through views); when it expires, it asks
   for w + 1. Later views count: a replica whose timer expired first has replaced its request for
   w by one for w + 1, and if its request for w was lost on the way, the others would otherwise
   wait for a quorum on w for ever, each short of f + 1 requests for a later view to follow it.
   Each view change in a row doubles both timers (`PbftConfig.backoff`), until a batch is
   delivered again, so the timers outgrow whatever delays the network has.
3. The primary of w, with Q view changes for w (its own among them), computes the plan
   (`certificates.plan_new_view`: the O set, with null batches for the gaps), signs a pre-prepare
   of view w for each of its numbers, and broadcasts NEW-VIEW(w, the view changes, the pre-prepares).
   The batches those pre-prepares name follow as ordinary pre-prepares of w carrying their batch,
   so the new view itself stays small.
4. A replica *installs* a valid new view (`certificates.new_view` recomputes the plan from the
   view changes it carries: a primary that leaves out a prepared request, or invents one, is
   refused): it adopts the stable checkpoint if it was behind, accepts the pre-prepares, sends its
   prepares for them, and the normal case resumes. A replica agrees to a digest without holding
   its batch (the certificate vouches for it) and delivers once the batch comes (a relayed
   pre-prepare or committed bundle); the new primary cuts no new batch before it holds every
   re-proposed batch, so a request is not proposed twice because a batch was missing.

Requests pending at the view change become unproposed again, except those the new view holds,
and the new primary orders them; the request timer counts from the start of the new view.
"""

from __future__ import annotations


from node.order.pbft import certificates
from node.order.pbft.actions import Broadcast, ViewEntered
from node.order.pbft.certificates import NewViewPlan
from node.order.pbft.messages import NULL_BATCH, NewView, Prepare, PrePrepare, Signed, ViewChange
from node.order.pbft.core import ReplicaCore



class ViewChanges:
    def __init__(self) -> None:
        self._view_changes: dict[str, Signed[ViewChange]] = {}  # each replica's view change for its highest view
        self._new_view: Signed[NewView] | None = None  # the one that started the current view (to relay)
        self._view_change_deadline: int | None = None
        self._missing_batches: set[int] = set()  # re-proposed numbers whose batch this replica lacks

    def _start_view_change(self: ReplicaCore, view: int) -> None:
        if view <= self.view:
            return
        self.view, self.active = view, False
        self._streak += 1
        self.stats["view-changes"] += 1
        self._view_change_deadline = None
        self._new_view = None
        self._missing_batches = set()
        prepared = tuple(slot.prepared for slot in self._log if slot.prepared is not None)
        self._view_changes[self.me] = self._broadcast(ViewChange(view, self._stable_proof, prepared))
        for slot in self._log:
            slot.reset_view()
        self._in_flight.clear()
        self._replay_future()
        self._view_change_progress()

    def _on_view_change(self: ReplicaCore, s: Signed[ViewChange]) -> None:
        vc = s.message
        assert isinstance(vc, ViewChange)
        if vc.view < self.view or (vc.view == self.view and self.active):
            self._drop("old-view")
            return
        held = self._view_changes.get(s.author)
        if held is not None and held.message.view >= vc.view:
            self.stats["duplicates"] += 1
            return
        if not certificates.view_change(s, self.config, self._auth):
            self._drop("bad-view-change")
            return
        self._view_changes[s.author] = s
        self._view_change_progress()

    def _view_change_progress(self: ReplicaCore) -> None:
        cfg = self.config
        higher = sorted((s.message.view for a, s in self._view_changes.items()
                         if a != self.me and s.message.view > self.view), reverse=True)
        if len(higher) >= cfg.weak:
            self._start_view_change(higher[cfg.f])
            return
        if self.active:
            return
        views = [s.message.view for s in self._view_changes.values()]
        if self._view_change_deadline is None and sum(v >= self.view for v in views) >= cfg.quorum:
            self._view_change_deadline = self._now + cfg.backoff(cfg.view_change_timeout_ms, self._streak - 1)
        joined = [s for s in self._view_changes.values() if s.message.view == self.view]
        if len(joined) >= cfg.quorum and self.primary == self.me:
            self._send_new_view(joined)

    def _send_new_view(self: ReplicaCore, joined: list[Signed[ViewChange]]) -> None:
        mine = self._view_changes[self.me]
        others = sorted((s for s in joined if s.author != self.me), key=lambda s: s.author)
        chosen = ([mine] + others)[: self.config.quorum]
        plan = certificates.plan_new_view(self.view, chosen, self._auth.null_digest)
        pre_prepares = tuple(self._sign(PrePrepare(self.view, n, d)) for n, d in plan.assignments)
        new_view = self._broadcast(NewView(self.view, tuple(chosen), pre_prepares))
        self._install_new_view(new_view, plan)
        for pp in pre_prepares:
            slot = self._log.get(pp.message.seq)
            batch = None if slot is None else slot.batches.get(pp.message.digest)
            if batch is not None and not batch.is_null:
                self._out.append(Broadcast(Signed(pp.author, pp.message, pp.body, pp.signature, (batch.to_bytes(),))))
                self.stats["out.pre-prepare"] += 1

    def _on_new_view(self: ReplicaCore, s: Signed[NewView]) -> None:
        nv = s.message
        assert isinstance(nv, NewView)
        if nv.view < self.view or (nv.view == self.view and self.active):
            self._drop("old-view")
            return
        plan = certificates.new_view(s, self.config, self._auth)
        if plan is None:
            self._drop("bad-new-view")
            return
        self._install_new_view(s, plan)

    def _install_new_view(self: ReplicaCore, new_view: Signed[NewView], plan: NewViewPlan) -> None:
        if plan.stable > self._log.low:
            state = plan.stable_proof[0].message.state
            self._adopt_stable(plan.stable, state, plan.stable_proof)
        self.view, self.active = plan.view, True
        self._view_started = self._now
        self._new_view = new_view
        self._view_change_deadline = None
        self._view_changes = {a: s for a, s in self._view_changes.items()
                              if s.message.view > self.view}
        self._in_flight.clear()
        self._missing_batches = set()
        for slot in self._log:
            slot.reset_view()
        primary = self.primary
        null = self._auth.null_digest
        for pp in new_view.message.pre_prepares:
            m = pp.message
            assert isinstance(m, PrePrepare)
            if not self._log.in_window(m.seq):
                continue
            slot = self._log.slot(m.seq)
            slot.pre_prepare = pp
            if m.digest == null:
                slot.add_batch(null, NULL_BATCH)
            batch = slot.batches.get(m.digest)
            if batch is not None:
                self._learn_batch(slot, m.digest, batch)
            elif m.seq > self.executed:
                self._missing_batches.add(m.seq)
            if self.me != primary and self._may_vote():
                slot.prepares[self.me] = self._broadcast(Prepare(m.view, m.seq, m.digest))
        if self.me == primary:
            self._next_seq = plan.max_seq
        self._pool.reset_proposals(set(self._in_flight))
        self._out.append(ViewEntered(self.view, primary))
        self._replay_future()
        for slot in list(self._log):
            self._check_prepared(slot)
        self._execute()
