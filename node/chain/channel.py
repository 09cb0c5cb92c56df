"""One channel on one node: its LevelDB, its configuration, and the three steps over them.

`Channel.open(folder, suite)` opens (or, given the genesis block, creates) the channel's database:
one LevelDB per channel, holding its blocks (`node.chain.store`, namespace ``B``) and its state
(`node.ledger.StateStore`, namespace ``S``). Then:

- `endorse(signed proposal bytes)` checks and simulates a proposal and returns this node's signed
  endorsement (`node.chain.endorser`), or raises `ProposalRefused`;
- `query(...)` runs a view for a client and returns its result (nothing is signed or kept);
- `commit(block)` validates an ordered block (`node.chain.validator`) and writes the block, its
  codes, the state changes, the state trie and the indexes in one synced LevelDB write;
- `next_header()` gives an orderer what the next block's header needs (number, previous id, the
  state hash after the last block).

A database written before the record-history index (`node.chain.store`) gets it when opened:
its blocks are committed again into a fresh database beside it, which must end at the same block
id and state hash, and then replaces it (`Channel._with_history`). Each commit also fills the
channel's `node.chain.activity.Activity` ring (in memory: the console's dashboard).

Blocks are committed one at a time, in order, by one writer; endorsements and queries read
LevelDB snapshots, so they see one committed state whatever commits meanwhile.

A `ChannelObserver` set as ``channel.observer`` hears of every endorsement (made, or refused with
its reason) and every committed block, with how long each took (`node.metrics` counts them).
It is told after the fact and cannot change the outcome; a block is reported only once written.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import plyvel

from node.chain.activity import Activity
from node.chain.block import Block, BlockFormatError, Header, block_id, decode_block, decode_item, encode_item, make_block
from node.chain.config import CONFIG_KEY, ChannelConfig, decode_config, encode_config
from node.chain.contracts import ContractRecord, Machines, contract_key, decode_record
from node.chain.endorser import ProposalRefused, Simulation, simulate
from node.chain.store import BlockStore, CommitRecord, TxLocation
from node.chain.validator import validate
from node.crypto import CryptoSuite, get_suite
from node.crypto.suite import PrivateKey
from node.ledger.proof import StateProof
from node.ledger.state import StateStore
from node.tx.clock import now_ms
from node.tx.endorsement import sign_endorsement
from node.tx.errors import SignatureError, TxFormatError
from node.tx.proposal import verify_proposal

log = logging.getLogger("baochain.chain")

STATE_NAMESPACE = b"S"
# What this node keeps beside its chain (the last stable PBFT checkpoint proof): neither hashed
# nor replicated, so it never makes two nodes' ledgers differ.
KEPT_NAMESPACE = b"K"
# How each channel's LevelDB is opened. No block compression (LevelDB's default is snappy): most
# of what a channel writes and rewrites is the state trie's records (`node.ledger.merkle`), which
# are suite hashes and do not compress, and LevelDB's background compaction passes every byte
# through snappy again at each level it moves down. Measured under bench/cluster.py's settle load
# (four intl nodes, 2 cores): the compaction thread took 0.27 ms of CPU per transaction on each
# node, about a sixth of the node's CPU; without compression about 0.19 ms less per transaction
# and node. The cost is disk: about twice the bytes (the blocks' envelopes, whose certificates
# repeat, are what compressed). A database written with compression is read as it is: each
# LevelDB block names its own compression, so this choice applies to what is written from now on.
# A write buffer (memtable) of 32 MiB, not LevelDB's 4 MiB: a block of a busy channel writes about
# a megabyte of trie records, most of which a later block replaces, so with 4 MiB the memtable was
# flushed to a level-0 file every few blocks and those files merged down again and again. Table
# files of up to 8 MiB, not 2: fewer, larger compactions for the same bytes. Measured:
# - with a state store alone (blocks of 640 writes over 50,000 keys, the process's CPU, compaction
#   included): 54 ms per block with LevelDB's defaults, 44-45 with a 16 MiB buffer, 42-43 with
#   8 MiB files too, 39-41 with the buffer at 32 MiB;
# - under bench/cluster.py's intl load (W = 400), a 16 MiB buffer took the compaction thread from
#   0.16 to 0.08 ms of CPU per transaction and node, and the four nodes from 4.44 to 4.17 ms.
# The memtable grows as it is written (an idle channel does not hold 32 MiB); at most two exist at
# once (the one being written and the one being flushed), so 64 MiB of memory per busy channel at
# worst.
DB_OPTIONS: dict[str, Any] = {"compression": None, "write_buffer_size": 32 << 20, "max_file_size": 8 << 20}


class ChainError(Exception):
    """A block that does not extend this channel's chain, or a database that cannot be used."""


