"""The exceptions of `baochain network`: a spec that cannot make a network, a folder that cannot
take one, and an index that cannot be read. Only the CLI turns them into output."""

from __future__ import annotations


class NetworkError(Exception):
    """Base of the network set-up's errors; the message says what to do."""


class SpecError(NetworkError):
    """A network spec that cannot make a network.

    ``file`` is the spec's name as given, ``path`` the key path inside it (``channels[1].orgs``,
    empty for the whole file), ``line`` and ``column`` where it is when known (1-based), and
    ``problem`` what is wrong. The message is ``FILE[:LINE[:COLUMN]]: [PATH: ]PROBLEM``.
    """

    def __init__(self, file: str, path: str, problem: str, line: int | None = None, column: int | None = None) -> None:
        where = file + (f":{line}" if line is not None else "") + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {path + ': ' if path else ''}{problem}")
        self.file = file
        self.path = path
        self.problem = problem
        self.line = line
        self.column = column


class FolderTaken(NetworkError):
    """The folder `network init` was given already holds a network, part of one, or other files."""


class NetworkIndexError(NetworkError):
    """A network folder whose ``network.json`` is missing or cannot be read."""
