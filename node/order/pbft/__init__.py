"""PBFT ordering: Practical Byzantine Fault Tolerance (Castro and Liskov, OSDI 1999 and TOCS 2002)
as a deterministic state machine without I/O (STYLE.md, the h11 example).

n replicas, the ordering nodes of a channel named in a `PbftConfig`, agree on one sequence of
batches of requests (a request is a block item's bytes) while at most f = (n - 1) // 3 of them
are Byzantine: crashed, lying, equivocating or censoring. Q = 2f + 1 (when n = 3f + 1) is the
quorum; any two quorums share a correct replica.

The replica (`Replica`) takes events and returns actions; it never reads a clock, draws a random
number or touches a socket or a disk, so the same events always give the same actions and one
thread can run a whole network of replicas from a seed (tests/node/order/simulation.py).

    events in                                        actions out
    submit(request, now_ms)        a client request  Broadcast(message), Send(to, message)
    receive(bytes, from, now_ms)   a link's message  Deliver(sequence, batch, digest, certificate)
    tick(now_ms)                   time passed       SetTimer(at_ms): call tick then
    checkpoint_state(seq, state, now_ms)             NeedStateTransfer(from, to, state, proof)
    state_transferred(seq, state, requests, now_ms=) StateDiverged(seq, local, agreed)
                                                     ViewEntered(view, primary)

Batches are delivered for sequence numbers 1, 2, 3, ... in order, each once, and every correct
replica delivers the same batch at each number; the node cuts one block per delivered batch (a
null batch, which a view change puts in a gap, holds no request). After delivering a multiple of
K the node reports the state it reached (`checkpoint_state`), and the replicas agree on it.

## Messages

Each message is signed by its author (`auth`: the channel's suite in the node, HMAC in the
simulation) over its canonical codec encoding, and travels as {author, body, sig[, batches]}
(`messages`). With v a view, n a sequence number, d a batch digest:

    request(request)                     a client request, broadcast by the replica that got it
    pre-prepare(v, n, d) + the batch     the primary of v assigns n to the batch d
    prepare(v, n, d)                     a backup accepted that pre-prepare
    commit(v, n, d)                      the author holds a prepared certificate for (v, n, d)
    checkpoint(n, state)                 the author's state after delivering n (a multiple of K)
    view-change(v, checkpoint proof, prepared certificates)    the author moves to view v
    new-view(v, view changes, pre-prepares)                    the primary of v starts it
    status(v, active, executed, stable)  periodic; peers answer with what the author lacks
    committed(commits) + the batch       a relayed commit certificate, for a replica behind
    checkpoint-proof(checkpoints)        a relayed stable checkpoint proof

## The protocol

Normal case. The primary of view v (replicas[v mod n]) batches the requests it holds (at most
`batch_max` requests and `batch_max_bytes` bytes, or whatever waited `batch_timeout_ms`), assigns
the next sequence number in the window (while fewer than `batches_in_flight` of its batches wait
to be delivered), and broadcasts the pre-prepare with the batch. A backup
accepts the first pre-prepare for (v, n) whose batch is well formed (not empty, its time within
`clock_skew_ms` of the backup's clock, each request accepted by the `accept_request` check, none
already in another batch of the view or lately delivered) and broadcasts a prepare. Prepared
(v, n, d) = the pre-prepare and Q - 1 matching prepares from backups (a backup's own among them):
then the replica broadcasts commit(v, n, d). Committed n = Q matching commits for some (v, n, d):
d is final at n, and n is delivered once n - 1 is and the batch is known (`log`, `certificates`).

Checkpoints and watermarks. Q matching checkpoint messages for (n, state) make a stable
checkpoint: the low watermark h moves to n and the log below it is dropped. Only sequence
numbers in (h, h + L] are accepted, so a faulty primary cannot exhaust the number space and the
log is bounded. A replica that learns of a stable checkpoint above what it delivered cannot
replay the batches in between (they are gone from every log): it asks the node for a state
transfer and delivers again from there once told it is done.

View change (`viewchange`). A backup that waited `request_timeout_ms` for a pending request (a
crashed, slow, equivocating or censoring primary), or `view_change_timeout_ms` for a new view,
moves to the next view and broadcasts a view change holding its prepared certificates; f + 1
view changes for higher views make a replica join. The new primary gathers Q view changes,
re-proposes each prepared batch at its number and fills gaps with null batches; every replica
recomputes that plan from the view changes the new view carries and refuses it if it differs.
Timeouts double with each view change in a row. Retransmission (`catchup`): statuses let
replicas resend what was lost.

## Choices, each with its reason

- Signatures on every message, not the TOCS paper's MAC authenticators: the channel's suite
  already signs everything consensus relies on (ARCHITECTURE.md), signed messages can be relayed
  (certificates, catch-up), and the view change stays the OSDI paper's simple one. The cost is a
  signature per message; batching amortises it over the requests.
- The batch rides beside the signed pre-prepare, named by its digest: signatures cost the same
  for any batch, and certificates carry only headers.
- A commit certificate of any view proves its batch final (f + 1 correct replicas prepared it),
  so a replica behind takes committed batches from any peer's certificates, whatever its view.
- Requests are broadcast to every replica on submit and again while they wait: every correct
  replica then watches every request, so a censoring primary is suspected by all of them (f + 1
  suspicions are needed), and a request lost on the way is not mistaken for censorship.
- Batch times come from the primary and are checked by the backups: the block time decides
  EXPIRED everywhere, so it must be one value agreed on, not each node's clock.
- A backup refuses batches holding requests already in flight or lately delivered: a faulty
  primary could otherwise order a request twice; refusing only costs that primary its view.
- A new primary proposes nothing new while it lacks a re-proposed batch or a state transfer is
  due: its pending requests may be in those batches.
- Within a view a request is ordered at most once. Across view changes PBFT may order it twice: a
  batch prepared at a few replicas can be left out of one new view (its requests are proposed
  again) and brought back by a later one. The paper discards the second execution by client
  timestamps; here the ledger does, by transaction id (DUPLICATE_TXID), so batches stay exactly as
  agreed (filtering them by what a replica remembers would make replicas' blocks differ).

## Bounds, each with its reason

- log: L (`window`) slots, each at most one pre-prepare, n prepares, n commits and 4 batches: the
  watermarks; a batch is at most `batch_max_bytes` of requests.
- pending requests: `max_pending` and `max_pending_bytes`, shared equally by origin, so a faulty
  replica flooding requests fills only its own share; requests learnt from pre-prepares are
  bounded by the log instead.
- de-duplication memory: the last `dedup_memory` delivered digests; an older duplicate costs one
  wasted slot and is refused by the ledger (DUPLICATE_TXID).
- messages of views not reached yet: `future_max_messages` and `future_max_bytes` per author,
  oldest dropped first, so a replica that races ahead (or lies) costs a bounded buffer.
- view changes: one per author (its highest view); checkpoint votes: one per author per multiple
  of K in the window; peers' statuses: one per peer; memos of 8192 verified signatures and of
  4096 decoded messages (a prepare is read again inside view changes and new views).
- message size: `messages.message_max_bytes(config)`, a batch plus the largest new view.
- catch-up answers: per peer per status interval, at most `catchup_max` committed bundles and the
  window's in-flight messages.

## Left to the node

Links and back-pressure (node.net); persistence: a restarted replica starts from its ledger's
height through `state_transferred`, but it has forgotten the prepares and commits it signed, so
with a faulty primary it could sign a conflicting one in the same view; the node keeps the
highest view the replica reached and restarts it with ``silent_through_view`` set to it: it
then votes in no view it may have voted in before, and takes part again from the next view
change (its view-change messages are still sent; one that leaves out a prepared certificate it
forgot is a fault of the kind the f allowed ones cover); fetching and checking
blocks for a state transfer; mapping sequence numbers to block numbers (null batches); the
executor's state digest; membership changes at checkpoint boundaries; metrics from
``Replica.stats``, ``view``, ``primary``, ``executed`` and ``stable``.
"""

from node.order.pbft.actions import (
    Action, Broadcast, Deliver, NeedStateTransfer, Send, SetTimer, StateDiverged, ViewEntered,
)
from node.order.pbft.auth import Signer, Verifier, suite_signer, suite_verifier
from node.order.pbft.config import ConfigError, PbftConfig
from node.order.pbft.messages import NULL_BATCH, Batch, MessageError, Signed, decode_signed
from node.order.pbft.replica import Replica, ReplicaBusy, RequestRefused

__all__ = [
    "NULL_BATCH", "Action", "Batch", "Broadcast", "ConfigError", "Deliver", "MessageError", "NeedStateTransfer",
    "PbftConfig", "Replica", "ReplicaBusy", "RequestRefused", "Send", "SetTimer", "Signed", "Signer",
    "StateDiverged", "Verifier", "ViewEntered", "decode_signed", "suite_signer", "suite_verifier",
]
