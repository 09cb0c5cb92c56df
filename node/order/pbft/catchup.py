"""Retransmission and catching up: how a replica recovers messages the network lost.

A mixin of `Replica` (`node.order.pbft.replica`). The protocol assumes that messages between
correct replicas arrive eventually; links drop them anyway (a reconnect, a full queue, a
partition), and a message is sent once. So every `status_interval_ms` each replica broadcasts

    STATUS(view, active, executed, stable)

and broadcasts again the requests that have waited undelivered for a whole interval (at most
`batch_max` per interval): a request lost on its way to the primary must not look like
censorship, and one whose pre-prepare was lost must still reach every replica, or a primary cut
off while it proposed, then alone in a view change, would be the only one to know of it and no
one would join it. A request that a pre-prepare of this view holds is sent again only when this
replica delivered nothing in the interval: while batches are delivered, such a request is being
ordered, only slowly (a loaded network's requests wait longer than an interval), and sending it
again would add to the load that made it slow: each replica signs it once more and each of the
others verifies it. Measured by bench/cluster.py's ramp (gm, four nodes on two cores, where a
request waits about a second at 200 in flight): issue calls ran 195 tx/s at 200 in flight against
276 at 100 when every waiting request was sent again, and 264 against 263 without. A replica that reads a peer's
status answers with what the peer lacks:

- a view the peer has not reached: the new view message that began this replica's view (every new
  view is self-certifying, so any replica may relay it), or, while itself changing views, the
  view changes it holds for views above the peer's (enough of them make the peer join, f + 1 rule);
- if the peer made no progress since its previous status (same executed, view and activity):
  the proof of this replica's stable checkpoint if the peer's is older (so a peer that fell behind
  the log learns that it must fetch state, `NeedStateTransfer`), and this replica's checkpoint
  votes above the peer's stable checkpoint (a lost vote could otherwise keep the window full for
  good, since votes are sent once); the commit certificates of the
  batches it has not delivered that this replica has, with their batches (at most `catchup_max`
  per status); and, in the same view, this replica's messages for the numbers still in flight
  (the primary's pre-prepare with its batch, its own prepare and commit).

Certificates are self-certifying, so a relayed message is checked exactly as if its author had
sent it; the status itself is signed like every message, but a lie in it only costs the liar's
peers a few answers. The answers are bounded by the window (L numbers, three messages each) and
`catchup_max` committed bundles, per peer per status interval.
"""

from __future__ import annotations


from node.order.pbft import certificates
from node.order.pbft.messages import NULL_BATCH, Committed, CheckpointProof, Request, Signed, Status
from node.order.pbft.core import ReplicaCore



class CatchUp:
    def __init__(self: ReplicaCore, now_ms: int) -> None:
        self._next_status = now_ms + self.config.status_interval_ms
        self._peer_status: dict[str, Status] = {}
        self._executed_at_status: int | None = None  # `executed` at the last status: None before the first

    def _status_tick(self: ReplicaCore) -> None:
        cfg = self.config
        if self._now < self._next_status:
            return
        self._next_status = self._now + cfg.status_interval_ms
        self._broadcast(Status(self.view, self.active, self.executed, self._log.low))
        stalled = self._executed_at_status in (None, self.executed)
        self._executed_at_status = self.executed
        unproposed = self._pool.unproposed
        sent = 0
        for digest, entry in self._pool.pending.items():  # proposed ones too when stalled: the pre-prepare may be what was lost
            if self._now - entry.sent_ms >= cfg.status_interval_ms and (stalled or digest in unproposed):
                entry.sent_ms = self._now
                self._broadcast(Request(entry.request))
                sent += 1
                if sent >= cfg.batch_max:
                    break

    def _on_status(self: ReplicaCore, s: Signed[Status]) -> None:
        st = s.message
        assert isinstance(st, Status)
        peer = s.author
        before = self._peer_status.get(peer)
        self._peer_status[peer] = st
        stalled = before is None or (before.executed, before.view, before.active) == (st.executed, st.view, st.active)
        if stalled and st.stable < self._log.low:
            self._send(peer, self._sign(CheckpointProof(self._stable_proof)))
        if stalled:  # a lost checkpoint vote would leave the window full for good
            for seq, votes in self._votes.items():
                if seq > st.stable and self.me in votes:
                    self._send(peer, votes[self.me])
        if st.view < self.view or (st.view == self.view and self.active and not st.active):
            if self.active and self._new_view is not None:
                self._send(peer, self._new_view)
            elif not self.active:
                for vc in self._view_changes.values():
                    if vc.message.view > st.view:
                        self._send(peer, vc)
        if not stalled:
            return
        if st.view == self.view and not st.active and not self.active:
            self._send(peer, self._view_changes[self.me])
        self._send_committed(peer, st.executed)
        if st.view == self.view and st.active and self.active:
            self._send_in_flight(peer, max(st.executed, self.executed))

    def _send_committed(self: ReplicaCore, peer: str, executed: int) -> None:
        first = max(executed, self._log.low) + 1
        last = min(self.executed, executed + self.config.catchup_max)
        for n in range(first, last + 1):
            slot = self._log.get(n)
            if slot is None or slot.certificate is None:
                continue
            batch = NULL_BATCH if slot.final_digest == self._auth.null_digest else slot.final_batch
            if batch is not None:
                self._send(peer, self._sign(Committed(slot.certificate), None if batch.is_null else batch.to_bytes()))

    def _send_in_flight(self: ReplicaCore, peer: str, above: int) -> None:
        for slot in self._log:
            if slot.seq <= above or slot.pre_prepare is None:
                continue
            pp = slot.pre_prepare
            if pp.author != peer:
                batch = slot.batches.get(slot.digest)
                attached = () if batch is None or batch.is_null else (batch.to_bytes(),)
                self._send(peer, Signed(pp.author, pp.message, pp.body, pp.signature, attached))
            for own in (slot.prepares.get(self.me), slot.commits.get(self.me)):
                if own is not None:
                    self._send(peer, own)

    def _on_committed(self: ReplicaCore, s: Signed[Committed]) -> None:
        commits = s.message.commits
        c = certificates.commit_certificate(commits, self.config, self._auth)
        if c is None:
            self._drop("bad-certificate")
            return
        if c.seq <= self.executed:
            self.stats["duplicates"] += 1
            return
        if not self._log.in_window(c.seq):
            self._drop("out-of-window")
            return
        batch = NULL_BATCH if c.digest == self._auth.null_digest else self._attached_batch(s, c.digest)
        if batch is False:
            return
        slot = self._log.slot(c.seq)
        if slot.certificate is None:
            slot.certificate = tuple(commits[: self.config.quorum])
        elif slot.final_digest != c.digest:
            self._drop("conflicting-certificate")
            return
        if batch is not None:
            self._learn_batch(slot, c.digest, batch)
        self._execute()
