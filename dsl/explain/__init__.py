"""A contract rendered as a document for the business people who sign it off (HTML with inline
SVG state diagrams, or Markdown with Mermaid), in English or Chinese: the fixed phrases from
`phrases`, the contract's descriptions in the reader's language (`description` reads their
bilingual spelling), formulas worded from the analysis' references (`formula`).

`explain_file(path, lang, with_tests)` checks the contract and builds its document from the
analysis (raising `ExplainError` with the diagnostics of a file that does not check); `render`
turns the document into text in one of `FORMATS`; `LANGUAGES` are the languages of its fixed
phrases. The `baochain explain` command is `dsl.cli.explain`.
"""

from dsl.explain.phrases import LANGUAGES
from dsl.explain.render import FORMATS, ExplainError, Explained, explain_file, render

__all__ = ["FORMATS", "LANGUAGES", "ExplainError", "Explained", "explain_file", "render"]
