"""The explained document as one self-contained HTML file: inline CSS and SVG, no scripts, no
fonts or images fetched from anywhere, readable on a phone and printable on paper."""

from __future__ import annotations

import re
from html import escape

from dsl.explain.model import (
    Document, FieldRow, FunctionView, Inline, LifecycleView, Prose, RunKind, Status, Step, fill, join, name,
    section_keys,
)
from dsl.semantics.analysis import FunctionKind
from dsl.explain.phrases import Phrases, phrases_for
from dsl.explain.svg import lifecycle_svg

_CSS = """
:root { --ink: #1f2d3d; --muted: #5b6b7c; --rule: #d5dde6; --tint: #f3f6fa; --accent: #2f5d8a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.55; font-size: 16px;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "PingFang SC",
  "Microsoft YaHei", "WenQuanYi Zen Hei", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 2rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.45rem; margin: 2.5rem 0 .75rem; padding-bottom: .3rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; overflow-wrap: anywhere; }
p { margin: .5rem 0; }
.subtitle { color: var(--muted); font-style: italic; margin-bottom: 1rem; }
.desc { color: var(--ink); }
.fallback { color: var(--muted); font-size: .85em; }
nav.toc { background: var(--tint); border-radius: 8px; padding: .75rem 1rem; margin: 1.25rem 0; }
nav.toc ol { margin: .25rem 0 0; padding-left: 1.4rem; columns: 2 14rem; }
nav.toc a { color: var(--accent); text-decoration: none; }
a code { color: var(--accent); }
a { text-underline-offset: 2px; }
.toc-title { font-weight: 600; margin: 0; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
table.narrow { width: auto; min-width: min(24rem, 100%); }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--rule); }
th { background: var(--tint); font-weight: 600; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace;
  font-size: .92em; background: var(--tint); border-radius: 4px; padding: 0 .25em; overflow-wrap: anywhere; }
td code { overflow-wrap: normal; white-space: nowrap; }
.formula { font-family: "Cambria", "STIX Two Text", "Noto Serif", "Noto Serif CJK SC", "Songti SC", Georgia, serif;
  font-size: 1.04em;
  background: #fbf8ef; border: 1px solid #eee3c4; border-radius: 4px; padding: 0 .3em; overflow-wrap: anywhere; }
.msg { color: #8a2b1a; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .5rem 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; }
ol.steps { padding-left: 1.6rem; margin: .25rem 0 .75rem; }
ol.steps li { margin: .3rem 0; }
ol.steps ol.steps { margin-top: .2rem; }
.step-require::marker { color: #8a2b1a; font-weight: 600; }
article.fn { border-left: 3px solid var(--rule); padding-left: 1rem; margin: 1.5rem 0; }
figure.lifecycle { margin: .75rem 0; }
figure.lifecycle svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .9rem; }
.outcome { font-weight: 600; white-space: nowrap; }
.outcome.passed { color: #1e6b3a; }
.outcome.failed { color: #a3271b; white-space: normal; }
.outcome.not-run { color: var(--muted); }
ul.may { padding-left: 1.3rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 640px) {
  body { font-size: 15px; }
  main { padding: 1rem .8rem 2rem; }
  h1 { font-size: 1.6rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .4rem; }
  article.fn { padding-left: .6rem; }
  th, td { padding: .35rem .4rem; }
}
@media print {
  @page { margin: 16mm 14mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2, h3 { break-after: avoid; }
  figure, tr, dl.facts { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  .formula, code, th { background: none; }
}
"""


def _e(s: str) -> str:
    return escape(s, quote=True)


_CODE_SPAN = re.compile(r"`([^`]+)`")


def _desc(s: str) -> str:
    """A description comment: escaped, with the `code` spans its author wrote shown as code."""
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(s):
        out.append(_e(s[pos:m.start()]))
        out.append(f"<code>{_e(m.group(1))}</code>")
        pos = m.end()
    out.append(_e(s[pos:]))
    return "".join(out)


def _html_lang(lang: str) -> str:
    return "zh-CN" if lang == "zh" else lang


