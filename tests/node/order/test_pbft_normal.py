"""The normal case, phase by phase: requests, batching, pre-prepare, prepare, commit, delivery in
order, checkpoints, watermarks and garbage collection, state transfer, and the bounds."""

from __future__ import annotations

import pytest

from node.order.pbft import Broadcast, Deliver, PbftConfig, Replica, ReplicaBusy, RequestRefused, SetTimer
from node.order.pbft.messages import Batch, Commit, Prepare, PrePrepare, Request
from tests.node.order.cluster import Cluster
from tests.node.order.keys import hmac_signer, hmac_verifier


def test_a_request_submitted_to_a_backup_is_delivered_by_every_replica():
    c = Cluster()
    c.submit("r2", b"claim 1")
    c.advance(100)
    for name in c.names:
        [d] = c.executors[name].delivered
        assert (d.sequence, d.batch.requests) == (1, (b"claim 1",))
        assert len(d.certificate) == c.config.quorum and {s.message for s in d.certificate} == {Commit(0, 1, d.digest)}
    assert c["r0"].stats["out.pre-prepare"] == 1
    assert all(c[n].stats["out.prepare"] == 1 for n in ("r1", "r2", "r3")) and c["r0"].stats["out.prepare"] == 0
    assert all(c[n].stats["out.commit"] == 1 for n in c.names)


def test_the_phases_one_at_a_time():
    c = Cluster(batch_max=1)
    c.submit("r0", b"r")  # batch_max reached: the primary cuts at once, no timer
    [pp_to_r1, pp_to_r2, pp_to_r3] = c.take(lambda p: p.kind == "pre-prepare")
    c.take()  # the request broadcast: the backups learn the request from the pre-prepare
    digest = pp_to_r1.message.message.digest
    assert pp_to_r1.message.batches and pp_to_r1.message.message == PrePrepare(0, 1, digest)

    for p in (pp_to_r1, pp_to_r2, pp_to_r3):
        c.deliver(p)
    prepares = c.take(lambda p: p.kind == "prepare")
    assert {p.message.message for p in prepares} == {Prepare(0, 1, digest)} and len(prepares) == 9

    # r1 is prepared once it holds the pre-prepare and 2f = 2 prepares of backups (its own and one more)
    assert not [p for p in c.queue if p.kind == "commit"]
    to_r1 = [p for p in prepares if p.dst == "r1"]
    c.deliver(to_r1[0])
    assert len(c.take(lambda p: p.kind == "commit" and p.src == "r1")) == 3
    c.deliver(to_r1[1])
    assert not c.queue  # it commits once per view

    for p in prepares:
        if p.dst != "r1":
            c.deliver(p)
    commits = c.take(lambda p: p.kind == "commit")
    assert {p.message.message for p in commits} == {Commit(0, 1, digest)}
    # r3 holds its own commit; r0's makes two, r2's three = Q: committed, delivered
    c.deliver(next(p for p in commits if p.dst == "r3" and p.src == "r0"))
    assert not c.executors["r3"].delivered
    c.deliver(next(p for p in commits if p.dst == "r3" and p.src == "r2"))
    assert c.executors["r3"].sequences == [1]


def test_committed_needs_a_quorum_of_matching_commits():
    c = Cluster(batch_max=1)
    c.submit("r0", b"r")
    c.flush(drop=lambda p: p.kind == "commit")
    assert not any(e.delivered for e in c.executors.values())
    auth = c.auth("r1")
    slot_digest = c["r2"]._log.get(1).digest
    c.apply("r3", c["r3"].receive(auth.sign(Commit(0, 1, slot_digest)).to_bytes(), "r1", c.now))
    assert not c.executors["r3"].delivered  # its own and r1's: 2 < Q
    c.apply("r3", c["r3"].receive(auth.sign(Commit(0, 1, bytes(32))).to_bytes(), "r1", c.now))
    c.apply("r3", c["r3"].receive(c.auth("r2").sign(Commit(0, 1, bytes(32))).to_bytes(), "r2", c.now))
    assert not c.executors["r3"].delivered  # a commit for another digest does not count
    c.apply("r3", c["r3"].receive(c.auth("r0").sign(Commit(0, 1, slot_digest)).to_bytes(), "r0", c.now))
    assert c.executors["r3"].sequences == [1]


