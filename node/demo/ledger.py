"""The story's ledger on a running network: each actor's calls go through the client library
(`node.client`), as that actor's wallet identity, the way any application would make them.

- One gateway per actor, opened on first use; all close with the ledger.
- Read-your-writes across actors: a gateway knows only the heights its own transactions
  committed at, so after every commit each gateway is told the height (`Network.saw`). Without
  it, Ruijin's first bill could be endorsed by a node that has not yet seen PICC's policy.
- A refusal the story expects is recorded on the ledger: the call is first made as any call is
  (`Contract.submit`, which raises `ContractAborted` without ordering anything), and then
  endorsed again with ``record_abort``, submitted and awaited, so that it commits as
  CONTRACT_ABORT with the contract's message, visible to every member and to the regulator
  (`baochain tx show`). Calls the story expects to succeed keep `submit`'s retries.
- `today` is the date on the channel's clock: the zone of its configuration
  (``tz_offset_minutes``) applied to this machine's time, which is the nodes' time too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.client.errors import ContractAborted
from node.demo.story import CHANNEL, CONTRACT, ENDORSEMENT_POLICY, INSURER, Outcome

if TYPE_CHECKING:
    from node.client.contract import Contract
    from node.client.gateway import Gateway, Network
    from node.client.results import Committed


class NetworkLedger:
    """`node.demo.story.Ledger` on the network in ``folder`` (channel and contract of the story)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.height = 0  # the channel's height after the last transaction this ledger committed
        self._gateways: dict[str, Gateway] = {}

    def __enter__(self) -> NetworkLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for gateway in self._gateways.values():
            gateway.close()
        self._gateways.clear()

    def network(self, actor: str) -> Network:
        from node.client.gateway import Gateway

        if actor not in self._gateways:
            self._gateways[actor] = Gateway.for_network(self.folder, actor)
        network = self._gateways[actor].network(CHANNEL)
        if self.height:
            network.saw(self.height - 1)
        return network

    def contract(self, actor: str) -> tuple[Network, Contract]:
        network = self.network(actor)
        return network, network.contract(CONTRACT)

    def _committed(self, block: int | None) -> None:
        if block is not None:
            self.height = max(self.height, block + 1)

    def deploy(self, module: bytes) -> Committed:
        """Deploy the contract as the lead insurer's admin, under the story's endorsement policy."""
        done: Committed = self.network(f"admin@{INSURER}").deploy(module, CONTRACT, "1", ENDORSEMENT_POLICY)
        self._committed(done.block)
        return done

    def today(self) -> date:
        config = self.network(f"admin@{INSURER}").config()
        zone = timezone(timedelta(minutes=config.tz_offset_minutes))
        return datetime.now(zone).date()

    def act(self, actor: str, entry: str, args: Sequence[Any], *, record_refusal: bool) -> Outcome:
        network, contract = self.contract(actor)
        try:
            done = contract.submit(entry, *args)
        except ContractAborted as exc:
            if not record_refusal:
                return Outcome(refusal=exc.message)
            return self._record_refusal(network, contract, entry, args)
        self._committed(done.block)
        return Outcome(result=done.result, events=tuple(done.events), block=done.block, tx_id=done.tx_id)

    def _record_refusal(self, network: Network, contract: Contract, entry: str, args: Sequence[Any]) -> Outcome:
        endorsed = contract.endorse(entry, *args, record_abort=True)
        if endorsed.aborted is None:  # accepted this time: say so, and order nothing the story did not ask for
            return Outcome(result=endorsed.result, events=tuple(endorsed.events))
        tx_id, node = network.submit_envelope(contract.envelope(endorsed))
        status = network.wait(tx_id, prefer=node)
        self._committed(status.block)
        return Outcome(refusal=endorsed.aborted, block=status.block, tx_id=tx_id)

    def read(self, actor: str, entry: str, args: Sequence[Any]) -> Any:
        return self.contract(actor)[1].evaluate(entry, *args)
