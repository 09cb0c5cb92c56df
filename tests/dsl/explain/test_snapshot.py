"""The Markdown of LANGUAGE.md section 1's contract, pinned: any change to what a reader sees shows
up here as a diff. After a deliberate change, rewrite the snapshot with
`BAOCHAIN_UPDATE_SNAPSHOTS=1 pytest tests/dsl/test_explain_snapshot.py` and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsl.cli.explain import explain

SNAPSHOTS = Path(__file__).parent / "snapshots"
SOURCE = SNAPSHOTS / "explain_section1.bao"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_section1_markdown_matches_snapshot(lang: str, monkeypatch: pytest.MonkeyPatch):
    # The footer names the file as given; run from the snapshot folder so it reads the same anywhere.
    monkeypatch.chdir(SNAPSHOTS)
    result = CliRunner().invoke(explain, [SOURCE.name, "--format", "md", "--lang", lang])
    assert result.exit_code == 0, result.output
    expected = SNAPSHOTS / f"explain_section1.{lang}.md"
    if os.environ.get("BAOCHAIN_UPDATE_SNAPSHOTS") == "1":
        expected.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected.read_text(encoding="utf-8")
