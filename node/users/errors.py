"""The users package's refusals: one exception, `UserRefused`, whose ``reason`` is a stable word the
REST layer turns into a status (`node.api.errors.REASON_STATUS`) and whose ``message`` says why in
words, naming the field or the user. Messages never quote a password, a key or a token.

    unknown-user       no user of that name on this node                                   (404)
    exists             the name is taken, on this node or at the CA                        (409)
    not-pending        approve: the user is not waiting for approval                       (409)
    bad-request        a field that is not what it must be (the field is named)            (400)
    invalid            the CA refuses what the registration claims (its words)             (422)
    forbidden          the caller is not a current admin of this node's organisation       (403)
    bad-credentials    wrong name or password (one answer for both)                        (401)
    locked             too many wrong passwords: locked until the time the message names  (429)
    not-approved       the password is right, the user still waits for an admin           (403)
    disabled           the password is right, an admin disabled the user                  (403)
    bad-token          a bearer token that is malformed or no session's                   (401)
    session-expired    the session of that token ended with its lifetime                  (401)
    busy               the node holds as many sessions as it may; try again later          (429)
    no-ca              this node has no ``[ca]`` section: it cannot enroll users           (503)
    ca-unavailable     the organisation's CA cannot work now (the node's log says why)     (503)

`UserStoreDamaged` is not a refusal: a user file the node cannot read as one (its path named),
logged by the store, which then leaves that user out.
"""

from __future__ import annotations


class UserRefused(Exception):
    """A request about users or sessions refused for ``reason`` (see the module docstring)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class UserStoreDamaged(Exception):
    """A user's file that is not what the store writes."""
