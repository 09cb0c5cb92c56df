"""The gateway: a client's way into a network through whichever of its nodes are up.

    gateway = Gateway(identity, [("peer0-org1", "Org1", "https://127.0.0.1:40124"), ...],
                      tls_roots={"Org1": org1_transport_root_pem, ...})
    network = gateway.network("claims")            # a channel
    contract = network.contract("health")
    contract.evaluate("policy_of", "P1")           # a view, on any live node
    contract.submit("settle", "P1", "1500.00 CNY", "2024-05-01")   # endorse, order, commit

Which node answers: the caller's own organisation's nodes first (the nearest, and the ones it
trusts most), then the others in the order given; a node that failed is tried last for
`down_for_s` seconds. No call needs the caller's own node: with it down, every call goes to
the others. Only nodes of the channel's member organisations are asked about a channel (a node
that answers 403 for it does not hold it, and the next one is asked).

How it connects: HTTPS, verifying each node's API certificate against its own organisation's
transport root in ``tls_roots`` (`Gateway.for_network` reads them from the network folder), or
against the system's trusted CAs for an organisation it has no root of; plain HTTP only to a
loopback host (a call that would send one to a plain ``http://`` address elsewhere raises
`ClientError`: `node.api.transport`). A ``connect`` of the caller's own (tests, a transport in process)
replaces all of that.

Read-your-writes: a `Network` remembers the height at which its own transactions committed and
sends it as ``X-Baochain-Min-Height`` with every read, so a read after a write sees the write
whichever node answers (a node that lags waits for it, or answers 503 and the next is asked).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from node.api.transport import client_context, is_loopback
from node.client.errors import ClientError, NodesUnavailable, Refused
from node.client.link import NodeDown, NodeLink, RequestSigner
from node.client.netfile import NetworkFile, NodeAddress, api_url
from node.client.results import ContractEvent, TxStatus
from node.client.wallet import Identity
from node.crypto import CryptoSuite, get_suite
from node.ledger.proof import StateProof, decode_proof, verify_proof

if TYPE_CHECKING:
    from node.client.contract import Contract

T = TypeVar("T")
# Refusals that say "not this node" rather than "not this request": ask the next one.
_NOT_HERE = frozenset({"unknown-channel", "forbidden", "not-endorser"})
WAIT_FIRST_STEP_S = 0.5  # how long one node first holds a commit-status question
WAIT_STEP_S = 8.0  # ... and at most, as the steps double
SPREAD_WAIT_S = 5.0  # how long a command waits, in all, for the other nodes to hold its block


class Gateway:
    """A client identity's connection to the nodes of one network (see the module docstring)."""

    def __init__(self, identity: Identity, nodes: Sequence[NodeAddress | tuple[str, str, str]],
                 suite: CryptoSuite | str | None = None, *, connect: Callable[[NodeAddress], httpx.Client] | None = None,
                 timeout_s: float = 10.0, retries: int = 3, commit_timeout_s: float = 60.0,
                 down_for_s: float = 5.0, tls_roots: Mapping[str, bytes] | None = None) -> None:
        self.identity = identity
        self.suite = identity.suite if suite is None else (get_suite(suite) if isinstance(suite, str) else suite)
        if self.suite.name != identity.suite.name:
            raise ClientError(f"{identity.label}'s certificate is of the {identity.suite.name} suite, not "
                              f"{self.suite.name}")
        self.nodes = tuple(n if isinstance(n, NodeAddress) else NodeAddress(n[0], n[1], api_url(n[2])) for n in nodes)
        if not self.nodes:
            raise ClientError("a gateway needs at least one node")
        self.timeout_s = timeout_s
        self.retries = retries
        self.commit_timeout_s = commit_timeout_s
        self.down_for_s = down_for_s
        self.tls_roots = dict(tls_roots or {})
        self._connect = connect or self._connect_https
        self._signer = RequestSigner(identity)
        self._links: dict[str, NodeLink] = {}
        self._down: dict[str, float] = {}
        self._networks: dict[str, Network] = {}

    @classmethod
    def for_network(cls, folder: Path | str, identity: str | Identity, **options: Any) -> Gateway:
        """A gateway to the network in ``folder`` (`baochain network init`), as the wallet's
        identity ``NAME@ORG`` (or an `Identity`)."""
        index = NetworkFile.load(Path(folder))
        who = index.wallet.get(identity) if isinstance(identity, str) else identity
        options.setdefault("tls_roots", index.tls_roots)
        return cls(who, index.nodes, **options)

    def network(self, channel: str) -> Network:
        if channel not in self._networks:
            self._networks[channel] = Network(self, channel)
        return self._networks[channel]

    def close(self) -> None:
        for link in self._links.values():
            link.close()
        self._links.clear()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect_https(self, node: NodeAddress) -> httpx.Client:
        """An HTTP client for ``node``: HTTPS trusting its organisation's transport root (see the
        module docstring), or plain HTTP to loopback; `ClientError` for plain HTTP elsewhere."""
        url = httpx.URL(node.api)
        if url.scheme == "http" and not is_loopback(url.host):
            raise ClientError(f"{node.name}: {node.api} is plain HTTP to a host that is not loopback; a node's "
                              "API is reached over HTTPS (plain HTTP is for development on this machine only)")
        root = self.tls_roots.get(node.org)
        verify: Any = True if root is None else client_context(root)
        return httpx.Client(base_url=node.api, timeout=self.timeout_s, verify=verify)

    # --- choosing nodes
    def link(self, node: NodeAddress) -> NodeLink:
        if node.name not in self._links:
            self._links[node.name] = NodeLink(node, self._connect(node), self._signer)
        return self._links[node.name]

    def mark_down(self, name: str) -> None:
        self._down[name] = time.monotonic()

    def is_down(self, name: str) -> bool:
        since = self._down.get(name)
        return since is not None and time.monotonic() - since < self.down_for_s

    def ordered(self, nodes: Sequence[NodeAddress], prefer: str | None = None) -> list[NodeAddress]:
        """``nodes`` in the order to ask them: ``prefer`` (a node name), own organisation's, the
        rest; the ones that failed lately last."""
        own = self.identity.org
        return sorted(nodes, key=lambda n: (self.is_down(n.name), n.name != prefer, n.org != own))

    def first(self, nodes: Sequence[NodeAddress], call: Callable[[NodeLink], T], what: str,
              prefer: str | None = None) -> tuple[T, NodeAddress]:
        """The first answer of ``call`` among ``nodes`` (and which node gave it)."""
        failures: dict[str, str] = {}
        refusal: Refused | None = None
        any_down = False
        for node in self.ordered(nodes, prefer):
            try:
                result = call(self.link(node))
            except NodeDown as exc:
                self.mark_down(node.name)
                failures[node.name] = exc.reason
                any_down = True
                continue
            except Refused as exc:
                if exc.code not in _NOT_HERE:
                    raise
                failures[node.name] = f"{exc.code}: {exc.message}"
                refusal = refusal or exc
                continue
            self._down.pop(node.name, None)
            return result, node
        if refusal is not None and not any_down:
            raise refusal
        if not nodes:
            raise NodesUnavailable(f"no node of this gateway can {what}")
        raise NodesUnavailable(f"no node could {what}", failures)


