"""`baochain run`: one action or view on a local ledger, printed as LANGUAGE.md section 7 JSON.

The ledger is in memory, or kept in a folder with `--state DIR` so that runs build on each
other. The first run on a ledger deploys the contract (running its `init` when that takes no
arguments; `baochain run FILE init ARGS…` deploys with arguments).
"""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from dsl.cli.output import fail, module_bytes, write_file

DEPLOYMENT_FILE = "deployment.json"
LOCK_FILE = ".lock"


def _party(text: str):
    from vm.values import Party

    role, sep, org = text.partition(":")
    if not sep or not role or not org:
        raise click.BadParameter("expected ROLE:ORG, e.g. insurer:PICC", param_hint="'--as'")
    return Party(org, org, role)


# A JSON string (to its end if unclosed: brackets inside one do not count), or a bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)


def _json_arg(position: int, text: str) -> object:
    # Arrays and objects nested deeper than any value may nest are refused before the JSON is
    # parsed: the parser recurses per level, so deep text would otherwise end in a RecursionError,
    # at a depth that depends on the host's stack.
    from vm.gas import DEFAULT_LIMITS
    from vm.values.jsonform import json_nesting_bound

    depth = _bracket_depth(text)
    if depth > json_nesting_bound(DEFAULT_LIMITS):
        raise click.BadParameter(f"argument {position}: arrays or objects nested too deeply ({depth} levels; "
                                 f"values nest at most {DEFAULT_LIMITS.nesting} deep: Lists, Maps and "
                                 "records inside each other)", param_hint="'ARGS...'")
    # A bare word that is not JSON is taken as Text, so `P1` works as well as '"P1"'.
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
    except ValueError:  # an integer past Python's digit limit for str -> int
        raise click.BadParameter(f"argument {position}: a number of {len(text)} characters is too large",
                                 param_hint="'ARGS...'") from None
    except RecursionError:  # cannot happen below the bound above; kept so that it never escapes
        raise click.BadParameter(f"argument {position}: arrays or objects nested too deeply",
                                 param_hint="'ARGS...'") from None


def _bracket_depth(text: str) -> int:
    """How deep `[` and `{` nest in ``text``, outside JSON strings (in time linear in the text)."""
    depth = deepest = 0
    for m in _JSON_TOKEN.finditer(text):
        if m[0][0] == '"':
            continue
        if m[0] in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


@contextmanager
def _ledger_lock(state_dir: Path) -> Iterator[None]:
    """Hold the ledger folder for this run, so that two runs on one folder take turns instead of
    the later save silently dropping the earlier run's writes."""
    import fcntl

    try:
        handle = open(state_dir / LOCK_FILE, "a+b")
    except OSError as exc:
        raise click.BadParameter(f"cannot use {state_dir}: {exc.strerror or exc}", param_hint="'--state'") from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _is_ledger_folder(folder: Path) -> bool:
    """Empty, or holding a ledger: `--state .` in a project folder must not scatter files there."""
    from vm.runtime import STATE_FILE

    names = {p.name for p in folder.iterdir()}
    return not (names - {LOCK_FILE}) or bool(names & {STATE_FILE, DEPLOYMENT_FILE})


def _deployed_module(state_dir: Path, host) -> str | None:
    """The module id the ledger was deployed with, or None for a fresh ledger."""
    record = state_dir / DEPLOYMENT_FILE
    if not record.exists():
        if any(True for _ in host.scan(b"")):
            # The state is saved before the record, so an interrupted first run lands here.
            fail(f"{state_dir}: the ledger has state but no {DEPLOYMENT_FILE}; it is damaged "
                  "(an interrupted run?): use a fresh --state folder")
        return None
    try:
        ident = json.loads(record.read_text(encoding="utf-8")).get("module")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        ident = None
    if not isinstance(ident, str):
        fail(f"{record}: not a deployment record (damaged?): use a fresh --state folder")
    return ident


