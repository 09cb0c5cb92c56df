"""Cost of the state store's commit path and of its proofs, beside bare suite hashing in the same run.

    .venv/bin/python bench/ledger_state.py [--keys 10000,100000] [--suite gm,intl] [--blocks 30]
                                           [--writes 300] [--history 16]

For each suite and state size: load the keys, apply `--history` + 4 blocks to reach a steady
state (past the pruning of the load), then time `--blocks` blocks of `--writes` writes each (80%
rewrites of existing keys, 15% new keys, 5% deletes: a block of ~100 transactions writing ~3 keys
each), writing every batch (unsynced: the fsync is the block store's, once per block). Times are
the thread's CPU time, so that other work on a shared machine does not count.

Columns:
- apply ms      median time of `StateStore.apply` for one block (entries, undo records, trie, pruning)
- write ms      median time of writing that batch to LevelDB
- hashes        suite hashes one block costs (counted), and `bare ms`: the same number of bare
                `suite.hash` calls on 65-byte inputs, timed in the same run
- x bare        median over blocks of apply time / bare time (the baseline runs right after each
                block): the store's whole cost per hash it cannot avoid
- = verifies    apply ms in signature verifications of the suite (one block's state update costs
                as much as this many `suite.verify` calls)
- writes/s      block writes per second through apply + write
- proof B       mean encoded proof size over 200 present and 200 absent keys; prove / verify us each
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plyvel  # noqa: E402

from node.crypto import get_suite  # noqa: E402
from node.ledger.proof import encode_proof, verify_proof  # noqa: E402
from node.ledger.state import StateStore  # noqa: E402
from node.ledger.version import Version  # noqa: E402


class CountingSuite:
    """The suite with its hash calls counted (everything else passes through)."""

    def __init__(self, suite: object) -> None:
        self._suite = suite
        self.calls = 0
        self.digest_size = suite.digest_size  # type: ignore[attr-defined]
        self.hash_name = suite.hash_name  # type: ignore[attr-defined]
        self.name = suite.name  # type: ignore[attr-defined]

    def hash(self, data: bytes) -> bytes:
        self.calls += 1
        return self._suite.hash(data)  # type: ignore[attr-defined]


DB_OPTIONS: dict = {}


def clock() -> float:
    # CPU time of this thread: the machine these run on is shared, and wall time there measures
    # the neighbours. (LevelDB compacts on its own thread; that cost is not in these figures.)
    return time.thread_time()


def key(i: int) -> bytes:
    return b"policy/%08d/claims" % i


def run(suite_name: str, n_keys: int, blocks: int, writes: int, history: int) -> dict:
    suite = get_suite(suite_name)
    counting = CountingSuite(suite)
    rng = random.Random(7)
    folder = tempfile.mkdtemp(prefix="bench-state-")
    db = plyvel.DB(folder, create_if_missing=True, **DB_OPTIONS)
    store = StateStore(db, counting, history=history)  # type: ignore[arg-type]
    block = 0
    for start in range(0, n_keys, 20_000):
        batch = db.write_batch()
        chunk = {key(i): (os.urandom(120), Version(block, i % 100)) for i in range(start, min(n_keys, start + 20_000))}
        store.apply(batch, block, chunk)
        batch.write()
        block += 1
    live = list(range(n_keys))
    next_key = n_keys
    apply_t, write_t, bare_t, hashes = [], [], [], []
    inputs = [os.urandom(65) for _ in range(4 * writes * 20)]
    warm = history + 4  # blocks that prune the bulk load's stale lists are not steady state
    for step in range(warm + blocks):
        changes: dict[bytes, tuple[bytes | None, Version]] = {}
        for i in range(writes):
            r = rng.random()
            if r < 0.80:
                k = key(rng.choice(live))
                changes[k] = (os.urandom(120), Version(block, i // 3))
            elif r < 0.95:
                changes[key(next_key)] = (os.urandom(120), Version(block, i // 3))
                live.append(next_key)
                next_key += 1
            else:
                changes[key(rng.choice(live))] = (None, Version(block, i // 3))
        batch = db.write_batch()
        counting.calls = 0
        t0 = clock()
        store.apply(batch, block, changes)
        t1 = clock()
        batch.write()
        t2 = clock()
        # The baseline right after, so that both run in the same conditions.
        for d in inputs[: counting.calls]:
            suite.hash(d)
        t3 = clock()
        block += 1
        if step < warm:
            continue
        apply_t.append(t1 - t0)
        write_t.append(t2 - t1)
        bare_t.append(t3 - t2)
        hashes.append(counting.calls)
    n_hash = int(statistics.median(hashes))
    bare_ms = statistics.median(bare_t) * 1e3
    apply_ms = statistics.median(apply_t) * 1e3
    write_ms = statistics.median(write_t) * 1e3
    ratio = statistics.median(a / b for a, b in zip(apply_t, bare_t))
    signing_key = suite.generate_key()
    public, message = suite.public_key(signing_key), os.urandom(200)
    signature = suite.sign(signing_key, message)
    t0 = clock()
    for _ in range(50):
        suite.verify(public, message, signature)
    verify_ms = (clock() - t0) / 50 * 1e3
    # Proofs: keys present and absent.
    real = StateStore(db, suite, history=history)
    root = real.root()
    sizes, prove_t, verify_t = [], [], []
    for k in [key(rng.choice(live)) for _ in range(200)] + [b"absent/%d" % i for i in range(200)]:
        t0 = clock()
        proof = real.prove(k)
        t1 = clock()
        ok = verify_proof(suite, root, proof)
        t2 = clock()
        assert ok
        sizes.append(len(encode_proof(proof)))
        prove_t.append(t1 - t0)
        verify_t.append(t2 - t1)
    recompute_t0 = clock()
    assert real.recompute_root() == root
    recompute_s = clock() - recompute_t0
    db.close()
    return {
        "suite": suite_name,
        "keys": n_keys,
        "apply_ms": apply_ms,
        "write_ms": write_ms,
        "hashes": n_hash,
        "bare_ms": bare_ms,
        "ratio": ratio,
        "verifies": apply_ms / verify_ms,
        "writes_s": writes / ((apply_ms + write_ms) / 1e3),
        "proof_b": statistics.mean(sizes),
        "prove_us": statistics.median(prove_t) * 1e6,
        "verify_us": statistics.median(verify_t) * 1e6,
        "recompute_s": recompute_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", default="10000,100000")
    ap.add_argument("--suite", default="gm,intl")
    ap.add_argument("--blocks", type=int, default=30)
    ap.add_argument("--writes", type=int, default=300)
    ap.add_argument("--history", type=int, default=16)
    args = ap.parse_args()
    header = (
        f"{'suite':5} {'keys':>7} {'apply ms':>9} {'write ms':>9} {'hashes':>7} {'bare ms':>8} {'x bare':>7} "
        f"{'= verifies':>10} {'writes/s':>9} {'proof B':>8} {'prove us':>9} {'verify us':>9} {'recompute s':>11}"
    )
    print(f"blocks of {args.writes} writes, history {args.history}")
    print(header)
    for suite_name in args.suite.split(","):
        for n in (int(x) for x in args.keys.split(",")):
            r = run(suite_name, n, args.blocks, args.writes, args.history)
            print(
                f"{r['suite']:5} {r['keys']:>7} {r['apply_ms']:>9.2f} {r['write_ms']:>9.2f} {r['hashes']:>7} "
                f"{r['bare_ms']:>8.2f} {r['ratio']:>7.2f} {r['verifies']:>10.0f} {r['writes_s']:>9.0f} {r['proof_b']:>8.0f} "
                f"{r['prove_us']:>9.0f} {r['verify_us']:>9.0f} {r['recompute_s']:>11.2f}"
            )


if __name__ == "__main__":
    main()
