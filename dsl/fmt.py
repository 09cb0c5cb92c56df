"""`baochain fmt`: the one canonical layout of a Bao file.

Layout: 4-space indentation; one statement per line; one space around binary operators and
after commas; no trailing whitespace; exactly one blank line after the file's first line (and
docstring) and between top-level declarations and scenarios. Inside blocks, a blank line the
author left between two statements, fields or steps is kept (several become one); none are
added. Expressions get parentheses only where precedence needs them, plus around an `and`
inside an `or` (`(a and b) or c`) so readers need not know which binds tighter; literals are written as
written; strings are re-escaped canonically; a statement written over several lines (inside
brackets) is joined onto one.

Comments stay where they were: descriptions directly above their declaration, full-line
comments before the line they preceded (at that line's indentation), trailing comments at the
end of their line (comments inside a joined multi-line statement become its trailing comment).
`format_source` is idempotent and `parse(format(x)) == parse(x)`.
"""

from __future__ import annotations

import re

from dsl.fmt_expr import arguments, expr, plain_text, text_literal, type_ref
from dsl.pipeline import Compilation
from dsl.syntax import ast

INDENT = "    "
_LINE_BREAK = re.compile(r"\r?\n|\r")


def format_source(text: str, path: str) -> str:
    """The canonical form of a Bao source or test file, parsed by the pipeline; raises
    `CompileError` on bad input."""
    return format_tree(Compilation(text, path).tree, text)


def format_tree(tree: ast.SourceFile | ast.TestFile, source: str = "") -> str:
    """Lay out a parsed tree; ``source`` (the text it came from) supplies comments' surroundings
    and the blank lines to keep. A tree built without source (no spans) formats without them."""
    writer = _Writer(tree, source)
    if isinstance(tree, ast.SourceFile):
        writer.source_file(tree)
    else:
        writer.test_file(tree)
    return writer.finish()


