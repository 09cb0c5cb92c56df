"""What the client's operations need of a channel session: the `ChannelSession` protocol.

`node.client.gateway.Network` is the one implementation; contracts, transactions, upgrades and
configuration updates (`contract`, `transact`, `upgrade`, `channel_config`) are written against
this protocol rather than against the gateway, so the gateway may hand work to them without the
two importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from node.client.netfile import NodeAddress
from node.client.results import TxStatus
from node.client.wallet import Identity
from node.crypto import CryptoSuite

if TYPE_CHECKING:
    from node.client.link import NodeLink

T = TypeVar("T")


class GatewaySession(Protocol):
    """The gateway as the operations use it: its suite, its retry count, and "the first node
    that answers"."""

    suite: CryptoSuite
    retries: int

    def first(self, nodes: Sequence[NodeAddress], call: Callable[[NodeLink], T], what: str,
              prefer: str | None = None) -> tuple[T, NodeAddress]: ...


class ChannelSession(Protocol):
    """One channel as a client identity reaches it through a gateway."""

    gateway: Any  # a `GatewaySession`
    name: str
    seen_height: int

    @property
    def identity(self) -> Identity: ...

    @property
    def members(self) -> tuple[str, ...]: ...

    def nodes(self) -> list[NodeAddress]: ...

    def path(self, rest: str = "") -> str: ...

    def read(self, method: str, rest: str, what: str, prefer: str | None = None, **kw: Any) -> tuple[Any, str]: ...

    def contract(self, name: str) -> Any: ...

    def contract_info(self, name: str) -> dict[str, Any]: ...

    def submit_envelope(self, envelope: bytes) -> tuple[str, str]: ...

    def hand_over(self, rest: str, body: bytes, ident: str, what: str) -> tuple[str, NodeAddress]: ...

    def wait(self, tx_id: str, timeout_s: float | None = None, prefer: str | None = None) -> TxStatus: ...
