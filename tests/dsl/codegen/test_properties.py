"""Property: random Int/Bool expressions compute what Python computes (same floor division,
modulo, short-circuit and chained comparisons), which pins down operand order, jumps and the
evaluation of each operand once."""

from __future__ import annotations

from hypothesis import given, strategies as st


from vm.errors import Abort  # noqa: E402

from tests.dsl.conftest import deploy  # noqa: E402

VARS = st.sampled_from(["x", "y", "z"])


def _int_expr(depth: int):
    leaf = st.one_of(VARS.map(lambda v: (v, v)), st.integers(0, 9).map(lambda n: (str(n), str(n))))
    if depth == 0:
        return leaf
    sub = _int_expr(depth - 1)

    def binary(t):
        (lb, lp), op, (rb, rp) = t
        py = {"mod": "%"}.get(op, op)
        return f"({lb} {op} {rb})", f"({lp} {py} {rp})"

    def neg(t):
        return f"(-{t[0]})", f"(-{t[1]})"

    def cond(t):
        (tb, tp), (cb, cp), (eb, ep) = t
        return f"({tb} if {cb} else {eb})", f"({tp} if {cp} else {ep})"

    arith = st.tuples(sub, st.sampled_from(["+", "-", "*", "//", "mod"]), sub).map(binary)
    # operators weigh more than leaves, so most examples combine several of them
    return st.one_of(leaf, arith, arith, arith, sub.map(neg), st.tuples(sub, _bool_expr(depth - 1), sub).map(cond))


def _bool_expr(depth: int):
    ints = _int_expr(0) if depth == 0 else _int_expr(depth - 1)

    def chain(t):
        first, rest = t
        b, p = first[0], first[1]
        for op, (rb, rp) in rest:
            b, p = f"{b} {op} {rb}", f"{p} {op} {rp}"
        return f"({b})", f"({p})"

    comparison = st.tuples(ints, st.lists(st.tuples(st.sampled_from(["<", "<=", "==", "!=", ">", ">="]), ints),
                                          min_size=1, max_size=3)).map(chain)
    if depth == 0:
        return comparison
    sub = _bool_expr(depth - 1)
    return st.one_of(
        comparison,
        st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})",
                                                                            f"({t[0][1]} {t[1]} {t[2][1]})")),
        sub.map(lambda t: (f"(not {t[0]})", f"(not {t[1]})")),
    )


def _python(expr: str, env: dict) -> object:
    try:
        return eval(expr, {}, dict(env))  # noqa: S307 - our own generated arithmetic
    except ZeroDivisionError:
        return "division-by-zero"


def _bao(source: str, args: tuple) -> object:
    d = deploy(source)
    try:
        return d.call("f", *args)
    except Abort as exc:
        return exc.kind


def _every_operator():
    """Six sub-expressions joined by all five operators in some order and grouping."""
    def join(t):
        parts, ops, nested = t
        (b, p) = parts[0]
        for (rb, rp), op, deep in zip(parts[1:], ops, nested):
            py = "%" if op == "mod" else op
            if deep:
                b, p = f"({rb} {op} {b})", f"({rp} {py} {p})"
            else:
                b, p = f"({b} {op} {rb})", f"({p} {py} {rp})"
        return b, p

    return st.tuples(st.lists(_int_expr(2), min_size=6, max_size=6),
                     st.permutations(["+", "-", "*", "//", "mod"]),
                     st.lists(st.booleans(), min_size=5, max_size=5)).map(join)


@given(_every_operator(), st.tuples(st.integers(-20, 20), st.integers(-20, 20), st.integers(-3, 3)))
def test_int_expressions_match_python(expr, args) -> None:
    bao, py = expr
    source = f"contract T\nparties a\nview f(x: Int, y: Int, z: Int) -> Int:\n    return {bao}\n"
    assert _bao(source, args) == _python(py, dict(zip("xyz", args)))


@given(_bool_expr(2), st.tuples(st.integers(-5, 5), st.integers(-5, 5), st.integers(-2, 2)))
def test_conditions_match_python(expr, args) -> None:
    bao, py = expr
    # the same condition as a value, in `if`, and in `require`
    source = (f"contract T\nparties a\nview f(x: Int, y: Int, z: Int) -> Text:\n"
              f"    let v = {bao}\n    if {bao}:\n        require {bao}\n        return \"{{v}} yes\"\n"
              f"    require not {bao}\n    return \"{{v}} no\"\n")
    expected = _python(py, dict(zip("xyz", args)))
    if isinstance(expected, bool):
        expected = f"{'true' if expected else 'false'} {'yes' if expected else 'no'}"
    assert _bao(source, args) == expected
