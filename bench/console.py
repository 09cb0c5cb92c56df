"""What the web console's pages cost a node with a long chain: `python bench/console.py [--quick]
[--blocks N] [--rounds R] [--suite intl|gm]`.

Set-up (untimed): one organisation, one node, one channel in a LevelDB folder (on /dev/shm when
there is one, so the set-up's synced writes are quick), the contract `REGISTRY` below deployed
from its source, and then N blocks (10,000; ``--quick``: 60) committed through the real commit
path (`node.chain.channel.Channel.commit`: every envelope endorsed and signed, validated, and
written with its indexes), one transaction each: a ``set`` of a fresh policy key, except every
`TRACKED_EVERY`-th block, which sets the one tracked key ``"P-tracked"`` (its history then has
N / `TRACKED_EVERY` changes), and every 7th, an ``add`` to the total. The node's API
(`node.api.app.create_app` over an in-process `node.api.local.LocalNode`) is then served by
uvicorn on 127.0.0.1 on a free port, in this process, and asked over HTTP/1.1 on loopback with a
certificate session's bearer token, as a logged-in console asks.

Timed: each request a console page makes (`REQUESTS`: the console page, the node, the channel,
the first page of blocks and a deep one, a block, a transaction, the contract with its ABI and
its explain document, the records list, a map's keys and the tracked key's history with its
proof, the total's history (changed by every 7th block: a hot key), whole and its last 50
changes, the activity chart and the network view; the whole hot history is timed for the record
but not judged: the console's record page asks for pages of a history, `UNJUDGED`), each once per round, in order, for R rounds
(30; ``--quick``: 5). Printed: a table of each request's median and p99 (nearest rank) in
milliseconds, its median over the cheapest request's median in the same run, and its time in
the first round, a warm-up that is not counted otherwise (explain renders its document then, and
keeps it); then whether every request met the issue's bar, `BAR_MS` at p99 (each page's requests
on loopback).

Exit status 0 when every request met the bar, 1 otherwise (a 404 or 5xx counts as a failure,
naming the request).

Figures (`python bench/console.py`: 10,000 blocks, intl, 30 rounds; a 2-core machine shared
with other work, so the medians vary by about 2x between runs): the chain committed in 28-54 s;
every page's request at a median of 2-12 ms and a p99 under 20 ms, the slowest the tracked
key's history (its 100 changes, decoded, and the proof: median 7-12 ms, 4-6x the cheapest
request, the records list or the node view at 2-4 ms); the last 50 changes of the hot key ~8 ms;
the explain document's first rendering 18-29 ms, kept after; the first /console page 75-95 ms
(once). Every judged request is far within the 300 ms bar. The hot key's whole history (1,430
changes) takes a median of 54-64 ms and spikes past 300 ms at p99 on this busy machine: about
40 us a change (index read and decode, value decode, JSON), which is why pages of it exist.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from node.api.app import create_app  # noqa: E402
from node.api.local import LocalNetwork  # noqa: E402
from node.chain.block import encode_item  # noqa: E402
from node.chain.channel import Channel, Signer, genesis_block  # noqa: E402
from node.chain.config import ChannelConfig, OrgConfig  # noqa: E402
from node.crypto import CryptoSuite, get_suite  # noqa: E402
from node.identity import Certificate  # noqa: E402
from node.identity.certificate import issue_certificate, key_identifier  # noqa: E402
from node.identity.names import Subject, make_claims  # noqa: E402
from node.tx.clock import now_ms  # noqa: E402
from node.tx.codes import ValidationCode  # noqa: E402
from node.tx.endorsement import decode_endorsement  # noqa: E402
from node.tx.envelope import sign_envelope  # noqa: E402
from node.tx.proposal import Proposal, build_deploy, build_invoke, decode_signed_proposal, sign_proposal  # noqa: E402

BAR_MS = 300.0
TRACKED_EVERY = 100
ORG = "Org1"
CHANNEL = "bench"
CONTRACT = "registry"
TRACKED = "P-tracked"
REGISTRY = '''
contract Registry
"""Policies by id, and a running total: what the console bench writes."""

parties insurer

record Policy:
    holder: Text
    sum_insured: Money
    start: Date

state:
    policies: Map[Text, Policy]
    total: Int = 0

event Issued(id: Text, holder: Text)

action set(id: Text, p: Policy) by insurer:
    policies[id] = p
    emit Issued(id: id, holder: p.holder)

action add(n: Int) by insurer:
    total += n

view get(id: Text) -> Policy:
    require id in policies, "no such policy"
    return policies[id]
'''


class Ident:
    def __init__(self, certificate: Certificate, key: Any) -> None:
        self.certificate = certificate
        self.key = key


def _identity(suite: CryptoSuite, root: Ident | None, name: str, type_: str, roles: tuple[str, ...] = ()) -> Ident:
    now = datetime.now(timezone.utc)
    key = suite.generate_key()
    public = suite.public_key(key)
    subject = Subject(ORG, name, type_)
    der = issue_certificate(
        suite, root.key if root is not None else key, subject=subject,
        issuer_name=root.certificate.subject_name if root is not None else subject.to_der(),
        issuer_key_id=root.certificate.key_id if root is not None else key_identifier(suite, public),
        public_key=public, serial=secrets.randbits(120), not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30), is_ca=root is None,
        claims=None if root is None else make_claims(list(roles), {}))
    return Ident(Certificate.load(der), key)


def build_chain(suite_name: str, folder: Path, blocks: int) -> tuple[Channel, Ident, dict[str, str]]:
    """The channel with ``blocks`` blocks after its genesis and the deploy (see the docstring);
    its client identity; and a block number and tx id to ask for."""
    suite = get_suite(suite_name)
    root = _identity(suite, None, f"{ORG} CA", "ca")
    peer = _identity(suite, root, "peer0-org1", "peer")
    admin = _identity(suite, root, "admin", "admin", ("insurer",))
    client = _identity(suite, root, "app", "client", ("insurer",))
    config = ChannelConfig(CHANNEL, suite_name, (OrgConfig(ORG, root.certificate.der),), "peer0-org1")
    channel = Channel.open(folder, suite_name, Signer(peer.certificate.der, peer.key), genesis_block(config))
    clock = [now_ms() - 2 * blocks]  # block times 1 ms apart, ending about now

    def commit(who: Ident, proposal: Proposal) -> bytes:
        signed = sign_proposal(suite, who.key, proposal)
        endorsement = decode_endorsement(channel.endorse(signed))
        envelope = sign_envelope(suite, who.key, decode_signed_proposal(signed), [endorsement])
        clock[0] += 1
        record = channel.commit(channel.cut([encode_item("envelope", envelope)], clock[0]))
        assert record.codes == (ValidationCode.VALID,), record.messages
        return next(iter(record.tx_ids.values()))

    commit(admin, build_deploy(CHANNEL, CONTRACT, version="1", policy=f"any of {ORG}", source=REGISTRY,
                               creator=admin.certificate.der, role="insurer", timestamp_ms=clock[0]))
    middle = {"block": "", "tx": ""}
    for i in range(blocks):
        if i % 7 == 3:
            entry, args = "add", [i]
        else:
            key = TRACKED if i % TRACKED_EVERY == 0 else f"P{i:06d}"
            entry, args = "set", [key, {"holder": f"Holder {i}", "sum_insured": f"{1000 + i}.00 CNY",
                                        "start": "2026-01-01"}]
        tx = commit(client, build_invoke(CHANNEL, CONTRACT, entry, args, creator=client.certificate.der,
                                         role="insurer", timestamp_ms=clock[0] + 1))
        if i == blocks // 2:
            middle = {"block": str(channel.height() - 1), "tx": tx.hex()}
    return channel, client, middle


UNJUDGED = {"hot history, whole"}  # no page asks for it whole: the record page asks with limit=


def requests_of(middle: dict[str, str], height: int) -> list[tuple[str, str]]:
    """(what, path) of each request the console's pages make, and of the whole hot history."""
    ch = f"/api/v1/channels/{CHANNEL}"
    contract = f"{ch}/contracts/{CONTRACT}"
    key = urllib.parse.quote(json.dumps(TRACKED))
    return [
        ("console page", "/console"),
        ("node", "/api/v1/node"),
        ("channel", ch),
        ("blocks, page 1", f"{ch}/blocks?limit=20"),
        ("blocks, deep page", f"{ch}/blocks?before={max(height // 100, 1)}&limit=20"),
        ("block", f"{ch}/blocks/{middle['block']}"),
        ("transaction", f"{ch}/transactions/{middle['tx']}"),
        ("contract (ABI)", contract),
        ("contract explain", f"{contract}/explain?lang=en"),
        ("records", f"{contract}/records"),
        ("record keys", f"{contract}/records/policies?limit=50"),
        ("record history", f"{contract}/records/policies/history?key={key}"),
        ("hot history, whole", f"{contract}/records/total/history"),
        ("hot history, last 50", f"{contract}/records/total/history?limit=50"),
        ("activity", f"{ch}/activity?minutes=10"),
        ("network", "/api/v1/network"),
    ]