def test_batches_are_cut_by_size_at_once_and_by_time_after_the_timeout():
    c = Cluster(batch_max=3, batch_timeout_ms=50)
    for i in range(4):
        c.submit("r0", b"req %d" % i)
    c.flush()
    assert [d.batch.requests for d in c.executors["r1"].delivered] == [(b"req 0", b"req 1", b"req 2")]
    c.advance(40)
    assert c.executors["r1"].sequences == [1]
    c.advance(20)
    assert [d.batch.requests for d in c.executors["r1"].delivered][1:] == [(b"req 3",)]
    assert c.executors["r1"].delivered[1].batch.time_ms == 50  # the primary's clock at the cut


def test_a_request_is_ordered_once_whoever_submits_it_and_whenever():
    c = Cluster()
    c.submit("r1", b"twice")
    c.submit("r2", b"twice")
    c.advance(100)
    c.submit("r3", b"twice")  # delivered lately: ignored
    c.advance(100)
    assert all(e.requests == [b"twice"] for e in c.executors.values())


def test_delivery_is_in_sequence_order_whatever_order_commits_arrive_in():
    c = Cluster(batch_max=1, checkpoint_interval=4, window=8)
    c.submit("r0", b"a")
    c.submit("r0", b"b")
    held = []
    while c.queue:
        p = c.queue.pop(0)
        if p.dst == "r3" and p.kind == "commit" and p.message.message.seq == 1:
            held.append(p)
        else:
            c.deliver(p)
    assert c.executors["r3"].sequences == [] and c.executors["r2"].sequences == [1, 2]  # 2 is committed at r3, 1 is not
    for p in held:
        c.deliver(p)
    assert c.executors["r3"].sequences == [1, 2]


def test_the_primary_stops_at_the_high_watermark_until_a_checkpoint_is_stable():
    c = Cluster(batch_max=1, checkpoint_interval=2, window=4, auto_checkpoint=False)
    for i in range(6):
        c.submit("r0", b"req %d" % i)
    c.flush()
    assert c.executors["r1"].sequences == [1, 2, 3, 4]  # h = 0, L = 4
    assert c["r0"].pending == 2
    for name in c.names:  # the executors report the state after 2: a stable checkpoint, h = 2
        c.apply(name, c[name].checkpoint_state(2, c.executors[name].states[2], c.now))
    c.flush()
    assert all(c[n].stable == 2 for n in c.names)
    assert c.executors["r1"].sequences == [1, 2, 3, 4, 5, 6]
    assert sorted(c["r1"]._log.slots) == [3, 4, 5, 6]  # the log below h is gone


def test_checkpoints_garbage_collect_the_log_and_messages_below_it_are_dropped():
    c = Cluster(batch_max=1, checkpoint_interval=2, window=4)
    for i in range(5):
        c.submit("r0", b"req %d" % i)
    c.flush()
    assert all(c[n].stable == 4 for n in c.names) and sorted(c["r2"]._log.slots) == [5]
    old = c.auth("r1").sign(Prepare(0, 3, bytes(32)))
    c.apply("r2", c["r2"].receive(old.to_bytes(), "r1", c.now))
    far = c.auth("r1").sign(Prepare(0, 9, bytes(32)))  # beyond h + L = 8
    c.apply("r2", c["r2"].receive(far.to_bytes(), "r1", c.now))
    assert c["r2"].stats["dropped.out-of-window"] == 2


def test_checkpoints_that_disagree():
    # One replica's executor computes another state: the other three still agree (Q = 3), and it
    # learns that its state diverged.
    c = Cluster(batch_max=1, wrong_state={"r3"})
    for i in range(2):
        c.submit("r0", b"req %d" % i)
    c.flush()
    assert all(c[n].stable == 2 for n in c.names)
    assert [d.sequence for d in c.executors["r3"].diverged] == [2]
    assert not c.executors["r0"].diverged
    # Two of four disagreeing: no state has a quorum, no checkpoint is stable, the window stays.
    c = Cluster(batch_max=1, wrong_state={"r2", "r3"})
    for i in range(6):
        c.submit("r0", b"req %d" % i)
    c.flush()
    assert all(c[n].stable == 0 for n in c.names)
    assert c.executors["r0"].sequences == [1, 2, 3, 4]


