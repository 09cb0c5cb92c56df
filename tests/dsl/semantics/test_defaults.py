"""Record defaults that construct each other without end are refused at the default (the
compiler would otherwise recurse forever on `A()`)."""

from __future__ import annotations

from tests.dsl.conftest import at, body, check_src, one_error  # noqa: E402


def test_two_records_whose_defaults_build_each_other() -> None:
    text = body("""
        record A:
            b: B = B()
        record B:
            xs: List[A] = [A()]
    """)
    d = one_error(text)
    assert d.message == "the default of A.b never finishes: A.b -> B.xs -> A.b"
    at(d, text, "B()")


def test_a_record_whose_default_builds_itself() -> None:
    text = body("""
        record Node:
            name: Text = "n"
            kids: List[Node] = [Node(name: "k")]
    """)
    d = one_error(text)
    assert d.message == "the default of Node.kids never finishes: Node.kids -> Node.kids"


def test_giving_the_field_breaks_the_cycle() -> None:
    from dsl.codegen.compiler import compile_contract

    compile_contract(check_src(body("""
        record Node:
            name: Text = "n"
            kids: List[Node] = [Node(kids: [])]
        record A:
            b: B = B()
        record B:
            xs: List[A] = [A(b: B(xs: []))]
        action make() -> Node by insurer:
            return Node()
    """)))
