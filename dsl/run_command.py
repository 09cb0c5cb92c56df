"""`baochain run`: one action or view on a local ledger, printed as LANGUAGE.md section 7 JSON.

The ledger is in memory, or kept in a folder with `--state DIR` so that runs build on each
other. The first run on a ledger deploys the contract (running its `init` when that takes no
arguments; `baochain run FILE init ARGS…` deploys with arguments).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click

from dsl.diagnostics import CompileError
from dsl.pipeline import Compilation, ModuleLoader

DEPLOYMENT_FILE = "deployment.json"


def _party(text: str):
    from vm.values import Party

    role, sep, org = text.partition(":")
    if not sep or not role or not org:
        raise click.BadParameter("expected ROLE:ORG, e.g. insurer:PICC", param_hint="--as")
    return Party(org, org, role)


def _json_arg(text: str) -> object:
    # A bare word that is not JSON is taken as Text, so `P1` works as well as '"P1"'.
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("name")
@click.argument("args", nargs=-1)
@click.option("--as", "as_party", required=True, metavar="ROLE:ORG", help="The caller: its role and organisation.")
@click.option("--at", "at_date", metavar="DATE", help="Block date (midnight UTC+08:00), default today.")
@click.option("--gas-limit", type=click.IntRange(min=1), default=10_000_000, show_default=True)
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the ledger in this folder between runs.")
def run(file: Path, name: str, args: tuple[str, ...], as_party: str, at_date: str | None,
        gas_limit: int, state_dir: Path | None) -> None:
    """Run one action or view of FILE on a local ledger; ARGS are JSON values (section 7)."""
    from vm.errors import Abort, LiteralError, ValueFormError, VerifyError
    from vm.host import CallContext, MemoryHost
    from vm.machine import Machine
    from vm.module import module_id
    from vm.values import midnight_of, parse_date_literal, to_json
    from vm.verifier import verify

    caller = _party(as_party)
    unit = Compilation.from_file(file, ModuleLoader((file.parent,)))
    try:
        data = unit.encoded
    except CompileError as exc:
        for d in exc.diagnostics:
            click.echo(d.render(unit.source), err=True)
        sys.exit(1)
    try:
        machine = Machine(verify(data))
    except VerifyError as exc:
        _fail(f"{file}: internal error: the compiled module was refused by the verifier: {exc}")
    ident = module_id(data)

    if at_date is None:
        import time

        timestamp = int(time.time() * 1000)
    else:
        try:
            timestamp = midnight_of(parse_date_literal(at_date))
        except LiteralError as exc:
            raise click.BadParameter(str(exc), param_hint="--at")

    host = MemoryHost()
    deployed_id = None
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True)
        try:
            host = MemoryHost.open(state_dir)
        except Exception as exc:  # a damaged ledger folder: say which, never a traceback
            _fail(f"{state_dir}: cannot read the ledger: {exc}")
        record = state_dir / DEPLOYMENT_FILE
        if record.is_file():
            deployed_id = json.loads(record.read_text(encoding="utf-8")).get("module")
            if deployed_id != ident:
                _fail(f"{state_dir} holds the state of another build of this contract (module {deployed_id}); "
                      "use a fresh --state folder after changing the contract")

    seed = hashlib.sha256(f"{ident}|{name}|{args}|{timestamp}".encode()).digest()
    ctx = CallContext(caller=caller, timestamp_ms=timestamp, tx_id=seed)
    json_args = [_json_arg(a) for a in args]
    gas_total = 0
    try:
        if deployed_id is None:
            init_args = json_args if name == "init" else []
            result = machine.deploy_json(init_args, ctx, host, gas_limit)
            host.apply(result.writes)
            gas_total += result.gas_used
            if name == "init":
                _finish(state_dir, host, ident, {"deployed": ident, "gas_used": gas_total})
                return
        elif name == "init":
            _fail("the contract is already deployed on this ledger")
        result = machine.call_json(name, json_args, ctx, host, gas_limit)
    except ValueFormError as exc:
        _fail(f"error: {exc}")
    except Abort as exc:
        _fail(f"aborted: {exc.message} (gas used: {exc.gas_used})")
    host.apply(result.writes)
    entry = machine.entry(name)
    out = {
        "result": None if entry.returns is None else to_json(entry.returns, result.value, machine.types),
        "gas_used": result.gas_used,
        "events": [machine.event_json(e) for e in result.events],
    }
    _finish(state_dir, host, ident, out)


def _finish(state_dir: Path | None, host, ident: str, out: dict) -> None:
    if state_dir is not None:
        host.save()
        (state_dir / DEPLOYMENT_FILE).write_text(json.dumps({"module": ident}) + "\n", encoding="utf-8")
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))
