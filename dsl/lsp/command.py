"""The click command `baochain lsp`."""

import click


@click.command(short_help="Run the Bao language server (for editors) over stdio.")
def lsp() -> None:
    """Run the Bao language server over stdin and stdout, for an editor to start (VS Code:
    editors/vscode; any other editor: run `baochain lsp` for files ending in .bao). Diagnostics
    as you type, hover, go to definition, completion, rename, formatting and the outline."""
    from dsl.lsp.server import serve  # here, not at the top: pygls costs every other command ~0.5 s to import

    serve()
