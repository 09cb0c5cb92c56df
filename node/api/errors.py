"""The API's refusals: one JSON body, ``{"code": word, "message": text}``, and one status per word.

Every refusal the API gives is an `ApiError`; the app turns it into its response, and nothing
else reaches the client (an unexpected fault is a 500 ``internal`` whose message names no
Python object). The words are stable: programs branch on ``code``, people read ``message``.

Request-level refusals (the gate, `node.api.access`, and the request's own shape):

    400 bad-request          a path, query or header value that is not what it must be (named)
    400 malformed            bytes that are not the wire form asked for (the field is named)
    401 unsigned             a channel request without the three signature headers
    401 bad-signature        the request signature does not verify with the certificate's key
    401 stale-request        X-Baochain-Time is outside the channel's clock-skew window
    403 forbidden            the request's certificate is outside its own validity dates
    404 unknown-channel      no such channel, or the caller is not a current identity of a member
                             (or a regulator of one): both answer alike, on every endpoint, so a
                             non-member learns nothing of a channel, not even that it exists
    404 not-found            no such route; unknown-block, unknown-contract, unknown-record,
                             unknown-version: within a channel; no_source: a contract deployed
                             as a built module has no source to explain (`node.api.browse`)
    422 unexplainable        this node's explain cannot read a deployed source
    409 replayed             the same signed request was seen already
    413 too-large            a body over `BODY_MAX_BYTES`
    415 unsupported-media    a binary endpoint sent something other than application/octet-stream
    429 busy                 too many signed requests inside one window to remember them all
    503 behind               X-Baochain-Min-Height not reached within the wait
    503 unavailable          the orderer cannot be reached now

Refusals of a proposal (`node.chain.endorser.ProposalRefused`, by its reason) and of a submitted
envelope keep the reason as the code; `REASON_STATUS` gives the status:

    403  identity, not-admin, read-only, upgrade, bad-signature   who is asking may not do this
    404  unknown-contract, unknown-entry                         what is asked for does not exist
    409  exists, duplicate, not-endorser                          the ledger (or node) is not in a
                                                                  state to do this
    422  arguments, policy, bad-module, channel, expired,         the request is well formed but
         contract-abort, unendorsable                             cannot be carried out as it is
    400  malformed                                                 not the wire form

Refusals about users and sessions (`node.users.errors`, `node.api.users`) keep their reason
as the code too:

    401  bad-credentials, bad-token, session-expired     log in (again)
    403  forbidden, not-approved, disabled, certificate-expired
    404  unknown-user
    409  not-pending (exists, as above)
    422  invalid                                          the CA refuses what was asked
    429  locked, busy                                     wait (the message says until when)
    503  no-ca, ca-unavailable                            this node cannot enroll users now
"""

from __future__ import annotations

from typing import Any

from node.chain.endorser import ProposalRefused

BODY_MAX_BYTES = 8 * 1024 * 1024  # above the largest envelope (`node.tx.limits.ENVELOPE_MAX_BYTES`)

REASON_STATUS: dict[str, int] = {
    "malformed": 400,
    "identity": 403,
    "not-admin": 403,
    "read-only": 403,
    "upgrade": 403,
    "bad-signature": 403,
    "unknown-contract": 404,
    "unknown-entry": 404,
    "exists": 409,
    "duplicate": 409,
    "not-endorser": 409,
    "arguments": 422,
    "policy": 422,
    "bad-module": 422,
    "channel": 422,
    "expired": 422,
    "contract-abort": 422,
    "unendorsable": 422,
    "unavailable": 503,
    "bad-request": 400,
    "bad-credentials": 401,
    "bad-token": 401,
    "session-expired": 401,
    "forbidden": 403,
    "not-approved": 403,
    "disabled": 403,
    "certificate-expired": 403,
    "unknown-user": 404,
    "not-pending": 409,
    "invalid": 422,
    "locked": 429,
    "busy": 429,
    "no-ca": 503,
    "ca-unavailable": 503,
}
DEFAULT_REFUSAL_STATUS = 422


class ApiError(Exception):
    """A refusal: HTTP ``status``, a stable ``code`` word, and a ``message`` in words."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def refusal(reason: str, message: str) -> ApiError:
    """The `ApiError` for a refusal whose reason is ``reason`` (see `REASON_STATUS`)."""
    return ApiError(REASON_STATUS.get(reason, DEFAULT_REFUSAL_STATUS), reason, message)


def refused_proposal(exc: ProposalRefused) -> ApiError:
    return refusal(exc.reason, exc.message)


def bad_request(what: str, problem: str) -> ApiError:
    return ApiError(400, "bad-request", f"{what}: {problem}")


def read_refusal(answer: Any) -> tuple[str, str]:
    """(code, message) of an answer in the refusal form, as a client reads it (an `httpx.Response`);
    for an answer in no such form, ``http-STATUS`` and the start of its text."""
    try:
        body = answer.json()
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            return body["code"], str(body.get("message", ""))
    except ValueError:
        pass
    return f"http-{answer.status_code}", answer.text[:200] or answer.reason_phrase
