"""Ledger throughput against its signature bound: `python bench/ledger.py [--quick] [--profile]`.

One node of one organisation, in one process, without HTTP (the API issue measures that path):
each transaction is the health contract's `settle` on its own policy, every one adding to the
contract's one total (`total_paid += payable`, a delta: no conflicts). Before the clock starts,
the policies are issued and the settle proposals built and signed. Timed, the node's work: for
every proposal, endorsement (proposal signature checked, creator identity checked, simulation,
endorsement signed); then ordering by `node.order.SoloOrderer` and validation and commit of each
block (envelope and endorser signatures checked, identities checked, MVCC, deltas, one synced
LevelDB write per block). Between the two, untimed, the clients' part: reading the endorsement
and signing the envelope (on the clients' machines in a network; printed apart).

The baseline, measured in the same run: the signatures and verifications the node makes per
transaction (1 sign: the endorsement; 3 verifications: proposal, envelope, endorsement), alone in
a bare loop with the same suite and keys. Printed: VALID transactions per second, the bound the
bare loop allows, and their ratio. Each figure is the best of three rounds (the transactions are
split in three; the bare loop runs three times), as the machine is shared and noisy. Targets: at least 50% of the bound for gm, 30% for intl.
`--profile` prints where the rest of the time goes (cProfile, top functions by own time).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

from node.chain.block import encode_item  # noqa: E402
from node.chain.channel import Channel, Signer, genesis_block  # noqa: E402
from node.chain.config import ChannelConfig, OrgConfig  # noqa: E402
from node.crypto import get_suite  # noqa: E402
from node.identity import Certificate  # noqa: E402
from node.identity.certificate import issue_certificate, key_identifier  # noqa: E402
from node.identity.names import Subject, make_claims  # noqa: E402
from node.order.solo import SoloOrderer  # noqa: E402
from node.tx.codes import ValidationCode  # noqa: E402
from node.tx.endorsement import decode_endorsement  # noqa: E402
from node.tx.envelope import sign_envelope  # noqa: E402
from node.tx.proposal import build_deploy, build_invoke, decode_signed_proposal, sign_proposal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3
ORG = "Org1"


def _identity(suite, root: Certificate | None, root_key, name: str, type_: str, roles=()):
    now = datetime.now(timezone.utc)
    key = suite.generate_key()
    public = suite.public_key(key)
    subject = Subject(ORG, name, type_)
    der = issue_certificate(
        suite, root_key if root is not None else key, subject=subject,
        issuer_name=root.subject_name if root is not None else subject.to_der(),
        issuer_key_id=root.key_id if root is not None else key_identifier(suite, public),
        public_key=public, serial=secrets.randbits(120), not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30), is_ca=root is None,
        claims=None if root is None else make_claims(list(roles), {}))
    return Certificate.load(der), key


def setup(suite_name: str, folder: Path, n: int):
    suite = get_suite(suite_name)
    root, root_key = _identity(suite, None, None, f"{ORG} CA", "ca")
    peer = _identity(suite, root, root_key, "peer0-org1", "peer")
    admin = _identity(suite, root, root_key, "admin", "admin", ("insurer",))
    client = _identity(suite, root, root_key, "app", "client", ("insurer", "hospital"))
    config = ChannelConfig("bench", suite_name, (OrgConfig(ORG, root.der),), "peer0-org1", block_max_tx=100,
                           block_timeout_ms=5)
    channel = Channel.open(folder, suite_name, Signer(peer[0].der, peer[1]), genesis_block(config))

    def run_now(creator, proposal) -> None:
        signed = sign_proposal(suite, creator[1], proposal)
        endorsement = decode_endorsement(channel.endorse(signed))
        envelope = sign_envelope(suite, creator[1], decode_signed_proposal(signed), [endorsement])
        record = channel.commit(channel.cut([encode_item("envelope", envelope)], _now()))
        assert record.codes == (ValidationCode.VALID,), record.messages

    source = (ROOT / "contracts" / "health.bao").read_text(encoding="utf-8")
    run_now(admin, build_deploy("bench", "health", version="1", policy=f"any of {ORG}", source=source,
                                creator=admin[0].der, role="insurer"))
    # Issue the policies in blocks of 100 (setup, untimed).
    for start in range(0, n, 100):
        items = []
        for i in range(start, min(n, start + 100)):
            policy = {"holder": f"Holder {i}", "sum_insured": "10000.00 CNY", "deductible": "500.00 CNY",
                      "copay": "20%", "start": "2024-01-01", "end": "2099-12-31", "status": "Active"}
            p = build_invoke("bench", "health", "issue", [f"P{i}", policy], creator=client[0].der, role="insurer")
            signed = sign_proposal(suite, client[1], p)
            e = decode_endorsement(channel.endorse(signed))
            items.append(encode_item("envelope", sign_envelope(suite, client[1], decode_signed_proposal(signed), [e])))
        record = channel.commit(channel.cut(items, _now()))
        assert set(record.codes) == {ValidationCode.VALID}, record.messages
    # What a client holds once it signed a proposal: the bytes it sends, and the proposal itself.
    settles = []
    for i in range(n):
        signed = sign_proposal(suite, client[1], build_invoke("bench", "health", "settle",
                                                              [f"P{i}", "1500.00 CNY", "2024-05-01"],
                                                              creator=client[0].der, role="hospital"))
        settles.append((signed, decode_signed_proposal(signed)))
    return suite, channel, client, settles


def _now() -> int:
    return time.time_ns() // 1_000_000


def pipeline(suite, channel: Channel, client, settles, clock=time.perf_counter) -> tuple[float, float, int]:
    """Seconds of the node's work (endorse, then solo and commit), seconds of the clients' work
    (envelopes), and how many transactions were VALID; by ``clock`` (wall time by default;
    bench/api.py passes `time.process_time`, CPU time, which is how it counts a node's cost)."""
    valid = 0

    async def deliver(block) -> None:
        nonlocal valid
        record = channel.commit(block)
        valid += sum(1 for c in record.codes if c is ValidationCode.VALID)

    async def order(envelopes: list[bytes]) -> None:
        orderer = SoloOrderer(channel, deliver)
        for envelope in envelopes:
            await orderer.submit(encode_item("envelope", envelope))
        await orderer.close()

    start = clock()
    endorsements = [channel.endorse(signed) for signed, _ in settles]
    endorsed = clock()
    envelopes = [sign_envelope(suite, client[1], proposal, [decode_endorsement(e)])
                 for (_, proposal), e in zip(settles, endorsements)]
    assembled = clock()
    asyncio.run(order(envelopes))
    done = clock()
    return (endorsed - start) + (done - assembled), assembled - endorsed, valid


def bare(suite, client, n: int) -> float:
    """Seconds for n transactions' node-side signatures alone: 1 sign and 3 verifications each."""
    key = client[1]
    public = suite.public_key(key)
    messages = [secrets.token_bytes(64) for _ in range(n)]
    signatures = [suite.sign(key, m + b"x") for m in messages]
    start = time.perf_counter()
    for m, s2 in zip(messages, signatures):
        s1 = suite.sign(key, m)
        ok = suite.verify(public, m, s1) and suite.verify(public, m + b"x", s2) and suite.verify(public, m, s1)
        assert ok
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    n = 300 if "--quick" in argv else 2_000
    targets = {"gm": 0.50, "intl": 0.30}
    print(f"{n} settle transactions per suite; one node, solo ordering, blocks of 100; Python {sys.version.split()[0]}")
    print(f"{'suite':6} {'valid tx/s':>11} {'bound tx/s':>11} {'ratio':>7} {'target':>7} {'client ms/tx':>13}")
    failed = False
    for suite_name in ("gm", "intl"):
        with tempfile.TemporaryDirectory() as tmp:
            suite, channel, client, settles = setup(suite_name, Path(tmp) / "db", n)
            if "--profile" in argv:
                profiler = cProfile.Profile()
                profiler.enable()
            rounds = [settles[i::ROUNDS] for i in range(ROUNDS)]
            results = [pipeline(suite, channel, client, r) for r in rounds]
            if "--profile" in argv:
                profiler.disable()
            bound = max(len(r) / bare(suite, client, len(r)) for r in rounds)
            channel.close()
        valid = sum(v for _, _, v in results)
        assert valid == n, f"{n - valid} transactions were not VALID"
        rate = max(v / seconds for seconds, _, v in results)
        client_seconds = sum(c for _, c, _ in results)
        ratio = rate / bound
        failed |= ratio < targets[suite_name]
        print(f"{suite_name:6} {rate:11.0f} {bound:11.0f} {ratio:6.0%} {targets[suite_name]:6.0%} "
              f"{client_seconds / n * 1000:13.3f}")
        if "--profile" in argv:
            pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(int(os.environ.get("BENCH_ROWS", "18")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
