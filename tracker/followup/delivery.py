"""Retry policy for the email outbox.

Pure functions: the dispatcher passes in the attempt count, `now` and, in tests,
a seeded `random.Random`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

MAX_ATTEMPTS = 8
DEFAULT_BASE_SECONDS = 60
DEFAULT_CAP_SECONDS = 6 * 3600

# SystemRandom draws from the OS, so forked workers never share a jitter sequence
# (a module-level random.Random would be copied, state and all, into every fork).
_SYSTEM_RANDOM = random.SystemRandom()


def retry_delay(
    attempts: int,
    rng: random.Random | None = None,
    base_seconds: float = DEFAULT_BASE_SECONDS,
    cap_seconds: float = DEFAULT_CAP_SECONDS,
) -> timedelta:
    """Return how long to wait after the given number of failed attempts."""
    if not _is_int(attempts) or attempts < 1:
        raise ValueError(f"attempts must be a positive integer, got {attempts!r}")
    if base_seconds <= 0 or cap_seconds < base_seconds:
        raise ValueError("need 0 < base_seconds <= cap_seconds")
    # Clamp the exponent: a runaway attempt count must not overflow the float.
    exponent = min(attempts - 1, 64)
    ceiling = min(float(cap_seconds), base_seconds * 2.0**exponent)
    # Jitter in [ceiling/2, ceiling] so dispatchers that failed together spread out,
    # while every retry still waits at least half the backoff.
    seconds = (rng if rng is not None else _SYSTEM_RANDOM).uniform(ceiling / 2, ceiling)
    return timedelta(seconds=seconds)


def next_attempt_at(
    attempts: int, now: datetime, rng: random.Random | None = None
) -> datetime | None:
    """Return when to try sending again, or None once MAX_ATTEMPTS have failed."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be an aware datetime, got naive {now!r}")
    if _is_int(attempts) and attempts >= MAX_ATTEMPTS:
        return None
    return now.astimezone(UTC) + retry_delay(attempts, rng)


def is_permanent_failure(smtp_code: int | None) -> bool:
    """Tell whether an SMTP reply code means retrying cannot help."""
    # None is a connection error or timeout; 4xx is a transient server refusal.
    # Anything outside 5xx is retried: MAX_ATTEMPTS still bounds the retries.
    return smtp_code is not None and 500 <= smtp_code <= 599


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
