"""Checkpoints, watermarks and state transfer.

A mixin of `Replica` (`node.order.pbft.replica`). After delivering a multiple of K the node
reports the state it reached (`Replica.checkpoint_state`); the replica broadcasts
CHECKPOINT(n, state) and keeps every replica's vote for the multiples of K in its window (one per
replica: its first). Q votes for one (n, state) make the checkpoint stable, and their signed
messages its proof:

- the low watermark h moves to n: the log, the votes and the executor's states at or below n
  are dropped, and the window (h, h + L] moves up with it, so the primary may go on proposing;
- if this replica delivered less than n, the batches in between are no longer in any log: it
  reports `NeedStateTransfer` (from the next number it lacks, to n, the state and the proof) and
  delivers nothing more until the node calls `Replica.state_transferred`; the node fetches the
  blocks from peers and checks that they lead to the proven state;
- if this replica's own state at n differs from the proven one, its executor went wrong (a
  non-deterministic execution, a damaged store): it reports `StateDiverged`.

A proof relayed by a peer (a checkpoint-proof message, or the one a new view carries) is taken
like one gathered here. A replica that starts from its ledger (a restart) calls
`state_transferred` with the ledger's height; the peers' checkpoint proofs then bring its window
to theirs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from node.order.pbft import certificates
from node.order.pbft.actions import NeedStateTransfer, StateDiverged
from node.order.pbft.messages import Checkpoint, CheckpointProof, Signed
from node.order.pbft.core import ReplicaCore



class Checkpoints:
    def __init__(self) -> None:
        self._votes: dict[int, dict[str, Signed[Checkpoint]]] = {}  # by multiple of K in the window, then by author
        self._own_states: dict[int, bytes] = {}  # what this replica's executor reported
        self._stable_state = b""
        self._stable_proof: tuple[Signed[Checkpoint], ...] = ()
        self._transfer: NeedStateTransfer | None = None  # the state transfer awaited, if any

    def _vote_checkpoint(self: ReplicaCore, sequence: int, state: bytes) -> None:
        k = self.config.checkpoint_interval
        if sequence % k or not self._log.low < sequence <= self.executed or sequence in self._own_states:
            return
        self._own_states[sequence] = state
        vote = self._broadcast(Checkpoint(sequence, state))
        self._votes.setdefault(sequence, {})[self.me] = vote
        self._check_stable(sequence)

    def _transferred(self: ReplicaCore, sequence: int, state: bytes, requests: Iterable[bytes]) -> None:
        if sequence <= self.executed:
            return
        self.executed = sequence
        for request in requests:
            self._forget_request(self._auth.hash(request))
        if sequence % self.config.checkpoint_interval == 0 and sequence > self._log.low:
            self._own_states[sequence] = state
        target = self._transfer
        if target is not None and sequence < target.to_sequence:
            self._transfer = NeedStateTransfer(sequence + 1, target.to_sequence, target.state, target.proof)
            self._out.append(self._transfer)
        else:
            self._transfer = None
        self._execute()

    def _on_checkpoint(self: ReplicaCore, s: Signed[Checkpoint]) -> None:
        c = s.message
        assert isinstance(c, Checkpoint)
        if c.seq % self.config.checkpoint_interval:
            self._drop("malformed")
        elif c.seq <= self._log.low:
            self._drop("stale")
        elif not self._log.in_window(c.seq):
            self._drop("out-of-window")
        else:
            votes = self._votes.setdefault(c.seq, {})
            if s.author in votes:
                self.stats["duplicates"] += 1
                return
            votes[s.author] = s
            self._check_stable(c.seq)

    def _check_stable(self: ReplicaCore, seq: int) -> None:
        votes = self._votes.get(seq, {})
        tally = Counter(s.message.state for s in votes.values())
        for state, count in tally.items():
            if count >= self.config.quorum:
                proof = tuple(s for s in votes.values() if s.message.state == state)
                self._adopt_stable(seq, state, proof[: self.config.quorum])
                return

    def _on_checkpoint_proof(self: ReplicaCore, s: Signed[CheckpointProof]) -> None:
        proof = s.message.proof
        proven = certificates.checkpoint_proof(proof, self.config, self._auth)
        if proven is None:
            self._drop("bad-certificate")
        elif proven[0] <= self._log.low:
            self.stats["duplicates"] += 1
        else:
            self._adopt_stable(proven[0], proven[1], proof)

    def _adopt_stable(self: ReplicaCore, seq: int, state: bytes, proof: tuple[Signed[Checkpoint], ...]) -> None:
        """A checkpoint is stable: move the window and forget the log below it."""
        if seq <= self._log.low:
            return
        self._log.advance(seq)
        self._stable_state, self._stable_proof = state, proof
        self.stats["checkpoints"] += 1
        own = self._own_states.get(seq)
        if own is not None and own != state:
            self._out.append(StateDiverged(seq, own, state))
        for book in (self._votes, self._own_states):
            for n in [n for n in book if n <= seq]:
                del book[n]
        self._missing_batches = {n for n in self._missing_batches if n > seq}
        if self.executed < seq:
            self._transfer = NeedStateTransfer(self.executed + 1, seq, state, proof)
            self._out.append(self._transfer)
        self._propose()
