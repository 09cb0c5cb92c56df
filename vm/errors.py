"""The VM layer's exceptions.

`Abort` is the only one a contract's caller normally sees: it ends a call, and its message is
what the caller (and the ledger, if asked) keeps. `HostFault` is the host's failure, never the
call's. The others report a defect in what was handed
to the VM: a module (`VerifyError`), a JSON argument (`ValueFormError`), a literal's text
(`LiteralError`), stored bytes (`EncodingError`) or a state file (`StateFileError`).
"""

from __future__ import annotations

import enum


class AbortKind(enum.Enum):
    """Why a call aborted. Tools group and count aborts by kind, so the set is closed; the value
    is the kind's name in results, on the wire and in the ledger (`Abort.kind`)."""

    REQUIRE = "require"
    FAIL = "fail"
    NOT_AUTHORIZED = "not-authorized"
    ILLEGAL_TRANSITION = "illegal-transition"
    KEY_NOT_FOUND = "key-not-found"
    INDEX_OUT_OF_RANGE = "index-out-of-range"
    CURRENCY_MISMATCH = "currency-mismatch"
    DIVISION_BY_ZERO = "division-by-zero"
    OVERFLOW = "overflow"
    OUT_OF_GAS = "out-of-gas"
    LIMIT = "limit"
    EMPTY_SUM = "empty-sum"
    INVALID_VALUE = "invalid-value"
    INTERNAL = "internal"


# The kinds' names, for readers of results that check a kind they were sent.
ABORT_KINDS = frozenset(k.value for k in AbortKind)


class VMError(Exception):
    """Base of every error the VM layer raises."""


class Abort(VMError):
    """A call aborted: nothing it did is kept. ``kind`` is the name of its `AbortKind` (given as
    the enum; the name is accepted too, from code outside the VM); ``message`` is the text the caller sees (for the built-in kinds it contains LANGUAGE.md section 6's words).
    The machine fills in ``entry`` (the action or view that aborted) and ``gas_used``; kind
    "internal" marks a defect of the VM itself, never of the contract."""

    entry: str | None
    gas_used: int

    kind: str

    def __init__(self, message: str, kind: AbortKind | str = AbortKind.FAIL) -> None:
        if isinstance(kind, str):
            if kind not in ABORT_KINDS:
                raise ValueError(f"unknown abort kind {kind!r}")
        else:
            kind = kind.value
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.entry = None
        self.gas_used = 0

    def __repr__(self) -> str:
        return f"Abort({self.message!r}, kind={self.kind!r})"


def out_of_gas() -> Abort:
    return Abort("out of gas", AbortKind.OUT_OF_GAS)


def limit_exceeded(what: str) -> Abort:
    return Abort(f"limit exceeded: {what}", AbortKind.LIMIT)


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