class Network:
    """One channel, as seen through a gateway."""

    def __init__(self, gateway: Gateway, name: str) -> None:
        self.gateway = gateway
        self.name = name
        self.seen_height = 0  # blocks this client saw its own transactions commit in (+1)
        self._members: tuple[str, ...] | None = None

    @property
    def identity(self) -> Identity:
        return self.gateway.identity

    def path(self, rest: str = "") -> str:
        return f"/api/v1/channels/{self.name}{rest}"

    def nodes(self) -> list[NodeAddress]:
        """The gateway's nodes that hold this channel (as far as known)."""
        members = self._members
        return [n for n in self.gateway.nodes if n.holds(self.name) and (members is None or n.org in members)]

    def read(self, method: str, rest: str, what: str, prefer: str | None = None, **kw: Any) -> tuple[Any, str]:
        """A JSON read of this channel from the first node that answers; (answer, node name)."""
        kw.setdefault("min_height", self.seen_height)
        answer, node = self.gateway.first(self.nodes(), lambda link: link.json(method, self.path(rest), **kw), what,
                                          prefer)
        return answer, node.name

    def saw(self, block: int) -> None:
        self.seen_height = max(self.seen_height, block + 1)

    # --- the channel
    def info(self) -> dict[str, Any]:
        """Height, latest block, state hash, members, regulators, orderer, contracts."""
        info: dict[str, Any] = self.read("GET", "", f"read channel {self.name!r}")[0]
        self._members = tuple(info["members"])
        return info

    @property
    def members(self) -> tuple[str, ...]:
        if self._members is None:
            self.info()
        assert self._members is not None
        return self._members

    def height(self) -> int:
        return int(self.info()["height"])

    def block(self, ref: int | str) -> dict[str, Any]:
        """A block by number or id (hex), as the API shows it."""
        found: dict[str, Any] = self.read("GET", f"/blocks/{ref}", f"read block {ref} of {self.name!r}")[0]
        return found

    def contract(self, name: str) -> Contract:
        from node.client.contract import Contract

        return Contract(self, name)

    def contract_info(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.read("GET", f"/contracts/{name}", f"read contract {name!r}")[0]
        return found

    # --- transactions
    def status(self, tx_id: str, wait_s: float = 0.0, prefer: str | None = None) -> TxStatus:
        """A transaction's status; ``wait_s`` lets the node hold the answer until it commits."""
        params = {"wait": int(wait_s * 1000)} if wait_s > 0 else None
        answer, _ = self.read("GET", f"/transactions/{tx_id}", f"read transaction {tx_id}", prefer, params=params,
                              timeout_s=wait_s + self.gateway.timeout_s, min_height=None)
        status = TxStatus.from_json(answer)
        if status.committed and status.block is not None:
            self.saw(status.block)
        return status

    def spread(self, block: int, timeout_s: float = SPREAD_WAIT_S) -> list[str]:
        """Wait until every node of this channel that answers holds ``block``, for at most
        ``timeout_s`` in all; the names of the nodes that did not show it in time (down ones
        included). Why: a commit is reported by one node, and the other nodes commit the block a
        moment later; a process that goes on remembers the height it saw (`saw`) and asks nodes
        for it, but the command line's next command is another process, which may reach a node
        still without the block: a deploy followed by an invoke endorsed elsewhere was refused as
        "no contract named ... is deployed"."""
        deadline = time.monotonic() + timeout_s
        behind: list[str] = []
        lagging: list[NodeAddress] = []
        for node in self.nodes():  # first, who has it (one lagging node must not use up the others' time)
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise NodeDown(node.name, "no time left")
                info = self.gateway.link(node).json("GET", self.path(""), min_height=None,
                                                    timeout_s=min(remaining, self.gateway.timeout_s))
            except (NodeDown, ClientError):
                behind.append(node.name)
                continue
            if int(info["height"]) <= block:
                lagging.append(node)
        for node in lagging:  # then wait for the others, each as long as the time left
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise NodeDown(node.name, "no time left")
                self.gateway.link(node).json("GET", self.path(""), min_height=block + 1, timeout_s=remaining)
            except (NodeDown, ClientError):
                behind.append(node.name)
        return sorted(behind)

    def submit_envelope(self, envelope: bytes) -> tuple[str, str]:
        """Hand a signed envelope to the channel's orderer through any live node: (tx id, the node)."""
        from node.tx.envelope import decode_envelope
        from node.tx.proposal import tx_id

        ident = tx_id(self.gateway.suite, decode_envelope(envelope).proposal).hex()
        answer, node = self.hand_over("/submit", envelope, ident, f"submit transaction {ident}")
        return answer, node.name

    def hand_over(self, rest: str, body: bytes, ident: str, what: str) -> tuple[str, NodeAddress]:
        """POST ``body`` (an envelope or a configuration update whose id is ``ident``) to the first
        live node; (its id, the node). A node that says it is recorded already counts as done: an
        earlier try got through."""

        def send(link: NodeLink) -> str:
            try:
                return str(link.json("POST", self.path(rest), body=body)["tx_id"])
            except Refused as exc:
                if exc.code == "duplicate":
                    return ident
                raise

        return self.gateway.first(self.nodes(), send, what)

    def wait(self, tx_id: str, timeout_s: float | None = None, prefer: str | None = None) -> TxStatus:
        """The transaction's status once committed; `CommitTimeout` when it is not seen in time.

        One node at a time holds the question (``?wait=``) for a step, the one it was submitted
        through first; between steps the others are asked without waiting, and the next holds it.
        Steps grow from `WAIT_FIRST_STEP_S` to `WAIT_STEP_S`, so a node that lags costs little."""
        from node.client.errors import CommitTimeout

        timeout_s = self.gateway.commit_timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        step = WAIT_FIRST_STEP_S
        turn = 0
        last = "unknown"
        while True:
            nodes = self.gateway.ordered(self.nodes(), prefer)
            if not nodes:
                raise NodesUnavailable(f"no node of this gateway holds channel {self.name!r}")
            holder = nodes[turn % len(nodes)]
            turn += 1
            for node in [holder, *(n for n in nodes if n is not holder)]:
                remaining = deadline - time.monotonic()
                wait_s = max(0.0, min(remaining, step)) if node is holder else 0.0
                status = self._status_at(node, tx_id, wait_s)
                if status is not None:
                    if status.committed:
                        return status
                    last = status.status
            if time.monotonic() >= deadline:
                raise CommitTimeout(f"transaction {tx_id} was submitted but is still {last} after {timeout_s:g} s; "
                                    f"`baochain tx show {tx_id}` tells later", tx_id)
            step = min(step * 2, WAIT_STEP_S)

    def _status_at(self, node: NodeAddress, tx_id: str, wait_s: float) -> TxStatus | None:
        params = {"wait": int(wait_s * 1000)} if wait_s > 0 else None
        try:
            answer = self.gateway.link(node).json("GET", self.path(f"/transactions/{tx_id}"), params=params,
                                                  timeout_s=wait_s + self.gateway.timeout_s)
        except NodeDown:
            self.gateway.mark_down(node.name)
            return None
        except Refused as exc:
            if exc.code in _NOT_HERE:
                return None
            raise
        status = TxStatus.from_json(answer)
        if status.committed and status.block is not None:
            self.saw(status.block)
        return status

    def deploy(self, source_or_module: str | bytes | Path, name: str, version: str = "1", policy: str = "majority",
               init_args: Sequence[Any] = (), role: str | None = None) -> Any:
        """Deploy a contract (Bao source text, a built module's bytes, or a file of either) under
        ``name``, ``version`` and the endorsement ``policy``, running its init with ``init_args``."""
        from node.client.transact import deploy

        return deploy(self, source_or_module, name, version, policy, init_args, role)

    def upgrade(self, source_or_module: str | bytes | Path, name: str, version: str, policy: str | None = None,
                approvals: Sequence[Any] = (), role: str | None = None) -> Any:
        """Upgrade the deployed contract ``name`` to ``version`` (Bao source, a built module, or a
        file of either) with the admins' ``approvals`` (`node.client.upgrade.approve`); its state
        is kept and no init runs. ``policy`` None keeps the contract's endorsement policy."""
        from node.client.upgrade import upgrade

        return upgrade(self, source_or_module, name, version, policy, approvals, role)

    # --- the channel's configuration
    def config(self) -> Any:
        """The configuration in force (`node.chain.config.ChannelConfig`), read from a live node."""
        from node.client.channel_config import read_config

        return read_config(self)[0]

    def update_config(self, changes: Mapping[str, Any], signers: Sequence[Identity],
                      timeout_s: float | None = None) -> Any:
        """Change the channel's configuration: the next configuration is the one in force with
        ``changes``, signed by each of ``signers`` (admins; a majority of the members' are needed),
        submitted through any live node; returns once it committed VALID (`ConfigUpdated`), raises
        `TransactionFailed` (CONFIG_REFUSED, with why) otherwise. See `node.client.channel_config`."""
        from node.client.channel_config import update_config

        return update_config(self, changes, signers, timeout_s)

    # --- events and proofs
    def events(self, contract: str | None = None, name: str | None = None, start_block: int | None = None,
               poll_s: float = 0.5) -> Iterator[ContractEvent]:
        """The events of VALID transactions from ``start_block`` on (default: the next block), in
        commit order, following new blocks as they commit (by polling; stop by breaking out)."""
        next_block = self.height() if start_block is None else start_block
        while True:
            height = self.height()
            if next_block >= height:
                time.sleep(poll_s)
                continue
            block = self.block(next_block)
            for tx in block["transactions"]:
                if tx["code_name"] != "VALID" or (contract is not None and tx["contract"] != contract):
                    continue
                for event in tx["events"]:
                    if name is None or event["event"] == name:
                        yield ContractEvent(next_block, tx["index"], tx["tx_id"], tx["contract"], event["event"],
                                            event["fields"])
            next_block += 1

    def prove(self, key: bytes) -> StateProof:
        """A state key's value (or absence) with its proof, checked against the state hash the
        next block's header carries (or, for the newest state, the one the answering node gives)."""
        import base64

        answer, node = self.read("GET", f"/state/{key.hex()}/proof", f"prove a key of {self.name!r}")
        proof = decode_proof(base64.b64decode(answer["proof"]), self.gateway.suite.digest_size)
        root = bytes.fromhex(answer["state_hash"])
        if proof.key != key or not verify_proof(self.gateway.suite, root, proof):
            raise ClientError(f"{node} sent a state proof that does not check")
        try:
            header = self.block(proof.block + 1)
        except Refused:
            return proof
        if header["state_hash"] != answer["state_hash"]:
            raise ClientError(f"{node}'s state hash after block {proof.block} differs from block "
                              f"{proof.block + 1}'s header")
        return proof
