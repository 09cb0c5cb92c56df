"""The transaction layer's exceptions.

Every error that stands for a validation outcome carries its `ValidationCode` (`code`), so the
validation path records ``err.code`` without a table of its own. Decoding bytes from the network
raises only `TxFormatError`; checking a signature raises only `SignatureError` (or
`TxFormatError` for a certificate that cannot be read); `check_timestamp` raises only
`TimestampError`. Each names the field it is about, as a path from the message's top
(``proposal.args[1].holder``, ``endorsements[2].signature``), so a refusal can be acted on.
"""

from __future__ import annotations

from typing import ClassVar

from node.tx.codes import ValidationCode


class TxError(Exception):
    """Base of the transaction layer's errors; ``code`` is the validation outcome it stands for
    (None for errors that only a client meets, before anything is submitted)."""

    code: ClassVar[ValidationCode | None] = None


class TxFormatError(TxError, ValueError):
    """Bytes (or a value to encode) that are not a well-formed message: ``field`` names where."""

    code = ValidationCode.BAD_PAYLOAD

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class SignatureError(TxError):
    """A signature that does not verify with its certificate's key, or that signs another
    proposal than the one it travels with; ``field`` names which."""

    code = ValidationCode.BAD_SIGNATURE

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TimestampError(TxError):
    """A proposal timestamp outside the clock-skew window of the clock it was checked against."""

    code = ValidationCode.EXPIRED

    def __init__(self, message: str, timestamp_ms: int, now_ms: int, skew_ms: int) -> None:
        super().__init__(message)
        self.timestamp_ms = timestamp_ms
        self.now_ms = now_ms
        self.skew_ms = skew_ms


class EndorsementMismatch(TxError):
    """Endorsements that cannot go into one envelope: they endorse different results (the
    endorsers saw different state) or different proposals. Only a client meets this."""
