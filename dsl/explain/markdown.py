"""The explained document as Markdown (GitHub-flavoured; lifecycles as Mermaid)."""

from __future__ import annotations

import re

from dsl.explain.mermaid import lifecycle_mermaid
from dsl.explain.model import (
    Document, FieldRow, FunctionView, Inline, LifecycleView, Prose, RunKind, Status, Step, fill, join, name,
    section_keys,
)
from dsl.semantics.analysis import FunctionKind
from dsl.explain.phrases import Phrases, phrases_for

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _esc(s: str) -> str:
    return _SPECIAL.sub(r"\\\1", s)


def _code(s: str) -> str:
    ticks = "``" if "`" in s else "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def inline_md(runs: Inline, in_table: bool = False) -> str:
    out = []
    for r in runs:
        if r.kind in (RunKind.FORMULA, RunKind.NAME):
            s = _code(r.text)
            out.append(s.replace("|", "\\|") if in_table else s)
        elif r.kind is RunKind.QUOTE:
            out.append(f"“{_esc(r.text)}”")
        else:
            out.append(_esc(r.text))
    return "".join(out)


_CODE_SPAN = re.compile(r"(`[^`]+`)")


def _desc(s: str) -> str:
    """A description comment: escaped, except that `code` spans written in it stay code."""
    return "".join(part if _CODE_SPAN.fullmatch(part) else _esc(part) for part in _CODE_SPAN.split(s))


def _cell(s: str) -> str:
    """Text for a table cell: a `|` inside a code span needs its escape too."""
    return "".join(part.replace("|", "\\|") if _CODE_SPAN.fullmatch(part) else _esc(part)
                   for part in _CODE_SPAN.split(s))


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return lines


