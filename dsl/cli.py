"""Language commands of `baochain`: check, build, disasm, fmt, test, run (and explain, which
lives with its renderer). Every command goes through `dsl.pipeline.Compilation`; only this layer
turns errors into output. Exit codes: 0 success, 1 a failed check/test/call, 2 usage."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from dsl import ast
from dsl.diagnostics import Code, CompileError
from dsl.pipeline import Compilation, ModuleLoader

FILES = click.Path(exists=True, dir_okay=False, path_type=Path)


def _echo_diagnostics(exc: CompileError, sources: dict[str, str]) -> None:
    for d in exc.diagnostics:
        click.echo(d.render(sources.get(d.span.file)), err=True)
    count = sum(d.is_error for d in exc.diagnostics)
    click.echo(f"{count} error{'s' if count != 1 else ''}", err=True)


def _sources(*units: Compilation) -> dict[str, str]:
    return {u.path: u.source for u in units}


def _load(path: Path) -> Compilation:
    return Compilation.from_file(path, ModuleLoader((path.parent,)))


def module_bytes(path: Path, instead: str) -> bytes:
    """The module bytes of a contract, verified; a file that cannot be read or compiled is
    reported (exit 1). `instead` tells a user who gave a test file what to do with it."""
    try:
        unit = _load(path)
    except CompileError as exc:  # not UTF-8: there is no source to quote
        _echo_diagnostics(exc, {})
        sys.exit(1)
    except OSError as exc:
        _cannot_read(path, exc)
    try:
        if isinstance(unit.tree, ast.TestFile):
            from dsl.diagnostics import Diagnostic

            raise CompileError([Diagnostic(f"this is a test file: {instead}", unit.tree.span, code=Code.B0701)])
        return unit.verified.encoded
    except CompileError as exc:
        _echo_diagnostics(exc, _sources(unit))
        sys.exit(1)


def _cannot_read(path: Path, exc: OSError) -> None:
    click.echo(f"{path}: cannot read the file: {exc.strerror or exc}", err=True)
    sys.exit(1)


def write_atomically(path: Path, data: bytes, option: str | None = None) -> None:
    """Write through a temporary file in the same folder and rename it over `path`, so that an
    interrupted run leaves the old file or the new one, never half of one. A path that cannot be
    written is a usage error on `option` when the user named it, else a failure (exit 1)."""
    folder = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        if not path.name or path.name in (".", ".."):
            raise IsADirectoryError(21, "not a file name", str(path))
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp makes the file private; give it the mode any new file of this user gets, or keep
        # the mode of the file it replaces.
        mode = path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:  # Ctrl-C included: never leave the temporary file behind
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        message = f"cannot write {path}: {exc.strerror or exc}"
        if option is not None:
            raise click.BadParameter(message, param_hint=f"'{option}'") from None
        click.echo(message, err=True)
        sys.exit(1)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and a.samefile(b)
    except OSError:
        return False


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


class _Failed(Exception):
    """A check failed; carries the diagnostics and every unit read, to quote their sources."""

    def __init__(self, exc: CompileError, units: list[Compilation]):
        super().__init__(str(exc))
        self.error = exc
        self.units = units


def _check_unit(path: Path) -> None:
    """Check a contract or module, or a test file against its target."""
    units: list[Compilation] = []
    try:
        unit = _load(path)
        units.append(unit)
        tree = unit.tree
        if isinstance(tree, ast.TestFile):
            from dsl.checker import check_tests
            from dsl.scenarios import load_target
            from dsl.testbuild import verified_tests

            target = load_target(path, tree)
            units.append(target)
            target.verified
            verified_tests(check_tests(tree, target.analysis))
        else:
            unit.verified  # as far as `build` goes: check refuses what build would
    except CompileError as exc:
        raise _Failed(exc, units) from None
    except OSError as exc:
        from dsl.diagnostics import Diagnostic

        where = ast.Span(str(exc.filename or path), 1, 1, 1, 1)
        raise _Failed(CompileError([Diagnostic(f"cannot read the file: {exc.strerror or exc}", where, code=Code.B0100)]), units) from None


@click.command(short_help="Check contracts, modules and test files for errors.")
@click.argument("files", nargs=-1, required=True, type=FILES)
def check(files: tuple[Path, ...]) -> None:
    """Check contracts, modules and test files for errors (a test file against the contract it
    tests). Exit status 1 if any file has errors."""
    failed = 0
    for path in files:
        try:
            _check_unit(path)
        except _Failed as failure:
            failed += 1
            _echo_diagnostics(failure.error, _sources(*failure.units))
    ok = len(files) - failed
    click.echo(f"{ok} file{'s' if ok != 1 else ''} ok, {failed} with errors")
    sys.exit(1 if failed else 0)


@click.command()
@click.argument("file", type=FILES)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the module (default: FILE with the suffix .baom).")
def build(file: Path, output: Path | None) -> None:
    """Compile a contract to a verified bytecode module."""
    from vm.module import module_id

    if output is not None and _same_file(output, file):
        raise click.BadParameter(f"{output} is the contract itself; writing the module there would destroy it",
                                 param_hint="'-o'")
    data = module_bytes(file, "build the contract it tests")
    out = output or file.with_suffix(".baom")
    write_atomically(out, data, "-o" if output is not None else None)
    click.echo(f"{out}: {len(data)} bytes, module {module_id(data)}")


@click.command(short_help="Show a module's bytecode.")
@click.argument("module", type=FILES)
def disasm(module: Path) -> None:
    """Show a module's bytecode (a built .baom file, or a .bao source compiled on the fly)."""
    from vm.disasm import disassemble
    from vm.errors import VerifyError
    from vm.verify import verify

    if module.suffix == ".bao":
        data = module_bytes(module, "disassemble the contract it tests")
    else:
        try:
            data = module.read_bytes()
        except OSError as exc:
            _cannot_read(module, exc)
    try:
        verified = verify(data)
    except VerifyError as exc:
        click.echo(f"{module}: not a valid module: {exc}", err=True)
        sys.exit(1)
    click.echo(disassemble(verified.module if hasattr(verified, "module") else verified))