def test_a_replica_behind_a_stable_checkpoint_asks_for_a_state_transfer_and_resumes():
    c = Cluster(batch_max=1, status_interval_ms=100, auto_transfer=False)
    c.down.add("r3")
    for i in range(7):
        c.submit("r0", b"req %d" % i)
        c.flush()
    assert c["r0"].stable == 6 and c.executors["r3"].delivered == []
    c.down.discard("r3")
    c.advance(250)  # statuses: r3 learns the stable checkpoint from a peer
    [want] = c.executors["r3"].transfers
    assert (want.from_sequence, want.to_sequence) == (1, 6) and len(want.proof) == c.config.quorum
    assert want.state == c.executors["r0"].states[6]
    c.transfer("r3", "r0")
    c.advance(250)  # and takes sequence 7 from a commit certificate a peer relays
    assert c.executors["r3"].sequences == [7] and c["r3"].executed == 7
    c.submit("r3", b"after")
    c.advance(100)
    assert c.executors["r3"].sequences == [7, 8] and c.executors["r0"].sequences[-1] == 8


def test_a_replica_that_missed_messages_catches_up_from_relayed_certificates():
    c = Cluster(batch_max=1, status_interval_ms=100)
    c.submit("r0", b"a")
    c.flush(drop=lambda p: p.dst == "r3")
    assert c.executors["r3"].sequences == [] and c.executors["r0"].sequences == [1]
    c.advance(250)
    assert c.executors["r3"].sequences == [1]
    assert c["r3"].stats["in.committed"] >= 1


def test_a_proposed_request_is_sent_again_only_when_nothing_was_delivered_in_the_interval():
    # A loaded network's requests wait longer than a status interval while batches are delivered:
    # sending those again only adds to the load. A replica that delivered nothing sends them all.
    c = Cluster(batch_max=1, status_interval_ms=100)
    c.advance(100)  # the first statuses: nothing pending
    c.submit("r0", b"a")
    c.submit("r0", b"b")  # sequence 2; its commits are held below, so it stays proposed, undelivered
    held = lambda p: isinstance(p.message.message, Commit) and p.message.message.seq == 2  # noqa: E731
    c.flush(drop=held)
    assert all(c.executors[n].sequences == [1] for n in c.names)
    sent = {n: c[n].stats["out.request"] for n in c.names}
    c.advance(100, drop=held)  # a status interval in which sequence 1 was delivered
    assert {n: c[n].stats["out.request"] for n in c.names} == sent
    c.advance(100, drop=held)  # one in which nothing was: every replica sends b again
    assert all(c[n].stats["out.request"] == sent[n] + 1 for n in c.names)
    c.advance(100)  # the commits flow again
    assert all(c.executors[n].sequences == [1, 2] for n in c.names)


def test_an_unproposed_request_is_sent_again_even_while_batches_are_delivered():
    c = Cluster(batch_max=1, status_interval_ms=100)
    c.advance(100)
    c.submit("r1", b"lost")
    c.flush(drop=lambda p: p.dst == "r0")  # the primary never heard of it
    for i in range(3):
        c.submit("r0", b"other %d" % i)
        c.advance(50)
    assert b"lost" in c.executors["r0"].requests


def test_submit_refuses_what_no_replica_would_order():
    c = Cluster(accept_request=lambda r: not r.startswith(b"bad"), request_max_bytes=100)
    with pytest.raises(RequestRefused):
        c["r1"].submit(b"", 0)
    with pytest.raises(RequestRefused):
        c["r1"].submit(b"x" * 101, 0)
    with pytest.raises(RequestRefused):
        c["r1"].submit(b"bad request", 0)


def test_the_pending_pool_is_shared_out_by_origin():
    names = ("r0", "r1", "r2", "r3")
    config = PbftConfig("test", names, max_pending=8, request_max_bytes=100, max_pending_bytes=4000)
    r = Replica(config, "r1", hmac_signer("r1"), hmac_verifier(names))
    r.submit(b"one", 0)
    r.submit(b"two", 0)
    with pytest.raises(ReplicaBusy):
        r.submit(b"three", 0)  # r1's own share is 8 / 4 = 2
    r.submit(b"two", 0)  # a request it holds is no new request
    auth = Cluster().auth("r2")
    for i in range(5):  # r2 floods: it fills its share only
        r.receive(auth.sign(Request(b"flood %d" % i)).to_bytes(), "r2", 0)
    assert r.pending == 4 and r.stats["dropped.pool-full"] == 3
    r.receive(Cluster().auth("r3").sign(Request(b"from r3")).to_bytes(), "r3", 0)
    assert r.pending == 5


