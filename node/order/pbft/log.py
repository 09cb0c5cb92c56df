"""The message log: what a replica holds for each sequence number between its watermarks.

A `Slot` per sequence number n in (h, h + L] keeps

- the pre-prepare accepted for n in the current view, and the prepares of the current view by
  author (the first one from each author; later ones are ignored, so one author counts once);
- the replica's prepared certificate for n of the highest view (what its view changes report);
- each author's commit of the highest view it sent for n (commits count across views: a commit
  certificate proves finality whatever its view, `node.order.pbft.certificates`);
- the commit certificate, once Q commits agree, and the batches it has seen for n, by digest.

Predicates (Q the quorum size; "matching" means equal view, sequence number and digest):

- prepared(n, v): the slot holds the pre-prepare for (v, n, d) and Q - 1 matching prepares from
  replicas other than v's primary; the replica then commits (v, n, d), once per view;
- committed(n): Q matching commits from distinct replicas for some (v, n, d). The batch at n is d
  for good; it is delivered once the batch itself is known and every n' < n was delivered.

Bounds: slots exist only inside the window, so at most L slots; each holds at most one pre-prepare
and n prepares and commits, and at most `BATCHES_PER_SLOT` batches: those the pre-prepare, the
prepared certificate and the commit certificate name, plus room for one more seen on the way (a
relayed pre-prepare of an older view).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from node.order.pbft.config import PbftConfig
from node.order.pbft.messages import Batch, Commit, Prepare, PreparedProof, PrePrepare, Signed

BATCHES_PER_SLOT = 4


@dataclass(slots=True)
class Slot:
    seq: int
    pre_prepare: Signed[PrePrepare] | None = None  # accepted in the current view (header only)
    prepares: dict[str, Signed[Prepare]] = field(default_factory=dict)
    commits: dict[str, Signed[Commit]] = field(default_factory=dict)
    prepared: PreparedProof | None = None  # highest view
    certificate: tuple[Signed[Commit], ...] | None = None  # Q matching commits
    batches: dict[bytes, Batch] = field(default_factory=dict)
    committed_view: int = -1  # the view in which this replica sent its commit, -1 for none

    @property
    def digest(self) -> bytes | None:
        """The digest of the pre-prepare accepted in the current view."""
        return None if self.pre_prepare is None else self.pre_prepare.message.digest

    @property
    def final_digest(self) -> bytes | None:
        return None if self.certificate is None else self.certificate[0].message.digest

    @property
    def final_batch(self) -> Batch | None:
        d = self.final_digest
        return None if d is None else self.batches.get(d)

    def reset_view(self) -> None:
        self.pre_prepare = None
        self.prepares = {}

    def add_batch(self, digest: bytes, batch: Batch) -> None:
        if digest in self.batches:
            return
        self.batches[digest] = batch
        if len(self.batches) > BATCHES_PER_SLOT:
            keep = {self.digest, self.final_digest}
            if self.prepared is not None:
                keep.add(self.prepared.pre_prepare.message.digest)
            for d in list(self.batches):
                if d not in keep and d != digest and len(self.batches) > BATCHES_PER_SLOT:
                    del self.batches[d]

    def prepared_in(self, view: int, config: PbftConfig) -> PreparedProof | None:
        """The prepared certificate for the current view's pre-prepare, when it holds."""
        pre = self.pre_prepare
        if pre is None or pre.message.view != view:
            return None
        pp = pre.message
        assert isinstance(pp, PrePrepare)
        matching = [s for a, s in self.prepares.items()
                    if a != pre.author and s.message == Prepare(pp.view, pp.seq, pp.digest)]
        if len(matching) < config.quorum - 1:
            return None
        return PreparedProof(pre.without_batches(), tuple(matching[: config.quorum - 1]))

    def add_commit(self, signed: Signed[Commit], config: PbftConfig) -> bool:
        """Keep an author's commit if it is of a higher view than its last; True when that made the
        slot committed."""
        c = signed.message
        assert isinstance(c, Commit)
        held = self.commits.get(signed.author)
        if held is not None and held.message.view >= c.view:
            return False
        self.commits[signed.author] = signed
        if self.certificate is not None:
            return False
        votes = Counter((s.message.view, s.message.digest) for s in self.commits.values())
        if votes[(c.view, c.digest)] < config.quorum:
            return False
        self.certificate = tuple(s for s in self.commits.values() if s.message == c)[: config.quorum]
        return True


class Log:
    """The slots of sequence numbers in (low, low + window]."""

    def __init__(self, config: PbftConfig) -> None:
        self._window = config.window
        self.low = 0
        self.slots: dict[int, Slot] = {}

    def in_window(self, seq: int) -> bool:
        return self.low < seq <= self.low + self._window

    def get(self, seq: int) -> Slot | None:
        return self.slots.get(seq)

    def slot(self, seq: int) -> Slot:
        """The slot of ``seq``, made when first needed; ``seq`` must be in the window."""
        found = self.slots.get(seq)
        if found is None:
            assert self.in_window(seq), seq
            found = self.slots[seq] = Slot(seq)
        return found

    def advance(self, low: int) -> None:
        """Move the low watermark up to ``low``, dropping every slot at or below it."""
        if low <= self.low:
            return
        self.low = low
        for seq in [s for s in self.slots if s <= low]:
            del self.slots[seq]

    def __iter__(self):  # in sequence order
        return iter(sorted(self.slots.values(), key=lambda s: s.seq))
