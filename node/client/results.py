"""What the client library hands back: a transaction's status, a committed call, an endorsed
proposal waiting to be submitted, and an event. Ids are lower-case hex; results and event fields
are LANGUAGE.md section 7 JSON, as the contract produced them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node.tx.codes import ValidationCode
from node.tx.endorsement import Endorsement
from node.tx.proposal import SignedProposal


@dataclass(frozen=True, slots=True)
class TxStatus:
    """``status`` is committed, pending or unknown; the rest is set once committed."""

    tx_id: str
    status: str
    code: ValidationCode | None = None
    block: int | None = None
    index: int | None = None
    message: str | None = None

    @property
    def committed(self) -> bool:
        return self.status == "committed"

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> TxStatus:
        code = value.get("code")
        return cls(value["tx_id"], value["status"], None if code is None else ValidationCode.of(code),
                   value.get("block"), value.get("index"), value.get("message"))


@dataclass(frozen=True, slots=True)
class Committed:
    """A call that committed VALID: its tx id, where, what it returned and emitted."""

    tx_id: str
    code: str
    block: int
    index: int
    result: Any
    events: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` object for an invoke."""
        return {"tx_id": self.tx_id, "code": self.code, "block": self.block, "result": self.result,
                "events": self.events}


@dataclass(frozen=True, slots=True)
class Endorsed:
    """A signed proposal and the endorsements gathered for it (step one of a submit)."""

    tx_id: str
    proposal: SignedProposal
    endorsements: tuple[Endorsement, ...]
    endorsers: tuple[str, ...]  # the nodes that endorsed, in the endorsements' order
    result: Any
    events: list[dict[str, Any]]
    aborted: str | None = None  # the contract's message, when the simulation aborted

    @property
    def orgs(self) -> tuple[str, ...]:
        from node.identity import Certificate

        return tuple(Certificate.load(e.endorser).subject.org for e in self.endorsements)


@dataclass(frozen=True, slots=True)
class ContractEvent:
    block: int
    index: int
    tx_id: str
    contract: str
    name: str
    fields: dict[str, Any] = field(default_factory=dict)
