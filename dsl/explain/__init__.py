"""`baochain explain`: a contract rendered as a document for the people who hold it against the
policy wording (HTML with inline SVG state diagrams, or Markdown with Mermaid), in English or
Chinese. `explain_file` builds the document; `render` turns it into text; `command.explain` is
the click command."""

from dsl.explain.render import ExplainError, Explained, explain_file, render

__all__ = ["ExplainError", "Explained", "explain_file", "render"]
