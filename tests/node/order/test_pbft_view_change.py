"""View changes: a crashed, equivocating or censoring primary is replaced; timeouts back off; the
classic traps (a prepared batch carried across the change, a new primary that leaves one out)."""

from __future__ import annotations

from node.order.pbft import Replica
from node.order.pbft.messages import Batch, NewView, PrePrepare, Request, ViewChange
from tests.node.order.cluster import Cluster, Packet
from tests.node.order.keys import hmac_signer, hmac_verifier


def _views(c: Cluster) -> dict[str, tuple[int, bool]]:
    return {n: (c[n].view, c[n].active) for n in c.names}


def test_a_crashed_primary_is_replaced_after_the_request_timeout():
    c = Cluster()
    c.down.add("r0")
    c.submit("r1", b"claim")
    c.advance(990)
    assert all(not c.executors[n].delivered for n in c.names) and c["r1"].view == 0
    c.advance(200)
    assert {n: v for n, v in _views(c).items() if n != "r0"} == {n: (1, True) for n in ("r1", "r2", "r3")}
    assert c["r2"].primary == "r1" and c.executors["r2"].views == [1]
    c.advance(100)
    for n in ("r1", "r2", "r3"):
        assert c.executors[n].requests == [b"claim"]


def test_view_change_timeouts_double_while_new_views_fail():
    c = Cluster()
    c.down.add("r0")
    c.submit("r3", b"claim")
    changes: list[tuple[int, int]] = []
    view = 0
    while c.now < 8_000 and not c.executors["r3"].delivered:
        # view 1's and view 2's primaries (r1, r2) never get their new view through
        c.advance(10, drop=lambda p: p.kind == "new-view" and p.src in ("r1", "r2"))
        if c["r3"].view != view:
            view = c["r3"].view
            changes.append((view, c.now))
    assert [v for v, _ in changes] == [1, 2, 3]
    (_, t1), (_, t2), (_, t3) = changes
    assert 1_000 <= t1 < 1_050 and 1_000 <= t2 - t1 < 1_050 and 2_000 <= t3 - t2 < 2_050  # the base, then twice it
    assert c.executors["r3"].requests == [b"claim"] and c["r3"].primary == "r3"


def test_a_censoring_primary_is_replaced_though_it_orders_other_requests():
    c = Cluster()
    censored = lambda p: p.dst == "r0" and p.kind == "request" and p.message.message.request == b"victim"  # noqa: E731
    c.submit("r1", b"victim")
    for i in range(14):  # the primary keeps ordering the others' requests...
        c.submit("r2", b"other %d" % i)
        c.advance(100, drop=censored)
    assert c["r0"].view == 1 or c["r1"].view == 1  # ...and is replaced all the same
    c.advance(300, drop=censored)
    for n in c.names:
        delivered = c.executors[n].requests
        assert b"victim" in delivered and len(delivered) == len(set(delivered)) == 15, n
    assert all(c[n].view == 1 for n in c.names)


def test_an_equivocating_primary_cannot_make_backups_deliver_different_batches():
    c = Cluster(batch_max=1, status_interval_ms=100)
    c.submit("r0", b"x")
    [to_r1] = c.take(lambda p: p.kind == "pre-prepare" and p.dst == "r1")
    pp = to_r1.message.message
    other = Batch(pp.view, (b"y",)).to_bytes()
    forged = c.auth("r0").sign(PrePrepare(0, 1, c.auth("r0").hash(other)), other)
    c.queue.append(Packet("r0", "r1", forged))
    c.advance(300)  # r1 prepared nothing, but takes batch 1 from the others' certificate
    assert {c.executors[n].delivered[0].digest for n in c.names} == {pp.digest}
    assert c["r1"].stats["dropped.conflicting-pre-prepare"] == 0 and c["r1"].stats["in.committed"] >= 1


