"""The timestamp window and the validation codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.tx import SignatureError, TimestampError, TxFormatError, ValidationCode, check_timestamp
from node.tx.errors import EndorsementMismatch

NOW = 1_780_000_000_000


@given(st.integers(-10**6, 10**6), st.integers(0, 10**6))
def test_window_is_closed_and_symmetric(offset: int, skew: int) -> None:
    if abs(offset) <= skew:
        check_timestamp(NOW + offset, NOW, skew)
    else:
        with pytest.raises(TimestampError) as info:
            check_timestamp(NOW + offset, NOW, skew)
        assert (info.value.timestamp_ms, info.value.now_ms, info.value.skew_ms) == (NOW + offset, NOW, skew)
        assert info.value.code is ValidationCode.EXPIRED


def test_messages() -> None:
    with pytest.raises(TimestampError) as info:
        check_timestamp(NOW - 75_500, NOW, 30_000)
    assert str(info.value) == ("the proposal's timestamp 2026-05-28T20:25:24.500Z is 75.5 s behind the node's clock "
                               "(2026-05-28T20:26:40.000Z); the channel accepts at most 30 s")
    with pytest.raises(TimestampError, match="is 2.0 h ahead of the node's clock"):
        check_timestamp(NOW + 7_200_000, NOW, 500)
    with pytest.raises(TimestampError) as info:
        check_timestamp(0, 10**30, 0)  # past datetime's range: shown in ms
    assert f"behind the node's clock ({10**30} ms)" in str(info.value)


def test_arguments_are_checked() -> None:
    with pytest.raises(TypeError):
        check_timestamp(1.5, NOW, 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        check_timestamp(True, NOW, 10)
    with pytest.raises(ValueError):
        check_timestamp(NOW, NOW, -1)


def test_codes() -> None:
    numbers = [c.value for c in ValidationCode]
    assert numbers == list(range(len(numbers)))  # stored numbers: dense, in order, never reused
    assert ValidationCode.of(0) is ValidationCode.VALID
    for name in ("VALID", "MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT", "ENDORSEMENT_POLICY_FAILURE", "BAD_SIGNATURE",
                 "DUPLICATE_TXID", "CONTRACT_ABORT", "EXPIRED", "BAD_PAYLOAD", "UNKNOWN_CONTRACT"):
        assert ValidationCode[name].name == name
    for code in ValidationCode:
        assert code.explanation and "\n" not in code.explanation and len(code.explanation) < 200
        assert isinstance(code.retryable, bool)
    assert {c for c in ValidationCode if c.retryable} == {
        ValidationCode.MVCC_READ_CONFLICT, ValidationCode.PHANTOM_READ_CONFLICT, ValidationCode.EXPIRED}
    with pytest.raises(ValueError, match="no validation code is numbered 99"):
        ValidationCode.of(99)


def test_errors_carry_their_codes() -> None:
    assert TxFormatError("proposal.nonce", "x").code is ValidationCode.BAD_PAYLOAD
    assert SignatureError("signature", "x").code is ValidationCode.BAD_SIGNATURE
    assert EndorsementMismatch("x").code is None
    assert str(TxFormatError("proposal.nonce", "5 bytes")) == "proposal.nonce: 5 bytes"
