"""`check` refuses what `build` would: each limit of the bytecode format (`dsl.bytecode_limits`)
and of value nesting (`dsl.semantics.limits`) is a compile error at the source that passes it, the
same one from `check`, `build` and `run`.

Limits that take a large program to pass are tested at a smaller value: the test lowers the VM's
own constant, which the verifier (the judge of `build` before this) and the front end both read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli import cli
from tests.dsl.conftest import invoke
from vm import module as vm_module
from vm.module import codec as module_codec
from vm.verify import function as verifier_types
from vm.verify import verifier



def errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"\S+:\d+:\d+: error\[B06\d\d\]: ", line)]


def refused_alike(tmp_path: Path, source: str, words: str, where: str) -> str:
    """Check, build and run the contract: each refuses it with the same first error, which holds
    ``words`` and points at the first occurrence of ``where`` in the source."""
    path = tmp_path / "c.bao"
    path.write_text(source, encoding="utf-8")
    outputs = [invoke("check", path), invoke("build", path), invoke("run", path, "v", "--as", "a:X")]
    first = set()
    for result in outputs:
        assert result.exit_code == 1, result.output
        found = errors(result.output)
        assert found, result.output
        first.add(found[0])
    assert len(first) == 1, first
    line = first.pop()
    assert words in line, line
    index = source.index(where)
    row = source.count("\n", 0, index) + 1
    col = index - (source.rfind("\n", 0, index) + 1) + 1
    assert line.startswith(f"{path}:{row}:{col}: error[B06"), (line, row, col)
    assert not (tmp_path / "c.baom").exists()
    return line


HEAD = "contract C\nparties a\n\n"


def test_a_long_comparison_chain_needs_more_locals_than_a_function_has(tmp_path: Path) -> None:
    chain = " < ".join(["x"] * 2_000)
    refused_alike(tmp_path, HEAD + f"view v(x: Int) -> Bool:\n    return {chain}\n",
                  "this needs more local variables than a function may have (1,024", "x < x")
    # a chain in a condition is a jump, not a value: the same temporaries, reported at the chain
    refused_alike(tmp_path, HEAD + f"view v(x: Int) -> Bool:\n    require {chain}\n    return true\n",
                  "more local variables than a function may have", "x < x")


def test_a_chain_within_the_limit_builds(tmp_path: Path) -> None:
    path = tmp_path / "c.bao"
    path.write_text(HEAD + "view v(x: Int) -> Bool:\n    return " + " < ".join(["x"] * 1_000) + "\n", encoding="utf-8")
    assert invoke("check", path).exit_code == 0
    assert invoke("build", path).exit_code == 0


def test_named_locals_past_the_limit(tmp_path: Path) -> None:
    lets = "".join(f"    let x{i} = {i}\n" for i in range(1_030))
    refused_alike(tmp_path, HEAD + f"view v() -> Int:\n{lets}    return 1\n",
                  "`x1024` is local variable number 1,025 of this function, and a function may have 1,024", "x1024")


def test_code_past_the_limit_of_a_function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifier, "MAX_CODE_BYTES", 200)
    body = "".join(f"    total += {i}\n" for i in range(40))
    # each statement is CONST and SADD, 6 bytes: the 34th passes 200
    line = refused_alike(tmp_path, HEAD + f"state:\n    total: Int\n\naction v() by a:\n{body}",
                         "`v` compiles to more than 200 bytes of code", "total += 33\n")
    assert "error[B0604]: `v` compiles to more than 200 bytes of code, the most a function may have" in line


def test_a_literal_longer_than_a_count_operand_is_built_in_steps(tmp_path: Path) -> None:
    # 70,000 items would not fit MAKE_LIST's two-byte COUNT; the literal is built 128 items at a
    # time, so what it meets is the code limit of its function, at the statement.
    items = ", ".join(["1"] * 12_000)
    refused_alike(tmp_path, HEAD + f"view v() -> Int:\n    return len([{items}])\n",
                  "`v` compiles to more than 65,536 bytes of code", "return")


def test_constants_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifier, "MAX_POOL", 30)
    items = ", ".join(str(i) for i in range(40))
    refused_alike(tmp_path, HEAD + f"view v() -> Int:\n    return len([{items}])\n",
                  "more than 30 different constants in one contract", "30")


def test_types_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifier, "MAX_POOL", 5)
    kinds = ["Int", "Text", "Bool", "Date", "Hash", "Money"]
    params = ", ".join(f"x{i}: List[{k}]" for i, k in enumerate(kinds))
    total = " + ".join(f"len(x{i})" for i in range(len(kinds)))
    refused_alike(tmp_path, HEAD + f"view v({params}) -> Int:\n    return {total}\n",
                  "more than 5 different types in one contract's code", "len(x5)")


def test_functions_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifier, "MAX_FUNCTIONS", 4)
    fns = "".join(f"fn f{i}() -> Int:\n    return {i}\n\n" for i in range(5))
    refused_alike(tmp_path, HEAD + fns + "view v() -> Int:\n    return 1\n",
                  "the contract compiles to 8 functions, more than the 4 a module may have", "f4")


@pytest.mark.parametrize("what, declaration, name", [
    ("state variables", "state:\n" + "".join(f"    s{i}: Int\n" for i in range(6)), "s5"),
    ("events", "".join(f"event E{i}(x: Int)\n" for i in range(6)), "E5"),
])
def test_state_variables_and_events_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str,
                                                   declaration: str, name: str) -> None:
    monkeypatch.setattr(verifier, "MAX_POOL", 5)
    refused_alike(tmp_path, HEAD + declaration + "\nview v() -> Int:\n    return 1\n",
                  f"a contract declares at most 5 {what}; this is number 6", name)


def test_record_fields_past_the_limit(tmp_path: Path) -> None:
    fields = "".join(f"    f{i}: Int\n" for i in range(256))
    refused_alike(tmp_path, HEAD + "record Wide:\n" + fields + "\nview v() -> Int:\n    return 1\n",
                  "record Wide has 256 fields; a record holds at most 255", "f255")


@pytest.mark.parametrize("call, where", [
    ("return f({args})", "f(0"),
    ("emit E({args})\n    return 1", "emit"),
    ("return len([1, 2, g({args})])", "g(0"),
])
def test_the_operand_stack_past_the_limit(tmp_path: Path, call: str, where: str) -> None:
    n = 600
    params = ", ".join(f"a{i}: Int" for i in range(n))
    args = ", ".join(str(i % 7) for i in range(n))
    source = (HEAD + f"event E({params})\n\nfn f({params}) -> Int:\n    return a0\n\n"
              f"fn g({params}) -> Int:\n    return a1\n\naction v() -> Int by a:\n    " + call.format(args=args) + "\n")
    refused_alike(tmp_path, source, "this needs more than 512 values on the operand stack at once", where)


def test_the_stack_limit_is_the_verifiers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifier_types, "MAX_STACK", 3)
    refused_alike(tmp_path, HEAD + "fn f(w: Int, x: Int, y: Int, z: Int) -> Int:\n    return w\n\n"
                  "view v() -> Int:\n    return f(1, 2, 3, 4)\n", "more than 3 values on the operand stack", "f(1")


def test_a_module_past_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vm_module, "MAX_MODULE_BYTES", 300)
    monkeypatch.setattr(module_codec, "MAX_MODULE_BYTES", 300)  # the codec holds its own name for it
    body = "".join(f"    require x != {i}, \"x is {i}\"\n" for i in range(20))
    refused_alike(tmp_path, HEAD + f"view v(x: Int) -> Int:\n{body}    return x\n",
                  "the compiled contract is", "C")


def test_a_type_with_more_layers_than_the_format_holds(tmp_path: Path) -> None:
    deep = "Int"
    for _ in range(17):
        deep = f"List[{deep}]"
    refused_alike(tmp_path, HEAD + f"state:\n    xs: {deep}\n\nview v() -> Int:\n    return len(xs)\n",
                  "this type has 17 Lists and Maps inside each other; a type has at most 16", "List[")
    literal = "1"
    for _ in range(17):
        literal = f"[{literal}]"
    refused_alike(tmp_path, HEAD + f"view v() -> Int:\n    return len({literal})\n",
                  "this is 17 Lists and Maps inside each other; a type has at most 16", "[[")


def test_sixteen_layers_build(tmp_path: Path) -> None:
    deep = "Int"
    for _ in range(16):
        deep = f"List[{deep}]"
    path = tmp_path / "c.bao"
    path.write_text(HEAD + f"state:\n    xs: {deep}\n\nview v() -> Int:\n    return len(xs)\n", encoding="utf-8")
    assert invoke("check", path).exit_code == 0 and invoke("build", path).exit_code == 0


def test_a_scenario_expression_past_a_limit_fails_check_and_test_alike(tmp_path: Path) -> None:
    (tmp_path / "c.bao").write_text(HEAD + "view v(x: Int) -> Int:\n    return x\n", encoding="utf-8")
    chain = " < ".join(["v(1)"] * 1_100)
    tests = tmp_path / "c.test.bao"
    tests.write_text(f'tests for "c.bao"\n\nscenario "long":\n    expect {chain}\n', encoding="utf-8")
    checked, tested = invoke("check", tests), invoke("test", tests)
    assert checked.exit_code == 1 and tested.exit_code == 1
    assert errors(checked.output)[0] == errors(tested.output)[0]
    assert "more local variables than a function may have" in errors(checked.output)[0]
    assert errors(checked.output)[0].startswith(f"{tests}:4:12: error[B06")