class _Writer:
    def __init__(self, tree: ast.SourceFile | ast.TestFile, source: str):
        self.lines: list[str] = []
        # Split as the lexer counts lines (str.splitlines also breaks at \x0b, \x1c, \u2028...).
        self.src_lines = _LINE_BREAK.split(source)
        self.last_src = 0  # the last source line already written out
        self.want_blank = False
        # Full-line comments not yet written, in order; trailing comments by line.
        self.pending: list[ast.Comment] = []
        self.trailing: dict[int, list[ast.Comment]] = {}
        for c in tree.comments:
            line_text = self.src_lines[c.span.line - 1] if 0 < c.span.line <= len(self.src_lines) else ""
            if line_text[: c.span.col - 1].strip():
                self.trailing.setdefault(c.span.line, []).append(c)
            else:
                self.pending.append(c)

    # -- output -----------------------------------------------------------------------------

    def finish(self) -> str:
        self._adopt_orphans(10**9)
        self.flush_comments(10**9, 0)
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"

    def blank(self) -> None:
        self.want_blank = True

    def emit(self, depth: int, text: str) -> None:
        if self.want_blank and self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.want_blank = False
        self.lines.append((INDENT * depth + text).rstrip())

    def _had_blank(self, before: int) -> bool:
        """Whether the source has a blank line between the last written line and line ``before``."""
        if self.last_src <= 0 or before <= 0:
            return False
        return any(not self.src_lines[k - 1].strip() for k in range(self.last_src + 1, min(before, len(self.src_lines) + 1)))

    def _advance(self, line: int) -> None:
        if line > self.last_src:
            self.last_src = line

    def flush_comments(self, before: int, depth: int, min_col: int = 0) -> bool:
        """Write the pending full-line comments above source line ``before`` (those indented at
        least to ``min_col``); return whether any was written."""
        wrote = False
        while self.pending and self.pending[0].span.line < before and self.pending[0].span.col >= min_col:
            c = self.pending.pop(0)
            if self._had_blank(c.span.line):
                self.blank()
            self.emit(depth, "#" + c.text.rstrip())
            self._advance(c.span.line)
            wrote = True
        return wrote

    def _adopt_orphans(self, before: int) -> None:
        """A trailing comment on a line no output line stood for (none should be left, but a
        comment is never dropped) is written as a full-line comment where it was."""
        orphans = [line for line in self.trailing if line < before]
        if orphans:
            for line in orphans:
                self.pending.extend(self.trailing.pop(line))
            self.pending.sort(key=lambda c: (c.span.line, c.span.col))

    def _drop_doc_comments(self, doc: tuple[str, ...], first_line: int) -> None:
        """The description lines above a declaration are written from its ``doc``, not as comments."""
        if not doc or first_line <= 0:
            return
        top = first_line - len(doc)
        self.pending = [c for c in self.pending if not top <= c.span.line < first_line]

    def _tail(self, first: int, last: int) -> str:
        """Trailing comments of source lines first..last (and full-line ones strictly inside)."""
        if first <= 0:
            return ""
        found: list[ast.Comment] = []
        for line in range(first, last + 1):
            found.extend(self.trailing.pop(line, ()))
        if last > first:
            inside = [c for c in self.pending if first < c.span.line <= last]
            if inside:
                self.pending = [c for c in self.pending if not first < c.span.line <= last]
                found.extend(inside)
                found.sort(key=lambda c: (c.span.line, c.span.col))
        if not found:
            return ""
        return "  " + " ".join("#" + c.text.rstrip() for c in found)

    def item(self, depth: int, node, doc: tuple[str, ...] = (), has_doc: bool = False,
             force_blank: bool = False) -> None:
        """Prepare for an item starting at ``node``'s line: comments above it, blank line, doc."""
        line = node.span.line
        first_line = line - len(doc) if line > 0 else 0
        self._adopt_orphans(first_line)
        self._drop_doc_comments(doc, line)
        if force_blank:
            self.blank()
        wrote = self.flush_comments(first_line, depth)
        if self._had_blank(first_line) or (wrote and has_doc):
            # (a comment directly above a declaration would become its description)
            self.blank()
        for d in doc:
            self.emit(depth, ("# " + d) if d else "#")
        if line > 0:
            self._advance(line - 1)

    def line(self, depth: int, text: str, node, last_line: int | None = None) -> None:
        """Write one output line for ``node`` (source lines span.line..last_line)."""
        span = node.span
        end = last_line if last_line is not None else span.end_line
        self.emit(depth, text + self._tail(span.line, end))
        self._advance(end)

    def block_end(self, depth: int, limit: int) -> None:
        """Comments after a block's last line that are indented like the block stay in it."""
        self.flush_comments(limit, depth, min_col=INDENT_WIDTH * depth + 1)

    # -- files ------------------------------------------------------------------------------

    def source_file(self, tree: ast.SourceFile) -> None:
        self.item(0, tree, tree.doc, has_doc=True)
        header = f"{tree.kind} {tree.name.name}"
        self.line(0, header, tree.name)
        if tree.docstring is not None:
            end = self._docstring_end(tree.name.span.line)
            self.emit(0, '"""' + tree.docstring + '"""' + self._tail(end, end))
            self._advance(end)
        for i, decl in enumerate(tree.decls):
            nxt = tree.decls[i + 1].span.line if i + 1 < len(tree.decls) else 10**9
            self.decl(decl, nxt)

    def _docstring_end(self, header_line: int) -> int:
        """The source line where the docstring after the header closes (the AST keeps no span for it)."""
        if header_line <= 0:
            return 0
        for k in range(header_line, len(self.src_lines)):
            if self.src_lines[k].lstrip().startswith('"""'):
                rest = self.src_lines[k].lstrip()[3:]
                j = k
                while '"""' not in rest and j + 1 < len(self.src_lines):
                    j += 1
                    rest = self.src_lines[j]
                return j + 1
        return header_line

    def test_file(self, tree: ast.TestFile) -> None:
        self.item(0, tree, tree.doc, has_doc=True)
        self.line(0, f"tests for {plain_text(tree.target)}", tree, tree.span.line)
        for i, sc in enumerate(tree.scenarios):
            nxt = tree.scenarios[i + 1].span.line if i + 1 < len(tree.scenarios) else 10**9
            self.item(0, sc, sc.doc, has_doc=True, force_blank=True)
            self.line(0, f"scenario {plain_text(sc.title)}:", sc, sc.span.line)
            self.sequence(1, sc.steps, self.step, nxt)

    # -- declarations -----------------------------------------------------------------------

    def decl(self, d: ast.Decl, limit: int) -> None:
        self.item(0, d, d.doc, has_doc=True, force_blank=True)
        match d:
            case ast.Use(module=m):
                self.line(0, f"use {m.name}", d)
            case ast.Parties(names=names):
                self.line(0, "parties " + ", ".join(n.name for n in names), d)
            case ast.EnumDecl(name=name, values=values, multiline=False):
                self.line(0, f"enum {name.name}: " + ", ".join(v.name.name for v in values), d)
            case ast.EnumDecl(name=name, values=values):
                self.line(0, f"enum {name.name}:", d, d.span.line)
                self.sequence(1, values, self.enum_value, limit)
            case ast.RecordDecl(name=name, fields=fields):
                self.line(0, f"record {name.name}:", d, d.span.line)
                self.sequence(1, fields, self.field, limit)
            case ast.StateDecl(vars=fields):
                self.line(0, "state:", d, d.span.line)
                self.sequence(1, fields, self.field, limit)
            case ast.EventDecl(name=name, params=params):
                self.line(0, f"event {name.name}({_params(params)})", d)
            case ast.LifecycleDecl(record=r, field=f, start=start, transitions=transitions):
                starts = f" starts {start.name}" if start is not None else ""
                self.line(0, f"lifecycle {r.name}.{f.name}{starts}:", d, d.span.line)
                self.sequence(1, transitions, self.transition, limit)
            case ast.InitDecl(params=params, by=by, body=body):
                head = f"init({_params(params)}){_by(by)}:"
                self.line(0, head, d, _header_end(d, [*params, by], body))
                self.sequence(1, body, self.stmt, limit)
            case ast.FuncDecl(kind=kind, name=name, params=params, returns=returns, by=by, body=body):
                arrow = f" -> {type_ref(returns)}" if returns is not None else ""
                head = f"{kind} {name.name}({_params(params)}){arrow}{_by(by)}:"
                self.line(0, head, d, _header_end(d, [*params, returns, by], body))
                self.sequence(1, body, self.stmt, limit)

    def sequence(self, depth: int, items, write, limit: int) -> None:
        for i, node in enumerate(items):
            nxt = items[i + 1].span.line if i + 1 < len(items) else limit
            if nxt <= 0:
                nxt = limit
            write(depth, node, nxt)
        self.block_end(depth, limit)

    def enum_value(self, depth: int, v: ast.EnumValue, limit: int) -> None:
        self.item(depth, v, v.doc, has_doc=True)
        self.line(depth, v.name.name, v)

    def field(self, depth: int, f: ast.FieldDecl, limit: int) -> None:
        self.item(depth, f, f.doc, has_doc=True)
        default = f" = {expr(f.default)}" if f.default is not None else ""
        self.line(depth, f"{f.name.name}: {type_ref(f.type)}{default}", f)

    def transition(self, depth: int, t: ast.Transition, limit: int) -> None:
        self.item(depth, t, t.doc, has_doc=True)
        sources = ", ".join(s.name for s in t.sources)
        roles = ", ".join(r.name for r in t.by)
        self.line(depth, f"{sources} -> {t.target.name} by {roles}", t)

    # -- statements -------------------------------------------------------------------------

    def stmt(self, depth: int, s: ast.Stmt, limit: int) -> None:
        self.item(depth, s)
        match s:
            case ast.If(branches=branches, otherwise=otherwise):
                for k, branch in enumerate(branches):
                    word = "if" if k == 0 else "elif"
                    if k > 0:
                        self.flush_comments(branch.span.line, depth)
                    after = branches[k + 1].span.line if k + 1 < len(branches) else (
                        self._else_line(branch, otherwise) if otherwise is not None else limit)
                    self.line(depth, f"{word} {expr(branch.cond)}:", branch,
                              _header_end(branch, [branch.cond], branch.body))
                    self.sequence(depth + 1, branch.body, self.stmt, after)
                if otherwise is not None:
                    else_line = self._else_line(branches[-1], otherwise)
                    self.flush_comments(else_line, depth)
                    tail = self._tail(else_line, else_line) if else_line > 0 else ""
                    self.emit(depth, "else:" + tail)
                    self._advance(else_line)
                    self.sequence(depth + 1, otherwise, self.stmt, limit)
            case ast.For(vars=names, iter=iterable, body=body):
                head = f"for {', '.join(n.name for n in names)} in {expr(iterable)}:"
                self.line(depth, head, s, _header_end(s, [iterable], body))
                self.sequence(depth + 1, body, self.stmt, limit)
            case _:
                self.line(depth, simple_statement(s), s)

    def _else_line(self, last_branch: ast.IfBranch, otherwise: tuple) -> int:
        """The source line of `else:` (the AST keeps no node for it)."""
        start = last_branch.span.end_line
        stop = otherwise[0].span.line if otherwise and otherwise[0].span.line else 0
        if start <= 0 or stop <= 0:
            return 0
        for k in range(start + 1, stop + 1):
            code = self.src_lines[k - 1].split("#", 1)[0].strip()
            if code.startswith("else"):
                return k
        return stop - 1

    # -- test steps -------------------------------------------------------------------------

    def step(self, depth: int, s: ast.Step, limit: int) -> None:
        self.item(depth, s)
        self.line(depth, test_step(s), s)


