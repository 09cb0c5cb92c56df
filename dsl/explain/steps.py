"""The body of an action, view or fn as plain steps, one per statement, in order.

Each `require` becomes a sentence with the message the caller would see; assignments say what
changes and how; `let` shows the formula. The summary of a function (what state it changes, what
it emits) is gathered here too, from the same statements, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from dsl.explain.formula import FormulaWriter
from dsl.explain.model import Inline, Step, StepKind, fill, formula, join, name, quote, text
from dsl.explain.names import words
from dsl.explain.phrases import Phrases
from dsl.semantics.analysis import Annotations, Ref, StateRef
from dsl.syntax import ast


@dataclass(frozen=True, slots=True)
class StepWriter:
    """Words the statements of one function. ``source`` is the file's text, for the default
    failure message `requirement failed: <source of cond>`."""

    formulas: FormulaWriter
    source: str
    annotations: Annotations | None = None  # the checker's: which record each expression is
    # record → (field, "Record.field") of each lifecycle, to say which writes are lifecycle moves
    lifecycles: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    @property
    def phrases(self) -> Phrases:
        return self.formulas.phrases

    def steps(self, body: tuple[ast.Stmt, ...]) -> tuple[Step, ...]:
        out: list[Step] = []
        for stmt in body:
            out.extend(self._stmt(stmt))
        return tuple(out)

    def _f(self, expr: ast.Expr) -> Inline:
        return formula(self.formulas.write(expr))

    def _stmt(self, stmt: ast.Stmt) -> list[Step]:
        p = self.phrases.template
        match stmt:
            case ast.Require(cond=cond, message=message):
                if message is not None:
                    msg = quote(self.formulas.message(message))
                else:
                    msg = quote(self.phrases("requirement_failed", source=self._source_of(stmt, cond)))
                return [Step(StepKind.REQUIRE, fill(p("step_require"), cond=self._f(cond), message=msg))]
            case ast.Let(name=ident, value=value):
                line = f"{words(ident.name)} = {self.formulas.write(value)}"
                return [Step(StepKind.COMPUTE, fill(p("step_compute"), formula=formula(line)))]
            case ast.Assign(target=target, op=op, value=value):
                key = {"=": "step_set", "+=": "step_increase", "-=": "step_decrease"}.get(op, "step_set")
                kind = {"+=": StepKind.INCREASE, "-=": StepKind.DECREASE}.get(op, StepKind.SET)
                runs = fill(p(key), target=formula(self.formulas.target(target)), value=self._f(value))
                return [Step(kind, runs + self._lifecycle_note(target))]
            case ast.Emit(event=event, args=args):
                fields = self._emit_fields(event.name, args)
                return [Step(StepKind.EMIT, fill(p("step_emit"), event=name(event.name), fields=fields))]
            case ast.Return(value=None):
                return [Step(StepKind.RETURN, text(self.phrases("step_return_nothing")))]
            case ast.Return(value=value) if value is not None:
                return [Step(StepKind.RETURN, fill(p("step_return"), value=self._f(value)))]
            case ast.Fail(message=message):
                return [Step(StepKind.FAIL, fill(p("step_fail"), message=quote(self.formulas.message(message))))]
            case ast.Delete(target=target):
                return [Step(StepKind.DELETE, fill(p("step_delete"), target=formula(self.formulas.target(target))))]
            case ast.Pass():
                return [Step(StepKind.PASS, text(self.phrases("step_pass")))]
            case ast.ExprStmt(expr=ast.Call(func=ast.Attribute(name="append", obj=obj), args=(arg,))):
                runs = fill(p("step_append"), value=self._f(arg.value), target=formula(self.formulas.target(obj)))
                return [Step(StepKind.APPEND, runs + self._lifecycle_note(ast.Index(obj, arg.value)))]
            case ast.ExprStmt(expr=expr):
                return [Step(StepKind.CALL, fill(p("step_call"), call=self._f(expr)))]
            case ast.If(branches=branches, otherwise=otherwise):
                out = []
                for i, branch in enumerate(branches):
                    key, kind = ("step_if", StepKind.IF) if i == 0 else ("step_elif", StepKind.ELIF)
                    out.append(Step(kind, fill(p(key), cond=self._f(branch.cond)), self.steps(branch.body)))
                if otherwise:
                    out.append(Step(StepKind.ELSE, text(self.phrases("step_else")), self.steps(otherwise)))
                return out
            case ast.For(vars=variables, iter=iterable, body=body):
                return [Step(StepKind.FOR, self._for_head(variables, iterable), self.steps(body))]
        return []

    def _lifecycle_note(self, target: ast.Expr) -> Inline:
        """A write to state that the lifecycle rules check (LANGUAGE.md section 3): setting a
        lifecycle field, or storing a whole record that has one."""
        if self.annotations is None or not self.lifecycles or state_root(target, self.formulas.refs) is None:
            return ()
        subjects: list[str] = []
        if isinstance(target, ast.Attribute):
            record = self.annotations.record_of(target.obj)
            subjects = [subj for f, subj in self.lifecycles.get(record or "", ()) if f == target.name]
        if not subjects:
            record = self.annotations.record_of(target)
            subjects = [subj for _, subj in self.lifecycles.get(record or "", ())]
        if not subjects:
            return ()
        return fill(self.phrases.template("step_lifecycle_note"), subjects=join([name(s) for s in subjects], self.phrases("list_sep")))

    def _for_head(self, variables: tuple[ast.Ident, ...], iterable: ast.Expr) -> Inline:
        p = self.phrases.template
        match iterable:
            case ast.Call(func=ast.Name(id="range"), args=(low, high)) if len(variables) == 1:
                return fill(p("step_for_range"), var=formula(words(variables[0].name)),
                            low=self._f(low.value), high=self._f(high.value))
        if len(variables) == 2:
            return fill(p("step_for_pairs"), key=formula(words(variables[0].name)),
                        value=formula(words(variables[1].name)), items=self._f(iterable))
        return fill(p("step_for_each"), var=formula(", ".join(words(v.name) for v in variables)),
                    items=self._f(iterable))

    def _emit_fields(self, event: str, args: tuple[ast.Arg, ...]) -> Inline:
        if not args:
            return ()
        decl = self.formulas.names.events.get(event)
        params = [prm.name.name for prm in decl.params] if decl else []
        parts: list[Inline] = []
        for i, arg in enumerate(args):
            field_name = arg.name or (params[i] if i < len(params) else "")
            value = self.formulas.write(arg.value)
            # `emit ClaimSettled(policy_id, ...)` passes a value of the field's own name: say it once.
            same = not field_name or value == words(field_name)
            parts.append(formula(value if same else f"{words(field_name)} = {value}"))
        return fill(self.phrases.template("step_emit_fields"), fields=join(parts, self.phrases("list_sep")))

    def _source_of(self, stmt: ast.Require, cond: ast.Expr) -> str:
        """The condition as written: the statement's lines from `require` to the end of its last
        line, less any comment (spans may stop before a closing bracket, so they are not cut by)."""
        span = stmt.span
        lines = self.source.splitlines()
        if span.line < 1 or span.end_line > len(lines) or span.end_line < span.line:
            return self.formulas.write(cond)
        written = "\n".join([lines[span.line - 1][span.col - 1:], *lines[span.line:span.end_line]])
        written = " ".join(_without_comment(written).split())
        if not written.startswith("require "):
            return self.formulas.write(cond)
        return written.removeprefix("require ").strip()


def _without_comment(code: str) -> str:
    """Code up to a `#` that is outside any string."""
    in_string = False
    escaped = False
    for i, ch in enumerate(code):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "#":
            return code[:i]
    return code


def state_root(target: ast.Expr, refs: Mapping[int, Ref]) -> str | None:
    """The state variable an assignment target starts at (`policies[id].status` → `policies`), or
    None when it starts at a local."""
    while isinstance(target, (ast.Attribute, ast.Index)):
        target = target.obj
    ref = refs.get(id(target))
    return ref.name if isinstance(ref, StateRef) else None


def effects(body: tuple[ast.Stmt, ...], refs: Mapping[int, Ref]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(state variables written, events emitted), each once, in order of first appearance."""
    changes: list[str] = []
    emits: list[str] = []

    def visit(stmts: tuple[ast.Stmt, ...]) -> None:
        for stmt in stmts:
            root = None
            match stmt:
                case ast.Assign(target=t) | ast.Delete(target=t):
                    root = state_root(t, refs)
                case ast.ExprStmt(expr=ast.Call(func=ast.Attribute(name="append", obj=obj))):
                    root = state_root(obj, refs)
                case ast.Emit(event=event):
                    if event.name not in emits:
                        emits.append(event.name)
                case ast.If(branches=branches, otherwise=otherwise):
                    for branch in branches:
                        visit(branch.body)
                    if otherwise:
                        visit(otherwise)
                case ast.For(body=inner):
                    visit(inner)
            if root is not None and root not in changes:
                changes.append(root)

    visit(body)
    return tuple(changes), tuple(emits)
