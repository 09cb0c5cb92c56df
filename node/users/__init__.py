"""Application users of an organisation, and sessions: how an insurer's app acts for its end users
through a node without ever holding a key.

    POST   /api/v1/users                    an admin registers a user (name, password, roles)
    POST   /api/v1/users/{name}/approve     an admin approves: the CA certifies the user's key
    POST   /api/v1/sessions                 {"name", "password"} -> {"token", "expires_at"}
    GET    /api/v1/channels/...             Authorization: Bearer TOKEN, instead of signing
    DELETE /api/v1/sessions                 logout

A user is an identity of the organisation's CA (type ``client``) whose private key the node
makes and keeps, sealed under a key derived from the user's password; a login opens it for the
session's life, so the node can sign as the user (the JSON invoke routes do). A session can also
be had by a request signed with a certificate's key: it stands for that certificate and holds
no key. Either way, a bearer token authenticates channel requests as the session's certificate,
checked against the channel's trust like a signed request's (`node.api.access`).

Modules, one concern each:
- `keys`: the password-derived key and the sealed private key (scrypt, the suite's AEAD);
- `records`: a user as the node keeps it (`UserRecord`), `store`: one atomic file per user;
- `authority`: the organisation's CA as the node uses it (``[ca]`` in node.toml);
- `directory`: register, approve, disable, enable, unlock, login, lock-out (`UserDirectory`);
- `sessions`: tokens, expiry and the keys they hold (`SessionBook`, `Session`);
- `client`: the admin's side over a node's API, and `cli`: ``baochain user ...``;
- `errors`: the refusal words (`UserRefused`).

The HTTP routes are `node.api.users`; the node holds its `UserDirectory` and `SessionBook` as
``runtime.users`` and ``runtime.sessions`` (`node.api.runtime`).
"""

from node.users.errors import UserRefused
from node.users.sessions import Session, SessionBook

__all__ = ["Session", "SessionBook", "UserRefused"]
