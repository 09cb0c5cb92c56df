"""The shipped health contract run by the VM on the ledger's state (a `StateSnapshot` per call,
its writes committed block by block) gives the results it gives on the local `MemoryHost`, and
the snapshot's records cover the call's reads and scans with their versions."""

from __future__ import annotations

from pathlib import Path

import plyvel

from dsl.pipeline import Compilation
from node.crypto import get_suite
from node.ledger.state import StateStore
from node.ledger.version import Version
from vm.runtime import CallContext, MemoryHost
from vm.runtime import Machine
from vm.values import Money, Party, parse_date_literal
from vm.verify import verify

GAS = 10**7
NOW = 1714492800000  # 2024-05-01
ROOT = Path(__file__).resolve().parents[3]


def test_health_contract_on_the_ledger(tmp_path: Path) -> None:
    machine = Machine(verify(Compilation.from_file(ROOT / "contracts" / "health.bao").module))
    insurer = CallContext(Party("PICC", "PICC", "insurer"), NOW, bytes(32))
    hospital = CallContext(Party("Ruijin", "Ruijin", "hospital"), NOW, bytes(32))
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, get_suite("gm"))
    memory = MemoryHost()
    block = 0

    def run(call) -> object:
        nonlocal block
        with store.snapshot() as snap:
            on_ledger = call(snap)
            assert set(on_ledger.reads) <= set(snap.reads)
            for key, value in on_ledger.reads.items():
                found = store.get(key)
                assert (found and found[0]) == value and snap.reads[key] == (found and found[1])
            assert set(on_ledger.scans) <= set(snap.scans)
        local = call(memory)
        assert (local.value, local.writes, local.events) == (on_ledger.value, on_ledger.writes, on_ledger.events)
        batch = db.write_batch()
        store.apply(batch, block, {k: (v, Version(block, 0)) for k, v in on_ledger.writes.items()})
        batch.write()
        memory.apply(local.writes)
        block += 1
        assert store.recompute_root() == store.root()
        return on_ledger.value

    def cny(cents: int) -> Money:
        return Money("CNY", cents)

    run(lambda host: machine.deploy((), insurer, host, GAS))
    term = (parse_date_literal("2024-01-01"), parse_date_literal("2024-12-31"))
    for i in range(3):
        policy = ("Li Lei", cny(1_000_000), cny(50_000), 20 * 10**16, *term, 0)
        run(lambda host, args=(f"P{i}", policy): machine.call("issue", args, insurer, host, GAS))
    for i in range(3):
        args = (f"P{i}", cny(150_000), parse_date_literal("2024-05-01"))
        paid = run(lambda host, args=args: machine.call("settle", args, hospital, host, GAS))
        assert paid == cny(80_000)
    with store.snapshot() as snap:
        assert sorted(snap.scan(b"")) == memory.items()
    db.close()