@dataclass(frozen=True, slots=True)
class Signer:
    """The node's identity on a channel: its certificate (DER) and key, which sign endorsements."""

    certificate: bytes
    key: PrivateKey


class ChannelObserver(Protocol):
    """Hears what a channel did (see the module docstring); durations in seconds."""

    def endorsed(self, channel: Channel, refused: str | None, seconds: float) -> None:
        """An endorse call ended: ``refused`` is None when an endorsement was made, else the
        reason word (`ProposalRefused.reason`, or ``unendorsable``)."""

    def committed(self, channel: Channel, block: Block, record: CommitRecord, seconds: float) -> None:
        """``block`` was committed; ``seconds`` from the commit's ``since`` (its cut or arrival)."""


def genesis_block(config: ChannelConfig, time_ms: int = 0) -> Block:
    """Block 0: the first configuration, alone."""
    suite = get_suite(config.suite)
    zeros = bytes(suite.digest_size)
    return make_block(suite, 0, zeros, zeros, time_ms, [encode_item("config", encode_config(config))])


class Channel:
    def __init__(self, db: Any, suite: CryptoSuite, signer: Signer | None) -> None:
        self._db = db
        self.suite = suite
        self.signer = signer
        self.blocks = BlockStore(db, suite)
        self.state = StateStore(db, suite, namespace=STATE_NAMESPACE)
        self.machines = Machines(suite)
        self._config: ChannelConfig | None = None
        self.observer: ChannelObserver | None = None
        self.activity = Activity()  # the last hour's commits, in memory (the console's dashboard)

    @classmethod
    def open(cls, folder: Path, suite: str, signer: Signer | None = None, genesis: Block | None = None) -> Channel:
        """The channel whose database is ``folder``; a new one is created from ``genesis``."""
        side, aside = cls._history_folders(folder)
        if not folder.exists() and aside.exists() and side.exists():  # a crash between `_with_history`'s renames
            side.rename(folder)
            shutil.rmtree(aside)
        try:
            db = plyvel.DB(str(folder), create_if_missing=genesis is not None, **DB_OPTIONS)
        except plyvel.Error as exc:
            raise ChainError(f"{folder}: cannot open the channel's database: {exc}") from None
        channel = cls(db, get_suite(suite), signer)
        if channel.height() == 0:
            if genesis is None:
                db.close()
                raise ChainError(f"{folder}: the channel has no genesis block")
            channel.commit(genesis)
        elif not channel.blocks.keeps_history():
            channel = cls._with_history(folder, channel)
        return channel

    @classmethod
    def _with_history(cls, folder: Path, old: Channel) -> Channel:
        """A database written before the record-history index (`node.chain.store`) gets it by
        committing its own blocks again, through the same validation, into a fresh database
        beside it (``NAME.rebuilding``): every peer computes the same outcome from the same
        blocks, so the copy must end at the same ids and state hash, which is checked before
        the copy replaces the original. A crash meanwhile leaves the original in place, and the
        next open starts over (or, past the first rename, finishes the swap: the copy was checked
        before it). What the node keeps beside its chain (``K``) is copied as is."""
        side, aside = cls._history_folders(folder)
        shutil.rmtree(side, ignore_errors=True)
        log.warning("%s: the database predates the record-history index; committing its %d blocks again to "
                    "build it (in %s)", folder, old.height(), side)
        genesis = old.block(0)
        assert genesis is not None
        new = cls(plyvel.DB(str(side), create_if_missing=True, **DB_OPTIONS), old.suite, old.signer)
        try:
            new.commit(genesis)
            for number in range(1, old.height()):
                block = old.block(number)
                assert block is not None
                new.commit(block, old.blocks.attestation(number))
            if (new.latest_id(), new.state_hash()) != (old.latest_id(), old.state_hash()):
                raise ChainError(f"{folder}: committing the channel's blocks again ends at another block id or "
                                 "state hash than the database holds; it is left as it was")
            with new._db.write_batch(sync=True) as batch:
                for key, value in old._db.iterator(prefix=KEPT_NAMESPACE):
                    batch.put(key, value)
        except BaseException:
            new.close()
            old.close()
            shutil.rmtree(side, ignore_errors=True)
            raise
        new.close()
        old.close()
        folder.rename(aside)
        side.rename(folder)
        shutil.rmtree(aside)
        return cls(plyvel.DB(str(folder), **DB_OPTIONS), new.suite, new.signer)

    @staticmethod
    def _history_folders(folder: Path) -> tuple[Path, Path]:
        """Where `_with_history` builds the copy, and where it moves the original meanwhile."""
        return folder.with_name(folder.name + ".rebuilding"), folder.with_name(folder.name + ".before-history")

    def close(self) -> None:
        self._db.close()

    # --- reads
    @property
    def config(self) -> ChannelConfig:
        if self._config is None:
            found = self.state.get(CONFIG_KEY)
            if found is None:
                raise ChainError("the channel's state holds no configuration")
            self._config = decode_config(found[0])
        return self._config

    @property
    def name(self) -> str:
        return self.config.name

    def height(self) -> int:
        return self.blocks.height()

    def block(self, number: int) -> Block | None:
        return self.blocks.block(number)

    def commit_record(self, number: int) -> CommitRecord | None:
        return self.blocks.commit_record(number)

    def transaction(self, tx_id: bytes) -> TxLocation | None:
        return self.blocks.transaction(tx_id)

    def state_hash(self) -> bytes:
        return self.state.root()

    def latest_id(self) -> bytes:
        record = self.blocks.commit_record(self.height() - 1)
        assert record is not None
        return record.id

    def prove(self, key: bytes, block: int | None = None) -> StateProof:
        return self.state.prove(key, block)

    def damage(self) -> str | None:
        """Why this channel's database cannot be trusted, or None: every block is there, reads, and
        hashes to its recorded id; each header names the block before it and the state hash
        recorded after it; the last record's state hash is the state's root, and the state's
        entries hash to that root. The node runs this when it opens a channel (a disk that lost or
        changed bytes is found before anything is served from it); it reads every block and entry
        once."""
        previous: tuple[bytes, bytes] | None = None
        for n in range(self.height()):
            data = self.blocks.block_bytes(n)
            record = self.blocks.commit_record(n)
            if data is None or record is None:
                return f"block {n} or its commit record is missing"
            try:
                block = decode_block(data, self.suite)
            except BlockFormatError as exc:
                return f"block {n} cannot be read: {exc}"
            if block.number != n or block_id(self.suite, block.header) != record.id:
                return f"block {n} does not hash to the id recorded for it"
            if previous is not None and (block.header.previous, block.header.state) != previous:
                return f"block {n} does not name block {n - 1} and the state after it"
            previous = (record.id, record.state)
        if previous is not None and previous[1] != self.state.root():
            return "the state hash differs from the one recorded after the last block"
        if self.state.recompute_root() != self.state.root():
            return "the state's entries do not hash to the state hash"
        return None

    def kept(self, name: bytes) -> bytes | None:
        """What `keep` stored under ``name``, if anything."""
        return self._db.get(KEPT_NAMESPACE + name)

    def keep(self, name: bytes, data: bytes) -> None:
        self._db.put(KEPT_NAMESPACE + name, data, sync=True)

    def contract(self, name: str) -> ContractRecord | None:
        found = self.state.get(contract_key(name))
        return None if found is None else decode_record(name, found[0])

    def next_header(self) -> tuple[int, bytes, bytes]:
        """(number, previous block id, state hash after the last block) of the next block."""
        return self.height(), self.latest_id(), self.state.root()

    # --- the three steps
    def simulate(self, signed_proposal: bytes, *, now: int | None = None, read_only: bool = False) -> Simulation:
        """Check and simulate a signed proposal; `ProposalRefused` when this node will not."""
        try:
            verified = verify_proposal(self.suite, signed_proposal)
        except TxFormatError as exc:
            raise ProposalRefused("malformed", str(exc)) from None
        except SignatureError as exc:
            raise ProposalRefused("bad-signature", str(exc)) from None
        with self.state.snapshot() as snapshot:
            return simulate(self.config, snapshot, self.machines, verified, now_ms() if now is None else now,
                            read_only=read_only)

    def endorse(self, signed_proposal: bytes, *, now: int | None = None) -> bytes:
        """This node's endorsement of a signed proposal (bytes, `node.tx.endorsement`)."""
        began = time.perf_counter()
        try:
            if self.signer is None:
                raise ProposalRefused("not-endorser", "this node does not endorse on this channel")
            sim = self.simulate(signed_proposal, now=now)
            endorsement = sign_endorsement(self.suite, self.signer.key, self.signer.certificate, sim.response)
        except ProposalRefused as exc:
            self._endorsed(exc.reason, began)
            raise
        except TxFormatError:
            self._endorsed("unendorsable", began)
            raise
        self._endorsed(None, began)
        return endorsement

    def _endorsed(self, refused: str | None, began: float) -> None:
        if self.observer is not None:
            self.observer.endorsed(self, refused, time.perf_counter() - began)

    def commit(self, block: Block, attestation: tuple[bytes, bytes] | None = None, *,
               since: float | None = None) -> CommitRecord:
        """Validate and commit the next block; `ChainError` if it does not extend the chain.
        ``attestation``: who vouched for the block (kept with it, to hand on to peers);
        ``since``: when the block was cut or arrived (`time.perf_counter`), for the observer's
        commit latency (the commit's own start when not given)."""
        began = time.perf_counter() if since is None else since
        height = self.height()
        if block.number != height:
            raise ChainError(f"block {block.number} does not follow block {height - 1}")
        if height > 0:
            previous = self.latest_id()
            if block.header.previous != previous:
                raise ChainError(f"block {block.number} does not extend this chain (its previous block id differs)")
            if block.header.state != self.state.root():
                raise ChainError(f"block {block.number} carries another state hash than this node's after "
                                 f"block {height - 1}: the state has diverged")
            config = self.config
        else:
            if not block.items:
                raise ChainError("the genesis block holds no configuration")
            config = decode_config(decode_item(block.items[0]).body)
        outcome = validate(block, config, self.state, self.suite, lambda tx: self.blocks.transaction(tx) is not None)
        with self._db.write_batch(transaction=True, sync=True) as batch:  # all or nothing, even on an error
            root = self.state.apply(batch, block.number, outcome.changes, outcome.stored)
            record = self.blocks.stage(batch, block, outcome.codes, root, outcome.tx_ids, outcome.messages,
                                       outcome.events, attestation, outcome.written)
        self.blocks.written(block, record)
        if outcome.config is not None:
            self._config = outcome.config
        self.activity.committed(block.header.time_ms, record.codes, list(outcome.tx_ids.values()), now_ms())
        if self.observer is not None:
            self.observer.committed(self, block, record, time.perf_counter() - began)
        return record

    def cut(self, items: list[bytes], time_ms: int) -> Block:
        """The next block holding ``items`` (what a solo orderer on this node cuts)."""
        number, previous, state = self.next_header()
        return make_block(self.suite, number, previous, state, time_ms, items)

    def block_id(self, block: Block) -> bytes:
        return block_id(self.suite, block.header)

    def block_id_of(self, header: Header) -> bytes:
        return block_id(self.suite, header)
