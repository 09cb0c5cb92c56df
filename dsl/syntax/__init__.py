"""Bao text → syntax tree: the first phase.

`parse_source(text, path)` returns a `ast.SourceFile` (a contract or module) or a `ast.TestFile`,
or raises `dsl.diagnostics.CompileError` listing every lexical and syntax problem of the file. `ast`
holds the tree's frozen node classes. Inside: the lexer (`lexer`, indentation and literal forms),
the grammar (`grammar.lark`) and Lark's LALR table run by a lean driver (`lalr`), the callbacks that
build nodes (`transform`, `callbacks`, `steps`), syntax errors in words (`messages`) and recovery
after one (`recovery`).
"""

from dsl.syntax import ast
from dsl.syntax.parser import parse_source

__all__ = ["ast", "parse_source"]