def test_messages_of_views_not_reached_yet_are_kept_within_bounds():
    c = Cluster(future_max_messages=3)
    auth = c.auth("r2")
    for seq in range(1, 6):
        c.apply("r1", c["r1"].receive(auth.sign(Prepare(7, seq, bytes(32))).to_bytes(), "r2", c.now))
    assert len(c["r1"]._future["r2"]) == 3 and c["r1"].stats["dropped.future-overflow"] == 2


def test_every_input_returns_a_timer_for_the_next_deadline():
    c = Cluster(batch_timeout_ms=50, status_interval_ms=10_000)
    actions = c["r0"].submit(b"r", 5)
    assert SetTimer(55) in actions  # the batch timeout of the request that arrived at 5
    actions = c["r0"].tick(55)
    assert any(isinstance(a, Broadcast) and a.message.kind == "pre-prepare" for a in actions)


def test_same_inputs_give_the_same_actions():
    def run() -> list[bytes]:
        c = Cluster(batch_max=2)
        out = []
        for i in range(5):
            out += [a.message.to_bytes() for a in c.submit(f"r{i % 4}", b"req %d" % i) if hasattr(a, "message")]
        c.advance(300)
        out += [d.digest for d in c.executors["r2"].delivered]
        return out

    assert run() == run()


def test_delivered_batches_carry_their_time_and_certificate():
    c = Cluster(batch_max=1)
    c.now = 1_234
    c.submit("r1", b"r")
    c.flush()
    c.advance(10)
    [d] = c.executors["r3"].delivered
    assert isinstance(d, Deliver) and d.batch == Batch(1_234, (b"r",))


def test_a_replica_restarted_from_its_ledger_rejoins():
    c = Cluster(batch_max=1, status_interval_ms=100)
    for i in range(7):
        c.submit("r0", b"req %d" % i)
        c.flush()
    assert c["r3"].executed == 7 and c["r3"].stable == 6
    # r3's process restarts: a new replica, told where its ledger stands
    c.replicas["r3"] = Replica(c.config, "r3", hmac_signer("r3"), hmac_verifier(c.names), now_ms=c.now)
    c.apply("r3", c["r3"].state_transferred(7, c.executors["r3"].states[7], now_ms=c.now))
    c.advance(250)  # its status brings it the others' stable checkpoint
    assert c["r3"].stable == 6 and c["r3"].executed == 7 and not c.executors["r3"].transfers
    c.down.add("r1")  # r3's votes are needed now
    c.submit("r2", b"after the restart")
    c.advance(100)
    assert c.executors["r3"].sequences[-1] == 8 and c.executors["r0"].requests[-1] == b"after the restart"


def test_lost_checkpoint_votes_are_sent_again_so_the_window_does_not_stay_full():
    c = Cluster(batch_max=1, checkpoint_interval=2, window=4, status_interval_ms=100)
    for i in range(6):
        c.submit("r0", b"req %d" % i)
    c.flush(drop=lambda p: p.kind == "checkpoint")
    assert all(c[n].stable == 0 and c[n].executed == 4 for n in c.names)  # the window is full
    c.advance(250)
    assert all(c[n].stable >= 4 and c[n].executed == 6 for n in c.names)


def test_a_primary_that_cannot_propose_asks_for_no_early_tick():
    c = Cluster(batch_max=1, checkpoint_interval=2, window=4, auto_checkpoint=False, request_timeout_ms=1_000)
    for i in range(6):
        c.submit("r0", b"req %d" % i)
    c.flush()
    assert c["r0"].pending == 2  # the window is full; their batch timeout (50 ms) passed long ago
    c.now = 500
    c.apply("r0", c["r0"].tick(c.now))
    assert c.timers["r0"] == 1_000  # the request timeout of the oldest, not "now" again and again
