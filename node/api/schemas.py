"""The API's answers as pydantic models: what `/openapi.json` describes and every response matches.

Field names are docs/node.md's; fields beyond them (marked "also") are additions the API issue's
clients use. Contract values (results, event fields) are section-7 JSON, typed as any JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(description="a stable word programs branch on (see node.api.errors)")
    message: str = Field(description="why, in words")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool


class LinkView(BaseModel):
    sent_bytes: int
    received_bytes: int
    send_queued: int = Field(description="frames waiting to be written to the peer")
    inbound_queued: int = Field(description="messages from the peer waiting to be handled")
    connects: int = Field(description="links to the peer that came up since the node started")


class PeerView(BaseModel):
    name: str
    org: str
    connected: bool
    link: LinkView | None = Field(description="also: the link's figures; null for a node without links (in process)")


class ProcessView(BaseModel):
    cpu_seconds: float = Field(description="user and system CPU time of the node's process")
    memory_bytes: int = Field(description="resident memory")
    open_files: int = Field(description="open file descriptors: files, sockets and pipes")
    uptime_s: float


class NodeView(BaseModel):
    name: str
    org: str
    version: str
    channels: list[str] = Field(description="the channels this node holds that the caller may read")
    peers: list[PeerView]
    process: ProcessView = Field(description="also: the node's process (the figures of GET /metrics)")


class ContractName(BaseModel):
    name: str
    version: str


class ConsensusView(BaseModel):
    type: str = Field(description="pbft or solo")
    orderers: list[str] = Field(description="the nodes that order the channel (PBFT: the replicas, in primary order)")
    view: int | None = Field(None, description="PBFT: this node's current view")
    leader: str | None = Field(None, description="PBFT: the primary of that view (a node's name)")
    checkpoint: int | None = Field(None, description="PBFT: the block of the last stable checkpoint")
    peers: list[str] | None = Field(None, description="PBFT: the other replicas this node has a live link to")
    view_changes: int | None = Field(None, description="PBFT: views this node entered since it started")
    messages_in: dict[str, int] | None = Field(None, description="PBFT: messages received, by type")
    messages_out: dict[str, int] | None = Field(None, description="PBFT: messages sent, by type")


class ChannelView(BaseModel):
    name: str
    height: int = Field(description="blocks committed; the genesis block is block 0")
    latest_block: str = Field(description="the id (hex) of the last block")
    state_hash: str = Field(description="the state hash (hex) after the last block")
    members: list[str]
    regulators: list[str]
    orderer: str = Field(description="solo: the node that orders the channel; empty for PBFT")
    consensus: ConsensusView
    suite: str = Field(description="also: the channel's crypto suite, gm or intl")
    contracts: list[ContractName]


class Creator(BaseModel):
    org: str
    name: str
    role: str


class EventView(BaseModel):
    event: str
    fields: dict[str, Any]


class BlockTransaction(BaseModel):
    index: int
    kind: str | None = Field(description="also: invoke, deploy or config; null for bytes that do not decode")
    tx_id: str | None
    code: int
    code_name: str
    explanation: str
    message: str | None = Field(description="the contract's abort message, or why validation refused it")
    contract: str | None
    entry: str | None = Field(description="the entry invoked; null for a deploy")
    creator: Creator | None
    events: list[EventView] = Field(description="also: the events of a VALID transaction")


class BlockView(BaseModel):
    number: int
    id: str
    previous: str
    data_hash: str
    state_hash: str = Field(description="the header's state hash: the state after the previous block")
    state_after: str = Field(description="also: the state hash after this block")
    time: int = Field(description="the orderer's clock when it cut the block, ms since 1970")
    transactions: list[BlockTransaction]


class TransactionCode(BaseModel):
    index: int
    tx_id: str | None = Field(description="null for the genesis configuration and for bytes that do not decode")
    code: int
    code_name: str


class BlockCodes(BaseModel):
    """A block as a client waiting for its transactions reads it: each one's id and code."""

    number: int
    id: str
    time: int = Field(description="the orderer's clock when it cut the block, ms since 1970")
    transactions: list[TransactionCode]


class Endorser(BaseModel):
    org: str | None
    name: str | None


class TransactionStatus(BaseModel):
    tx_id: str
    status: Literal["committed", "pending", "unknown"]
    code: int | None
    code_name: str | None
    explanation: str | None = Field(description="also: the code in words")
    block: int | None
    index: int | None
    message: str | None
    time: int | None = Field(None, description="also, once committed: the block's time, ms since 1970")
    kind: str | None = Field(None, description="also: invoke, deploy or config")
    contract: str | None = None
    entry: str | None = Field(None, description="also: the entry invoked; null for a deploy")
    creator: Creator | None = None
    args: dict[str, Any] | list[Any] | None = Field(None, description="also: the call's arguments, section-7 JSON, "
                                                    "by parameter name (the entry's, or init's for a deploy)")
    result: Any = Field(None, description="also: the entry's result (section-7 JSON) when VALID")
    events: list[EventView] | None = Field(None, description="also: the events of a VALID transaction")
    gas: int | None = Field(None, description="also: the gas the endorsers' simulation used")
    endorsers: list[Endorser] | None = Field(None, description="also: whose endorsements the envelope carries")
    writes: list[str] | None = Field(None, description="also: the state keys (hex) a VALID transaction changed")


