"""Bounded fuzzing of the CLI: mutated sources and modules never let a Python exception escape.

`pytest --long` runs many more rounds (the `long` hypothesis profile)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.pipeline import Compilation
from node.cli import cli

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted((ROOT / "contracts").glob("*.bao")) + sorted((ROOT / "stdlib").glob("*.bao"))
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SOURCES}
MODULE = Compilation.from_file(ROOT / "contracts" / "health.bao").encoded

FRAGMENTS = st.sampled_from([
    "", " ", "    ", "\t", "\n", ":", "(", ")", "[", "]", "{", "}", '"', '"""', "#", "%", "-", "+=", "==",
    "2024-02-30", "2024-3-1", "1.5e3", "100.001 CNY", "5 XYZ", "80%", "3 weeks", "0x12", "保单", "let",
    "return", "require", "emit", "if", "else", "for", "in", "by", "anyone", "caller", "now", "mod",
])


def _mutate(text: str, data) -> str:
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        pos = data.draw(st.integers(0, len(text)), label="at")
        kind = data.draw(st.sampled_from(["insert", "delete", "replace", "dup-line"]), label="kind")
        piece = data.draw(FRAGMENTS, label="piece")
        if kind == "insert":
            text = text[:pos] + piece + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + data.draw(st.integers(1, 40), label="n"):]
        elif kind == "replace":
            text = text[:pos] + piece + text[pos + len(piece) + 1:]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = min(pos % len(lines), len(lines) - 1)
                lines.insert(i, lines[i])
                text = "".join(lines)
    return text


def _no_escape(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}")
    assert result.exit_code in (0, 1, 2)
    assert "Traceback" not in result.output


@settings(max_examples=40)
@given(st.sampled_from(sorted(TEXTS)), st.data())
def test_mutated_sources_give_diagnostics_not_tracebacks(tmp_path_factory, name: str, data) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / name
    path.write_text(_mutate(TEXTS[name], data), encoding="utf-8")
    runner = CliRunner()
    for command in (["check", path], ["fmt", "--check", path], ["build", path, "-o", folder / "m.baom"]):
        _no_escape(runner.invoke(cli, [str(c) for c in command]))


@settings(max_examples=40)
@given(st.data())
def test_mutated_modules_are_refused_cleanly(tmp_path_factory, data) -> None:
    module = bytearray(MODULE)
    for _ in range(data.draw(st.integers(1, 6), label="flips")):
        i = data.draw(st.integers(0, len(module) - 1), label="at")
        module[i] = data.draw(st.integers(0, 255), label="byte")
    if data.draw(st.booleans(), label="truncate"):
        module = module[: data.draw(st.integers(0, len(module)), label="len")]
    path = tmp_path_factory.mktemp("mod") / "m.baom"
    path.write_bytes(bytes(module))
    _no_escape(CliRunner().invoke(cli, ["disasm", str(path)]))


def test_undecodable_source_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin.bao"
    path.write_bytes("contract Caf\xe9\n".encode("latin-1"))
    result = CliRunner().invoke(cli, ["check", str(path)])
    _no_escape(result)
    assert result.exit_code == 1 and "UTF-8" in result.output
    assert f"{path}:1:13: error[B0101]: file is not UTF-8: byte 0xe9" in result.output
