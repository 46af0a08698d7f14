"""Retry policy for the email outbox."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.followup.delivery import (
    MAX_ATTEMPTS,
    is_permanent_failure,
    next_attempt_at,
    retry_delay,
)

NOW = datetime(2026, 3, 8, 12, tzinfo=UTC)
CAP = timedelta(hours=6)


class PickEnd:
    """Stand-in RNG that always draws the lower or upper end of the jitter range."""

    def __init__(self, upper: bool) -> None:
        self.upper = upper

    def uniform(self, a: float, b: float) -> float:
        return b if self.upper else a


def ceiling(attempts: int) -> timedelta:
    return min(CAP, timedelta(minutes=2 ** (attempts - 1)))


def test_delays_double_from_one_minute_then_cap_at_six_hours():
    longest = [retry_delay(n, PickEnd(upper=True)) for n in range(1, 13)]
    assert longest == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360)
    ]


def test_shortest_delay_is_half_the_backoff():
    shortest = [retry_delay(n, PickEnd(upper=False)) for n in (1, 2, 3, 10)]
    assert shortest == [timedelta(seconds=s) for s in (30, 60, 120, 3 * 3600)]


def test_custom_base_and_cap():
    rng = PickEnd(upper=True)
    assert retry_delay(1, rng, base_seconds=5, cap_seconds=100) == timedelta(seconds=5)
    assert retry_delay(5, rng, base_seconds=5, cap_seconds=100) == timedelta(seconds=80)
    assert retry_delay(6, rng, base_seconds=5, cap_seconds=100) == timedelta(seconds=100)


@pytest.mark.parametrize("attempts", range(1, 15))
def test_jitter_stays_within_half_to_full_backoff(attempts):
    rng = random.Random(20260308 + attempts)
    delays = [retry_delay(attempts, rng) for _ in range(200)]
    assert all(ceiling(attempts) / 2 <= d <= ceiling(attempts) for d in delays)
    assert len(set(delays)) > 1  # jitter actually varies


def test_two_dispatchers_do_not_retry_in_lockstep():
    first, second = random.Random(1), random.Random(2)
    assert [retry_delay(3, first) for _ in range(5)] != [retry_delay(3, second) for _ in range(5)]


def test_same_seed_gives_same_delays():
    assert retry_delay(4, random.Random(7)) == retry_delay(4, random.Random(7))


def test_delay_without_rng_still_within_bounds():
    assert ceiling(3) / 2 <= retry_delay(3) <= ceiling(3)


@settings(database=None, deadline=None)
@given(attempts=st.integers(min_value=1, max_value=10**6), seed=st.integers())
def test_any_attempt_count_gives_bounded_delay(attempts, seed):
    delay = retry_delay(attempts, random.Random(seed))
    assert ceiling(min(attempts, 20)) / 2 <= delay <= ceiling(min(attempts, 20))


@pytest.mark.parametrize("attempts", [0, -1, True])
def test_delay_needs_at_least_one_failed_attempt(attempts):
    with pytest.raises(ValueError, match="attempts"):
        retry_delay(attempts)


@pytest.mark.parametrize("attempts", range(1, MAX_ATTEMPTS))
def test_next_attempt_is_now_plus_jittered_delay(attempts):
    at = next_attempt_at(attempts, NOW, random.Random(attempts))
    assert at is not None
    assert NOW + ceiling(attempts) / 2 <= at <= NOW + ceiling(attempts)
    assert at.tzinfo is UTC


@pytest.mark.parametrize("attempts", [MAX_ATTEMPTS, MAX_ATTEMPTS + 1, 100])
def test_gives_up_after_max_attempts(attempts):
    assert next_attempt_at(attempts, NOW, random.Random(1)) is None


def test_max_attempts_is_eight():
    assert MAX_ATTEMPTS == 8
    assert next_attempt_at(7, NOW, random.Random(1)) is not None


def test_next_attempt_rejects_naive_now():
    with pytest.raises(ValueError, match="aware"):
        next_attempt_at(1, datetime(2026, 3, 8, 12))


@pytest.mark.parametrize("code", [500, 550, 551, 552, 553, 554, 599])
def test_5xx_is_permanent(code):
    assert is_permanent_failure(code) is True


@pytest.mark.parametrize("code", [None, 400, 421, 450, 451, 452, 499])
def test_4xx_and_connection_errors_are_temporary(code):
    assert is_permanent_failure(code) is False