@click.command(short_help="Run one action or view on a local ledger.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("name")
@click.argument("args", nargs=-1)
@click.option("--as", "as_party", required=True, metavar="ROLE:ORG", help="The caller: its role and organisation.")
@click.option("--at", "at_date", metavar="DATE", help="Block time: midnight (UTC+08:00) of DATE, e.g. 2024-03-01.  [default: now]")
@click.option("--gas-limit", type=click.IntRange(min=1), default=10_000_000, show_default=True,
              help="Gas limit of the call (and of the deployment).")
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Keep the ledger in this folder between runs.")
def run(file: Path, name: str, args: tuple[str, ...], as_party: str, at_date: str | None,
        gas_limit: int, state_dir: Path | None) -> None:
    """Run the action or view NAME of FILE (a contract, or a module built from one) on a local
    ledger and print its result, gas and events as JSON. The first run on a ledger deploys the
    contract (NAME init deploys it with ARGS).

    ARGS are JSON values: 3, "1200.50 CNY", "2024-03-01", '{"holder": "Li"}'; a bare word that is
    not JSON is Text. Exit status 1 if the call aborts or an argument does not fit.
    """
    from vm.errors import LiteralError, VerifyError
    from vm.runtime import Machine
    from vm.verify import verify

    caller = _party(as_party)
    for i, a in enumerate(args, 1):
        _json_arg(i, a)  # a usage error before any compiling
    if at_date is None:
        import time

        timestamp = int(time.time() * 1000)
    else:
        from vm.values import midnight_of, parse_date_literal

        try:
            timestamp = midnight_of(parse_date_literal(at_date))
        except LiteralError as exc:
            raise click.BadParameter(str(exc), param_hint="'--at'")
    if file.suffix == ".baom":  # a module built with `baochain build`
        try:
            data = file.read_bytes()
        except OSError as exc:
            fail(f"{file}: cannot read the file: {exc.strerror or exc}")
    else:
        data = module_bytes(file, f"`baochain test {file}` runs its scenarios")
    try:
        machine = Machine(verify(data))
    except VerifyError as exc:
        if file.suffix == ".baom":
            fail(f"{file}: not a valid module: {exc}")
        fail(f"{file}: internal error: the compiled module was refused by the verifier: {exc}")
    callable_names = sorted(e.name for e in machine.entries() if e.kind != "init")
    if not callable_names:
        fail(f"{file}: {machine.module.name} has no actions or views to run (a module is used by contracts)")
    if name != "init" and name not in callable_names:
        raise click.BadParameter(f"{machine.module.name} has no action or view named {name!r}; it has: "
                                 + ", ".join(callable_names), param_hint="'NAME'")
    call = _Call(machine, data, name, args, caller, timestamp, gas_limit)
    if state_dir is None:
        call.run_on(None)
        return
    if state_dir.is_dir() and not _is_ledger_folder(state_dir):
        raise click.BadParameter(f"{state_dir} holds other files and no ledger; give a new or empty folder",
                                 param_hint="'--state'")
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(f"cannot create {state_dir}: {exc.strerror or exc}", param_hint="'--state'") from None
    with _ledger_lock(state_dir):
        call.run_on(state_dir)


class _Call:
    """One `run` invocation once its arguments are understood."""

    def __init__(self, machine, data: bytes, name: str, args: tuple[str, ...], caller, timestamp: int,
                 gas_limit: int):
        from vm.module import module_id

        self.machine = machine
        self.ident = module_id(data)
        self.name = name
        self.args = args
        self.json_args = [_json_arg(i, a) for i, a in enumerate(args, 1)]
        self.caller = caller
        self.timestamp = timestamp
        self.gas_limit = gas_limit

    def run_on(self, state_dir: Path | None) -> None:
        from vm.errors import Abort, StateFileError, ValueFormError
        from vm.runtime import CallContext, MemoryHost
        from vm.values import to_json

        machine, name, json_args = self.machine, self.name, self.json_args
        host = MemoryHost()
        deployed_id = None
        if state_dir is not None:
            try:
                host = MemoryHost.open(state_dir)
            except StateFileError as exc:  # a damaged ledger folder: say which, never a traceback
                fail(f"{state_dir}: cannot read the ledger: {exc}")
            deployed_id = _deployed_module(state_dir, host)
            if deployed_id is not None and deployed_id != self.ident:
                fail(f"{state_dir} holds the state of another build of this contract (module {deployed_id}); "
                      "use a fresh --state folder after changing the contract")

        seed = hashlib.sha256(f"{self.ident}|{name}|{self.args}|{self.timestamp}".encode()).digest()
        ctx = CallContext(caller=self.caller, timestamp_ms=self.timestamp, tx_id=seed)
        gas_total = 0
        try:
            if deployed_id is None:
                init_args = json_args if name == "init" else []
                result = machine.deploy_json(init_args, ctx, host, self.gas_limit)
                host.apply(result.writes)
                gas_total += result.gas_used
                if name == "init":
                    self._finish(state_dir, host, deployed_id, {"deployed": self.ident, "gas_used": gas_total})
                    return
            elif name == "init":
                fail("the contract is already deployed on this ledger")
            result = machine.call_json(name, json_args, ctx, host, self.gas_limit)
        except ValueFormError as exc:
            fail(f"error: {exc}")
        except Abort as exc:
            fail(f"aborted: {exc.message} (gas used: {exc.gas_used})")
        host.apply(result.writes)
        entry = machine.entry(name)
        out = {
            "result": None if entry.returns is None else to_json(entry.returns, result.value, machine.types),
            "gas_used": result.gas_used,
            "events": [machine.event_json(e) for e in result.events],
        }
        self._finish(state_dir, host, deployed_id, out)

    def _finish(self, state_dir: Path | None, host, deployed_id: str | None, out: dict) -> None:
        from vm.errors import StateFileError

        if state_dir is not None:
            try:
                host.save()
            except StateFileError as exc:
                fail(f"error: {exc}")
            if deployed_id is None:
                # After the state: a run stopped between the two is caught as damage, never
                # mistaken for a fresh ledger and deployed again.
                write_file(state_dir / DEPLOYMENT_FILE, (json.dumps({"module": self.ident}) + "\n").encode())
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
