"""The shape of the code: imports flow one way and a folder holds no family of prefixed modules.

Two rules of `docs/ARCHITECTURE.md`, checked over the source text rather than by importing it:

* **No import cycle** among the modules of `dsl`, `vm` and `node`. Every `import` statement counts,
  wherever it stands: at module level, inside a function, under `if TYPE_CHECKING:`. A cycle that
  only a deferred import keeps from failing at start-up is still a cycle: each of its modules needs
  the others to be understood. The graph is read with `ast`; an edge goes from a module to each
  module of the three packages it names (`import a.b` and `from a import b` name `a.b` when that is
  a module, else `a`; a package's `__init__` is the module named after its folder). A failure
  prints one cycle per strongly connected component, as the chain of imports that closes it.
* **A package per concern**: no folder holds three or more `word_*.py` files sharing `word`
  (`check_types.py`, `check_calls.py`, `check_scope.py` ask to become `check/`).

Work that is under way elsewhere is listed in the allow-lists below, each entry with its reason;
the lists only shrink, and a test fails when an entry no longer applies, so that it is removed.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dsl", "vm", "node")

# Strongly connected components still present, keyed by their sorted module names' first entry.
# Each is someone's open work under issue 13; the entry goes when the cycle does.
ALLOWED_CYCLES: dict[str, str] = {}

# Folders that still hold a family of `word_*.py` modules: (folder, word) -> why it is allowed for now.
ALLOWED_PREFIX_FAMILIES: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    """Every module of the three packages, by dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of `name` that is one of our modules (None for a foreign import)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ours that `module` imports anywhere in its text."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                # `from . import x` in a package's __init__ is relative to the package itself.
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pkg import sub` imports the module pkg.sub when there is one, else names of pkg.
            names = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules else prefix for alias in node.names]
        else:
            continue
        for name in names:
            resolved = _resolve(name, modules)
            if resolved is not None and resolved != module:
                targets.add(resolved)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module (or a module importing itself), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One closed chain of imports inside a component, from its first module back to it."""
    members = set(component)
    start = component[0]
    # Breadth-first from start's successors back to start: the shortest cycle through it.
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    chain = [node]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return [start, *reversed(chain[:-1]), start] if node != start else [start, start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{component} is not strongly connected")


def test_the_graph_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    modules = {"dsl.a": tmp_path / "a.py", "dsl.b": tmp_path / "b.py", "dsl.c": tmp_path / "c.py", "dsl": tmp_path}
    (tmp_path / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from dsl.b import B\n"
        "def f():\n    from . import c\n    import os\n",
        encoding="utf-8",
    )
    assert imported_modules("dsl.a", tmp_path / "a.py", modules) == {"dsl.b", "dsl.c"}


def test_a_cycle_is_found_and_printed_as_a_chain() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    (component,) = strongly_connected(graph)
    assert component == ["a", "b", "c"]
    assert cycle_in(component, graph) == ["a", "b", "c", "a"]


def test_no_import_cycle_among_dsl_vm_and_node() -> None:
    graph = import_graph()
    problems = []
    seen_allowed = set()
    for component in strongly_connected(graph):
        if component[0] in ALLOWED_CYCLES:
            seen_allowed.add(component[0])
            continue
        problems.append(" -> ".join(cycle_in(component, graph)) + f"   ({len(component)} modules: {', '.join(component)})")
    stale = set(ALLOWED_CYCLES) - seen_allowed
    assert not problems, "import cycles:\n  " + "\n  ".join(problems)
    assert not stale, f"allowed cycles that are gone (remove them from ALLOWED_CYCLES): {sorted(stale)}"


PREFIXED = re.compile(r"^([a-z][a-z0-9]*)_[a-z0-9_]+\.py$")


def prefix_families() -> dict[tuple[str, str], list[str]]:
    families: dict[tuple[str, str], list[str]] = defaultdict(list)
    for package in PACKAGES + ("tests", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            match = PREFIXED.match(path.name)
            # Test files are named after what they test (`test_*.py`): that prefix says what they are.
            if match and match.group(1) != "test":
                folder = str(path.parent.relative_to(ROOT))
                families[(folder, match.group(1))].append(path.name)
    return {key: sorted(names) for key, names in families.items() if len(names) >= 3}


@pytest.mark.parametrize("package", PACKAGES + ("tests", "bench"))
def test_no_folder_holds_a_family_of_prefixed_modules(package: str) -> None:
    found = {key: names for key, names in prefix_families().items() if key[0].split("/")[0] == package}
    unexpected = {key: names for key, names in found.items() if key not in ALLOWED_PREFIX_FAMILIES}
    stale = {key for key in ALLOWED_PREFIX_FAMILIES if key[0].split("/")[0] == package and key not in found}
    assert not unexpected, "make a package of each: " + "; ".join(
        f"{folder}/{word}_*: {', '.join(names)}" for (folder, word), names in sorted(unexpected.items())
    )
    assert not stale, f"families that are gone (remove them from ALLOWED_PREFIX_FAMILIES): {sorted(stale)}"