def test_a_primary_that_sends_every_backup_another_batch_is_replaced():
    c = Cluster(batch_max=2, status_interval_ms=100)
    c.submit("r0", b"x")
    c.now = 50  # the batch timeout: the primary cuts
    c.apply("r0", c["r0"].tick(c.now))
    for p in c.take(lambda p: p.kind == "pre-prepare"):
        other = Batch(50, (b"x", p.dst.encode())).to_bytes()
        c.queue.append(Packet("r0", p.dst, c.auth("r0").sign(PrePrepare(0, 1, c.auth("r0").hash(other)), other)))
    c.advance(1_500)
    assert all(c[n].view == 1 for n in c.names)
    first = {c.executors[n].delivered[0].digest for n in c.names}
    assert len(first) == 1
    for n in c.names:
        assert sorted(c.executors[n].requests) == [b"r1", b"r2", b"r3", b"x"]  # each once, in one order
    assert len({tuple(c.executors[n].requests) for n in c.names}) == 1


def _prepared_at_r2_only(c: Cluster) -> bytes:
    """Sequence 1 prepared at r2 alone (r1 and r3 lack prepares), no commit anywhere; r0 then crashes."""
    c.submit("r0", b"x")
    c.flush(drop=lambda p: p.kind == "commit" or (p.kind == "prepare" and p.dst in ("r1", "r3")))
    digest = c["r2"]._log.get(1).prepared.pre_prepare.message.digest
    assert c["r1"]._log.get(1).prepared is None and c["r3"]._log.get(1).prepared is None
    c.down.add("r0")
    return digest


def test_a_prepared_batch_is_carried_across_the_view_change():
    c = Cluster(batch_max=1)
    digest = _prepared_at_r2_only(c)
    c.submit("r1", b"later")  # pending at the new primary: it must not take sequence 1
    new_views: list[Packet] = []
    c.advance(1_300, drop=lambda p: p.kind == "new-view" and new_views.append(p) is not None)
    nv = new_views[0].message.message
    assert [(p.message.seq, p.message.digest) for p in nv.pre_prepares] == [(1, digest)]
    for n in ("r1", "r2", "r3"):
        ex = c.executors[n]
        assert ex.delivered[0].digest == digest and ex.requests == [b"x", b"later"]


def test_a_new_primary_that_leaves_out_a_prepared_batch_is_refused():
    c = Cluster(batch_max=1)
    digest = _prepared_at_r2_only(c)
    held: list[Packet] = []
    c.advance(1_100, drop=lambda p: p.kind == "new-view" and p.src == "r1" and held.append(p) is None)
    nv = held[0].message.message
    auth = c.auth("r1")
    omitting = auth.sign(NewView(1, nv.view_changes, (auth.sign(PrePrepare(1, 1, auth.null_digest)),)))
    for dst in ("r2", "r3"):
        c.deliver(Packet("r1", dst, omitting))
        assert c[dst].stats["dropped.bad-new-view"] == 1
    c.advance(2_500)  # r2 and r3 give up on view 1; view 2's primary re-proposes the batch
    assert all(c[n].view == 2 and c[n].active for n in ("r1", "r2", "r3"))
    assert all(c.executors[n].delivered[0].digest == digest for n in ("r1", "r2", "r3"))


def test_f_plus_one_view_changes_make_a_replica_join_and_fewer_do_not():
    c = Cluster()
    spam = [c.auth("r1").sign(ViewChange(v, (), ())) for v in (5, 9, 100)]
    for s in spam:
        c.apply("r3", c["r3"].receive(s.to_bytes(), "r1", 0))
    assert (c["r3"].view, c["r3"].active) == (0, True)  # one replica alone moves nobody
    assert list(c["r3"]._view_changes) == ["r1"]  # and is kept once, at its highest view
    c.apply("r3", c["r3"].receive(c.auth("r2").sign(ViewChange(1, (), ())).to_bytes(), "r2", 0))
    assert (c["r3"].view, c["r3"].active) == (1, False)  # the least view f + 1 others reached
    assert [p.message.message for p in c.queue if p.src == "r3"][0] == ViewChange(1, (), ())


def test_a_replica_cut_off_alone_does_not_race_through_views_and_still_delivers():
    c = Cluster(status_interval_ms=100)
    lost = lambda p: p.src == "r3" and p.kind == "request"  # noqa: E731
    c.submit("r3", b"unheard")  # nobody else ever hears of it: r3 suspects the primary alone
    for i in range(10):
        c.submit("r1", b"req %d" % i)
        c.advance(500, drop=lost)
    assert (c["r3"].view, c["r3"].active) == (1, False)  # no quorum joined: its timer never started
    assert all(c[n].view == 0 for n in ("r0", "r1", "r2"))
    assert len(c.executors["r0"].requests) == 10 and c["r3"].executed == c["r0"].executed
    assert c.executors["r3"].states[c["r3"].executed] == c.executors["r0"].states[c["r0"].executed]


