"""The ledger's exceptions.

A proof that does not verify is an ordinary outcome for a client (`verify_proof` answers a bool);
`check_proof` raises `InvalidProof` with the reason, for a client that wants to say why.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger package raises."""


class InvalidProof(LedgerError, ValueError):
    """A state proof that is malformed, or does not lead to the root it is checked against."""


class BlockOrderError(LedgerError):
    """State applied for a block that does not come after the last one applied."""


class UnknownRoot(LedgerError):
    """A state asked for at a block whose root this store does not keep (pruned, or not yet applied)."""


class CorruptState(LedgerError):
    """The database disagrees with itself: a trie node or record is missing or malformed."""
