"""The median course of stiffness and pain by weeks since treatment, across treatments.

Pure: takes each treatment's series as (days since treatment, stiffness, pain) and returns,
per week, the median and interquartile range of each score.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Fewer check-ins than this in a week say more about one patient than about the clinic.
MIN_WEEK_COUNT = 5


@dataclass(frozen=True)
class WeekSpread:
    week: int
    count: int
    median: float
    q1: float
    q3: float


@dataclass(frozen=True)
class Trajectory:
    stiffness: tuple[WeekSpread, ...]
    pain: tuple[WeekSpread, ...]


def median_trajectory(
    points: Iterable[tuple[int, int, int]], last_week: int = 104, min_count: int = MIN_WEEK_COUNT
) -> Trajectory:
    """Return the weekly median and quartiles of stiffness and pain (weeks with enough data)."""
    stiffness: dict[int, list[int]] = defaultdict(list)
    pain: dict[int, list[int]] = defaultdict(list)
    for day, stiff, hurt in points:
        week = day // 7
        if 0 <= week <= last_week:
            stiffness[week].append(stiff)
            pain[week].append(hurt)
    return Trajectory(_spreads(stiffness, min_count), _spreads(pain, min_count))


def _spreads(by_week: dict[int, list[int]], min_count: int) -> tuple[WeekSpread, ...]:
    spreads = []
    for week in sorted(by_week):
        values = by_week[week]
        if len(values) < max(min_count, 2):
            continue
        q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
        spreads.append(WeekSpread(week, len(values), median, q1, q3))
    return tuple(spreads)