def inline_html(runs: Inline, anchors: dict[str, str] | None = None) -> str:
    """Runs as HTML; a name that has its own part of the document links to it."""
    out = []
    for r in runs:
        if r.kind is RunKind.NAME and anchors and r.text in anchors:
            out.append(f'<a href="#{_e(anchors[r.text])}"><code>{_e(r.text)}</code></a>')
            continue
        if r.kind is RunKind.FORMULA:
            # A short formula (`0.00 CNY`, `100%`) never breaks across lines; a long one wraps.
            shown = _e(r.text).replace(" ", "\u00a0") if len(r.text) <= 24 else _e(r.text)
            out.append(f'<span class="formula">{shown}</span>')
        elif r.kind is RunKind.NAME:
            out.append(f"<code>{_e(r.text)}</code>")
        elif r.kind is RunKind.QUOTE:
            out.append(f'<span class="msg">“{_e(r.text)}”</span>')
        else:
            out.append(_e(r.text))
    return "".join(out)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    # Two short columns read better side by side than stretched across the page.
    css = ' class="narrow"' if len(headers) <= 2 else ""
    return f'<div class="table-wrap"><table{css}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _slug(*parts: str) -> str:
    # Case is kept: Bao names are case-sensitive, so `Pay` and `pay` need ids of their own.
    return "-".join(re.sub(r"[^\w]+", "-", p).strip("-") for p in parts)


