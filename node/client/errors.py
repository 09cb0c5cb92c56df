"""The client library's errors: each carries a stable ``code`` word and a ``message`` in words, so
that the CLI prints ``{"code", "message"}`` for any of them, and programs branch on the type.

    ClientError                 base
    ├── WalletError             an identity that is not in the wallet, or whose files are unusable
    ├── NetworkFileError        a network folder without a readable network.json
    ├── RoleError               the identity holds no role the call may act in, or several
    ├── NodesUnavailable        no node could answer (each named with why); also: the nodes that
    │                           are up cannot meet the endorsement policy
    ├── Refused                 a node refused the request: ``code`` is the API's word
    │   └── ContractAborted     the contract refused the call (code CONTRACT_ABORT, its message)
    ├── TransactionFailed       the transaction committed with another code than VALID
    │                           (``code`` is the validation code's name, e.g. MVCC_READ_CONFLICT)
    ├── CommitTimeout           the transaction was submitted, its commit not seen in time
    └── EndorsementMismatch     endorsers reported different results (they saw different state)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from node.client.results import TxStatus


class ClientError(Exception):
    code = "client"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class WalletError(ClientError):
    code = "wallet"


class NetworkFileError(ClientError):
    code = "network"


class RoleError(ClientError):
    code = "role"


class NodesUnavailable(ClientError):
    """``failures`` maps each node tried to why it did not answer."""

    code = "unavailable"

    def __init__(self, message: str, failures: Mapping[str, str] | None = None) -> None:
        failures = dict(failures or {})
        if failures:
            message += ": " + "; ".join(f"{node}: {why}" for node, why in failures.items())
        super().__init__(message)
        self.failures = failures


class Refused(ClientError):
    """A refusal from node ``node`` (HTTP ``status``) with the API's ``code`` word."""

    def __init__(self, code: str, message: str, *, status: int = 0, node: str = "") -> None:
        super().__init__(message)
        self.code = code  # per instance: the API's word
        self.status = status
        self.node = node


class ContractAborted(Refused):
    def __init__(self, message: str, *, node: str = "") -> None:
        super().__init__("CONTRACT_ABORT", message, status=422, node=node)


class TransactionFailed(ClientError):
    def __init__(self, status: TxStatus) -> None:
        assert status.code is not None
        super().__init__(status.message or status.code.explanation)
        self.code = status.code.name
        self.status = status


class CommitTimeout(ClientError):
    code = "timeout"

    def __init__(self, message: str, tx_id: str) -> None:
        super().__init__(message)
        self.tx_id = tx_id


class EndorsementMismatch(ClientError):
    code = "endorsement-mismatch"
