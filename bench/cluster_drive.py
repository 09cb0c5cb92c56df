"""The load bench/cluster.py puts on a running network, and what it measures of each transaction.

- `drive` submits pre-signed transactions round the nodes' APIs, closed-loop (a window of W in
  flight: the next goes when one commits or is refused) or open-loop (evenly spaced at a rate,
  whether or not earlier ones committed), and follows every node's blocks (one long-polled read
  per node and block, ``X-Baochain-Min-Height``, of the block's ids and codes: ``.../codes``, as
  a client waiting for its transactions reads them) until each submitted one is seen committed at
  the node it went to, or 60 s pass.
- `Connection` speaks HTTP/1.1 (over TLS when the API is https) on kept-alive connections,
  sending requests whose bytes, signature headers included, were made before the clock started,
  and reading answers by their Content-Length. Why not httpx: the client shares the machine's
  cores with the nodes, and httpx's connection pool cost about a millisecond of CPU a request
  (measured: the client took a third of the two cores); this costs tens of microseconds.
- `figures` reads a run's steady period: from the W-th commit (closed loop: the pipeline is full)
  or from ``warm_s`` after the start (open loop), to the last submission (then the pipeline
  drains). The rate counts VALID commits in that period; latencies (submit to commit seen) are
  those of the transactions submitted in it.
"""

from __future__ import annotations

import asyncio
import json
import math
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from node.api.signature import HEADER_MIN_HEIGHT
from node.client.link import RequestSigner

CONNECTIONS = 16  # per node, for submissions
COMMIT_WAIT_S = 60.0  # after the last submission, how long to wait for the stragglers


class Nodes(Protocol):
    """The nodes as `drive` reaches them, in one order: base URLs, TLS contexts (None for plain
    http), and a request signer of a member of the channel for each."""

    apis: tuple[str, ...]
    tls: tuple[ssl.SSLContext | None, ...]
    signers: tuple[RequestSigner, ...]


@dataclass(slots=True)
class Tx:
    """A pre-signed transaction: the whole HTTP request of its submit and the node (position) it
    goes to; times are `time.perf_counter` seconds."""

    tx_id: str
    node: int
    request: bytes
    sent: float = 0.0
    committed: float = 0.0
    code: str = ""  # its validation code's name, once committed
    refused: str = ""  # why the node refused the submission


