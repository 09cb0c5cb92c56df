"""Which role a call acts in when its caller does not say: shared by the client library
(`node.client.contract`) and the node's JSON calls (`node.api.calls`).

A proposal names one role, and the contract may act on it, so the choice is made only where it
cannot surprise: the only role the identity holds; else the only one of its roles the entry
admits (``allowed``: its ``by`` roles, or the contract's parties for ``anyone``). A view changes
nothing, so for a view the first fitting role will do. For an action several fitting roles are
refused (`RoleChoiceError` names them): the caller picks. When none fits, the first role held
is taken, so that the contract's own refusal names the entry and the role.
"""

from __future__ import annotations

from collections.abc import Sequence


class RoleChoiceError(ValueError):
    """No role can be chosen: ``fitting`` is empty when none is held, else the roles that fit."""

    def __init__(self, fitting: Sequence[str]) -> None:
        self.fitting = tuple(fitting)
        super().__init__("no role to act in" if not self.fitting else
                         f"several roles fit ({', '.join(self.fitting)}): pick one")


def pick_role(held: Sequence[str], allowed: Sequence[str] | None, *, view: bool = False) -> str:
    """The role to act in (see the module docstring); ``allowed`` None: not known here."""
    if not held:
        raise RoleChoiceError(())
    if len(held) == 1:
        return held[0]
    fitting = [r for r in held if allowed is None or r in allowed]
    if not fitting:
        return held[0]
    if view or len(fitting) == 1:
        return fitting[0]
    raise RoleChoiceError(fitting)
