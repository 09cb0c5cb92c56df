"""Types that nest deeper than any value may (32 levels of Lists, Maps and records): refused where
they are declared, as language-notes.md records; trees (records that hold themselves through a
List or Map) are allowed, their values checked where they are built."""

from __future__ import annotations

from pathlib import Path

from tests.dsl.test_bytecode_limits import HEAD, errors, invoke, refused_alike


def chain(prefix: str, levels: int, default: bool = False) -> str:
    """Records prefix0 .. prefix{levels-1}, each holding the next; the last holds an Int: a value
    of prefix0 nests ``levels`` deep."""
    out = []
    for i in range(levels - 1):
        value = f" = {prefix}{i + 1}()" if default else ""
        out.append(f"record {prefix}{i}:\n    r: {prefix}{i + 1}{value}\n")
    out.append(f"record {prefix}{levels - 1}:\n    x: Int = 1\n")
    return "\n".join(out) + "\n"


def builds(tmp_path: Path, source: str) -> None:
    path = tmp_path / "ok.bao"
    path.write_text(source, encoding="utf-8")
    for command in ("check", "build"):
        result = invoke(command, path)
        assert result.exit_code == 0, result.output


def test_a_chain_of_records_deeper_than_values_nest_is_refused_once_where_it_passes(tmp_path: Path) -> None:
    source = HEAD + chain("R", 40) + "state:\n    top: R0\n\nview v(r: R0) -> Int:\n    return 1\n"
    # R39 nests 1 deep, R7 33: reported there, and not again at R0 .. R6, `top` or `r`
    line = refused_alike(tmp_path, source, "record R7 nests 33 levels deep (Lists, Maps and records inside each "
                         "other) through `r`, and values nest at most 32 deep", "R8\n")
    path = tmp_path / "c.bao"
    assert len(errors(invoke("check", path).output)) == 1, line


def test_thirty_two_levels_build(tmp_path: Path) -> None:
    builds(tmp_path, HEAD + chain("R", 32) + "view v(r: R0) -> Int:\n    return 1\n")


def test_defaults_that_build_a_chain_too_deep_are_refused_at_the_record(tmp_path: Path) -> None:
    refused_alike(tmp_path, HEAD + chain("D", 40, default=True) + "view v() -> Int:\n    return 1\n",
                  "record D7 nests 33 levels deep", "D8 = D8()")


def test_lists_and_maps_count_as_levels(tmp_path: Path) -> None:
    # R0 is 31 deep; a List of it is 32, a Map of Lists of it 33
    base = HEAD + chain("R", 31)
    builds(tmp_path, base + "state:\n    xs: List[R0]\n\nview v() -> Int:\n    return len(xs)\n")
    refused_alike(tmp_path, base + "state:\n    m: Map[Text, List[R0]]\n\nview v() -> Int:\n    return 1\n",
                  "this type nests 33 levels deep (Lists, Maps and records inside each other), and values nest "
                  "at most 32 deep", "Map[")
    refused_alike(tmp_path, base + "record Box:\n    items: List[R0]\n\nview v() -> Int:\n    return 1\n",
                  "record Box nests 33 levels deep", "List[R0]")


def test_a_literal_that_would_nest_too_deep_is_refused(tmp_path: Path) -> None:
    refused_alike(tmp_path, HEAD + chain("R", 32) + "view v(r: R0) -> Int:\n    return len([r])\n",
                  "this nests 33 levels deep (Lists, Maps and records inside each other), and values nest at most "
                  "32 deep", "[r]")


TREE = """record Node:
    kids: List[Node]
    label: Text = ""

"""


def test_a_tree_may_nest_as_deep_as_its_values_go(tmp_path: Path) -> None:
    builds(tmp_path, HEAD + TREE + chain("R", 29) +
           "record Forest:\n    trees: Map[Text, List[Node]]\n    deep: R0\n\n"
           "view v(f: Forest) -> Int:\n    return len(f.trees)\n")


def test_a_tree_with_a_part_too_deep_is_refused(tmp_path: Path) -> None:
    refused_alike(tmp_path, HEAD + chain("R", 32) + "record Node:\n    kids: List[Node]\n    data: R0\n\n"
                  "view v(n: Node) -> Int:\n    return 1\n", "record Node nests 33 levels deep", "R0\n\nview")


def test_a_constant_default_nested_past_the_limit_is_refused(tmp_path: Path) -> None:
    def holder(nodes: int) -> str:
        deep = "Node(kids: [])"
        for _ in range(nodes - 1):
            deep = f"Node(kids: [{deep}])"
        return HEAD + TREE + f"record Holder:\n    n: Node = {deep}\n\nview v(h: Holder) -> Int:\n    return 1\n"

    # 17 Nodes, each a record and a List: 34 levels (the VM would not decode it); 16 are 32 levels,
    # and a Holder of them 33
    refused_alike(tmp_path, holder(17), "this default nests 34 levels deep, so a Holder holding it would nest 35; "
                  "values nest at most 32 deep", "Node(kids: [Node")
    refused_alike(tmp_path, holder(16), "this default nests 32 levels deep, so a Holder holding it would nest 33",
                  "Node(kids: [Node")
    builds(tmp_path, holder(15) + "\nview w() -> Int:\n    return len(Holder().n.kids)\n")
