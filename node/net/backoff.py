"""Redial delays: exponential back-off with equal jitter.

The step starts at `initial` and doubles after every failed attempt up to `cap`; each wait is
drawn uniformly from [step/2, step]. Jitter keeps nodes that all restarted together from dialling
in lock-step; keeping half the step (rather than "full jitter", [0, step]) means a down peer is
never hammered with near-zero waits. `reset` returns to `initial` once a link has proved itself.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial: float, cap: float, rng: random.Random) -> None:
        self._initial = initial
        self._cap = cap
        self._rng = rng
        self._step = initial

    def next_delay(self) -> float:
        """The wait before the next attempt; the step after it doubles (up to the cap)."""
        step = self._step
        self._step = min(step * 2, self._cap)
        return self._rng.uniform(step / 2, step)

    def reset(self) -> None:
        self._step = self._initial