def test_a_replica_that_missed_the_new_view_gets_it_relayed():
    c = Cluster(status_interval_ms=100)
    c.down.add("r0")
    c.submit("r1", b"claim")
    lost: list[Packet] = []
    first = lambda p: p.kind == "new-view" and p.dst == "r3" and not lost and lost.append(p) is None  # noqa: E731
    c.advance(1_400, drop=first)
    assert lost and c["r3"].active and c["r3"].view == 1
    assert c["r3"].stats["in.new-view"] >= 1  # relayed by the peers that saw r3's status
    assert c.executors["r3"].requests == [b"claim"]


def test_requests_pending_at_a_view_change_are_ordered_by_the_new_primary():
    c = Cluster(batch_timeout_ms=50)
    c.down.add("r0")
    for i in range(5):
        c.submit("r2", b"req %d" % i)
    c.advance(1_300)
    for n in ("r1", "r2", "r3"):
        assert sorted(c.executors[n].requests) == [b"req %d" % i for i in range(5)]
    assert c["r2"].pending == 0


def test_old_view_messages_are_dropped_after_a_view_change():
    c = Cluster()
    c.down.add("r0")
    c.submit("r1", b"claim")
    c.advance(1_300)
    old = c.auth("r0").sign(PrePrepare(0, 2, bytes(32)), Batch(0, (b"z",)).to_bytes())
    c.apply("r2", c["r2"].receive(old.to_bytes(), "r0", c.now))
    request = c.auth("r0").sign(Request(b"still welcome"))
    c.apply("r2", c["r2"].receive(request.to_bytes(), "r0", c.now))
    assert c["r2"].stats["dropped.old-view"] == 1 and c["r2"].pending == 1


def test_the_view_change_timer_counts_replicas_already_past_the_view():
    # r2 asks for view 1; r3 too; r1's request for view 1 was lost and its timer already moved it
    # to view 2. r2 holds two requests for view 1 and one for view 2: three replicas are past
    # view 0, so its timer runs, and it moves to view 2 instead of waiting for ever.
    c = Cluster()
    c.down.add("r0")
    c.submit("r2", b"claim")
    c.advance(1_010, drop=lambda p: p.kind in ("request", "view-change"))
    assert (c["r2"].view, c["r2"].active) == (1, False)
    for author, view in (("r3", 1), ("r1", 2)):
        vc = c.auth(author).sign(ViewChange(view, (), ()))
        c.apply("r2", c["r2"].receive(vc.to_bytes(), author, c.now))
    c.queue.clear()
    c.down.update({"r1", "r3"})
    c.advance(1_100)
    assert c["r2"].view == 2


def test_a_replica_restarted_without_its_votes_stays_silent_until_the_next_view():
    """Restarted with silent_through_view=0 (the node kept the view it reached, not its votes), r1
    sends no prepare or commit in view 0, so it cannot contradict a vote it forgot; the other three
    (a quorum) still order, r1 delivers from their commits, and it votes again after a view change."""
    c = Cluster()
    c.replicas["r1"] = Replica(c.config, "r1", hmac_signer("r1"), hmac_verifier(c.names), silent_through_view=0)
    c.submit("r2", b"claim 1")
    c.advance(300)
    assert c["r1"].stats["out.prepare"] == 0 and c["r1"].stats["out.commit"] == 0
    assert all(c.executors[n].sequences == [1] for n in c.names)  # r1 too, from the others' commits
    # a silent primary proposes nothing: with r1 the primary of view 1 silent through 1, view 2 takes over
    c.down.add("r0")
    c.replicas["r1"] = Replica(c.config, "r1", hmac_signer("r1"), hmac_verifier(c.names), silent_through_view=1)
    c.apply("r1", c["r1"].state_transferred(1, c.executors["r1"].states[1], now_ms=c.now))
    c.submit("r2", b"claim 2")
    c.advance(30_000)
    assert c["r1"].stats["out.pre-prepare"] == 0 and c["r2"].view >= 2
    assert [d.batch.requests for d in c.executors["r3"].delivered][-1] == (b"claim 2",)
    assert c["r1"].stats["out.prepare"] > 0  # from view 2 on, it votes