class HistoryEntry(BaseModel):
    version: str
    module: str
    block: int
    tx_id: str | None = Field(None, description="also: the deploy's transaction")


class ContractView(BaseModel):
    name: str
    version: str
    policy: str = Field(description="the endorsement policy's canonical text, e.g. '2 of Org1, Org2, Org3'")
    module: str = Field(description="the module hash (hex)")
    history: list[HistoryEntry]
    abi: dict[str, Any] = Field(description="entries (params, returns, roles), events, records, enums")


class ProofHeader(BaseModel):
    number: int
    id: str
    state_hash: str = Field(description="the header's state hash: the state after the block before it")


class ProofView(BaseModel):
    """A state proof, whole (``proof``) and decoded for a browser's check (see node.api.views.proof_view)."""

    block: int = Field(description="the proof shows the state after this block")
    state_hash: str = Field(description="the state hash after that block (hex); block+1's header carries it")
    proof: str = Field(description="base64 of node.ledger.proof.encode_proof")
    suite: str = Field(description="also: intl (SHA-256) or gm (SM3): the hash the rules use")
    key: str = Field(description="also: the state key (hex)")
    value: str | None = Field(description="also: its value (hex); null when the proof shows it absent")
    version: list[int] | None = Field(description="also: [block, tx] that wrote the value")
    siblings: list[str] = Field(description="also: the sibling hashes from the root's children down, hex; '' for "
                                            "an empty subtree")
    other: list[str] | None = Field(description="also: absence at another key's leaf: [its key hash, its value hash]")
    header: ProofHeader | None = Field(description="also: block block+1's header, whose state hash is the root; "
                                                   "null until that block exists (compare with the channel's "
                                                   "state_hash then)")
    value_preimage: str | None = Field(description="also: hex of the codec list [value, block, tx] whose hash is "
                                                   "the leaf's value hash; null for an absence")


class RecordVariable(BaseModel):
    name: str
    kind: Literal["value", "map"]
    key_types: list[str] = Field(description="a map's key type (as written in Bao); empty for a plain value")
    value_type: str


class RecordVariables(BaseModel):
    variables: list[RecordVariable]


class RecordKeys(BaseModel):
    keys: list[Any] = Field(description="section-7 JSON of each key, in key order; [null] for a plain value")
    next: str | None = Field(description="the cursor of the next page (its after=), or null at the end")


class RecordChange(BaseModel):
    block: int
    index: int
    tx_id: str
    time: int = Field(description="its block's time, ms since 1970")
    creator: Creator
    entry: str | None = Field(description="the entry that changed it; null for a deploy (init)")
    before: Any = Field(description="section-7 JSON, null: absent")
    after: Any = Field(description="section-7 JSON, null: deleted")


class RecordHistory(BaseModel):
    ledger_key: str = Field(description="the state key (hex)")
    value: Any = Field(description="the current value, section-7 JSON; null: absent")
    history: list[RecordChange] = Field(description="every VALID transaction that changed it, oldest first (with "
                                                    "limit: the last K of them before the cursor)")
    earlier: str | None = Field(description="with limit: the before= cursor of the page before this one; null when "
                                            "none is left")
    proof: ProofView = Field(description="a proof of the current value against the state hash")


class BlockRow(BaseModel):
    number: int
    id: str
    time: int = Field(description="the orderer's clock when it cut the block, ms since 1970")
    transactions: int = Field(description="its items (transactions and configuration updates)")
    codes: dict[str, int] = Field(description="how many items got each validation code, by the code's name")


class BlockPage(BaseModel):
    height: int
    blocks: list[BlockRow] = Field(description="newest first")
    next: int | None = Field(description="the before= of the next page; null after block 0")


class Latency(BaseModel):
    p50: int
    p99: int


class ActivityBucket(BaseModel):
    start: int = Field(description="ms since 1970; the bucket spans bucket_ms from there")
    blocks: int
    transactions: int
    codes: dict[str, int]
    commit_latency_ms: Latency | None = Field(description="null: nothing committed in the bucket")


class Activity(BaseModel):
    buckets: list[ActivityBucket] = Field(description="oldest first, empty ones included")
    bucket_ms: int


class NetworkChannel(BaseModel):
    height: int
    latest_block: str
    view: int | None = Field(description="PBFT: the node's current view; null for solo")
    leader: str | None = Field(description="PBFT: the primary of that view")
    checkpoint: int | None = Field(description="PBFT: the block of its last stable checkpoint")


class NetworkLink(BaseModel):
    sent_bytes: int
    received_bytes: int


