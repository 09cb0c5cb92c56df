"""The explained document as data: what `markdown` and `html` lay out.

The builder (`dsl.explain.build`) fills this in one language; the renderers only arrange it.
Running text is a sequence of `Run`s so each format can mark formulas, names and quoted messages its
own way without re-parsing text.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from dsl.semantics.analysis import FunctionKind

class RunKind(enum.StrEnum):
    """What a run of text is, so that each format can mark it its own way."""

    TEXT = "text"  # a fixed phrase
    FORMULA = "formula"  # an expression in the contract's words
    NAME = "name"  # an identifier as written
    QUOTE = "quote"  # a message or text value as written


@dataclass(frozen=True, slots=True)
class Run:
    kind: RunKind
    text: str


Inline = tuple[Run, ...]


def text(s: str) -> Inline:
    return (Run(RunKind.TEXT, s),) if s else ()


def formula(s: str) -> Inline:
    return (Run(RunKind.FORMULA, s),)


def name(s: str) -> Inline:
    return (Run(RunKind.NAME, s),)


def quote(s: str) -> Inline:
    return (Run(RunKind.QUOTE, s),)


def plain(runs: Inline) -> str:
    """The runs as one string, quoted messages in typographic quotes (for alt text, titles)."""
    return "".join(f"“{r.text}”" if r.kind is RunKind.QUOTE else r.text for r in runs)


_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, **slots: Inline | str) -> Inline:
    """A phrase template with each `{slot}` replaced by runs (a bare str becomes a text run)."""
    runs: list[Run] = []
    pos = 0
    for m in _SLOT.finditer(template):
        if m.start() > pos:
            runs.append(Run(RunKind.TEXT, template[pos:m.start()]))
        value = slots[m.group(1)]
        runs.extend(text(value) if isinstance(value, str) else value)
        pos = m.end()
    if pos < len(template):
        runs.append(Run(RunKind.TEXT, template[pos:]))
    return tuple(runs)


def join(parts: list[Inline] | tuple[Inline, ...], sep: str = ", ") -> Inline:
    runs: list[Run] = []
    for i, part in enumerate(parts):
        if i:
            runs.append(Run(RunKind.TEXT, sep))
        runs.extend(part)
    return tuple(runs)


# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Prose:
    """A description as one reader sees it (`dsl.explain.description`): its paragraphs, in the
    document's language or, when the contract has none in it, in ``fallback``, the language
    the renderers then name beside the text."""

    paragraphs: tuple[str, ...] = ()
    fallback: str | None = None

    def __bool__(self) -> bool:
        return bool(self.paragraphs)

    @property
    def text(self) -> str:
        """The paragraphs as one line (for a table cell or a glossary entry)."""
        return " ".join(p.replace("\n", " ") for p in self.paragraphs)


class StepKind(enum.StrEnum):
    """What a step does; the value is also the CSS class (`step-require`) the HTML marks it with."""

    REQUIRE = "require"
    COMPUTE = "compute"
    SET = "set"
    INCREASE = "increase"
    DECREASE = "decrease"
    EMIT = "emit"
    RETURN = "return"
    FAIL = "fail"
    DELETE = "delete"
    APPEND = "append"
    CALL = "call"
    PASS = "pass"
    IF = "if"
    ELIF = "elif"
    ELSE = "else"
    FOR = "for"


@dataclass(frozen=True, slots=True)
class Step:
    """One plain step of an action or view; ``children`` are the steps of an `if` branch or loop."""

    kind: StepKind
    text: Inline
    children: tuple["Step", ...] = ()


@dataclass(frozen=True, slots=True)
class FieldRow:
    """A record field, a state variable, an event field or an input."""

    name: str
    type: str  # in plain words
    default: Inline = ()
    description: Prose = Prose()


@dataclass(frozen=True, slots=True)
class RecordView:
    name: str
    description: Prose
    fields: tuple[FieldRow, ...]


@dataclass(frozen=True, slots=True)
class EnumView:
    name: str
    description: Prose
    values: tuple[tuple[str, Prose], ...]  # (value, its description)


@dataclass(frozen=True, slots=True)
class EventView:
    name: str
    description: Prose
    fields: tuple[FieldRow, ...]
    emitted_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    roles: tuple[str, ...]
    description: Prose = Prose()  # of the transition line (the first that has one, when merged)


@dataclass(frozen=True, slots=True)
class LifecycleView:
    record: str
    field: str
    subject: str  # "Policy.status"
    description: Prose
    states: tuple[str, ...]  # the enum's values in declaration order
    start: str | None
    edges: tuple[Edge, ...]  # one per (source, target), in the order written

    @property
    def final_states(self) -> tuple[str, ...]:
        """States with no way out (drawn with a double border)."""
        leaving = {e.source for e in self.edges if e.source != e.target}
        entered = {e.target for e in self.edges}
        return tuple(s for s in self.states if s in entered and s not in leaving)


@dataclass(frozen=True, slots=True)
class FunctionView:
    kind: FunctionKind
    name: str
    description: Prose
    who: Inline  # empty for fns
    inputs: tuple[FieldRow, ...]
    steps: tuple[Step, ...]
    changes: tuple[str, ...]  # state variables written, as words
    emits: tuple[str, ...]
    returns: str  # the return type in plain words, "" when nothing is returned
    glossary: tuple[tuple[str, Prose], ...]  # (term, its description comment)


@dataclass(frozen=True, slots=True)
class PartyView:
    name: str
    may: tuple[Inline, ...]  # what the party may call and which lifecycle moves it may make


class Status(enum.Enum):
    """How an example's scenario ended; the value is the CSS class the HTML marks its row with."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not-run"  # the test file could not be run: every example is shown, unmarked


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    text: str


@dataclass(frozen=True, slots=True)
class ExampleView:
    title: str
    description: Prose
    steps: tuple[Inline, ...]
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Examples:
    file: str
    found: bool
    ran: bool
    rows: tuple[ExampleView, ...]


@dataclass(frozen=True, slots=True)
class Document:
    lang: str
    kind: str  # "contract" | "module"
    title: str
    description: tuple[Prose, ...]  # the docstring, then the comment above the contract
    source_file: str
    uses: tuple[str, ...]
    parties: tuple[PartyView, ...]
    records: tuple[RecordView, ...]
    enums: tuple[EnumView, ...]
    state: tuple[FieldRow, ...]
    events: tuple[EventView, ...]
    lifecycles: tuple[LifecycleView, ...]
    init: FunctionView | None
    actions: tuple[FunctionView, ...]
    views: tuple[FunctionView, ...]
    functions: tuple[FunctionView, ...]
    examples: Examples | None = None
    parties_description: Prose = Prose()


def section_keys(doc: Document) -> tuple[str, ...]:
    """The top-level sections a document has, in order; each key is also the phrase of its
    heading. Both renderers follow this one outline, so HTML and Markdown never drift apart."""
    present = {
        "parties": bool(doc.parties),
        "records": bool(doc.records),
        "enums": bool(doc.enums),
        "state": bool(doc.state),
        "events": bool(doc.events),
        "lifecycles": bool(doc.lifecycles),
        "init": doc.init is not None,
        "actions": bool(doc.actions),
        "views": bool(doc.views),
        "functions": bool(doc.functions),
        "examples": doc.examples is not None,
    }
    return tuple(k for k, shown in present.items() if shown)
