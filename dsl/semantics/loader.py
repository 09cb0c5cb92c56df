"""Finding the modules a file `use`s: `ModuleLoader`.

`use insurance` reads `insurance.bao` from the folders the loader searches (the contract's own
folder first) and then from `stdlib/`. Each module is parsed once per loader and checked once per
loader (`checked`), however many files of one run use it. The checker asks the loader; the
pipeline gives each compilation one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dsl.semantics.scope import CheckedFile
from dsl.syntax import ast
from dsl.syntax.parser import parse_source
import stdlib


def stdlib_dir() -> Path:
    """The folder of the modules that ship with the language (the `stdlib` package)."""
    return Path(stdlib.__file__).parent


@dataclass
class ModuleLoader:
    """Finds `use`d modules: `use insurance` reads `stdlib/insurance.bao` (or a file of that
    name beside the contract). Parsed modules are cached per loader."""

    search_path: tuple[Path, ...] = ()
    _cache: dict[str, ast.SourceFile] = field(default_factory=dict)
    # Checked modules by name: a module is checked once per loader, however many files use it.
    checked: dict[str, CheckedFile] = field(default_factory=dict)

    def load(self, name: str) -> ast.SourceFile | None:
        if name in self._cache:
            return self._cache[name]
        for folder in (*self.search_path, stdlib_dir()):
            candidate = folder / f"{name}.bao"
            if candidate.is_file():
                tree = parse_source(candidate.read_text(encoding="utf-8"), str(candidate))
                if not isinstance(tree, ast.SourceFile):
                    return None
                self._cache[name] = tree
                return tree
        return None
