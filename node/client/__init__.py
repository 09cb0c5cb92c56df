"""The Baochain client library: a gateway to a network's nodes, shaped like Fabric's.

    from node.client import Gateway

    with Gateway.for_network("net/", "insurer@Org1") as gateway:     # a network folder and a wallet identity
        claims = gateway.network("claims")                           # a channel
        health = claims.contract("health")
        health.evaluate("policy_of", "P1")                           # a view, on any live node
        done = health.submit("settle", "P1", "1500.00 CNY", "2024-05-01")
        print(done.tx_id, done.block, done.result, done.events)
        for event in claims.events(contract="health", start_block=0):   # follow events
            ...

Without a network folder: ``Gateway(Identity.from_pem(cert, key), [(name, org, api url), ...],
tls_roots={org: transport root PEM, ...})``: HTTPS, each node's certificate checked against its
own organisation's transport root (`node.api.transport`).

What a call does (ARCHITECTURE.md, "A transaction's way"): the client signs a proposal; asks the
nodes of the organisations the contract's endorsement policy needs (`node.tx.policy.choose`,
skipping nodes that are down) to endorse it; checks the endorsements and signs the envelope;
submits it through any live node; and waits for the commit status, retrying a retryable outcome
(an MVCC or phantom conflict) with a fresh proposal a bounded number of times. Every request is
signed with the identity's key (`node.api.signature`). No call needs the caller's own
organisation's node. A read after a write sees the write, whichever node answers
(``X-Baochain-Min-Height``).

Upgrades and configuration: ``network.upgrade(module, name, version, policy, approvals)`` with
approvals from ``node.client.upgrade.approve(admin, channel, name, version, module, policy)``;
``network.config()`` and ``network.update_config(changes, admins)``.

Modules: `wallet` (identities), `netfile` (a network folder's index), `link` (one node's API,
signed), `gateway` (`Gateway`, `Network`), `contract` (`Contract`), `transact` (endorse, submit,
wait, retry), `upgrade` (approvals, approval files), `channel_config` (read, change, sign,
submit a channel's configuration), `results`, `errors`, `cli` (`baochain contract|tx|block`),
`upgrade_cli` (`baochain contract upgrade|approve`), `channel_cli` (`baochain channel show|update`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names and the modules they live in: imported on first use, so that `baochain --help` (which
# mounts `node.client.cli`) does not load the HTTP client.
_WHERE = {
    "Contract": "contract", "Gateway": "gateway", "Network": "gateway", "NetworkFile": "netfile",
    "NodeAddress": "netfile", "Committed": "results", "ContractEvent": "results", "Endorsed": "results",
    "TxStatus": "results", "Identity": "wallet", "Wallet": "wallet",
    **{name: "errors" for name in ("ClientError", "CommitTimeout", "ContractAborted", "EndorsementMismatch",
                                   "NetworkFileError", "NodesUnavailable", "Refused", "RoleError",
                                   "TransactionFailed", "WalletError")},
}

if TYPE_CHECKING:
    from node.client.contract import Contract
    from node.client.errors import (
        ClientError,
        CommitTimeout,
        ContractAborted,
        EndorsementMismatch,
        NetworkFileError,
        NodesUnavailable,
        Refused,
        RoleError,
        TransactionFailed,
        WalletError,
    )
    from node.client.gateway import Gateway, Network
    from node.client.netfile import NetworkFile, NodeAddress
    from node.client.results import Committed, ContractEvent, Endorsed, TxStatus
    from node.client.wallet import Identity, Wallet


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"node.client.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'node.client' has no attribute {name!r}")


__all__ = sorted(_WHERE)
