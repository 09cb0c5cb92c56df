"""The same calls give byte-identical results on Python 3.11, 3.12 and 3.13 (issue 14).

`determinism_worker.py` runs every call of the shipped contracts' scenarios and a set of hostile
programs (bench/gas.py's at small sizes; shared, deep and flat values around the limits, on both
machines) and prints each call's value, gas, writes (a digest) and events. This test runs it under
each of those Pythons found on the machine, each with its own hash seed, side by side, runs the
same collection in this process, and compares them. A Python that is absent is skipped, saying
so; one whose worker says it cannot run the VM is skipped with the worker's reason; a worker that
crashes fails the test.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

import lark
import pytest

from tests.vm.runtime import determinism_worker
from tests.vm.runtime.hostile_programs import NESTING_MESSAGE
from tests.vm.conftest import ROOT

WORKER = Path(determinism_worker.__file__).resolve()
VERSIONS = ("3.11", "3.12", "3.13")
PYENV = Path("/root/.pyenv/versions")
TIMEOUT = 120  # seconds for one worker (it takes ~4 s)


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` that really runs: on PATH (pyenv's shims answer for versions
    they do not serve, so they are tried like any other), else under pyenv's versions."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(str(PYENV / f"{version}.*" / "bin" / f"python{version}")))
    for exe in candidates:
        if not exe:
            continue
        try:
            answer = subprocess.run([exe, "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                    capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return exe
    return None


def _site_packages() -> str:
    # Where this environment's pure-Python dependencies live (lark among them).
    return str(Path(lark.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def runs() -> dict:
    """{version: (interpreter, its output or None, stderr)} and this process's own digest under
    "here"; the workers run side by side while this process collects its own."""
    started = {}
    for seed, version in enumerate(VERSIONS, start=1):
        exe = find_python(version)
        if exe is None:
            started[version] = (None, None)
            continue
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), _site_packages()]),
                   PYTHONHASHSEED=str(seed * 7919), PYTHONDONTWRITEBYTECODE="1")
        # -S: none of that interpreter's own site-packages; only what PYTHONPATH names.
        proc = subprocess.Popen([exe, "-S", "-B", str(WORKER)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        started[version] = (exe, proc)
    out: dict = {"here": determinism_worker.digest()}
    for version, (exe, proc) in started.items():
        if proc is None:
            out[version] = (None, None, "")
            continue
        try:
            stdout, stderr = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            stderr = f"timed out after {TIMEOUT} s\n{stderr}"
        parsed = json.loads(stdout) if proc.returncode == 0 and stdout.strip() else None
        out[version] = (exe, parsed, stderr if parsed is None else "")
    return out


def _first_difference(mine: list, theirs: list) -> str:
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if a != b:
            return f"call {i}: here {json.dumps(a)[:600]}\n  there {json.dumps(b)[:600]}"
    return f"{len(mine)} calls here, {len(theirs)} there"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_python_gives_every_call_the_same_outcome(version, runs):
    exe, theirs, stderr = runs[version]
    if exe is None:
        pytest.skip(f"no Python {version} on this machine (looked on PATH and under {PYENV})")
    assert theirs is not None, f"the worker failed under {exe}:\n{stderr[-3000:]}"
    if "unusable" in theirs:
        pytest.skip(f"Python {version} ({exe}) cannot run the VM here: {theirs['unusable']}")
    assert theirs["python"].startswith(version + ".")
    mine = runs["here"]
    for part in ("scenarios", "hostile"):
        assert theirs[part] == mine[part], f"Python {theirs['python']} ({exe}, sm3 from {theirs['sm3']}, msgpack " \
                                           f"{theirs['msgpack']}) differs in {part}: " + \
                                           _first_difference(mine[part], theirs[part])


def test_the_comparison_covers_what_it_claims(runs):
    """The digest is not vacuous: every shipped scenario passed, and the hostile calls reach the
    outcomes that differ most easily between hosts (limits, nesting, gas, sm3 and sha256)."""
    mine = runs["here"]
    files = [r for r in mine["scenarios"] if "file" in r]
    calls = [r for r in mine["scenarios"] if "entry" in r]
    assert len(files) == len(list((ROOT / "contracts").glob("*.test.bao")))
    assert all(f["built"] and f["verdicts"] and all(v[1] for v in f["verdicts"]) for f in files)
    assert len(calls) > 2_000 and any("abort" in c for c in calls)
    hostile = mine["hostile"]
    kinds = {h.get("abort", "completed") for h in hostile}
    assert {"completed", "limit", "out-of-gas"} <= kinds
    assert any(NESTING_MESSAGE in h.get("message", "") for h in hostile)
    assert {h["op"] for h in hostile if "op" in h} >= {"eq", "in", "text", "sha256", "sm3", "store", "emit", "return"}
    assert {h["machine"] for h in hostile if "bench" in h} == {"Machine", "ReferenceMachine"}

