"""`baochain lsp`: editor support for Bao over the Language Server Protocol (pygls).

`server.build_server()` makes the server and `server.serve()` runs it over stdio; `command.lsp`
is the click command. The server asks the one pipeline (`dsl.pipeline.Compilation`) and never
parses or resolves a name itself: `document` turns a text into a checked `Snapshot` (its
diagnostics, tree, analysis), `index` lists where every name of a checked file stands and what
it means, and `features` answers the editor's requests from them. docs/editor.md tells how to
use it; bench/lsp.py measures it.

Nothing is imported here: pygls and lsprotocol take about half a second to import, and every
`baochain` command mounts `command.lsp`, which imports the server only when it runs.
"""

