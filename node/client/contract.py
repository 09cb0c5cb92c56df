"""A deployed contract, as a client calls it (Fabric's gateway ``Contract``):

    contract.evaluate("get", "P1")               # a view: its result (section-7 JSON)
    done = contract.submit("settle", "P1", "1500.00 CNY", "2024-05-01")
    done.tx_id, done.block, done.result, done.events

    endorsed = contract.endorse("settle", ...)   # step by step: endorsements in hand,
    tx, node = network.submit_envelope(contract.envelope(endorsed))    # ordered,
    network.wait(tx)                             # and committed

Arguments are section-7 JSON values, in the entry's parameter order. The role a call acts in is
``role`` when given; else the only role the identity holds, or the only one of its roles the
entry's ``by`` admits (read from the contract's ABI); for an action several that fit are a
`RoleError` (the contract may act on the role), for a view the first that fits is taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.client import transact
from node.client.errors import ClientError, ContractAborted, Refused
from node.client.results import Committed, Endorsed
from node.tx.errors import TxFormatError
from node.tx.policy import Policy, PolicyError, parse_policy
from node.tx.proposal import Proposal, build_invoke

if TYPE_CHECKING:
    from node.client.session import ChannelSession as Network


class Contract:
    def __init__(self, network: Network, name: str) -> None:
        self.network = network
        self.name = name
        self._info: dict[str, Any] | None = None

    def info(self, refresh: bool = False) -> dict[str, Any]:
        """Version, policy, module hash, history and ABI, as the node shows them."""
        if self._info is None or refresh:
            self._info = self.network.contract_info(self.name)
        return self._info

    def policy(self) -> Policy:
        text = self.info(refresh=True)["policy"]
        try:
            return parse_policy(text)
        except PolicyError as exc:
            raise ClientError(f"contract {self.name}: the node shows a policy that does not parse: {exc}") from None

    def role_for(self, entry: str, role: str | None = None) -> str:
        if role is not None:
            return role
        identity = self.network.identity
        if len(identity.roles) == 1:
            return identity.roles[0]
        abi = self.info()["abi"]
        found = next((e for e in abi["entries"] if e["name"] == entry), None)
        if found is None:
            return identity.roles[0] if identity.roles else ""  # the node's refusal names the entry best
        allowed = abi["parties"] if found["anyone"] else found["roles"]
        view = found["kind"] == "view"  # a view changes nothing: any fitting role will do
        return transact.choose_role(identity.roles, identity.label, allowed, "read" if view else
                                    f"call {self.name}.{entry}", view=view)

    def proposal(self, entry: str, args: tuple[Any, ...], role: str | None = None) -> Proposal:
        """A fresh proposal to call ``entry`` (a new nonce and timestamp each time)."""
        identity = self.network.identity
        try:
            return build_invoke(self.network.name, self.name, entry, list(args), creator=identity.der,
                                role=self.role_for(entry, role))
        except TxFormatError as exc:
            raise ClientError(f"{self.name}.{entry}: {exc}") from None

    def evaluate(self, entry: str, *args: Any, role: str | None = None) -> Any:
        """Run the view ``entry`` on any live node and return its result; nothing is ordered."""
        body = transact.signed(self.network, self.proposal(entry, args, role))
        try:
            answer, _ = self.network.read("POST", "/query", f"query {self.name}.{entry}", body=body)
        except Refused as exc:
            if exc.code == "contract-abort":
                raise ContractAborted(exc.message, node=exc.node) from None
            raise
        return answer["result"]

    def endorse(self, entry: str, *args: Any, role: str | None = None, record_abort: bool = False) -> Endorsed:
        """Step one: a signed proposal and the endorsements the contract's policy needs."""
        return transact.endorse(self.network, self.proposal(entry, args, role), self.policy(),
                                record_abort=record_abort)

    def envelope(self, endorsed: Endorsed) -> bytes:
        """Step two: the envelope to submit (`Network.submit_envelope`)."""
        return transact.envelope_of(self.network, endorsed)

    def submit(self, entry: str, *args: Any, role: str | None = None, record_abort: bool = False) -> Committed:
        """Endorse, order and await the commit of a call to ``entry``; retried from a fresh
        simulation on a retryable conflict. `ContractAborted` when the contract refuses (with
        ``record_abort`` the refusal is first recorded on the ledger), `TransactionFailed` for
        another outcome than VALID."""
        return transact.run(self.network, lambda: self.proposal(entry, args, role), self.policy,
                            record_abort=record_abort)
