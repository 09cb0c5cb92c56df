"""What the HTTP API needs of the node it serves: the `NodeRuntime` protocol.

The API (`node.api.app.create_app`) never opens a database, a link or an orderer itself; it asks
the runtime. The node daemon implements this protocol over its real links and orderer; the
in-process `node.api.local.LocalNode` implements it over channels of one process, for tests and
benchmarks. What the app needs, and nothing more:

- ``name``, ``org``, ``version``: the node's name (`peer0-org1`), its organisation, and the
  software's version (shown by ``GET /api/v1/node``);
- ``channels()``: the channels this node holds, by name (`node.chain.channel.Channel`); the app
  reads blocks, state, contracts and transactions from them and calls `Channel.endorse` and
  `Channel.simulate` on them;
- ``peers()``: the other nodes this node may talk to, with whether a link to each is up;
- ``metrics``: the node's `node.metrics.NodeMetrics` (``GET /metrics``; the process figures and
  the links of ``GET /api/v1/node``), which its channels report to;
- ``ready()``: every channel is open and caught up (``GET /readyz``);
- ``sessions``: the node's `node.users.sessions.SessionBook` (bearer tokens: logins, and
  sessions of certificates), and ``users``: its `node.users.directory.UserDirectory` (the
  organisation's application users kept on this node, enrolled through its CA when the node
  has one: ``[ca]`` in node.toml; None for a runtime that keeps no users);
- ``pending(channel, tx_id)``: whether a transaction was accepted for ordering through this
  node and has not committed yet (``status: "pending"``);
- ``await submit(channel, envelope)``: hand a well-formed envelope to the channel's orderer and
  return its tx id; raises `SubmitRefused` (``reason`` ``"malformed"``: the envelope is not one;
  ``"unavailable"``: the orderer cannot be reached now; anything else: refused for the reason
  the message gives);
- ``await submit_config(channel, update)``: hand a configuration update's bytes
  (`node.chain.update.encode_update`, already read by the app) to the channel's orderer as a
  block item of kind ``config`` and return its id (`node.chain.update.update_id`); it is then
  ``pending`` like a transaction until it commits; `SubmitRefused` as for ``submit``;
- ``await wait_for_height(channel, n, timeout_s)``: True once the channel has at least ``n``
  blocks, False when ``timeout_s`` passed first;
- ``await wait_for_tx(channel, tx_id, timeout_s)``: where the transaction committed, or None
  when ``timeout_s`` passed first;
- ``peer_api``: signed GETs to the other nodes' APIs, as this node's peer identity
  (`PeerReader`; the daemon's `node.api.remote.PeerApi`), which ``GET /api/v1/network`` asks;
  None when this runtime reaches no other node's API;
- ``await endorse_at(channel, node, signed_proposal)``: the endorsement (`node.tx.endorsement`
  bytes) of ``node``: this node's own when it is its name, else a peer's through its API, the
  request signed with this node's peer identity (`node.api.remote`); raises
  `node.chain.endorser.ProposalRefused` (the endorser's reason and message: final) or
  `EndorserUnavailable` (that node cannot answer now: ask another). The nodes it may name are
  this node and its ``peers()``; the one-request invoke (`node.api.invoking`) asks the ones of
  the organisations the contract's policy needs.

The app calls `Channel` methods on the event loop's thread, between awaits. A runtime must
therefore commit blocks on that same thread (as an asyncio node does), so that a request never
reads a channel while a block is half applied to its in-memory caches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from node.chain.channel import Channel
from node.chain.store import TxLocation
from node.metrics import NodeMetrics
from node.order.pbft_orderer import ConsensusFigures
from node.users.directory import UserDirectory
from node.users.sessions import SessionBook


class Peer(NamedTuple):
    """Another node, as ``GET /api/v1/node`` lists it."""

    name: str
    org: str
    connected: bool


class SubmitRefused(Exception):
    """An envelope the runtime could not hand to the orderer: ``reason`` is a short word
    (``malformed``, ``unavailable``, ...), the message says why in words."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class EndorserUnavailable(Exception):
    """Node ``node`` cannot endorse now (``reason`` says how: down, unreachable, behind); another may."""

    def __init__(self, node: str, reason: str) -> None:
        super().__init__(f"{node}: {reason}")
        self.node = node
        self.reason = reason


class PeerReader(Protocol):
    """Signed reads of other nodes' APIs (`node.api.remote.PeerApi` is one)."""

    def address(self, node: str) -> str | None:
        """The base URL of ``node``'s API, or None when this node knows none."""

    async def get(self, node: str, path: str, timeout_s: float) -> Any:
        """``node``'s JSON answer to a GET of ``path``; `EndorserUnavailable` when it gives none."""


class NodeRuntime(Protocol):
    """The node as the HTTP API sees it (see the module docstring)."""

    @property
    def name(self) -> str: ...

    @property
    def org(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def metrics(self) -> NodeMetrics: ...

    @property
    def sessions(self) -> SessionBook: ...

    @property
    def users(self) -> UserDirectory | None: ...

    @property
    def peer_api(self) -> PeerReader | None: ...

    def channels(self) -> Mapping[str, Channel]: ...

    def peers(self) -> Sequence[Peer]: ...

    def ready(self) -> bool: ...

    def consensus(self) -> Mapping[str, ConsensusFigures]: ...

    def unavailable(self, channel: str) -> str | None:
        """Why this node serves nothing of ``channel`` now (it is rebuilding it), or None."""

    def pending(self, channel: str, tx_id: bytes) -> bool: ...

    async def submit(self, channel: str, envelope: bytes) -> bytes: ...

    async def submit_config(self, channel: str, update: bytes) -> bytes: ...

    async def wait_for_height(self, channel: str, height: int, timeout_s: float) -> bool: ...

    async def wait_for_tx(self, channel: str, tx_id: bytes, timeout_s: float) -> TxLocation | None: ...

    async def endorse_at(self, channel: str, node: str, signed_proposal: bytes) -> bytes: ...