class _Writer:
    def __init__(self, doc: Document):
        self.doc = doc
        self.p: Phrases = phrases_for(doc.lang)
        self.out: list[str] = []
        # Bao has one namespace per contract, so a name points to exactly one section.
        self.anchors: dict[str, str] = {}
        for f in (*doc.actions, *doc.views, *doc.functions):
            self.anchors[f.name] = _slug(f.kind, f.name)
        for kind, items in (("record", doc.records), ("enum", doc.enums), ("event", doc.events)):
            for item in items:
                self.anchors[item.name] = _slug(kind, item.name)
        for lc in doc.lifecycles:
            self.anchors[lc.subject] = _slug("lifecycle", lc.subject)

    def _inline(self, runs: Inline) -> str:
        return inline_html(runs, self.anchors)

    def add(self, *parts: str) -> None:
        self.out.extend(parts)

    def _mark(self, prose: Prose) -> str:
        """The fallback mark of a description not in the document's language: "（英文）"."""
        if prose.fallback is None:
            return ""
        return f'<span class="fallback">{_e(self.p("fallback", language=self.p("lang_" + prose.fallback)))}</span> '

    def _lang(self, prose: Prose) -> str:
        return f' lang="{_html_lang(prose.fallback)}"' if prose.fallback is not None else ""

    def prose(self, prose: Prose) -> None:
        """A description as paragraphs (a list item of a docstring stays on its own line)."""
        for i, paragraph in enumerate(prose.paragraphs):
            mark = self._mark(prose) if i == 0 else ""
            self.add(f'<p class="desc"{self._lang(prose)}>{mark}{_desc(paragraph).replace(chr(10), "<br>")}</p>')

    def prose_inline(self, prose: Prose) -> str:
        """A description in a table cell or a glossary entry; "—" when there is none."""
        if not prose:
            return _e(self.p("none"))
        if prose.fallback is None:
            return _desc(prose.text)
        return f"{self._mark(prose)}<span{self._lang(prose)}>{_desc(prose.text)}</span>"

    def render(self) -> str:
        doc, p = self.doc, self.p
        lang = _html_lang(doc.lang)
        subtitle = p("subtitle" if doc.kind == "contract" else "module_subtitle")
        self.add(
            "<!DOCTYPE html>",
            f'<html lang="{lang}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(doc.title)} — {_e(subtitle)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            "<header>",
            f"<h1>{_e(doc.title)}</h1>",
            f'<p class="subtitle">{_e(subtitle)}</p>',
        )
        for prose in doc.description:
            self.prose(prose)
        if doc.uses:
            self.add(f"<p>{self._inline(fill(p.template('uses_line'), modules=join([name(u) for u in doc.uses], p('list_sep'))))}</p>")
        self.add("</header>")
        keys = section_keys(doc)
        self.add(f'<nav class="toc" aria-label="{_e(p("contents"))}"><p class="toc-title">{_e(p("contents"))}</p><ol>')
        self.add(*(f'<li><a href="#{k}">{_e(p(k))}</a></li>' for k in keys))
        self.add("</ol></nav>")
        for key in keys:
            self.add(f'<section id="{key}">', f"<h2>{_e(p(key))}</h2>")
            getattr(self, f"_{key}")()
            self.add("</section>")
        self.add(f"<footer>{_e(p('generated', file=doc.source_file))}</footer>", "</main>", "</body>", "</html>")
        return "\n".join(self.out) + "\n"

    # sections ----------------------------------------------------------------------------------

    def _parties(self) -> None:
        self.prose(self.doc.parties_description)
        for party in self.doc.parties:
            self.add(f'<h3 id="{_e(_slug("party", party.name))}">{_e(self.p("party_may", party=party.name))}</h3>')
            if party.may:
                self.add('<ul class="may">', *(f"<li>{self._inline(m)}</li>" for m in party.may), "</ul>")
            else:
                self.add(f"<p>{_e(self.p('party_may_nothing'))}</p>")

    def _field_table(self, rows: tuple[FieldRow, ...], default_header: str = "col_default") -> None:
        # A description column only when some row has a description; "—" where one has none.
        p = self.p
        described = any(r.description for r in rows)
        self.add(_table(
            [_e(p("col_field")), _e(p("col_type")), _e(p(default_header))]
            + ([_e(p("col_description"))] if described else []),
            [[f"<code>{_e(r.name)}</code>", _e(r.type), self._inline(r.default) or _e(p("none"))]
             + ([self.prose_inline(r.description)] if described else []) for r in rows],
        ))

    def _records(self) -> None:
        for rec in self.doc.records:
            self.add(f'<h3 id="{_e(_slug("record", rec.name))}">{_e(rec.name)}</h3>')
            self.prose(rec.description)
            self._field_table(rec.fields)

    def _enums(self) -> None:
        p = self.p
        for enum in self.doc.enums:
            self.add(f'<h3 id="{_e(_slug("enum", enum.name))}">{_e(enum.name)}</h3>')
            self.prose(enum.description)
            if any(d for _, d in enum.values):
                self.add(_table([_e(p("col_value")), _e(p("col_description"))],
                                [[f"<code>{_e(v)}</code>", self.prose_inline(d)] for v, d in enum.values]))
            else:
                self.add(_table([_e(p("col_value"))], [[f"<code>{_e(v)}</code>"] for v, _ in enum.values]))

    def _state(self) -> None:
        self._field_table(self.doc.state, "col_initial")

    def _events(self) -> None:
        p = self.p
        for ev in self.doc.events:
            self.add(f'<h3 id="{_e(_slug("event", ev.name))}">{_e(ev.name)}</h3>')
            self.prose(ev.description)
            if ev.emitted_by:
                self.add(f"<p>{self._inline(fill(p.template('emitted_by'), names=join([name(n) for n in ev.emitted_by], p('list_sep'))))}</p>")
            else:
                self.add(f"<p>{_e(p('emitted_by_none'))}</p>")
            if ev.fields:
                self.add(_table([_e(p("col_field")), _e(p("col_type"))],
                                [[f"<code>{_e(f.name)}</code>", _e(f.type)] for f in ev.fields]))

    def _lifecycles(self) -> None:
        for i, lc in enumerate(self.doc.lifecycles):
            self._lifecycle(lc, i)

    def _lifecycle(self, lc: LifecycleView, index: int) -> None:
        p = self.p
        self.add(f'<h3 id="{_e(_slug("lifecycle", lc.subject))}">{_e(lc.subject)}</h3>')
        self.prose(lc.description)
        if lc.start:
            line = fill(p.template("lifecycle_starts"), record=name(lc.record), start=name(lc.start))
        else:
            line = fill(p.template("lifecycle_no_start"), record=name(lc.record))
        caption = p("lifecycle_diagram", subject=lc.subject)
        self.add(
            '<figure class="lifecycle">',
            lifecycle_svg(lc, f"lc{index}", caption, p("list_sep")),
            f"<figcaption>{_e(caption)}. {self._inline(line)}</figcaption>",
            "</figure>",
        )
        described = any(e.description for e in lc.edges)
        self.add(_table(
            [_e(p("col_from")), _e(p("col_to")), _e(p("col_who"))] + ([_e(p("col_description"))] if described else []),
            [[f"<code>{_e(e.source)}</code>", f"<code>{_e(e.target)}</code>",
              _e(p("list_sep")).join(f"<code>{_e(r)}</code>" for r in e.roles)]
             + ([self.prose_inline(e.description)] if described else []) for e in lc.edges],
        ))

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
        self.add(f'<article class="fn {f.kind}" id="{_e(_slug(f.kind, f.name))}">')
        if heading:
            self.add(f"<h3>{_e(f.name)}</h3>")
        self.prose(f.description)
        facts: list[tuple[str, str]] = []
        if f.who:
            facts.append((p("who_may_call"), self._inline(f.who)))
        if f.kind in (FunctionKind.ACTION, FunctionKind.INIT):
            facts.append((p("summary_changes"), _e(p("list_sep").join(f.changes) or p("changes_nothing"))))
            facts.append((p("summary_emits"), _e(p("list_sep")).join(f"<code>{_e(e)}</code>" for e in f.emits) or _e(p("emits_nothing"))))
            facts.append((p("summary_returns"), _e(f.returns or p("returns_nothing"))))
        elif f.returns:
            facts.append((p("summary_returns"), _e(f.returns)))
        if facts:
            self.add('<dl class="facts">', *(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in facts), "</dl>")
        if f.inputs:
            self.add(f"<h4>{_e(p('inputs'))}</h4>")
            self.add(_table([_e(p("col_name")), _e(p("col_type"))],
                            [[f"<code>{_e(i.name)}</code>", _e(i.type)] for i in f.inputs]))
        self.add(f"<h4>{_e(p('steps'))}</h4>")
        if f.steps:
            self._steps(f.steps)
        else:
            self.add(f"<p>{_e(p('no_steps'))}</p>")
        if f.glossary:
            self.add(f"<h4>{_e(p('where'))}</h4>", '<dl class="facts">')
            self.add(*(f"<dt>{_e(term)}</dt><dd>{self.prose_inline(desc)}</dd>" for term, desc in f.glossary))
            self.add("</dl>")
        self.add("</article>")

    def _steps(self, steps: tuple[Step, ...]) -> None:
        self.add('<ol class="steps">')
        for step in steps:
            self.add(f'<li class="step-{step.kind}">{self._inline(step.text)}')
            if step.children:
                self._steps(step.children)
            self.add("</li>")
        self.add("</ol>")

    def _examples(self) -> None:
        ex = self.doc.examples
        if ex is None:  # section_keys lists the section only when there are examples
            return
        p = self.p
        if not ex.found:
            self.add(f"<p>{_e(p('examples_none', file=ex.file))}</p>")
            return
        self.add(f"<p>{_e(p('examples_file', file=ex.file))}</p>")
        if not ex.ran:
            self.add(f"<p>{_e(p('outcomes_not_run_note'))}</p>")
        else:
            passed = sum(1 for r in ex.rows if r.outcome.status is Status.PASSED)
            self.add(f"<p>{_e(p('outcomes_summary', passed=str(passed), failed=str(len(ex.rows) - passed)))}</p>")
        rows = []
        for i, row in enumerate(ex.rows, 1):
            title = f"<strong>{_e(row.title)}</strong>"
            if row.description:
                title += f'<p class="desc">{self.prose_inline(row.description)}</p>'
            steps = '<ol class="steps">' + "".join(f"<li>{self._inline(s)}</li>" for s in row.steps) + "</ol>"
            css = row.outcome.status.value
            outcome = f'<span class="outcome {css}">{_e(row.outcome.text)}</span>'
            rows.append([str(i), title, steps, outcome])
        self.add(_table(["#", _e(p("col_scenario")), _e(p("col_steps")), _e(p("col_outcome"))], rows))


def render_html(doc: Document) -> str:
    return _Writer(doc).render()