class _Writer:
    def __init__(self, doc: Document):
        self.doc = doc
        self.p: Phrases = phrases_for(doc.lang)
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def _label(self, key: str) -> str:
        return "**" + _esc(self.p("label", label=self.p(key)).rstrip()) + "** "

    def para(self, s: str) -> None:
        if s:
            self.add(s, "")

    def _mark(self, prose: Prose) -> str:
        """The fallback mark of a description not in the document's language: `*（英文）* `."""
        if prose.fallback is None:
            return ""
        return f"*{_esc(self.p('fallback', language=self.p('lang_' + prose.fallback)))}* "

    def prose(self, prose: Prose) -> None:
        """A description as paragraphs (a list item of a docstring stays on its own line)."""
        for i, paragraph in enumerate(prose.paragraphs):
            self.para((self._mark(prose) if i == 0 else "") + _desc(paragraph).replace("\n", "  \n"))

    def prose_cell(self, prose: Prose) -> str:
        return self._mark(prose) + _cell(prose.text) if prose else self.p("none")

    def render(self) -> str:
        doc, p = self.doc, self.p
        self.add(f"# {_esc(doc.title)}", "")
        self.para(f"*{_esc(p('subtitle' if doc.kind == 'contract' else 'module_subtitle'))}*")
        for prose in doc.description:
            self.prose(prose)
        if doc.uses:
            self.para(inline_md(fill(p.template("uses_line"), modules=join([name(u) for u in doc.uses], p("list_sep")))))
        for key in section_keys(doc):
            self.add(f"## {_esc(p(key))}", "")
            getattr(self, f"_{key}")()
        self.para(f"*{_esc(p('generated', file=doc.source_file))}*")
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"

    # sections ----------------------------------------------------------------------------------

    def _parties(self) -> None:
        self.prose(self.doc.parties_description)
        for party in self.doc.parties:
            self.add(f"### {_esc(self.p('party_may', party=party.name))}", "")
            if party.may:
                self.add(*(f"- {inline_md(m)}" for m in party.may))
                self.add("")
            else:
                self.para(_esc(self.p("party_may_nothing")))

    def _field_table(self, rows: tuple[FieldRow, ...], default_header: str = "col_default") -> None:
        # A description column only when some row has a description; "—" where one has none.
        p = self.p
        described = any(r.description for r in rows)
        self.add(*_table(
            [p("col_field"), p("col_type"), p(default_header)] + ([p("col_description")] if described else []),
            [[_code(r.name), _cell(r.type), inline_md(r.default, True) or p("none")]
             + ([self.prose_cell(r.description)] if described else []) for r in rows],
        ))
        self.add("")

    def _records(self) -> None:
        for rec in self.doc.records:
            self.add(f"### {_esc(rec.name)}", "")
            self.prose(rec.description)
            self._field_table(rec.fields)

    def _enums(self) -> None:
        p = self.p
        for enum in self.doc.enums:
            self.add(f"### {_esc(enum.name)}", "")
            self.prose(enum.description)
            if any(d for _, d in enum.values):
                self.add(*_table([p("col_value"), p("col_description")],
                                 [[_code(v), self.prose_cell(d)] for v, d in enum.values]))
            else:
                self.add(*_table([p("col_value")], [[_code(v)] for v, _ in enum.values]))
            self.add("")

    def _state(self) -> None:
        self._field_table(self.doc.state, "col_initial")

    def _events(self) -> None:
        p = self.p
        for ev in self.doc.events:
            self.add(f"### {_esc(ev.name)}", "")
            self.prose(ev.description)
            if ev.emitted_by:
                self.para(inline_md(fill(p.template("emitted_by"), names=join([name(n) for n in ev.emitted_by], p("list_sep")))))
            else:
                self.para(_esc(p("emitted_by_none")))
            if ev.fields:
                self.add(*_table([p("col_field"), p("col_type")], [[_code(f.name), _cell(f.type)] for f in ev.fields]))
                self.add("")

    def _lifecycles(self) -> None:
        for lc in self.doc.lifecycles:
            self._lifecycle(lc)

    def _lifecycle(self, lc: LifecycleView) -> None:
        p = self.p
        self.add(f"### {_esc(lc.subject)}", "")
        self.prose(lc.description)
        if lc.start:
            self.para(inline_md(fill(p.template("lifecycle_starts"), record=name(lc.record), start=name(lc.start))))
        else:
            self.para(inline_md(fill(p.template("lifecycle_no_start"), record=name(lc.record))))
        self.add("```mermaid", lifecycle_mermaid(lc, p("list_sep")), "```", "")
        described = any(e.description for e in lc.edges)
        self.add(*_table(
            [p("col_from"), p("col_to"), p("col_who")] + ([p("col_description")] if described else []),
            [[_code(e.source), _code(e.target), p("list_sep").join(_code(r) for r in e.roles)]
             + ([self.prose_cell(e.description)] if described else []) for e in lc.edges],
        ))
        self.add("")

    def _init(self) -> None:
        init = self.doc.init
        if init is not None:  # section_keys lists the section only when there is one
            self._function(init, heading=False)

    def _actions(self) -> None:
        for f in self.doc.actions:
            self._function(f)

    def _views(self) -> None:
        for f in self.doc.views:
            self._function(f)

    def _functions(self) -> None:
        for f in self.doc.functions:
            self._function(f)

    def _function(self, f: FunctionView, heading: bool = True) -> None:
        p = self.p
        if heading:
            self.add(f"### {_esc(f.name)}", "")
        self.prose(f.description)
        if f.who:
            self.para(f"{self._label('who_may_call')}{inline_md(f.who)}")
        if f.inputs:
            self.add(self._label('inputs').rstrip(), "")
            self.add(*_table([p("col_name"), p("col_type")], [[_code(i.name), _cell(i.type)] for i in f.inputs]))
            self.add("")
        self.add(self._label('steps').rstrip(), "")
        if f.steps:
            self._steps(f.steps, 0)
            self.add("")
        else:
            self.para(_esc(p("no_steps")))
        if f.kind in (FunctionKind.ACTION, FunctionKind.INIT):
            summary = [
                f"{self._label('summary_changes')}" + (p("list_sep").join(_esc(c) for c in f.changes) or _esc(p("changes_nothing"))),
                f"{self._label('summary_emits')}" + (p("list_sep").join(_code(e) for e in f.emits) or _esc(p("emits_nothing"))),
                f"{self._label('summary_returns')}" + (_esc(f.returns) or _esc(p("returns_nothing"))),
            ]
            self.para("  \n".join(summary))
        elif f.returns:
            self.para(f"{self._label('summary_returns')}{_esc(f.returns)}")
        if f.glossary:
            self.add(self._label('where').rstrip(), "")
            colon = _esc(p('label', label='').rstrip() or ':')
            self.add(*(f"- *{_esc(term)}*{colon} {self._mark(desc)}{_desc(desc.text)}" for term, desc in f.glossary))
            self.add("")

    def _steps(self, steps: tuple[Step, ...], depth: int) -> None:
        indent = "   " * depth
        for i, step in enumerate(steps, 1):
            self.add(f"{indent}{i}. {inline_md(step.text)}")
            if step.children:
                self._steps(step.children, depth + 1)

    def _examples(self) -> None:
        ex = self.doc.examples
        if ex is None:  # section_keys lists the section only when there are examples
            return
        p = self.p
        if not ex.found:
            self.para(_esc(p("examples_none", file=ex.file)))
            return
        self.para(_esc(p("examples_file", file=ex.file)))
        if not ex.ran:
            self.para(_esc(p("outcomes_not_run_note")))
        else:
            passed = sum(1 for r in ex.rows if r.outcome.status is Status.PASSED)
            self.para(_esc(p("outcomes_summary", passed=str(passed), failed=str(len(ex.rows) - passed))))
        rows = []
        for i, row in enumerate(ex.rows, 1):
            steps = "<br>".join(f"{j}. {inline_md(s, True)}" for j, s in enumerate(row.steps, 1))
            title = f"**{_esc(row.title)}**" + (f"<br>{self._mark(row.description)}{_esc(row.description.text)}"
                                                 if row.description else "")
            outcome = _esc(row.outcome.text)
            if row.outcome.status is Status.PASSED:
                outcome = "✅ " + outcome
            elif row.outcome.status is Status.FAILED:
                outcome = "❌ " + outcome
            rows.append([str(i), title, steps, outcome])
        self.add(*_table(["#", p("col_scenario"), p("col_steps"), p("col_outcome")], rows))
        self.add("")


def render_markdown(doc: Document) -> str:
    return _Writer(doc).render()
