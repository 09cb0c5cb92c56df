"""The VM layer's exceptions.

`Abort` is the only one a contract's caller normally sees: it ends a call, and its message is
what the caller (and the ledger, if asked) keeps. `HostFault` is the host's failure, never the
call's. The others report a defect in what was handed
to the VM: a module (`VerifyError`), a JSON argument (`ValueFormError`), a literal's text
(`LiteralError`), stored bytes (`EncodingError`) or a state file (`StateFileError`).
"""

from __future__ import annotations

# Every kind an Abort may carry; tools group and count aborts by kind, so the set is closed.
ABORT_KINDS = frozenset({
    "require", "fail", "not-authorized", "illegal-transition", "key-not-found",
    "index-out-of-range", "currency-mismatch", "division-by-zero", "overflow", "out-of-gas",
    "limit", "empty-sum", "invalid-value", "internal",
})


class VMError(Exception):
    """Base of every error the VM layer raises."""


class Abort(VMError):
    """A call aborted: nothing it did is kept. ``kind`` is one of `ABORT_KINDS`; ``message`` is
    the text the caller sees (for the built-in kinds it contains LANGUAGE.md section 6's words).
    The machine fills in ``entry`` (the action or view that aborted) and ``gas_used``; kind
    "internal" marks a defect of the VM itself, never of the contract."""

    entry: str | None
    gas_used: int

    def __init__(self, message: str, kind: str = "fail") -> None:
        if kind not in ABORT_KINDS:
            raise ValueError(f"unknown abort kind {kind!r}")
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.entry = None
        self.gas_used = 0

    def __repr__(self) -> str:
        return f"Abort({self.message!r}, kind={self.kind!r})"


def out_of_gas() -> Abort:
    return Abort("out of gas", "out-of-gas")


def limit_exceeded(what: str) -> Abort:
    return Abort(f"limit exceeded: {what}", "limit")


def nested_too_deep(limit: int) -> Abort:
    return limit_exceeded(f"values nest at most {limit} deep (Lists, Maps and records inside each other)")


def call_too_deep(limit: int) -> Abort:
    return limit_exceeded(f"call depth exceeded ({limit} nested calls)")


class HostFault(VMError):
    """The host could not finish a call (it ran out of memory or of Python stack). Unlike an
    Abort this says nothing about the call: another node, or this one later, may complete it. So
    it is never an outcome: a node that meets it does not endorse, record or charge the call.
    Gas and the value limits are set so that a sound host never meets it."""


class VerifyError(VMError):
    """The verifier rejected a module: it must not run."""


class ValueFormError(VMError):
    """A JSON value does not fit its declared type; the message names where
    (`argument policy.start: expected a Date like "2024-03-01", got "2024-3-1"`)."""


class LiteralError(VMError):
    """A literal's text is invalid. The message carries no position: the checker adds the span."""


class EncodingError(VMError):
    """Bytes that are not the canonical encoding of a value of the expected type."""


class NestingError(EncodingError):
    """Bytes of a value nested deeper than the language allows (`vm.gas.Limits.nesting`): a call
    that reads such state aborts "limit", as one that builds such a value does."""


class StateFileError(VMError):
    """A persisted state file that cannot be read back (the message names the file)."""