def simple_statement(s: ast.Stmt) -> str:
    match s:
        case ast.Let(name=name, type=t, value=value):
            annotation = f": {type_ref(t)}" if t is not None else ""
            return f"let {name.name}{annotation} = {expr(value)}"
        case ast.Assign(target=target, op=op, value=value):
            return f"{expr(target)} {op} {expr(value)}"
        case ast.Require(cond=cond, message=message):
            return f"require {expr(cond)}" + (f", {expr(message)}" if message is not None else "")
        case ast.Fail(message=message):
            return f"fail {expr(message)}"
        case ast.Emit(event=event, args=args):
            return f"emit {event.name}({arguments(args)})"
        case ast.Return(value=value):
            return "return" if value is None else f"return {expr(value)}"
        case ast.Delete(target=target):
            return f"delete {expr(target)}"
        case ast.Pass():
            return "pass"
        case ast.ExprStmt(expr=e):
            return expr(e)
    raise TypeError(f"not a simple statement: {s!r}")


def test_step(s: ast.Step) -> str:
    match s:
        case ast.AtStep(date=date):
            return f"at {date.text}"
        case ast.LetStep(name=name, value=value):
            return f"let {name.name} = {expr(value)}"
        case ast.DeployStep(args=args, caller=caller, fails_with=fails_with):
            text = f"deploy({arguments(args)}) by {caller.name}" if args else f"deploy by {caller.name}"
            return text if fails_with is None else f"{text} fails with {plain_text(fails_with)}"
        case ast.CallStep(caller=caller, function=function, args=args, expect=expect, returns=returns,
                          fails_with=fails_with):
            text = f"{caller.name} calls {function.name}({arguments(args)})"
            if s.binds is not None:
                return f"let {s.binds.name} = {text}"
            if returns is not None:
                text += f" returns {expr(returns)}"
            elif fails_with is not None:
                text += f" fails with {plain_text(fails_with)}"
            return ("expect " + text) if expect or returns is not None or fails_with is not None else text
        case ast.ExpectEmitted(event=event, args=args):
            return f"expect emitted {event.name}({arguments(args)})"
        case ast.ExpectTrue(expr=e):
            return f"expect {expr(e)}"
    raise TypeError(f"not a test step: {s!r}")


def _params(params: tuple[ast.Param, ...]) -> str:
    return ", ".join(f"{p.name.name}: {type_ref(p.type)}" for p in params)


def _by(by: ast.By | None) -> str:
    if by is None:
        return ""
    if by.anyone:
        return " by anyone"
    return " by " + ", ".join(r.name for r in by.roles)


def _header_end(node, parts: list, body: tuple) -> int:
    """The last source line of a block's opening line (it may continue inside brackets)."""
    end = node.span.line
    for p in parts:
        if p is not None and p.span.end_line > end:
            end = p.span.end_line
    if body and body[0].span.line > 0:
        end = min(end, body[0].span.line - 1)
    return max(end, node.span.line)


INDENT_WIDTH = len(INDENT)
__all__ = ["format_source", "format_tree", "text_literal"]
