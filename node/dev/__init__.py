"""`baochain dev`: one command from install to a running chain an application developer can call.

What it makes, fresh on every run, in ``.baochain-dev/`` of the current folder (`DEV_FOLDER`):

- one organisation, ``DevOrg``, with its CA and the identities an insurance app meets:
  ``insurer@DevOrg``, ``hospital@DevOrg``, ``bank@DevOrg``, ``reinsurer@DevOrg``,
  ``trustee@DevOrg``, ``employer@DevOrg``, ``regulator@DevOrg`` and ``admin@DevOrg``;
- one channel, ``dev``, ordered by the organisation's one node alone (solo ordering: PBFT needs
  four nodes to survive one fault, and a developer's laptop needs none);
- every contract of ``contracts/`` deployed under its file's name (the health contract as
  ``health``), with the init arguments of `INIT_ARGS`;
- ``alice``, an application user of the insurer (`node.users`), with a fresh random password.

The node's API is plain HTTP on 127.0.0.1 (no certificate to trust from curl: a development
node never listens elsewhere). The command prints, a line at a time as it goes, the API's
address, alice's password, and exactly two one-line shell commands, the only lines holding
``curl``: the first logs alice in and sets ``TOKEN`` (curl and python3, no jq), the second
invokes the health contract's ``issue`` with it and shows the JSON answer. Then it serves until
Ctrl-C (or SIGTERM) and stops the node it started.

Why a folder of the current directory, made anew: a developer runs it where they work and
finds the wallet, the node's log and configuration there; a fresh chain each run means no
state of an earlier session surprises anyone (the earlier folder's node is stopped first, and
a folder that is not one of ours is never deleted).
"""

from node.dev.cli import dev

__all__ = ["dev"]
