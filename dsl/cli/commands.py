"""The language commands `check`, `build`, `disasm`, `fmt` and `test` (`run` is `dsl.cli.run`,
`explain` lives with its renderer). Every command goes through `dsl.pipeline.Compilation`, reports
through `dsl.cli.output` and ends through its `finish`: 0 success, 1 a failed check or test, 2 usage."""

from __future__ import annotations

from pathlib import Path

import click

from dsl.cli.junit import junit_document
from dsl.cli.output import (
    FAILED, OK, cannot_read, echo_diagnostics, fail, finish, load, module_bytes, sources, write_file,
)
from dsl.codegen import verified_tests
from dsl.diagnostics import Code, CompileError, Diagnostic
from dsl.fmt import format_tree
from dsl.pipeline import Compilation
from dsl.scenarios import find_test_files, load_target, run_test_file
from dsl.semantics import check_tests
from dsl.syntax import ast

FILES = click.Path(exists=True, dir_okay=False, path_type=Path)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and a.samefile(b)
    except OSError:
        return False



class _Failed(Exception):
    """A check failed; carries the diagnostics and every unit read, to quote their sources."""

    def __init__(self, exc: CompileError, units: list[Compilation]):
        super().__init__(str(exc))
        self.error = exc
        self.units = units


def _check_unit(path: Path) -> tuple[tuple[Diagnostic, ...], dict[str, str]]:
    """Check a contract or module, or a test file against its target; returns the file's warnings
    and the sources to quote them."""
    units: list[Compilation] = []
    try:
        unit = load(path)
        units.append(unit)
        tree = unit.tree
        if isinstance(tree, ast.TestFile):
            target = load_target(path, tree)
            units.append(target)
            target.verified
            verified_tests(check_tests(tree, target.analysis))
            return tree.warnings, sources(*units)
        unit.verified  # as far as `build` goes: check refuses what build would
        return tuple(unit.analysis.warnings), sources(*units)
    except CompileError as exc:
        raise _Failed(exc, units) from None
    except OSError as exc:
        where = ast.Span(str(exc.filename or path), 1, 1, 1, 1)
        raise _Failed(CompileError([Diagnostic(f"cannot read the file: {exc.strerror or exc}", where, code=Code.B0100)]), units) from None


@click.command(short_help="Check contracts, modules and test files for errors.")
@click.argument("files", nargs=-1, required=True, type=FILES)
def check(files: tuple[Path, ...]) -> None:
    """Check contracts, modules and test files for errors (a test file against the contract it
    tests); warnings are shown too. Exit status 1 if any file has errors."""
    failed = 0
    for path in files:
        try:
            warnings, texts = _check_unit(path)
            for w in warnings:
                click.echo(w.render(texts.get(w.span.file)), err=True)
        except _Failed as failure:
            failed += 1
            echo_diagnostics(failure.error.diagnostics, sources(*failure.units))
    ok = len(files) - failed
    click.echo(f"{ok} file{'s' if ok != 1 else ''} ok, {failed} with errors")
    finish(FAILED if failed else OK)


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
    write_file(out, data, "-o" if output is not None else None)
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
            cannot_read(module, exc)
    try:
        verified = verify(data)
    except VerifyError as exc:
        fail(f"{module}: not a valid module: {exc}")
    click.echo(disassemble(verified.module))


@click.command()
@click.argument("files", nargs=-1, required=True, type=FILES)
@click.option("--check", "check_only", is_flag=True, help="Only report files that are not formatted; change nothing.")
def fmt(files: tuple[Path, ...], check_only: bool) -> None:
    """Format Bao files in the canonical layout (comments kept). With --check, exit status 1 if
    any file would change."""
    changed, failed = [], 0
    for path in files:
        try:
            unit = load(path)
            text = unit.source
        except CompileError as exc:  # not UTF-8
            failed += 1
            echo_diagnostics(exc.diagnostics, {})
            continue
        except OSError as exc:
            failed += 1
            click.echo(f"{path}: cannot read the file: {exc.strerror or exc}", err=True)
            continue
        try:
            formatted = format_tree(unit.tree, text)  # the pipeline's tree: fmt parses nothing itself
        except CompileError as exc:
            failed += 1
            echo_diagnostics(exc.diagnostics, {str(path): text})
            continue
        if formatted != text:
            changed.append(path)
            if check_only:
                click.echo(f"would reformat {path}")
            else:
                write_file(path, formatted.encode("utf-8"))
                click.echo(f"reformatted {path}")
    verb = "would be reformatted" if check_only else "reformatted"
    click.echo(f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}, "
               f"{len(files) - len(changed) - failed} unchanged" + (f", {failed} with errors" if failed else ""))
    finish(FAILED if failed or (check_only and changed) else OK)


@click.command(name="test", short_help="Run the scenarios of *.test.bao files.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--gas", "show_gas", is_flag=True, help="Show the gas each call used.")
@click.option("--gas-limit", type=click.IntRange(min=1), default=10_000_000, show_default=True,
              help="Gas limit of each call.")
@click.option("-k", "--filter", "patterns", multiple=True, metavar="TEXT",
              help="Run only the scenarios whose title contains TEXT, ignoring case (a substring, not a glob, "
                   "as pytest's -k matches a word). Repeat it to run those matching any.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write a JUnit XML report to FILE: one testcase per scenario run, classname the test file.")
def test_command(paths: tuple[Path, ...], show_gas: bool, gas_limit: int | None, patterns: tuple[str, ...],
                 junit_file: Path | None) -> None:
    """Run the scenarios of test files. PATHS are *.test.bao files, contracts (their NAME.test.bao
    beside them) or folders (searched); default: the current folder. Exit status 1 if any
    scenario failed, a file could not be built, or --filter selected no scenario."""
    files = find_test_files(list(paths) or [Path(".")])
    for path in paths:
        # A file named on the command line that yields no test file was most likely a typo.
        if not path.is_dir() and not find_test_files([path]):
            beside = path.with_name(path.stem + ".test.bao").name if path.suffix == ".bao" else None
            click.echo(f"{path}: not a *.test.bao file" + (f", and no {beside} beside it" if beside else ""),
                       err=True)
    if not files:
        click.echo("no *.test.bao files found", err=True)
        if junit_file is not None:  # a CI step that reads the report finds it, and no test in it
            write_file(junit_file, junit_document([]), "--junit")
        click.echo("0 passed, 0 failed")
        finish(FAILED)
    passed = failed = 0
    reports = []
    for path in files:
        report = run_test_file(path, gas_limit, patterns)
        reports.append(report)
        if report.diagnostics:
            click.echo(f"{path}: cannot run: the file has errors")
            echo_diagnostics(report.diagnostics, report.sources)
        elif report.results:
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
    if junit_file is not None:
        write_file(junit_file, junit_document(reports), "--junit")
    nothing_selected = bool(patterns) and passed + failed == 0
    if nothing_selected:  # most likely a mistyped filter: not a green run
        click.echo("no scenario's title contains " + " or ".join(f'"{p}"' for p in patterns), err=True)
    click.echo(f"{passed} passed, {failed} failed")
    finish(FAILED if failed or nothing_selected else OK)