class NetworkNode(BaseModel):
    name: str
    org: str
    api: str | None = Field(description="where this node reaches its API; null for this node itself")
    self: bool = Field(description="the node answering")
    reachable: bool
    error: str | None = Field(description="why it did not answer")
    channels: dict[str, NetworkChannel] = Field(description="the channels it holds that the caller may read")
    peers: list[str] = Field(description="the nodes it has a live link to")
    process: ProcessView | None
    links: dict[str, NetworkLink]


class NetworkView(BaseModel):
    nodes: list[NetworkNode] = Field(description="this node first, then the others by name")


class QueryResult(BaseModel):
    result: Any = Field(description="the view's result, section-7 JSON (null: it returns nothing)")


class Submitted(BaseModel):
    tx_id: str


class CallBody(BaseModel):
    """A view's call (POST .../query/{entry}): run as the caller, nothing signed or kept."""

    args: list[Any] | dict[str, Any] | None = Field(None, description="section-7 JSON: an array in the parameters' "
                                                    "order, or an object by parameter name; none for no parameters")
    role: str | None = Field(None, description="the role to act in; by default the only one the caller holds that the "
                                               "entry admits")


class InvokeBody(CallBody):
    """An action's call (POST .../invoke/{entry}): exactly one of args (a user's session: the node signs),
    proposal (the client signed it: the node gathers the endorsements) and envelope (the client signed
    the endorsed proposal: the node submits it and awaits its commit)."""

    proposal: str | None = Field(None, description="base64 of a signed proposal (node.tx.proposal) of this entry")
    envelope: str | None = Field(None, description="base64 of an envelope (node.tx.envelope) of this entry, signed by "
                                                   "the proposal's creator over the endorsements this endpoint gave")


class BatchCall(BaseModel):
    args: list[Any] | dict[str, Any] | None = Field(None, description="section-7 JSON, as for /invoke/{entry}")
    role: str | None = None


class InvokeBatchBody(BaseModel):
    """Many calls of one action (POST .../invoke-batch/{entry}): exactly one of ``calls`` (in a
    user's session), ``proposals`` or ``envelopes`` (a caller that signs its own)."""

    calls: list[BatchCall] | None = Field(None, description="each as /invoke/{entry}'s {args, role}, in a user's "
                                                            "session")
    proposals: list[str] | None = Field(None, description="base64 signed proposals of this entry: each answered "
                                                          "'endorsed' with its endorsements")
    envelopes: list[str] | None = Field(None, description="base64 signed envelopes of this entry: each ordered and "
                                                          "awaited")


class InvokeBatchResult(BaseModel):
    results: list[dict[str, Any]] = Field(description="per call, in order: an invoke's answer (InvokeResult) or "
                                                      "{\"error\": {\"code\", \"message\"}}")


class InvokeResult(BaseModel):
    tx_id: str
    status: Literal["committed", "pending", "endorsed"] = Field(
        description="committed: see code; pending: handed to ordering, not committed yet (wait=false, or not within "
                    "the wait); endorsed: the endorsements of a client-signed proposal, to sign into an envelope")
    code: str | None = Field(description="the validation code's name (VALID, MVCC_READ_CONFLICT, ...), as "
                                         "`baochain contract invoke --json` prints it; null until committed")
    block: int | None
    index: int | None = Field(description="also: the transaction's place in its block")
    message: str | None = Field(description="also: why, when the code is not VALID")
    result: Any = Field(description="the entry's result, section-7 JSON (null: it returns nothing); it holds once "
                                    "the code is VALID")
    events: list[EventView]
    endorsers: list[str] = Field(description="also: the nodes whose endorsements the envelope carries")
    endorsements: list[str] | None = Field(None, description="also, when endorsed: each endorsement's bytes "
                                                             "(node.tx.endorsement), base64, in order")


class CrlView(BaseModel):
    number: int
    this_update: str = Field(description="ISO 8601, UTC")
    next_update: str | None
    revoked: int = Field(description="how many certificates the list revokes")


class OrgView(BaseModel):
    name: str
    root: str = Field(description="the organisation's CA certificate, DER, base64")
    ca: str = Field(description="the CA's name (the root's subject)")
    ca_not_after: str
    crls: list[CrlView]


class ConfigView(BaseModel):
    name: str
    suite: str
    sequence: int = Field(description="configuration changes so far; an update names sequence + 1")
    orgs: list[OrgView]
    regulators: list[str]
    consensus: str
    orderer: str
    block_max_tx: int
    block_timeout_ms: int
    gas_limit: int
    clock_skew_ms: int
    tz_offset_minutes: int
    config: str = Field(description="the configuration's bytes (node.chain.config), base64: what an update replaces")


class ConfigSubmitted(BaseModel):
    tx_id: str = Field(description="the update's id (the suite hash of its bytes); its status is read as a "
                                   "transaction's, at /transactions/{tx_id}")


ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "refused: the code says why (node.api.errors lists every code with its "
                                               "status: 400 malformed, 401 unsigned or stale, 403 forbidden, 404 unknown-channel or "
                                               "unknown, 409 replayed or conflicting, 413 too large, 422 refused)"},
    "5XX": {"model": ErrorBody, "description": "503 behind or unavailable: ask another node; 500 internal"},
}
