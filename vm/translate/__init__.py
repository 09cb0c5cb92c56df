"""Ahead-of-time translation of verified functions to Python.

``translate(verified, max_collection, nesting)`` turns each function of a verified module into one
Python function, compiled once per module, and returns a ``Translation``; a defect of the
translator (never of a verified module) is a ``TranslateError``. The work is split by phase:

- `vm.translate.analysis`    basic blocks, stack heights, gas per block, loop bounds
- `vm.translate.flow`        structured control flow (``while``/``if``) from the block graph
- `vm.translate.stack`       one block's operand stack as Python names
- `vm.translate.emit`        the Python each opcode becomes
- `vm.translate.writer`      one function's source, block by block
- `vm.translate.translation` the module's functions compiled together
"""

from vm.translate.analysis import TranslateError
from vm.translate.translation import Translation, translate

__all__ = ["TranslateError", "Translation", "translate"]
