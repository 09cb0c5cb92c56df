"""Where the state lives in a channel's LevelDB: every key under one namespace, then one letter
per kind of record, so the block store shares the database and one write batch commits both.

    NS s key                     the entry: version (12 bytes, `node.ledger.version`) || value
    NS n version depth path      a trie branch record (`node.ledger.merkle`)
    NS r block                   the trie's root slot after that block (8-byte big-endian number)
    NS u len(key) key block      the key's entry as it was before `block` wrote it (b"": absent)
    NS x block                   what block made stale: a codec list of keys (without NS) to delete
                                 when no kept root needs them any more
    NS j block                   the block's journal: the trie leaves it changed, a codec list
                                 [key hash, value hash or None (deleted), ...], to replay it
    NS b block                   a base: the root slot of a block whose whole trie is in the
                                 database (`node.ledger.state`: where a replay starts)

Entries sit under one prefix with the raw key after it, so a scan of a key prefix is one LevelDB
range in the order the VM's `Host` promises (ascending bytewise). The undo key carries the key's
length so that one key's records never interleave with a longer key's that starts with it, and
block numbers are big-endian so that LevelDB orders them numerically: the newest root is the last
`r` record, and the undo record that answers "the value after block b" is the first one past b.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Keyspace:
    namespace: bytes
    entries: bytes = field(init=False)
    nodes: bytes = field(init=False)
    roots: bytes = field(init=False)
    undos: bytes = field(init=False)
    stales: bytes = field(init=False)
    journals: bytes = field(init=False)
    bases: bytes = field(init=False)

    def __post_init__(self) -> None:
        ns = self.namespace
        for name, letter in (("entries", b"s"), ("nodes", b"n"), ("roots", b"r"), ("undos", b"u"), ("stales", b"x"),
                             ("journals", b"j"), ("bases", b"b")):
            object.__setattr__(self, name, ns + letter)

    def entry(self, key: bytes) -> bytes:
        return self.entries + key

    def node(self, node_key: bytes) -> bytes:
        return self.nodes + node_key

    def root(self, block: int) -> bytes:
        return self.roots + block.to_bytes(8, "big")

    def undo_prefix(self, key: bytes) -> bytes:
        return self.undos + len(key).to_bytes(4, "big") + key

    def stale(self, block: int) -> bytes:
        return self.stales + block.to_bytes(8, "big")

    def journal(self, block: int) -> bytes:
        return self.journals + block.to_bytes(8, "big")

    def base(self, block: int) -> bytes:
        return self.bases + block.to_bytes(8, "big")