class Served:
    """The app on uvicorn, 127.0.0.1, a free port, in a thread of this process; stopped on exit."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start serving the node's API within 20 s")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def measure(base: str, token: str, requests: list[tuple[str, str]],
            rounds: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Milliseconds of each request in the warm-up round, and in each counted round after it."""
    first: dict[str, float] = {}
    times: dict[str, list[float]] = {what: [] for what, _ in requests}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        for r in range(rounds + 1):
            for what, path in requests:
                start = time.perf_counter()
                answer = http.get(path)
                elapsed = (time.perf_counter() - start) * 1000
                if answer.status_code != 200:
                    raise SystemExit(f"{what}: GET {path} answered {answer.status_code}: {answer.text[:300]}")
                if r:
                    times[what].append(elapsed)
                else:
                    first[what] = elapsed
    return first, times


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, -(-99 * len(ordered) // 100) - 1)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="60 blocks, 5 rounds: that the bench runs")
    parser.add_argument("--blocks", type=int, help="blocks to commit (default 10000; --quick 60)")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 30; --quick 5)")
    parser.add_argument("--suite", choices=("intl", "gm"), default="intl")
    options = parser.parse_args(argv)
    blocks = options.blocks or (60 if options.quick else 10_000)
    rounds = options.rounds or (5 if options.quick else 30)
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="console-bench-", dir=shm if shm.is_dir() else None) as folder:
        began = time.perf_counter()
        channel, client, middle = build_chain(options.suite, Path(folder) / CHANNEL, blocks)
        built = time.perf_counter() - began
        print(f"{channel.height()} blocks on channel {CHANNEL} ({options.suite}), committed in {built:.1f} s "
              f"through Channel.commit; {rounds} rounds of {len(requests_of(middle, 0))} requests over loopback "
              f"HTTP/1.1; Python {sys.version.split()[0]}", flush=True)
        try:
            node = LocalNetwork().add("peer0-org1", ORG, {CHANNEL: channel})
            token, _ = node.sessions.open(client.certificate, None, now_ms=now_ms())
            requests = requests_of(middle, channel.height())
            with Served(create_app(node)) as base:
                first, times = measure(base, token, requests, rounds)
        finally:
            channel.close()
    medians = {what: statistics.median(t) for what, t in times.items()}
    cheapest = min(medians.values())
    print(f"{'request':<20} {'median ms':>10} {'p99 ms':>9} {'x cheapest':>11} {'first ms':>9}")
    for what, _ in requests:
        print(f"{what:<20} {medians[what]:>10.2f} {p99(times[what]):>9.2f} {medians[what] / cheapest:>11.1f} "
              f"{first[what]:>9.2f}")
    over = [what for what in medians if p99(times[what]) > BAR_MS and what not in UNJUDGED]
    if over:
        print(f"over the {BAR_MS:.0f} ms bar at p99: {', '.join(over)}")
        return 1
    print(f"every request's p99 is within the {BAR_MS:.0f} ms bar")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
