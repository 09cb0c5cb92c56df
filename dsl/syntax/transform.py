"""The one Transformer: LALR reductions → `dsl.syntax.ast` nodes with exact spans.

The parser calls these methods as it reduces (Lark's inline-transformer protocol: one method
per rule or alias, called with the rule's children), so no parse tree is ever built. One
`TreeBuilder` serves one parse: it knows the file's path (for spans), its descriptions
(comment lines above declarations) and collects the problems it finds in well-formed syntax
(an assignment to something that is not a place, a bad escape in a string, ...).
"""

from __future__ import annotations

from dataclasses import replace

from dsl.diagnostics import Code
from dsl.syntax import ast
from dsl.syntax.callbacks import new_span
from dsl.syntax.steps import StepCallbacks


class TreeBuilder(StepCallbacks):
    """Callbacks of one parse (helpers in `dsl.syntax.callbacks`, test-file steps in `dsl.syntax.steps`)."""

    # -- lists ------------------------------------------------------------------------------

    def list_empty(self, c):
        return []

    def list_one(self, c):
        return [c[0]]

    def list_append(self, c):
        items = c[0]
        items.append(c[-1])
        return items

    def start(self, c):
        return c[0]

    def interpolation(self, c):
        return c[0]

    # -- declarations -----------------------------------------------------------------------

    def source_file(self, c):
        kw, name, doc, decls = c
        docstring = doc.value[3:-3] if doc is not None else None
        last = decls[-1] if decls else None
        if last is not None:
            span = self._tn(kw, last)
        elif doc is not None:
            span = self._tt(kw, doc)
        else:
            span = self._tt(kw, name)
        return ast.SourceFile(kw.value, self._ident(name), docstring, tuple(decls), self._doc(kw), self.comments,
                              self.path, span)

    def use(self, c):
        return ast.Use(self._ident(c[1]), self._doc(c[0]), self._tt(c[0], c[1]))

    def parties(self, c):
        names = c[1]
        return ast.Parties(tuple(self._ident(t) for t in names), self._doc(c[0]), self._tt(c[0], names[-1]))

    def enum_inline(self, c):
        kw, name, values = c
        vals = tuple(ast.EnumValue(self._ident(t), (), self._t(t)) for t in values)
        return ast.EnumDecl(self._ident(name), vals, self._doc(kw), False, self._tt(kw, values[-1]))

    def enum_block(self, c):
        kw, name, values = c
        vals = tuple(ast.EnumValue(self._ident(t), self._doc(t), self._t(t)) for t in values)
        return ast.EnumDecl(self._ident(name), vals, self._doc(kw), True, self._tt(kw, values[-1]))

    def record(self, c):
        kw, name, fields = c
        return ast.RecordDecl(self._ident(name), tuple(fields), self._doc(kw), self._tn(kw, fields[-1]))

    def state(self, c):
        kw, fields = c
        return ast.StateDecl(tuple(fields), self._doc(kw), self._tn(kw, fields[-1]))

    def field(self, c):
        name, typ, _eq, default = c
        span = self._tn(name, default if default is not None else typ)
        return ast.FieldDecl(self._ident(name), typ, default, self._doc(name), span)

    def event(self, c):
        kw, name, _lp, params, rp = c
        return ast.EventDecl(self._ident(name), tuple(params or ()), self._doc(kw), self._tt(kw, rp))

    def lifecycle(self, c):
        kw, record, field, _starts, start, transitions = c
        return ast.LifecycleDecl(self._ident(record), self._ident(field),
                                 self._ident(start) if start is not None else None, tuple(transitions),
                                 self._doc(kw), self._tn(kw, transitions[-1]))

    def transition(self, c):
        sources, target, _by, roles = c
        return ast.Transition(tuple(self._ident(t) for t in sources), self._ident(target),
                              tuple(self._ident(t) for t in roles), self._doc(sources[0]),
                              self._tt(sources[0], roles[-1]))

    def init(self, c):
        kw, _lp, params, _rp, by, body = c
        return ast.InitDecl(tuple(params or ()), by, tuple(body), self._doc(kw), self._tn(kw, body[-1]))

    def func(self, c):
        kw, name, _lp, params, _rp, returns, by, body = c
        return ast.FuncDecl(kw.value, self._ident(name), tuple(params or ()), returns, by, tuple(body),
                            self._doc(kw), self._tn(kw, body[-1]))

    def by(self, c):
        kw, roles = c
        return ast.By(tuple(self._ident(t) for t in roles), False, self._tt(kw, roles[-1]))

    def by_anyone(self, c):
        return ast.By((), True, self._tt(c[0], c[1]))

    def param(self, c):
        name, typ = c
        return ast.Param(self._ident(name), typ, self._tn(name, typ))

    def type_plain(self, c):
        tok = c[0]
        return ast.TypeRef(tok.value, (), self._t(tok))

    def type_generic(self, c):
        name, _lb, args, rb = c
        return ast.TypeRef(name.value, tuple(args), self._tt(name, rb))

    def type_tuple(self, c):
        lp, parts, rp = c
        return ast.TypeRef(ast.TUPLE_TYPE, tuple(parts), self._tt(lp, rp))

    def type_optional(self, c):
        inner, q = c
        return replace(inner, span=self._nt(inner, q), optional=True) if not inner.optional else \
            ast.TypeRef("?", (inner,), self._nt(inner, q), optional=True)  # T??: the checker refuses it

    # -- statements -------------------------------------------------------------------------

    def suite(self, c):
        return c[0]

    def let(self, c):
        kw, name, typ, _eq, value = c
        return ast.Let(self._ident(name), typ, value, self._tn(kw, value))

    def assign(self, c):
        target, op, value = c
        if not isinstance(target, (ast.Name, ast.Attribute, ast.Index)):
            self._error(Code.B0503, "cannot assign to this: only a name, a field (`a.f`) or an entry (`m[k]`) can be assigned",
                        target.span, "to compare, write `==`" if op.value == "=" else None)
        return ast.Assign(target, op.value, value, self._nn(target, value))

    def require(self, c):
        kw, cond, message = c
        return ast.Require(cond, message, self._tn(kw, message if message is not None else cond))

    def fail(self, c):
        return ast.Fail(c[1], self._tn(c[0], c[1]))

    def emit(self, c):
        kw, name, _lp, args, rp = c
        return ast.Emit(self._ident(name), tuple(args or ()), self._tt(kw, rp))

    def _return(self, c):
        kw, value = c
        return ast.Return(value, self._tn(kw, value) if value is not None else self._t(kw))

    def delete(self, c):
        kw, target = c
        if not isinstance(target, ast.Index):
            self._error(Code.B0503, "`delete` removes a map entry: write `delete m[k]`", target.span)
        return ast.Delete(target, self._tn(kw, target))

    def _pass(self, c):
        return ast.Pass(self._t(c[0]))

    def expr_stmt(self, c):
        e = c[0]
        return ast.ExprStmt(e, e.span)

    def if_stmt(self, c):
        kw, cond, body, elifs, _else, otherwise = c
        branches = [ast.IfBranch(cond, tuple(body), self._tn(kw, body[-1]))]
        branches.extend(elifs)
        last = otherwise[-1] if otherwise is not None else branches[-1]
        return ast.If(tuple(branches), tuple(otherwise) if otherwise is not None else None, self._tn(kw, last))

    def elif_append(self, c):
        items, kw, cond, body = c
        items.append(ast.IfBranch(cond, tuple(body), self._tn(kw, body[-1])))
        return items

    def for_stmt(self, c):
        kw, names, _in, iterable, body = c
        return ast.For(tuple(self._ident(t) for t in names), iterable, tuple(body), self._tn(kw, body[-1]))

    def for_range(self, c):
        kw, names, _in, rng, _lp, args, rp, body = c
        call = ast.Call(ast.Name("range", self._t(rng)), tuple(args or ()), self._tt(rng, rp))
        return ast.For(tuple(self._ident(t) for t in names), call, tuple(body), self._tn(kw, body[-1]))

    # -- expressions ------------------------------------------------------------------------

    def conditional(self, c):
        then, _if, cond, _else, otherwise = c
        return ast.Conditional(then, cond, otherwise, self._nn(then, otherwise))

    def binary(self, c):
        left, op, right = c
        return ast.Binary(op.value, left, right, self._nn(left, right))

    def unary(self, c):
        op, operand = c
        return ast.Unary(op.value, operand, self._tn(op, operand))

    def or_else(self, c):
        value, _or, _else, default = c
        return ast.OrElse(value, default, self._nn(value, default))

    def or_fail(self, c):
        value, _or, _fail, message = c
        return ast.OrFail(value, message, self._nn(value, message))

    def is_none(self, c):
        operand, _is, none = c
        return ast.IsNone(operand, False, self._nt(operand, none))

    def is_not_none(self, c):
        operand, _is, _not, none = c
        return ast.IsNone(operand, True, self._nt(operand, none))

    def compare(self, c):
        first, rest = c
        return ast.Compare(first, tuple(rest), self._nn(first, rest[-1][1]))

    def comp_one(self, c):
        return [(c[0], c[1])]

    def comp_more(self, c):
        rest = c[0]
        rest.append((c[1], c[2]))
        return rest

    def comp_op(self, c):
        return c[0].value

    def not_in(self, c):
        return "not in"

    def attribute(self, c):
        obj, name = c
        return ast.Attribute(obj, name.value, self._nt(obj, name))

    def index(self, c):
        obj, _lb, idx, rb = c
        return ast.Index(obj, idx, self._nt(obj, rb))

    def call(self, c):
        func, _lp, args, rp = c
        return ast.Call(func, tuple(args or ()), self._nt(func, rp))

    def name(self, c):
        t = c[0]
        return ast.Name(t.value, new_span(self.path, t.line, t.column, t.end_line, t.end_column))

    def int_lit(self, c):
        t = c[0]
        return ast.IntLit(t.value, new_span(self.path, t.line, t.column, t.end_line, t.end_column))

    def decimal_lit(self, c):
        return ast.DecimalLit(c[0].value, self._t(c[0]))

    def money_lit(self, c):
        t = c[0]
        amount, currency = t.value
        return ast.MoneyLit(amount, currency, self._t(t))

    def percent_lit(self, c):
        return ast.PercentLit(c[0].value, self._t(c[0]))

    def date_lit(self, c):
        return ast.DateLit(c[0].value, self._t(c[0]))

    def duration_lit(self, c):
        t = c[0]
        amount, unit = t.value
        return ast.DurationLit(amount, unit, self._t(t))

    def hash_lit(self, c):
        return ast.HashLit(c[0].value, self._t(c[0]))

    def true_lit(self, c):
        return ast.BoolLit(True, self._t(c[0]))

    def false_lit(self, c):
        return ast.BoolLit(False, self._t(c[0]))

    def none_lit(self, c):
        return ast.NoneLit(self._t(c[0]))

    def text_lit(self, c):
        t = c[0]
        return ast.TextLit(self._text_parts(t), self._t(t))

    def paren(self, c):
        # The tree keeps no parentheses, but the expression's span covers them, so carets and
        # statement spans reach the closing bracket.
        lp, inner, rp = c
        return replace(inner, span=self._tt(lp, rp))

    def tuple_lit(self, c):
        lp, first, rest, rp = c
        return ast.TupleLit((first, *(rest or ())), self._tt(lp, rp))

    def list_lit(self, c):
        lb, items, rb = c
        return ast.ListLit(tuple(items or ()), self._tt(lb, rb))

    def map_lit(self, c):
        lb, entries, rb = c
        return ast.MapLit(tuple(entries or ()), self._tt(lb, rb))

    def entry(self, c):
        return (c[0], c[1])

    def arg_positional(self, c):
        e = c[0]
        return ast.Arg(e, None, e.span)

    def arg_named(self, c):
        name, e = c
        return ast.Arg(e, name.value, self._tn(name, e))


# `return` and `pass` are Python keywords; the grammar's rules keep the language's words.
setattr(TreeBuilder, "return", TreeBuilder._return)
setattr(TreeBuilder, "pass", TreeBuilder._pass)
