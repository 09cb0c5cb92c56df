"""The LALR(1) automaton that Lark builds for `dsl/syntax/grammar.lark`, run by a lean driver.

Lark's own LALR loop goes through a general callback protocol per token; this one reads a
recompiled table (ints and plain strings), skips chains of unit reductions, and calls the
`dsl.syntax.transform.TreeBuilder` methods directly, which keeps the whole parse below the cost of
Lark's bare parse-tree construction (bench/compile.py). On an error it raises `SyntaxStop`
with what could really have come next.
"""

from __future__ import annotations

from lark import Lark
from lark.parsers.lalr_analysis import Shift

from dsl.syntax.lexer import Lexeme
from dsl.syntax.transform import TreeBuilder


class Tables:
    """Lark's LALR table recompiled for a lean driver, once per process.

    Each state maps a terminal or rule name to an int: a shift (or goto) to state ``n >= 0``, or
    a reduction by rule ``~n``. Each rule's shape says how many values it pops, which of them
    its callback sees (tokens named `_X` are dropped; an omitted `[x]` is passed as None, as
    Lark's ``maybe_placeholders`` does), whether a lone child passes through (`?rule`), and
    the `TreeBuilder` method that builds its node."""

    def __init__(self, lark: Lark):
        table = lark.parser.parser.parser.parse_table
        self.start_states = table.start_states
        self.end_states = table.end_states
        rules = list(lark.rules)
        index = {id(rule): k for k, rule in enumerate(rules)}
        by_value = {rule: k for k, rule in enumerate(rules)}
        self.states: list[dict[str, int]] = [{} for _ in range(max(table.states) + 1)]
        for state, actions in table.states.items():
            row = self.states[state]
            for symbol, (action, arg) in actions.items():
                if action is Shift:
                    row[str(symbol)] = arg
                else:
                    k = index.get(id(arg))
                    row[str(symbol)] = ~(k if k is not None else by_value[arg])
        self.rules = [_shape(rule) for rule in rules]
        self.method_names = [shape[4] for shape in self.rules]
        missing = {name for (_, _, _, expand, name) in self.rules if not expand and not hasattr(TreeBuilder, name)}
        if missing:
            raise RuntimeError(f"grammar rules without a TreeBuilder method: {sorted(missing)}")
        self.discard = [_discard] * len(rules)
        # (state below, top state, token) → top state after the unit reductions it triggers;
        # filled as parses meet them (a cache: the same answer whenever it is computed).
        self.unit_chains: dict[tuple[int, int, str], int] = {}

    def callbacks(self, builder: TreeBuilder) -> list:
        return [getattr(builder, name, None) for name in self.method_names]


def _shape(rule) -> tuple:
    """(size, rule name, child template or None, passes a lone child through, method name)."""
    expansion = rule.expansion
    flags = rule.options.empty_indices or ()
    template: list[int] = []
    k = 0
    for present in (not b for b in flags) if flags else (True,) * len(expansion):
        if not present:
            template.append(-1)
            continue
        sym = expansion[k]
        if not (sym.is_term and sym.filter_out):
            template.append(k)
        k += 1
    identity = template == list(range(len(expansion)))
    expand = bool(rule.options.expand1) and not rule.alias
    name = str(rule.alias or rule.origin.name)
    return (len(expansion), str(rule.origin.name), None if identity else tuple(template), expand, name)


def _unit_chain(states: list[dict[str, int]], rules: list[tuple], below: int, top: int, ttype: str) -> int:
    """Follow unit reductions (`?rule: child`) from ``top`` while ``ttype`` is the next token."""
    while True:
        act = states[top].get(ttype)
        if act is None or act >= 0:
            return top
        size, origin, template, expand, _ = rules[~act]
        if not (expand and size == 1 and template is None):
            return top
        top = states[below][origin]


def _discard(children):
    return None


class SyntaxStop(Exception):
    """The parser met ``token`` (``tokens[index]``) where it could take only ``expected``."""

    def __init__(self, index: int, token: Lexeme, expected: set[str]):
        self.index = index
        self.token = token
        self.expected = expected


def acceptable(tables: Tables, state_stack: list[int], start: str) -> set[str]:
    """The terminals the parser could really take next. An LALR state also lists terminals
    that would only be refused after some reductions (lookaheads merged from other contexts,
    such as the end of a string's interpolation); each is tried on a copy of the stack."""
    states, rules, end_state = tables.states, tables.rules, tables.end_states[start]
    found = set()
    for symbol in states[state_stack[-1]]:
        if not (symbol.isupper() or symbol[0] == "_" or symbol == "$END"):
            continue
        stack = list(state_stack)
        while True:
            act = states[stack[-1]].get(symbol)
            if act is None:
                break
            if act >= 0:
                found.add(symbol)
                break
            size, origin = rules[~act][:2]
            if size:
                del stack[-size:]
            stack.append(states[stack[-1]][origin])
            if symbol == "$END" and stack[-1] == end_state:
                found.add(symbol)
                break
    return found


def drive(tables: Tables, callbacks: list, tokens: list[Lexeme], start: str, finish: bool = True):
    """Run the LALR automaton over ``tokens``, building values with ``callbacks``; raise
    `SyntaxStop` at the first token it cannot take. With ``finish`` False, stop after the last
    token and return the state stack instead (to see what could have come next)."""
    states = tables.states
    rules = tables.rules
    unit_chains = tables.unit_chains
    end_state = tables.end_states[start]
    state_stack = [tables.start_states[start]]
    value_stack: list = []
    push_state = state_stack.append
    push_value = value_stack.append
    last = tokens[-1] if tokens else None
    end = Lexeme("$END", "", last.end_line if last else 1, last.end_column if last else 1,
                 last.end_line if last else 1, last.end_column if last else 1)
    i = 0
    for i, tok in enumerate([*tokens, end] if finish else tokens):
        ttype = tok.type
        while True:
            row = states[state_stack[-1]]
            act = row.get(ttype)
            if act is None:
                # The stack has already been reduced for this token; what was acceptable is
                # seen from the stack as it stood after the previous token.
                before = drive(tables, tables.discard, tokens[:i], start, finish=False)
                raise SyntaxStop(i, tok, acceptable(tables, before, start))
            if act >= 0:
                push_state(act)
                push_value(tok)
                break
            size, origin, template, expand, _ = rules[~act]
            if expand and size == 1 and template is None:
                # A unit step such as `sum: term`: the value stays, only the state moves, and a
                # chain of them (`atom` up to `expr`) depends only on the two top states and
                # the token, so its end is looked up once and remembered.
                key = (state_stack[-2], state_stack[-1], ttype)
                top = unit_chains.get(key)
                if top is None:
                    top = unit_chains[key] = _unit_chain(states, rules, *key)
                state_stack[-1] = top
                continue
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            if template is not None:
                children = [children[k] if k >= 0 else None for k in template]
            if expand and len(children) == 1:
                value = children[0]
            else:
                value = callbacks[~act](children)
            push_state(states[state_stack[-1]][origin])
            push_value(value)
            if ttype == "$END" and state_stack[-1] == end_state:
                return value
    if not finish:
        return state_stack
    raise AssertionError("the LALR table accepts only at the end")  # pragma: no cover
