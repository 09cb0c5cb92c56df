"""A channel's ledger state: versioned entries in the channel's LevelDB, the state trie whose root
is the state hash, and proofs of one key's value or absence that a client checks on its own.

Modules: `version` (a write's (block, tx) stamp), `merkle` (the trie's hash rules and update),
`proof` (`StateProof`, its wire form, `verify_proof`), `keyspace` (the database layout), `state`
(`StateStore`, `StateSnapshot`), `errors`. Nothing here opens a database or imports plyvel: the
block store opens the channel's LevelDB and hands it over, so one write batch commits all.
"""

from node.ledger.errors import BlockOrderError, CorruptState, InvalidProof, LedgerError, UnknownRoot
from node.ledger.proof import StateProof, check_proof, decode_proof, encode_proof, verify_proof
from node.ledger.state import StateSnapshot, StateStore
from node.ledger.version import Version

__all__ = [
    "BlockOrderError",
    "CorruptState",
    "InvalidProof",
    "LedgerError",
    "StateProof",
    "StateSnapshot",
    "StateStore",
    "UnknownRoot",
    "Version",
    "check_proof",
    "decode_proof",
    "encode_proof",
    "verify_proof",
]
