"""Ordering: one sequence of transactions per channel, cut into blocks and delivered in order to
every peer of the channel (ARCHITECTURE.md, the second of a transaction's three steps).

The interface is small so that PBFT can take the place of `SoloOrderer`:

- `submit(item)`: an envelope (as a block item, `node.chain.block.encode_item`) to be ordered;
- blocks come out through the ``deliver`` coroutine the orderer was given, one at a time, in
  order: the node commits each one and sends it on to the channel's other peers.

`SoloOrderer` is one node ordering alone (development, and consortia that trust one orderer).
"""

from node.order.solo import Orderer, SoloOrderer

__all__ = ["Orderer", "SoloOrderer"]
