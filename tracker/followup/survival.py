"""Kaplan-Meier curves and the log-rank test over durability records, through lifelines.

lifelines does the estimating (product-limit, Greenwood variance on the log(-log) scale,
median and its interval, log-rank); this module only turns its frames into plain values:
days as ints, proportions as floats, and None wherever lifelines says "never".
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times


@dataclass(frozen=True)
class CurveRow:
    day: int
    at_risk: int  # still followed at the start of the day
    events: int
    censored: int  # competing exits included
    survival: float  # after the day's events
    ci95: tuple[float | None, float | None]


@dataclass(frozen=True)
class SurvivalCurve:
    curve: tuple[CurveRow, ...]
    median_days: int | None
    median_ci95: tuple[int | None, int | None]

    def survival_at(self, day: int) -> float | None:
        """Read the curve on a day, after that day's events; None past the last exit."""
        if not self.curve or day > self.curve[-1].day:
            return None
        index = bisect_right([row.day for row in self.curve], day) - 1
        return 1.0 if index < 0 else self.curve[index].survival


EMPTY_CURVE = SurvivalCurve((), None, (None, None))


def kaplan_meier(
    days: Sequence[int], events: Sequence[bool], counts: Sequence[int] | None = None
) -> SurvivalCurve:
    """Estimate the survival curve with its 95% log(-log) Greenwood band and median.

    counts, when given, says how many treatments share each (day, event) pair: the same
    estimate as the pairs repeated, from a few hundred pairs instead of thousands of exits.
    """
    if len(days) != len(events) or (counts is not None and len(counts) != len(days)):
        raise ValueError(f"{len(days)} exit days but {len(events)} event markers")
    if not days:
        return EMPTY_CURVE
    durations = np.asarray(days, dtype=np.int64)
    if durations.min() < 0:
        raise ValueError("exit days must not be negative")
    weights = _weights(counts)
    # lifelines sets numpy's error state for the whole process; keep that change local.
    with np.errstate(divide="ignore", invalid="ignore"):
        fitter = KaplanMeierFitter().fit(durations, np.asarray(events, dtype=bool), weights=weights)
        band = fitter.confidence_interval_
        median_band = median_survival_times(band)
    table = fitter.event_table
    exits = table["removed"].to_numpy() > 0  # lifelines adds a day-0 row even with no exit
    survival = fitter.survival_function_.iloc[:, 0].reindex(table.index).to_numpy()
    lower = band.iloc[:, 0].reindex(table.index).to_numpy()
    upper = band.iloc[:, 1].reindex(table.index).to_numpy()
    curve = tuple(
        CurveRow(
            day=int(day),
            at_risk=int(at_risk),
            events=int(observed),
            censored=int(censored),
            survival=float(value),
            ci95=(_proportion(low), _proportion(high)),
        )
        for day, at_risk, observed, censored, value, low, high in zip(
            table.index.to_numpy()[exits],
            table["at_risk"].to_numpy()[exits],
            table["observed"].to_numpy()[exits],
            table["censored"].to_numpy()[exits],
            survival[exits],
            lower[exits],
            upper[exits],
            strict=True,
        )
    )
    return SurvivalCurve(
        curve,
        _day(fitter.median_survival_time_),
        (_day(median_band.iloc[0, 0]), _day(median_band.iloc[0, 1])),
    )


def logrank_p(
    days: Sequence[int],
    events: Sequence[bool],
    groups: Sequence[str],
    counts: Sequence[int] | None = None,
) -> float | None:
    """Compare the groups' curves by the log-rank test; None with fewer than two groups.

    counts, when given, says how many treatments share each (day, event, group).
    """
    if not len(days) == len(events) == len(groups) or (
        counts is not None and len(counts) != len(days)
    ):
        raise ValueError("days, events, groups and counts must be the same length")
    if len(set(groups)) < 2:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        result = multivariate_logrank_test(
            np.asarray(days, dtype=np.int64),
            np.asarray(groups),
            np.asarray(events, dtype=bool),
            weights=_weights(counts),
        )
    return _proportion(result.p_value)


def _weights(counts: Sequence[int] | None) -> np.ndarray | None:
    if counts is None:
        return None
    weights = np.asarray(counts, dtype=np.int64)
    if weights.min() < 1:
        raise ValueError("counts must be positive")
    # Whole numbers as floats: lifelines then counts exactly as with the pairs repeated.
    return weights.astype(float)


def _day(value: float) -> int | None:
    # lifelines answers "never reaches 0.5" with infinity.
    return None if value is None or not math.isfinite(value) else int(value)


def _proportion(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)
