"""Messages: one canonical encoding each, form checked on decoding; signatures; certificates.
A replica reading any bytes at all drops what is wrong and never raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node import codec
from node.crypto import get_suite
from node.order.pbft import Deliver, MessageError, PbftConfig, Replica, decode_signed, suite_signer, suite_verifier
from node.order.pbft import certificates
from node.order.pbft.auth import signing_bytes
from node.order.pbft.config import ConfigError
from node.order.pbft.messages import (
    Batch, Checkpoint, CheckpointProof, Commit, Committed, NewView, Prepare, PreparedProof, PrePrepare, Request,
    Status, ViewChange, decode_batch, encode_body,
)
from tests.node.order.cluster import Cluster

CFG = PbftConfig("test", ("r0", "r1", "r2", "r3"), checkpoint_interval=2, window=4)
D1, D2 = b"\x01" * 32, b"\x02" * 32


def _signed_examples():
    c = Cluster()
    a0, a1, a2, a3 = (c.auth(n) for n in c.names)
    pp = a0.sign(PrePrepare(0, 1, D1))
    prepares = (a1.sign(Prepare(0, 1, D1)), a2.sign(Prepare(0, 1, D1)))
    cps = tuple(a.sign(Checkpoint(2, D2)) for a in (a0, a1, a2))
    vc = a1.sign(ViewChange(1, cps, (PreparedProof(pp, prepares),)))
    batch = Batch(5, (b"a", b"b")).to_bytes()
    return [
        a1.sign(Request(b"claim")),
        a0.sign(PrePrepare(0, 1, a0.hash(batch)), batch),
        prepares[0],
        a2.sign(Commit(3, 9, D2)),
        cps[0],
        vc,
        a1.sign(NewView(1, (vc,), (a1.sign(PrePrepare(1, 3, D1)),))),
        a3.sign(Status(2, False, 10, 8)),
        a3.sign(Committed(tuple(a.sign(Commit(0, 1, D1)) for a in (a0, a1, a2))), batch),
        a3.sign(CheckpointProof(cps)),
    ]


EXAMPLES = _signed_examples()


@pytest.mark.parametrize("signed", EXAMPLES, ids=lambda s: s.kind)
def test_every_message_has_one_encoding_that_decodes_to_it(signed):
    data = signed.to_bytes()
    back = decode_signed(data, CFG)
    assert back == signed and back.to_bytes() == data
    assert encode_body(back.message) == back.body


def test_the_wire_form_is_a_codec_map():
    pp = EXAMPLES[1]
    m = codec.decode(pp.to_bytes())
    assert set(m) == {"author", "body", "sig", "batches"}
    body = codec.decode(m["body"])
    assert body == {"type": "pre-prepare", "view": 0, "seq": 1, "digest": pp.message.digest}
    assert decode_batch(m["batches"][0], CFG) == Batch(5, (b"a", b"b"))
    assert set(codec.decode(EXAMPLES[2].to_bytes())) == {"author", "body", "sig"}  # no batches: absent


def _with_body(body: dict, **envelope) -> bytes:
    return codec.encode({"author": "r1", "body": codec.encode(body), "sig": b"s", **envelope})


@pytest.mark.parametrize("data, where", [
    (b"\xc1", "message"),
    (codec.encode({"author": "r1", "body": b"x"}), "message.sig"),
    (codec.encode({"author": "r1", "body": codec.encode({"type": "prepare"}), "sig": b"s", "extra": 1}), "message.extra"),
    (_with_body({"type": "prepare", "view": 0, "seq": 1}), "message(prepare).digest"),
    (_with_body({"type": "prepare", "view": 0, "seq": 0, "digest": D1}), "message(prepare).seq"),
    (_with_body({"type": "prepare", "view": -1, "seq": 1, "digest": D1}), "message(prepare).view"),
    (_with_body({"type": "prepare", "view": 0, "seq": 1, "digest": b"short"}), "message(prepare).digest"),
    (_with_body({"type": "prepare", "view": 0, "seq": 1, "digest": D1}, batches=[b"b"]), "message.batches"),
    (_with_body({"type": "pre-prepare", "view": 0, "seq": 1, "digest": D1}, batches=[]), "message.batches"),
    (_with_body({"type": "status", "view": 0, "active": 1, "executed": 0, "stable": 0}), "message(status).active"),
    (_with_body({"type": "view-change", "view": 1, "checkpoint": [EXAMPLES[2].to_bytes()], "prepared": []}),
     "message(view-change).checkpoint[0]"),
    (_with_body({"type": "view-change", "view": 1, "checkpoint": [], "prepared": [{"pre_prepare": EXAMPLES[2].to_bytes(),
                                                                                   "prepares": []}]}),
     "message(view-change).prepared[0].pre_prepare"),
    (_with_body({"type": "new-view", "view": 1, "view_changes": [EXAMPLES[8].to_bytes()], "pre_prepares": []}),
     "message(new-view).view_changes[0]"),
    (_with_body({"type": "committed", "commits": [EXAMPLES[5].to_bytes()]}), "message(committed).commits[0]"),
    (_with_body({"type": "gossip"}), "message.body.type"),
    (_with_body({"type": "commit", "view": 0, "seq": 1, "digest": D1, "note": "x"}), "message(commit).note"),
])
def test_malformed_messages_are_refused_naming_the_field(data, where):
    with pytest.raises(MessageError) as err:
        decode_signed(data, CFG)
    assert str(err.value).startswith(where), str(err.value)


def test_lists_are_bounded_by_the_configuration():
    many = [EXAMPLES[4].to_bytes()] * (CFG.n + 1)
    with pytest.raises(MessageError, match="at most 4"):
        decode_signed(_with_body({"type": "checkpoint-proof", "proof": many}), CFG)
    batch = Batch(0, tuple(b"r" for _ in range(CFG.batch_max + 1))).to_bytes()
    with pytest.raises(MessageError, match="batch.requests"):
        decode_batch(batch, CFG)


@given(st.binary(max_size=300))
def test_decoding_any_bytes_raises_only_message_error(data):
    try:
        decode_signed(data, CFG)
    except MessageError:
        pass


_VALID = [s.to_bytes() for s in EXAMPLES]


@given(st.sampled_from(_VALID), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
       st.integers(0, 10_000))
def test_a_replica_drops_damaged_messages_and_never_raises(data, flips, cut):
    damaged = bytearray(data)
    for at, value in flips:
        damaged[at % len(damaged)] = value
    damaged = bytes(damaged[: max(1, len(damaged) - cut % 8)])
    r = Cluster()["r2"]
    actions = r.receive(damaged, "r1", 0)
    assert all(not isinstance(a, Deliver) for a in actions)
    assert sum(v for k, v in r.stats.items() if k.startswith(("dropped.", "in."))) >= 1


def test_signatures_name_the_channel_and_the_author():
    c = Cluster()
    s = c.auth("r1").sign(Prepare(0, 1, D1))
    other = PbftConfig("another channel", c.names)
    from node.order.pbft.auth import Authenticator
    from node.order.pbft.replica import sha256
    from tests.node.order.keys import hmac_signer, hmac_verifier
    assert c.auth("r2").verify(s)
    assert not Authenticator(other, "r2", hmac_signer("r2"), hmac_verifier(c.names), sha256).verify(s)
    forged = type(s)("r3", s.message, s.body, s.signature)
    assert not c.auth("r2").verify(forged)
    r = c["r2"]
    for data, reason in [(forged.to_bytes(), "bad-signature"), (s.to_bytes(), None)]:
        r.receive(data, "r1", 0)
    assert r.stats["dropped.bad-signature"] == 1 and r.stats["in.prepare"] == 1
    r.receive(s.to_bytes(), "stranger", 0)
    r.receive(c.auth("r2").sign(Prepare(0, 1, D1)).to_bytes(), "r1", 0)
    r.receive(type(s)("stranger", s.message, s.body, s.signature).to_bytes(), "r1", 0)
    assert r.stats["dropped.unknown-peer"] == 1 and r.stats["dropped.own"] == 1
    assert r.stats["dropped.unknown-author"] == 1
    assert signing_bytes("test", "r1", s.body) == codec.encode(["baochain/pbft/1", "test", "r1", s.body])


def test_a_raising_verifier_refuses_the_message_not_the_replica():
    def verifier(author, data, signature):
        raise RuntimeError("broken")

    r = Replica(CFG, "r3", lambda d: b"sig", verifier)
    r.receive(EXAMPLES[2].to_bytes(), "r2", 0)
    assert r.stats["dropped.bad-signature"] == 1


def test_the_channel_suite_signs_and_verifies_through_the_adapters():
    suite = get_suite("intl")
    names = ("a", "b", "c", "d")
    keys = {n: suite.generate_key() for n in names}
    verifier = suite_verifier(suite, {n: suite.public_key(k) for n, k in keys.items()})
    config = PbftConfig("ch", names, batch_max=1)
    replicas = {n: Replica(config, n, suite_signer(suite, keys[n]), verifier, hasher=suite.hash) for n in names}
    queue = [("b", a) for a in replicas["b"].submit(b"item", 0)]
    delivered = {}
    while queue:
        src, a = queue.pop(0)
        targets = [n for n in names if n != src] if type(a).__name__ == "Broadcast" else [getattr(a, "to", None)]
        if isinstance(a, Deliver):
            delivered[src] = a.batch.requests
        if hasattr(a, "message"):
            for t in targets:
                queue += [(t, x) for x in replicas[t].receive(a.message.to_bytes(), src, 0)]
    assert delivered == {n: (b"item",) for n in names}
    assert all(not any(k.startswith("dropped") for k in r.stats) for r in replicas.values())


# --- certificates

def _auths():
    c = Cluster()
    return c, [c.auth(n) for n in c.names]


def test_checkpoint_proofs():
    c, a = _auths()
    cfg = c.config
    good = tuple(x.sign(Checkpoint(2, D1)) for x in a[:3])
    assert certificates.checkpoint_proof(good, cfg, a[3]) == (2, D1)
    assert certificates.checkpoint_proof(good[:2], cfg, a[3]) is None  # too few
    assert certificates.checkpoint_proof(good[:2] + good[:1], cfg, a[3]) is None  # one author twice
    assert certificates.checkpoint_proof(good[:2] + (a[2].sign(Checkpoint(2, D2)),), cfg, a[3]) is None
    assert certificates.checkpoint_proof(tuple(x.sign(Checkpoint(3, D1)) for x in a[:3]), cfg, a[3]) is None  # not a multiple of K


def test_prepared_and_commit_certificates():
    c, a = _auths()
    cfg = c.config
    pp = a[0].sign(PrePrepare(0, 1, D1))
    prepares = (a[1].sign(Prepare(0, 1, D1)), a[2].sign(Prepare(0, 1, D1)))
    assert certificates.prepared_certificate(PreparedProof(pp, prepares), cfg, a[3]) == pp.message
    assert certificates.prepared_certificate(PreparedProof(a[1].sign(PrePrepare(0, 1, D1)), prepares), cfg, a[3]) is None
    assert certificates.prepared_certificate(PreparedProof(pp, (prepares[0], a[0].sign(Prepare(0, 1, D1)))), cfg, a[3]) is None
    assert certificates.prepared_certificate(PreparedProof(pp, (prepares[0], a[2].sign(Prepare(0, 1, D2)))), cfg, a[3]) is None
    commits = tuple(x.sign(Commit(4, 1, D1)) for x in a[1:])
    assert certificates.commit_certificate(commits, cfg, a[0]) == Commit(4, 1, D1)
    assert certificates.commit_certificate(commits[:2] + (a[0].sign(Commit(3, 1, D1)),), cfg, a[0]) is None


def _vc(a, author, view, prepared=(), checkpoint=()):
    return a[author].sign(ViewChange(view, checkpoint, tuple(prepared)))


def _cert(a, view, seq, digest):
    primary = view % 4
    backups = [i for i in range(4) if i != primary][:2]
    return PreparedProof(a[primary].sign(PrePrepare(view, seq, digest)),
                         tuple(a[i].sign(Prepare(view, seq, digest)) for i in backups))


def test_the_new_view_plan_takes_the_highest_view_per_number_and_fills_gaps_with_null():
    c, a = _auths()
    null = a[0].null_digest
    cps = tuple(x.sign(Checkpoint(2, D1)) for x in a[:3])
    vcs = [
        _vc(a, 1, 3, [_cert(a, 0, 4, D1)]),
        _vc(a, 2, 3, [_cert(a, 1, 4, D2), _cert(a, 0, 1, D1)]),  # 1 is below min-s
        _vc(a, 3, 3, [], cps),
    ]
    for vc in vcs:
        assert certificates.view_change(vc, c.config, a[0])
    plan = certificates.plan_new_view(3, vcs, null)
    assert plan.stable == 2 and plan.stable_proof == cps
    assert plan.assignments == ((3, null), (4, D2)) and plan.max_seq == 4


def test_view_changes_with_bad_certificates_are_invalid():
    c, a = _auths()
    cfg = c.config
    assert not certificates.view_change(_vc(a, 1, 1, [_cert(a, 1, 1, D1)]), cfg, a[0])  # a certificate of its own view
    assert not certificates.view_change(_vc(a, 1, 2, [_cert(a, 0, 1, D1), _cert(a, 1, 1, D1)]), cfg, a[0])  # twice n
    assert not certificates.view_change(_vc(a, 1, 2, [_cert(a, 0, 5, D1)]), cfg, a[0])  # beyond h + L
    bad = PreparedProof(a[0].sign(PrePrepare(0, 1, D1)), (a[1].sign(Prepare(0, 1, D1)),))
    assert not certificates.view_change(_vc(a, 1, 1, [bad]), cfg, a[0])
    assert certificates.view_change(_vc(a, 1, 1, [_cert(a, 0, 1, D1)]), cfg, a[0])


def test_a_new_view_must_be_exactly_the_plan_of_its_view_changes():
    c, a = _auths()
    cfg = c.config
    null = a[0].null_digest
    vcs = (_vc(a, 1, 1, [_cert(a, 0, 2, D1)]), _vc(a, 2, 1), _vc(a, 3, 1))
    right = (a[1].sign(PrePrepare(1, 1, null)), a[1].sign(PrePrepare(1, 2, D1)))
    assert certificates.new_view(a[1].sign(NewView(1, vcs, right)), cfg, a[0]).assignments == ((1, null), (2, D1))
    omits = (right[0], a[1].sign(PrePrepare(1, 2, null)))  # leaves the prepared batch out
    assert certificates.new_view(a[1].sign(NewView(1, vcs, omits)), cfg, a[0]) is None
    assert certificates.new_view(a[1].sign(NewView(1, vcs[:2], right)), cfg, a[0]) is None  # too few view changes
    assert certificates.new_view(a[2].sign(NewView(1, vcs, right)), cfg, a[0]) is None  # not view 1's primary
    assert certificates.new_view(a[1].sign(NewView(1, vcs, right[:1])), cfg, a[0]) is None
    other = (vcs[0], vcs[1], _vc(a, 3, 2))
    assert certificates.new_view(a[1].sign(NewView(1, other, right)), cfg, a[0]) is None  # a view change for another view


def test_configurations_that_cannot_work_are_refused():
    with pytest.raises(ConfigError):
        PbftConfig("c", ())
    with pytest.raises(ConfigError):
        PbftConfig("c", ("a", "a"))
    with pytest.raises(ConfigError):
        PbftConfig("c", ("a",), checkpoint_interval=4, window=6)
    sizes = {n: (PbftConfig("c", tuple(map(str, range(n)))).f, PbftConfig("c", tuple(map(str, range(n)))).quorum)
             for n in (1, 4, 5, 6, 7, 10)}
    assert sizes == {1: (0, 1), 4: (1, 3), 5: (1, 4), 6: (1, 4), 7: (2, 5), 10: (3, 7)}
