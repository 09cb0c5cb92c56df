"""Validation codes: the one outcome a peer records for every transaction of a block.

Each code is one row: its number, whether a fresh simulation may succeed where this attempt
failed, and a one-line explanation in words (the web console and the CLI show it as is).

Choices:
- The number is what a block's code list stores (the codec takes plain ints, not enum members:
  write `code.value`, read with `ValidationCode.of(n)`). Numbers are never reused or renumbered,
  since committed blocks keep them forever; a new code takes the next free number.
- `retryable` marks the outcomes caused by other transactions committing first (conflicts) or
  by time passing; a client retries those a bounded number of times with a fresh proposal and
  simulation. Every other code fails the same way again.
- Explanations say what happened and, where it helps, what to do; they never name Python
  objects, since analysts read them.
"""

from __future__ import annotations

import enum


class ValidationCode(enum.Enum):
    """A transaction's validation outcome: ``value`` (the stored number), ``retryable``, ``explanation``."""

    VALID = (0, False, "valid: the transaction's changes were applied to the channel's state")
    MVCC_READ_CONFLICT = (
        1, True, "a value the transaction read was changed by a transaction committed first; run it again")
    PHANTOM_READ_CONFLICT = (
        2, True, "entries were added to or removed from a collection the transaction went through after it ran; "
                 "run it again")
    ENDORSEMENT_POLICY_FAILURE = (
        3, False, "the endorsements do not come from the organisations the contract's endorsement policy requires")
    BAD_SIGNATURE = (
        4, False, "a signature (the submitter's or an endorser's) does not verify, or an endorsement is for another "
                  "proposal")
    DUPLICATE_TXID = (5, False, "a transaction with this id was already recorded on the channel (a replay)")
    CONTRACT_ABORT = (6, False, "the contract refused the call with the message recorded beside it; nothing changed")
    EXPIRED = (
        7, True, "the proposal's timestamp lies outside the channel's clock-skew window (too old, or in the future)")
    BAD_PAYLOAD = (8, False, "the transaction's bytes are malformed, too large, or not in their one canonical form")
    UNKNOWN_CONTRACT = (9, False, "no contract of that name is deployed on the channel")
    UNKNOWN_ENTRY = (10, False, "the contract has no action of that name")
    CREATOR_REFUSED = (
        11, False, "the submitter's certificate is not a current identity of a channel member (unknown issuer, "
                   "expired or revoked), or does not hold the role the proposal acts in")
    WRONG_CHANNEL = (12, False, "the transaction names another channel than the one it was ordered on")
    DELTA_FAILED = (
        13, False, "an amount the transaction adds could not be added at commit (overflow, a currency mismatch, "
                   "or the entry no longer exists)")
    BAD_MODULE = (14, False, "the deployed code does not compile, or the module fails the verifier")
    CONTRACT_EXISTS = (15, False, "a contract of that name and version is already deployed on the channel")
    UPGRADE_NOT_APPROVED = (
        16, False, "an upgrade to a new version needs the approval of a majority of the channel's admins")
    CONFIG_REFUSED = (
        17, False, "a configuration change lacks the signatures of a majority of the member organisations' admins")

    def __new__(cls, number: int, retryable: bool, explanation: str) -> ValidationCode:
        member = object.__new__(cls)
        member._value_ = number
        member.retryable = retryable
        member.explanation = explanation
        return member

    retryable: bool
    explanation: str

    @classmethod
    def of(cls, number: int) -> ValidationCode:
        """The code stored as ``number``; ValueError for a number no code has."""
        try:
            return cls(number)  # type: ignore[call-arg]  # the lookup by value, not __new__'s signature
        except ValueError:
            raise ValueError(f"no validation code is numbered {number!r}") from None
