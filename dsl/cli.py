"""Language commands of `baochain`: check, build, disasm, fmt, test, run, explain."""

from __future__ import annotations

LANGUAGE_COMMANDS: list = []
