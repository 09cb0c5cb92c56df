"""The verifier: nothing runs until it has accepted the module.

``verify(module_or_bytes)`` returns a ``VerifiedModule`` (the module, its canonical bytes and id,
and per function the basic blocks it proved, a ``VerifiedFunction``) or raises ``VerifyError``.
`vm.verify.verifier` checks the declarations and the module as a whole, with its size limits
(``MAX_FUNCTIONS``, ``MAX_CODE_BYTES``, ``MAX_LOCALS`` …); `vm.verify.function` checks each
function's code by abstract interpretation of its operand stack's types (``MAX_STACK``).
"""

from vm.verify.function import MAX_STACK, Block, VerifiedFunction
from vm.verify.verifier import MAX_CODE_BYTES, MAX_FUNCTIONS, MAX_LOCALS, VerifiedModule, verify

__all__ = ["MAX_CODE_BYTES", "MAX_FUNCTIONS", "MAX_LOCALS", "MAX_STACK", "Block", "VerifiedFunction",
           "VerifiedModule", "verify"]
