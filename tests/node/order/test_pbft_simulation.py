"""The deterministic simulation (simulation.py) as tests: 4 replicas (f = 1) and 7 (f = 2) under
a lossy, reordering, duplicating network, with crashed, equivocating, censoring, garbage-sending,
new-view-tampering and twin replicas; safety checked at every delivery, liveness once the network
stabilises.

The suite runs a few full seeds per scenario (about 20 s), and many short ones: each short run
submits 12 requests over 1.5 s of faults, then gives the network 12 s to deliver them; cheap
(about 40 ms), so 100 seeds per four-replica scenario and 20 per seven-replica one, some 1,200
schedules, fit in about a minute. Short runs found a liveness bug that the long ones had not (a
primary cut off while it proposed, then alone in a view change, was the only one to know of the
request). More:
- ``pytest --long`` runs `LONG_SEEDS` more per scenario (tests marked slow);
- ``PBFT_SIM_SEEDS=200 pytest tests/node/order/test_pbft_simulation.py`` runs 200 seeds each;
- ``PBFT_SIM_SEED=1234 pytest ...`` runs seed 1234 alone (a failure names its seed, and a seed
  replays exactly), as does ``python -m tests.node.order.simulation --scenario NAME --n N --first SEED --seeds 1``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.node.order.simulation import SCENARIOS, SCENARIOS_7, Outcome, run, scenario

CI_SEEDS = {4: 6, 7: 2}
LONG_SEEDS = {4: 200, 7: 40}  # about 12 minutes on one core
# What each fault leaves in the honest replicas' counters, so a scenario cannot pass by not
# happening: the censored client's requests are all delivered (liveness), which needs a new primary.
EVIDENCE = {
    "crash-primary": "views",
    "censor": "views",
    "equivocate": "dropped.conflicting-pre-prepare",
    "garbage": "dropped.malformed",
    "bad-new-view": "dropped.bad-new-view",
    "twins": "dropped.conflicting-pre-prepare",
}


def _seeds(n: int) -> list[int]:
    if os.environ.get("PBFT_SIM_SEED"):
        return [int(os.environ["PBFT_SIM_SEED"])]
    return list(range(int(os.environ.get("PBFT_SIM_SEEDS", CI_SEEDS[n]))))


def _check(name: str, n: int, seed: int) -> Outcome:
    outcome = run(scenario(name, n), seed)  # raises InvariantViolation, naming the seed, on any violation
    assert outcome.delivered > 0
    for fault, key in EVIDENCE.items():
        if name.split("+")[0] == fault:
            seen = outcome.views if key == "views" else outcome.stats[key]
            assert seen > 0, f"{name} seed {seed}: no {key}"
    return outcome


@pytest.mark.parametrize("seed", _seeds(4))
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_four_replicas(name: str, seed: int) -> None:
    _check(name, 4, seed)


@pytest.mark.parametrize("seed", _seeds(7))
@pytest.mark.parametrize("name", list(SCENARIOS) + list(SCENARIOS_7))
def test_seven_replicas(name: str, seed: int) -> None:
    _check(name, 7, seed)


SHORT_SEEDS = {4: 100, 7: 20}


def _short(name: str, n: int):
    return scenario(name, n, requests=12, submit_until_ms=1_500, stable_at_ms=1_500, liveness_ms=12_000)


@pytest.mark.parametrize(("name", "n"), [(name, 4) for name in SCENARIOS]
                         + [(name, 7) for name in list(SCENARIOS) + list(SCENARIOS_7)
                            if name in SCENARIOS_7 or name in ("crash-primary", "twins", "split")])
def test_many_short_schedules(name: str, n: int) -> None:
    first = 10_000  # apart from the full runs' seeds
    for seed in range(first, first + int(os.environ.get("PBFT_SIM_SHORT_SEEDS", SHORT_SEEDS[n]))):
        outcome = run(_short(name, n), seed)  # raises InvariantViolation, naming the seed
        assert outcome.delivered > 0, (name, n, seed)


def test_a_seed_replays_exactly() -> None:
    first, again = run(scenario("twins", 4), 11), run(scenario("twins", 4), 11)
    assert first == again
    assert run(scenario("twins", 4), 12).trace != first.trace


@pytest.mark.slow
@pytest.mark.parametrize("n", [4, 7])
@pytest.mark.parametrize("name", list(SCENARIOS) + list(SCENARIOS_7))
def test_long_runs(name: str, n: int) -> None:
    if n == 4 and name in SCENARIOS_7:
        pytest.skip("two faults at once need f = 2")
    for seed in range(CI_SEEDS[n], CI_SEEDS[n] + LONG_SEEDS[n]):
        _check(name, n, seed)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile (ci 60, --long 3000)
@given(name=st.sampled_from(list(SCENARIOS)), seed=st.integers(0, 2**31 - 1), requests=st.integers(1, 16),
       drop=st.floats(0.0, 0.4), duplicate=st.floats(0.0, 0.3), delay=st.integers(1, 200))
def test_schedules_hypothesis_draws_keep_safety_and_liveness(name: str, seed: int, requests: int, drop: float,
                                                             duplicate: float, delay: int) -> None:
    """Hypothesis draws the network (loss, duplication, delay) and the load, not only the seed, so
    a failure shrinks towards the simplest network that breaks an invariant."""
    sc = scenario(name, 4, requests=requests, submit_until_ms=1_500, stable_at_ms=1_500, liveness_ms=12_000,
                  drop=(drop, drop), duplicate=(duplicate, duplicate), max_delay_ms=(delay, delay))
    assert run(sc, seed).delivered > 0
