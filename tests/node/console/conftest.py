"""``--console-shots DIR``: keep the browser tests' screenshots in DIR (default: a folder of pytest's
temporary directory, which later runs rotate away); where they are is printed in the run's
summary. The option exists when tests/node/console is named on the command line (pytest reads
options only from the conftest files it starts with)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHOTS = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--console-shots", metavar="DIR", default=None,
                     help="keep the web console's screenshots (desktop and phone widths) in DIR")


@pytest.fixture(scope="module")
def console_shots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder for this run's screenshots, remembered for the summary."""
    chosen = request.config.getoption("console_shots", default=None)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("console-shots")
    folder.mkdir(parents=True, exist_ok=True)
    request.config.stash[SHOTS] = folder
    return folder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    folder = config.stash.get(SHOTS, None)
    if folder is not None:
        terminalreporter.write_line(f"web console screenshots: {folder}")