@click.command()
@click.argument("files", nargs=-1, required=True, type=FILES)
@click.option("--check", "check_only", is_flag=True, help="Only report files that are not formatted; change nothing.")
def fmt(files: tuple[Path, ...], check_only: bool) -> None:
    """Format Bao files in the canonical layout (comments kept). With --check, exit status 1 if
    any file would change."""
    from dsl.fmt import format_source

    changed, failed = [], 0
    for path in files:
        try:
            text = _load(path).source
        except CompileError as exc:  # not UTF-8
            failed += 1
            _echo_diagnostics(exc, {})
            continue
        except OSError as exc:
            failed += 1
            click.echo(f"{path}: cannot read the file: {exc.strerror or exc}", err=True)
            continue
        try:
            formatted = format_source(text, str(path))
        except CompileError as exc:
            failed += 1
            _echo_diagnostics(exc, {str(path): text})
            continue
        if formatted != text:
            changed.append(path)
            if check_only:
                click.echo(f"would reformat {path}")
            else:
                write_atomically(path, formatted.encode("utf-8"))
                click.echo(f"reformatted {path}")
    verb = "would be reformatted" if check_only else "reformatted"
    click.echo(f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, "
               f"{len(files) - len(changed) - failed} unchanged" + (f", {failed} with errors" if failed else ""))
    sys.exit(1 if failed or (check_only and changed) else 0)


@click.command(name="test", short_help="Run the scenarios of *.test.bao files.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--gas", "show_gas", is_flag=True, help="Show the gas each call used.")
@click.option("--gas-limit", type=click.IntRange(min=1), default=10_000_000, show_default=True,
              help="Gas limit of each call.")
def test_command(paths: tuple[Path, ...], show_gas: bool, gas_limit: int | None) -> None:
    """Run the scenarios of test files. PATHS are *.test.bao files, contracts (their NAME.test.bao
    beside them) or folders (searched); default: the current folder. Exit status 1 if any
    scenario failed."""
    from dsl.scenarios import find_test_files, run_test_file

    files = find_test_files(list(paths) or [Path(".")])
    for path in paths:
        # A file named on the command line that yields no test file was most likely a typo.
        if not path.is_dir() and not find_test_files([path]):
            beside = path.with_name(path.stem + ".test.bao").name if path.suffix == ".bao" else None
            click.echo(f"{path}: not a *.test.bao file" + (f", and no {beside} beside it" if beside else ""),
                       err=True)
    if not files:
        click.echo("no *.test.bao files found", err=True)
        click.echo("0 passed, 0 failed")
        sys.exit(1)
    passed = failed = 0
    for path in files:
        report = run_test_file(path, gas_limit)
        if report.diagnostics:
            click.echo(f"{path}: cannot run: the file has errors")
            for d in report.diagnostics:
                click.echo(d.render(report.sources.get(d.span.file)))
        else:
            click.echo(f"{path}")
        for result in report.results:
            mark = "ok  " if result.passed else "FAIL"
            click.echo(f"  {mark} {result.title}")
            if not result.passed:
                click.echo(f"       {path}:{result.line}: {result.failure}")
            if show_gas:
                for call in result.calls:
                    click.echo(f"       line {call.line}: {call.caller} calls {call.function}: "
                               f"{call.gas_used} gas ({call.outcome})")
        passed += report.passed
        failed += report.failed
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


from dsl.explain.command import explain  # noqa: E402  (each command that needs room has its module)
from dsl.run_command import run  # noqa: E402

LANGUAGE_COMMANDS: list = [check, build, disasm, fmt, test_command, run, explain]
