"""Party: who calls (the role it acts in, its organisation and its id within it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Party:
    """Orders as (org, id, role), LANGUAGE.md section 5's order for parties."""

    org: str
    id: str
    role: str