def http_request(method: str, api: str, target: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {urlsplit(api).netloc}", f"Content-Length: {len(body)}",
             *(["Content-Type: application/octet-stream"] if body else []), *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


class Connection:
    """One kept-alive connection to node ``k``; a request that finds it closed by the server (its
    keep-alive timeout) opens it again and is sent once more (a submission sent twice is answered
    as pending or recorded, never ordered twice)."""

    def __init__(self, nodes: Nodes, k: int) -> None:
        self.nodes, self.k = nodes, k
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.reader is None or self.reader.at_eof():
                url = urlsplit(self.nodes.apis[self.k])
                self.reader, self.writer = await asyncio.open_connection(url.hostname, url.port,
                                                                         ssl=self.nodes.tls[self.k])
            assert self.writer is not None
            try:
                self.writer.write(raw)
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
                continue
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            return int(head[9:12]), await self.reader.readexactly(length)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def channel_view(nodes: Nodes, k: int, c: Connection, channel: str) -> dict[str, Any]:
    """Node ``k``'s ``GET /api/v1/channels/CHANNEL`` (height, consensus figures, ...), signed."""
    target = f"/api/v1/channels/{channel}"
    headers = nodes.signers[k].headers("GET", target, b"")
    status, body = await c.request(http_request("GET", nodes.apis[k], target, headers))
    if status != 200:
        raise RuntimeError(f"{nodes.apis[k]}: {status} {body[:200]!r}")
    view: dict[str, Any] = json.loads(body)
    return view


@dataclass(slots=True)
class Run:
    txs: list[Tx]  # those submitted
    window: int  # 0: open loop
    start: float = 0.0
    end: float = 0.0  # the last submission
    blocks: list[int] = field(default_factory=list)  # transactions of this run in each block
    reads: int = 0  # signed block reads


async def drive(nodes: Nodes, channel: str, txs: list[Tx], seconds: float, *, window: int = 0,
                rate: float = 0.0) -> Run:
    """Submit ``txs`` for at most ``seconds`` (see the module docstring) and follow the commits."""
    by_id = {t.tx_id: t for t in txs}
    run = Run([], window)
    pools: list[asyncio.Queue[Connection]] = []
    opened: list[Connection] = []
    for k in range(len(nodes.apis)):
        pools.append(asyncio.Queue())
        for _ in range(CONNECTIONS):
            opened.append(Connection(nodes, k))
            pools[k].put_nowait(opened[-1])
    in_flight = asyncio.Semaphore(window) if window else None
    outstanding: set[str] = set()
    all_sent, done = asyncio.Event(), asyncio.Event()

    def settled(tx: Tx) -> None:
        outstanding.discard(tx.tx_id)
        if in_flight is not None:
            in_flight.release()
        if all_sent.is_set() and not outstanding:
            done.set()

    async def follow(k: int, c: Connection, n: int) -> None:
        while True:
            target = f"/api/v1/channels/{channel}/blocks/{n}/codes"  # ids and codes: all a client waits for
            headers = {**nodes.signers[k].headers("GET", target, b""), HEADER_MIN_HEIGHT: str(n + 1)}
            status, body = await c.request(http_request("GET", nodes.apis[k], target, headers))
            run.reads += 1
            if status == 503:  # not there within the node's wait: ask again
                continue
            if status != 200:
                raise RuntimeError(f"{nodes.apis[k]}: block {n}: {status} {body[:200]!r}")
            now = time.perf_counter()
            items = json.loads(body)["transactions"]
            for item in items:
                tx = by_id.get(item["tx_id"])
                if tx is not None and tx.node == k and not tx.committed:
                    tx.committed, tx.code = now, item["code_name"]
                    if not tx.refused:  # a resubmission refused as a replay, yet the first got through
                        settled(tx)
            if k == 0:
                run.blocks.append(sum(1 for item in items if item["tx_id"] in by_id))
            n += 1

    async def submit(tx: Tx) -> None:
        tx.sent = time.perf_counter()  # when the client means to submit: waiting for a connection counts
        c = await pools[tx.node].get()
        try:
            status, body = await c.request(tx.request)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            status, body = 0, json.dumps({"code": type(exc).__name__}).encode()
        finally:
            pools[tx.node].put_nowait(c)
        if status != 202:
            tx.refused = f"{status} {json.loads(body).get('code', '?')}"
            settled(tx)

    followers = []
    for k in range(len(nodes.apis)):
        opened.append(Connection(nodes, k))
        start = int((await channel_view(nodes, k, opened[-1], channel))["height"])
        followers.append(asyncio.create_task(follow(k, opened[-1], start)))
    sending: set[asyncio.Task] = set()
    run.start = time.perf_counter()
    for i, tx in enumerate(txs):
        if in_flight is not None:
            await in_flight.acquire()
        elif (delay := run.start + i / rate - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        if time.perf_counter() - run.start >= seconds:
            break
        outstanding.add(tx.tx_id)
        run.txs.append(tx)
        task = asyncio.create_task(submit(tx))
        sending.add(task)
        task.add_done_callback(sending.discard)
    run.end = time.perf_counter()
    all_sent.set()
    await asyncio.gather(*sending)
    if outstanding:
        waiting = asyncio.create_task(done.wait())
        await asyncio.wait([waiting, *followers], timeout=COMMIT_WAIT_S, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
    for task in followers:
        task.cancel()
    for task in followers:
        try:
            await task  # a follower that failed says why here
        except asyncio.CancelledError:
            pass
    for c in opened:
        c.close()
    return run


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] if ordered else math.nan


@dataclass(frozen=True, slots=True)
class Figures:
    rate: float  # VALID transactions per second in the steady period
    p50: float  # seconds from submission to the commit seen, of those submitted in it
    p99: float
    seconds: float  # of the steady period
    per_block: float  # transactions of the run per block that held any
    txs: int  # submitted
    failed: dict[str, int]  # outcome -> transactions, for all that were not VALID


def figures(run: Run, warm_s: float = 1.0) -> Figures:
    commits = sorted(t.committed for t in run.txs if t.committed)
    if run.window:
        a = commits[min(run.window, len(commits)) - 1] if commits else run.end
    else:
        a = run.start + warm_s
    b = run.end
    valid = sum(1 for t in run.txs if t.code == "VALID" and a <= t.committed <= b)
    latencies = [t.committed - t.sent for t in run.txs if a <= t.sent <= b and t.committed]
    failed: dict[str, int] = {}
    for t in run.txs:
        if t.code != "VALID":
            why = t.code or (f"refused {t.refused}" if t.refused else f"not seen committed in {COMMIT_WAIT_S:g} s")
            failed[why] = failed.get(why, 0) + 1
    blocks = [n for n in run.blocks if n]
    return Figures(valid / (b - a) if b > a else math.nan, percentile(latencies, 0.5), percentile(latencies, 0.99),
                   b - a, sum(blocks) / len(blocks) if blocks else 0.0, len(run.txs), failed)
