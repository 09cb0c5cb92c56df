"""Ordering: one sequence of transactions per channel, cut into blocks and delivered in order to
every peer of the channel (ARCHITECTURE.md, the second of a transaction's three steps).

Two orderings, chosen per channel by its configuration (`node.chain.config`):

- PBFT (`node.order.pbft`: the replica, a state machine without I/O; `node.order.pbft_orderer`:
  its driver on a node), the default: every consenter takes part, and f of 3f + 1 may fail or lie;
- solo (`SoloOrderer`): one node orders alone (development, and consortia that trust one orderer).

The solo orderer's interface:

- `submit(item)`: an envelope (as a block item, `node.chain.block.encode_item`) to be ordered;
- blocks come out through the ``deliver`` coroutine the orderer was given, one at a time, in
  order: the node commits each one and sends it on to the channel's other peers.
"""

from node.order.solo import Orderer, SoloOrderer

__all__ = ["Orderer", "SoloOrderer"]
