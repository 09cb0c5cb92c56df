"""The record-history index (node.chain.store, ``B h``): written with each block, kept across a
restart, and built for a database that predates it by committing its blocks again."""

from __future__ import annotations

import shutil

from node.chain.channel import Channel, Signer
from node.chain.store import NAMESPACE
from tests.node.api.world import deploy_ledger, invoke

LEDGER_KEYS = b"ledger\x00"


def history(channel: Channel) -> dict[bytes, list[tuple[int, int, bytes | None]]]:
    """Every key's history the index keeps for the ledger contract's keys."""
    keys = [k for k, _ in channel.state.snapshot().scan(LEDGER_KEYS)]
    return {k: [(c.block, c.index, c.after) for c in channel.blocks.history(k)] for k in keys}


def test_the_index_is_kept_across_a_restart(world, tmp_path):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    invoke(world, "insurer@Org1", "bump", "a")
    before = history(world.channel("peer0-org1"))
    assert any(len(v) == 2 for v in before.values())
    channel = reopen_at(world, tmp_path / "Org1" / "claims")
    assert history(channel) == before


def reopen_at(world, folder) -> Channel:
    node = world.nodes["peer0-org1"]
    node.channels()["claims"].close()
    peer = world.id("peer0-org1@Org1")
    channel = Channel.open(folder, world.suite_name, Signer(peer.cert.der, peer.key))
    node.channels()["claims"] = channel
    return channel


def test_a_database_that_predates_the_index_gets_it_by_committing_its_blocks_again(world, tmp_path):
    deploy_ledger(world)
    for i in range(4):
        invoke(world, "insurer@Org1", "set", "a" if i % 2 else "b", i)
    invoke(world, "insurer@Org1", "refuse")
    invoke(world, "insurer@Org1", "add", 5)
    channel = world.channel("peer0-org1")
    want, height, state, last = history(channel), channel.height(), channel.state_hash(), channel.latest_id()
    kept = {k: v for k, v in channel.blocks._db.iterator(prefix=b"K")}
    channel.keep(b"checkpoint", b"proof bytes")  # what the node keeps beside its chain survives too
    db = channel.blocks._db
    with db.write_batch() as batch:  # as a database written before the index existed
        for key in db.iterator(prefix=NAMESPACE + b"h", include_value=False):
            batch.delete(key)
        batch.delete(NAMESPACE + b"H")
    assert not channel.blocks.keeps_history() and all(not v for v in history(channel).values())
    rebuilt = reopen_at(world, tmp_path / "Org1" / "claims")
    assert rebuilt.blocks.keeps_history()
    assert history(rebuilt) == want and want
    assert (rebuilt.height(), rebuilt.state_hash(), rebuilt.latest_id()) == (height, state, last)
    assert rebuilt.kept(b"checkpoint") == b"proof bytes" and not kept
    assert not (tmp_path / "Org1" / "claims.rebuilding").exists()
    assert not (tmp_path / "Org1" / "claims.before-history").exists()
    # and the node serves it as before
    assert world.get("/api/v1/channels/claims/contracts/ledger/records/total/history").json()["value"] == 5


def test_a_crash_between_the_rebuilds_renames_is_finished_at_the_next_open(world, tmp_path):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    channel = world.channel("peer0-org1")
    want, state = history(channel), channel.state_hash()
    channel.close()
    folder = tmp_path / "Org1" / "claims"
    # as if the copy was built and checked, the original moved aside, and the node died there
    shutil.copytree(folder, tmp_path / "Org1" / "claims.rebuilding")
    folder.rename(tmp_path / "Org1" / "claims.before-history")
    peer = world.id("peer0-org1@Org1")
    reopened = Channel.open(folder, world.suite_name, Signer(peer.cert.der, peer.key))
    world.nodes["peer0-org1"].channels()["claims"] = reopened
    assert history(reopened) == want and reopened.state_hash() == state
    assert not (tmp_path / "Org1" / "claims.before-history").exists()
